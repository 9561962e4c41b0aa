// The stochastic-neurons experiment (PAPERS.md §18): gradient estimators through 8 binary
// units against the exact gradient by 2⁸-state enumeration, and a gated MLP on Fashion-MNIST
// trained with each estimator.

import { loadDefaultDataset, randomNormal, randomUniform, stream, takeRows, tensor, tidy } from '../../engine.js';
import { check, defineExperiment } from '../experiment.js';
import type { Json, Series, SeriesPoint } from '../experiment.js';
import { cosine, ESTIMATORS, exactEstimatorStats, exactGradient, exactOptimalBaseline, perSampleGradients } from './enumeration.js';
import type { BinaryProblem, EstimatorKind } from './enumeration.js';
import { optimalBaseline } from './estimators.js';
import type { StraightThroughScale } from './estimators.js';
import { trainGated } from './gated.js';

const PAPER = { number: 18, title: 'Estimating or Propagating Gradients Through Stochastic Neurons for Conditional Computation', arxiv: '1308.3432' };
const round = (x: number, d = 6) => Number(x.toPrecision(d));

/** The problem of the estimator study: a, W, y standard normal from stream('paper18', 0). */
export function binaryProblem(n: number, m: number, seed: number): BinaryProblem {
  const z = tidy(() => Float64Array.from(randomNormal([n + m * n + m], { seed, stream: stream('paper18', 0), dtype: 'float64' }).dataSync()));
  return { n, m, a: Float64Array.from(z.subarray(0, n)), W: Float64Array.from(z.subarray(n, n + m * n)), y: Float64Array.from(z.subarray(n + m * n)) };
}

interface MonteCarlo {
  /** [kind][S index]: per-repetition cosines. */
  cos: Record<string, number[][]>;
  /** REINFORCE: pooled mean and its standard error per unit, over all repetitions at S_max. */
  pooledMean: number[];
  pooledSE: number[];
  /** The pilot-sample baseline used by REINFORCE. */
  baseline: number[];
}

export const stochasticNeuronsExperiment = defineExperiment({
  name: 'stochastic-neurons',
  paper: PAPER,
  shows: 'REINFORCE with the variance-minimising baseline is unbiased (cosine to the exact 2ⁿ-state gradient → 1 with samples) with the largest variance; straight-through is biased (cosine < 1) with lower variance; on a gated MLP straight-through trains faster than REINFORCE',
  settings: {
    seed: 0,
    units: 8,
    outputs: 4,
    /** Samples per estimate. */
    samples: [1, 10, 100, 1000, 10000],
    /** Independent estimates per sample size (their cosines give mean ± SE). */
    repeats: 20,
    /** Samples of the pilot run that estimates REINFORCE's baseline (independent of the estimates). */
    pilot: 1000,
    /** Straight-through backward: 'sigmoid' (∂L/∂h·sigm′(a)) or 'identity'. */
    stScale: 'sigmoid',
    hidden: 100,
    epochs: 5,
    batchSize: 100,
    lr: 1e-3,
    trainRows: 8000,
    baselineDecay: 0.9,
  },
  quick: { samples: [1, 10, 100, 1000], repeats: 10, hidden: 32, epochs: 2, trainRows: 1000 },
  seconds: { full: 35, quick: 6 },
  async run(s, ctx) {
    const stScale = s.stScale as StraightThroughScale;
    const pr = binaryProblem(s.units, s.outputs, ctx.seed);
    const Smax = Math.max(...s.samples);
    // ── Exact: 2ⁿ enumeration ──
    const exact = await ctx.stage('exact', () => {
      const g = exactGradient(pr);
      const b = exactOptimalBaseline(pr);
      const stats = Object.fromEntries(ESTIMATORS.map((k) => {
        const st = exactEstimatorStats(pr, k, g, k === 'reinforce' ? b : null, stScale);
        return [k, { mean: Array.from(st.mean), variance: st.variance, cosine: st.cosine }];
      }));
      const noBaseline = exactEstimatorStats(pr, 'reinforce', g, null).variance;
      return { gradient: Array.from(g), baseline: Array.from(b), stats, noBaselineVariance: noBaseline } as unknown as Json;
    }) as unknown as { gradient: number[]; baseline: number[]; stats: Record<EstimatorKind, { mean: number[]; variance: number; cosine: number }>; noBaselineVariance: number };
    // ── Monte Carlo: repeats × S_max samples per estimator, as rows of one tensor ──
    const mc = await ctx.stage('monte-carlo', () => tidy(() => {
      const n = s.units, R = s.repeats;
      const pilotU = randomUniform([s.pilot, n], { seed: ctx.seed, stream: stream('paper18', 2), dtype: 'float64' });
      // The pilot's baseline: the (h − p)²-weighted mean loss over its samples.
      const baseline = tidy(() => {
        const p = tensor(Float64Array.from(pr.a, (v) => 1 / (1 + Math.exp(-v))), [1, n], { dtype: 'float64' });
        const u = pilotU.dataSync(), pv = p.dataSync();
        const h = Float64Array.from(u, (v, k) => (v < pv[k % n]! ? 1 : 0));
        const H = tensor(h, [s.pilot, n], { dtype: 'float64' });
        const L = Float64Array.from({ length: s.pilot }, (_, r) => {
          let tot = 0;
          for (let o = 0; o < pr.m; o++) {
            let z = -pr.y[o]!;
            for (let i = 0; i < n; i++) z += pr.W[o * n + i]! * h[r * n + i]!;
            tot += z * z;
          }
          return tot;
        });
        return Array.from(optimalBaseline(H, p, tensor(L, [s.pilot], { dtype: 'float64' })).dataSync());
      });
      const cos: Record<string, number[][]> = {};
      let pooledMean: number[] = [], pooledSE: number[] = [];
      ESTIMATORS.forEach((kind, e) => {
        const U = randomUniform([R * Smax, n], { seed: ctx.seed, stream: stream('paper18', 4 + e), dtype: 'float64' });
        const G = perSampleGradients(pr, kind, U, kind === 'reinforce' ? tensor(Float64Array.from(baseline), [n], { dtype: 'float64' }) : 0, stScale).dataSync();
        cos[kind] = s.samples.map((S) => Array.from({ length: R }, (_, r) => {
          const m = new Float64Array(n);
          for (let j = 0; j < S; j++) for (let i = 0; i < n; i++) m[i] += G[(r * Smax + j) * n + i]! / S;
          return cosine(m, exact.gradient);
        }));
        if (kind === 'reinforce') {
          const N = R * Smax, mean = new Float64Array(n), sq = new Float64Array(n);
          for (let k = 0; k < N; k++) for (let i = 0; i < n; i++) { mean[i] += G[k * n + i]! / N; sq[i] += G[k * n + i]! ** 2 / N; }
          pooledMean = Array.from(mean);
          pooledSE = Array.from(mean, (m, i) => Math.sqrt(Math.max(0, sq[i]! - m * m) / (N - 1)));
        }
      });
      return { cos, pooledMean, pooledSE, baseline } as unknown as Json;
    })) as unknown as MonteCarlo;
    // ── Gated MLP ──
    const all = loadDefaultDataset();
    const train = takeRows(all, Int32Array.from({ length: Math.min(s.trainRows, all.n) }, (_, i) => i));
    const trainLoss: Record<string, number[]> = {};
    for (const kind of ESTIMATORS) {
      trainLoss[kind] = await ctx.stage(`train-${kind}`, () => trainGated(train, kind, {
        hidden: s.hidden, epochs: s.epochs, batchSize: s.batchSize, lr: s.lr, seed: ctx.seed, stScale, baselineDecay: s.baselineDecay,
      }));
      ctx.log(`gated MLP, ${kind}: training loss ${trainLoss[kind]!.map((v) => v.toFixed(4)).join(' → ')}`);
    }
    // ── Metrics ──
    const msd = (xs: number[]) => {
      const m = xs.reduce((a, b) => a + b, 0) / xs.length;
      const sd = Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, xs.length - 1));
      return { mean: m, se: sd / Math.sqrt(xs.length) };
    };
    const name = (k: EstimatorKind) => (k === 'straightThrough' ? 'straightThrough' : k);
    const cosMetric: Record<string, Record<string, number>> = {};
    const cosSE: Record<string, Record<string, number>> = {};
    for (const k of ESTIMATORS) {
      cosMetric[name(k)] = Object.fromEntries(s.samples.map((S, j) => [String(S), round(msd(mc.cos[k]![j]!).mean)]));
      cosSE[name(k)] = Object.fromEntries(s.samples.map((S, j) => [String(S), round(msd(mc.cos[k]![j]!).se, 3)]));
    }
    const gnorm2 = exact.gradient.reduce((a, b) => a + b * b, 0);
    const variance = Object.fromEntries(ESTIMATORS.map((k) => [name(k), round(exact.stats[k].variance)]));
    const relVariance = Object.fromEntries(ESTIMATORS.map((k) => [name(k), round(exact.stats[k].variance / exact.stats[k].mean.reduce((a, b) => a + b * b, 0))]));
    const metrics = {
      cosine: cosMetric,
      cosineSE: cosSE,
      exactCosine: Object.fromEntries(ESTIMATORS.map((k) => [name(k), round(exact.stats[k].cosine, 10)])),
      variance,
      relativeVariance: relVariance,
      reinforceVarianceWithoutBaseline: round(exact.noBaselineVariance),
      trainLoss: Object.fromEntries(ESTIMATORS.map((k) => [name(k), trainLoss[k]!.map((v) => round(v))])),
    };
    // ── Checks (predictions of PAPERS.md §18, fixed before the run) ──
    const checks = [];
    const rMean = exact.stats.reinforce.mean;
    const relErr = Math.sqrt(rMean.reduce((a, v, i) => a + (v - exact.gradient[i]!) ** 2, 0) / gnorm2);
    checks.push(check('reinforce-unbiased-exact', 'E[ĝ_REINFORCE] over the 2ⁿ states equals ∂E[L]/∂a (exact identity; float64: relative error ≤ 1e-12)', { relativeError: relErr }, relErr <= 1e-12));
    const zs = mc.pooledMean.map((m, i) => (m - exact.gradient[i]!) / mc.pooledSE[i]!);
    const zmax = Math.max(...zs.map(Math.abs));
    checks.push(check('reinforce-unbiased-monte-carlo', `the pooled REINFORCE mean over repeats × ${Smax} samples is within 3.5 standard errors of the exact gradient in every unit (Bonferroni over ${s.units} units: false-alarm rate < 0.4%)`, { maxAbsZ: round(zmax, 4), z: zs.map((z) => round(z, 3)) }, zmax <= 3.5));
    const last = s.samples.length - 1;
    const rc = msd(mc.cos.reinforce![last]!);
    // E[1 − cos] ≈ (tr Σ − σ²_∥)/(2S‖∇‖²) ≤ tr Σ/(2S‖∇‖²) for the mean of S samples.
    const bound = exact.stats.reinforce.variance / (2 * Smax * gnorm2);
    const rising = s.samples.every((_, j) => j === 0 || msd(mc.cos.reinforce![j]!).mean >= msd(mc.cos.reinforce![j - 1]!).mean - 2 * msd(mc.cos.reinforce![j - 1]!).se);
    checks.push(check('reinforce-cosine-to-one', `REINFORCE's cosine to the exact gradient rises with the samples (each step ≥ the previous − 2 SE) and 1 − cos at S_max is ≤ 3·tr Σ/(2 S_max ‖∇‖²) + 3 SE (the first-order expectation from the exact per-sample variance)`,
      { cosine: cosMetric.reinforce!, oneMinusCos: round(1 - rc.mean, 4), se: round(rc.se, 3), bound3: round(3 * bound, 4), rising }, rising && 1 - rc.mean <= 3 * bound + 3 * rc.se));
    const stCos = exact.stats.straightThrough.cosine;
    const stMc = msd(mc.cos.straightThrough![last]!);
    checks.push(check('straight-through-biased', `straight-through is biased: cos(E[ĝ_ST], ∇) < 1 − 1e-6 exactly (2ⁿ enumeration), and the Monte Carlo cosine at S_max stays below 1 (mean + 3 SE < 1)`,
      { exactCosine: round(stCos, 10), monteCarloCosine: round(stMc.mean, 6), se: round(stMc.se, 3) }, stCos < 1 - 1e-6 && stMc.mean + 3 * stMc.se < 1));
    const vr = exact.stats.reinforce.variance, vst = exact.stats.straightThrough.variance, vsts = exact.stats.sts.variance;
    checks.push(check('reinforce-variance-largest', 'REINFORCE (even with the variance-minimising baseline) has the largest per-sample variance tr Cov[ĝ] (exact, by enumeration)', variance, vr > vst && vr > vsts));
    checks.push(check('straight-through-variance-smallest', 'straight-through has the smallest per-sample variance and STS lies between ST and REINFORCE (PAPERS.md §18; exact, by enumeration)', variance, vst < vsts && vsts < vr));
    const lastLoss = (k: EstimatorKind) => trainLoss[k]![trainLoss[k]!.length - 1]!;
    checks.push(check('straight-through-trains-faster', 'on the gated MLP, straight-through reaches a lower final training loss than REINFORCE (one seed; the paper reports ST working well in practice)',
      { straightThrough: round(lastLoss('straightThrough')), reinforce: round(lastLoss('reinforce')), sts: round(lastLoss('sts')) }, lastLoss('straightThrough') < lastLoss('reinforce')));
    const series: Series[] = [
      {
        name: 'cosine to the exact gradient', x: 'samples per estimate', y: 'cosine', logX: true,
        points: ESTIMATORS.flatMap((k) => s.samples.map((S, j): SeriesPoint => {
          const m = msd(mc.cos[k]![j]!);
          return { x: S, y: m.mean, group: name(k), lo: m.mean - m.se, hi: m.mean + m.se };
        })),
      },
      {
        name: 'gated MLP training loss', x: 'epoch', y: 'cross-entropy',
        points: ESTIMATORS.flatMap((k) => trainLoss[k]!.map((v, e): SeriesPoint => ({ x: e + 1, y: v, group: name(k) }))),
      },
    ];
    return { metrics: metrics as unknown as { [key: string]: Json }, series, checks };
  },
});
