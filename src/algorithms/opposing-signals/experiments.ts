// §20 Rosenfeld & Risteski (2311.04163): full-batch GD on data with a rare, large feature that
// appears in both classes: sharpness rises to 2/η, the two outlier groups' losses swing in
// anti-phase, and the largest per-example loss changes are the outliers'. Without the
// feature the oscillation should go away [recon].

import { MLP, modelHessian, pearson, perExampleLosses, SGD, softmaxCrossEntropy, tensor, valueAndGrad } from '../../engine.js';
import type { Tensor } from '../../engine.js';
import { check, defineExperiment } from '../experiment.js';
import type { Check, Json, Series } from '../experiment.js';
import { SharpnessTracker } from '../curvature/index.js';
import { groupMeans, lossChanges, opposingSignalsData, topChanges } from './methods.js';
import type { OpposingData } from './methods.js';

const PAPER = { number: 20, title: 'Outliers with Opposing Signals Have an Outsized Effect on Neural Network Optimization', arxiv: '2311.04163' };

interface Trajectory {
  [key: string]: Json;
  sharpness: { step: number; value: number }[];
  loss: number[];
  group1: number[];
  group2: number[];
  /** Share of outlier-group rows among the top-k |Δℓ| at each step. */
  topShare: number[];
}

async function trajectory(data: OpposingData, s: { width: number; eta: number; steps: number; sharpnessEvery: number; topK: number; seed: number }): Promise<Trajectory> {
  const net = new MLP([data.features, s.width, s.width, 2], { activation: 'relu' });
  const params = net.init({ seed: s.seed });
  const x = tensor(data.x, [data.n, data.features]), y = tensor(data.y, [data.n], { dtype: 'int32' });
  const opt = new SGD(params, { lr: s.eta });
  const tracker = new SharpnessTracker({ every: s.sharpnessEvery, maxSteps: 20, tol: 1e-3, seed: s.seed });
  const f = valueAndGrad((p: Tensor) => softmaxCrossEntropy(net.apply(p, x), y));
  const losses = async () => {
    const l = perExampleLosses(net, softmaxCrossEntropy, params, x, y);
    const v = Float64Array.from(await l.data());
    l.dispose();
    return v;
  };
  const out: Trajectory = { sharpness: [], loss: [], group1: [], group2: [], topShare: [] };
  let prev = await losses();
  try {
    for (let t = 0; t < s.steps; t++) {
      if (tracker.due(t)) {
        const pt = await tracker.measure(modelHessian(net, softmaxCrossEntropy, params, { x, y }), t);
        out.sharpness.push({ step: t, value: pt.value });
      }
      const { value, grad } = f(params);
      opt.step(grad);
      value.dispose(); grad.dispose();
      const cur = await losses();
      const g = groupMeans(cur, data.group, 3);
      out.loss.push(cur.reduce((a, b) => a + b, 0) / cur.length);
      out.group1.push(g[1]!);
      out.group2.push(g[2]!);
      const top = topChanges(lossChanges(prev, cur), s.topK);
      out.topShare.push(top.filter((i) => data.group[i]! > 0).length / top.length);
      prev = cur;
    }
  } finally {
    tracker.dispose(); opt.dispose(); params.dispose(); x.dispose(); y.dispose();
  }
  return out;
}

function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const a = [...xs].sort((p, q) => p - q), m = a.length >> 1;
  return a.length % 2 ? a[m]! : 0.5 * (a[m - 1]! + a[m]!);
}

/** The oscillation phase: from the first sharpness ≥ 0.9·2/η on (else the last half), and its statistics. */
function analyse(tr: Trajectory, eta: number) {
  const limit = 2 / eta, steps = tr.loss.length;
  const first = tr.sharpness.find((p) => p.value >= 0.9 * limit);
  const from = first ? first.step : Math.floor(steps / 2);
  const inPhase = tr.sharpness.filter((p) => p.step >= from).map((p) => p.value / limit);
  const d1: number[] = [], d2: number[] = [];
  let ups = 0;
  for (let t = Math.max(from, 1); t < steps; t++) {
    d1.push(tr.group1[t]! - tr.group1[t - 1]!);
    d2.push(tr.group2[t]! - tr.group2[t - 1]!);
    if (tr.loss[t]! > tr.loss[t - 1]!) ups++;
  }
  const share = tr.topShare.slice(from);
  return {
    reachedEdge: first !== undefined,
    phaseStart: from,
    sharpnessOver2Eta: median(inPhase),
    maxSharpnessOver2Eta: Math.max(...tr.sharpness.map((p) => p.value / limit)),
    groupCorrelation: d1.length > 2 ? pearson(d1, d2) : NaN,
    topShareOutliers: share.reduce((a, b) => a + b, 0) / Math.max(share.length, 1),
    lossIncreaseFraction: ups / Math.max(steps - Math.max(from, 1), 1),
    finalLoss: tr.loss[steps - 1]!,
  };
}

export const opposingSignalsExperiment = defineExperiment({
  name: 'opposing-signals',
  paper: PAPER,
  shows: 'Under full-batch GD, sharpness rises to 2/η, the two opposing-signal groups\' losses move in anti-phase, and the top |Δℓ_i| examples are the outliers; without the opposing feature the oscillation goes away.',
  settings: {
    seed: 0,
    n: 2000,
    features: 20,
    fraction: 0.05,
    alpha: 20,
    margin: 2,
    width: 64,
    eta: 0.05,
    steps: 1000,
    sharpnessEvery: 10,
    topK: 20,
  },
  quick: { n: 400, steps: 120, width: 32, sharpnessEvery: 20 },
  seconds: { full: 138, quick: 11 },
  async run(s, ctx) {
    const base = { n: s.n, features: s.features, fraction: s.fraction, alpha: s.alpha, margin: s.margin, seed: ctx.seed };
    const cfg = { width: s.width, eta: s.eta, steps: s.steps, sharpnessEvery: s.sharpnessEvery, topK: s.topK, seed: ctx.seed + 1 };
    const withFeature = await ctx.stage('with-opposing-feature', () => trajectory(opposingSignalsData(base), cfg));
    ctx.progress(1, 2, 'with the opposing feature');
    const removedTr = await ctx.stage('opposing-feature-removed', () => trajectory(opposingSignalsData({ ...base, removeOpposing: true }), cfg));
    ctx.progress(2, 2, 'feature removed');
    const a = analyse(withFeature, s.eta), r = analyse(removedTr, s.eta);
    const checks: Check[] = [
      check('sharpness-at-2-over-eta',
        'Rosenfeld & Risteski §3 (edge of stability, PAPERS.md §20 (i)): λ_max rises to 2/η and hovers there: the median of λ_max/(2/η) over the oscillation phase is within 10% of 1.',
        { sharpnessOver2Eta: a.sharpnessOver2Eta, max: a.maxSharpnessOver2Eta, reachedEdge: a.reachedEdge, phaseStart: a.phaseStart },
        Math.abs(a.sharpnessOver2Eta - 1) <= 0.1),
      check('groups-anti-phase',
        'PAPERS.md §20 (ii): the step-to-step loss changes of the groups "x_o present, y = 1" and "x_o present, y = 0" are negatively correlated (Pearson < −0.5) during the oscillation phase.',
        { groupCorrelation: a.groupCorrelation }, a.groupCorrelation < -0.5),
      check('top-changes-are-outliers',
        `PAPERS.md §20 (iii): the top-${s.topK} |Δℓ_i| examples are ≥ 80% outlier-group members (base rate ${s.fraction}), averaged over the oscillation phase.`,
        { topShareOutliers: a.topShareOutliers, baseRate: s.fraction }, a.topShareOutliers >= 0.8),
      check('removing-feature-removes-oscillation',
        '[recon] PAPERS.md §20 (iv): with x_o removed, the fraction of steps whose full loss rises (over the same phase rule) is less than half of that with x_o.',
        { withFeature: a.lossIncreaseFraction, removed: r.lossIncreaseFraction }, r.lossIncreaseFraction < 0.5 * a.lossIncreaseFraction),
    ];
    const series: Series[] = [
      {
        name: 'sharpness', x: 'step', y: 'λ_max',
        points: [
          ...withFeature.sharpness.map((p) => ({ x: p.step, y: p.value, group: 'with x_o' })),
          ...removedTr.sharpness.map((p) => ({ x: p.step, y: p.value, group: 'x_o removed' })),
          ...withFeature.sharpness.map((p) => ({ x: p.step, y: 2 / s.eta, group: '2/η' })),
        ],
      },
      {
        name: 'group losses (with x_o)', x: 'step', y: 'mean loss', logY: true,
        points: [
          ...withFeature.group1.map((v, t) => ({ x: t + 1, y: v, group: 'x_o, y = 1' })),
          ...withFeature.group2.map((v, t) => ({ x: t + 1, y: v, group: 'x_o, y = 0' })),
          ...withFeature.loss.map((v, t) => ({ x: t + 1, y: v, group: 'all' })),
        ],
      },
    ];
    return {
      metrics: {
        sharpnessOver2Eta: a.sharpnessOver2Eta,
        groupCorrelation: a.groupCorrelation,
        topShareOutliers: a.topShareOutliers,
        lossIncreaseFraction: a.lossIncreaseFraction,
        withFeature: a,
        removed: r,
      },
      series,
      checks,
    };
  },
});
