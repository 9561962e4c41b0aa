// The `afa-ensemble` experiment (PAPERS.md §14, toy): two frozen MLP denoisers trained on
// disjoint halves of an 8-Gaussian ring, and per-layer softmax aggregators trained on the full
// ring. Predictions: at step 0 the ensemble is the uniform feature average (zero-init), and
// after training its denoising loss is below each expert's and below the uniform average's.

import { MLP, Tensor, add, concat, cos, meanSE, mul, randomNormal, randomUniform, reshape, sin, square, stack, stream, sub, sum, tensor, tidy } from '../../engine.js';
import { check, defineExperiment } from '../experiment.js';
import type { Check, Series } from '../experiment.js';
import { ringOfGaussians, timeEmbedding, trainArena } from '../toy-data/index.js';
import { afaForward, createAggregators, uniformFeatureAverage } from './afa.js';

/** The Philox stream of paper 14's noise number k: stream('paper14', k). */
export function afaStream(k = 0): number {
  return stream('paper14', k);
}

/**
 * A variance-preserving noising of x0 [.., B, d]: x_t = cos(πt/2) x0 + sin(πt/2) ε, with t a
 * tensor broadcastable to x0's rows ([.., B, 1]).
 */
export function vpNoise(x0: Tensor, t: Tensor, eps: Tensor): Tensor {
  return tidy(() => add(mul(x0, cos(mul(t, Math.PI / 2))), mul(eps, sin(mul(t, Math.PI / 2)))));
}

export const afaExperiment = defineExperiment({
  name: 'afa-ensemble',
  paper: { number: 14, title: 'Ensembling Diffusion Models via Adaptive Feature Aggregation', arxiv: '2405.17082' },
  shows: 'Zero-initialised softmax aggregators start as the uniform feature average of two frozen experts and learn to beat both experts and the uniform average on the full data.',
  settings: {
    seed: 0,
    ringRadius: 2, ringStd: 0.1, hidden: [128, 128, 128], frequencies: 4,
    expertSteps: 2000, expertBatch: 256, expertLr: 1e-3,
    aggregatorHidden: 64, afaSteps: 1500, afaBatch: 512, afaLr: 1e-3,
    evalSamples: 8192,
  },
  quick: { expertSteps: 300, afaSteps: 200, evalSamples: 2048 },
  seconds: { full: 192, quick: 11 },
  async run(s, ctx) {
    const seed = ctx.seed, d = 2, m = 2;
    const emb = 1 + 2 * s.frequencies;
    const experts = new MLP([d + emb, ...(s.hidden as number[]), d], { activation: 'relu' });
    const halves = [[0, 1, 2, 3], [4, 5, 6, 7]];
    const ring = (n: number, k: number, which?: number[]) => ringOfGaussians(n, { seed, stream: stream('data', 14), offset: k * 3 * n, radius: s.ringRadius, std: s.ringStd, ...(which ? { which } : {}) }).x;
    const inputs = (xt: Tensor, t: Tensor) => concat([xt, timeEmbedding(t, s.frequencies)], 1);

    const trainedExperts = await ctx.stage('experts', () => {
      const params = experts.init({ seed: seed + 14, replicas: m });
      const B = s.expertBatch;
      const history = trainArena(params, (p, k) => {
        // one batch per expert from its half of the ring: x [M, B, ·], one launch for both
        const x0 = stack(halves.map((w, r) => ring(B, 2 * k + r, w)), 0);
        const t = randomUniform([m, B, 1], { seed, stream: afaStream(0), offset: k * m * B });
        const eps = randomNormal([m, B, d], { seed, stream: afaStream(1), offset: k * m * B * d });
        const xin = concat([vpNoise(x0, t, eps), reshape(timeEmbedding(reshape(t, [m * B]), s.frequencies), [m, B, emb])], 2);
        return mul(sum(square(sub(experts.apply(p, xin), eps))), 1 / B);
      }, { steps: s.expertSteps, lr: s.expertLr, every: 50, onLog: (k) => ctx.progress(k, s.expertSteps, 'experts') });
      return { params: Array.from(params.dataSync()), history };
    });
    const expertParams = tensor(Float32Array.from(trainedExperts.params), [m, experts.size]);

    const { aggregators, params: agg0 } = createAggregators(experts, m, emb, { hidden: s.aggregatorHidden, seed: seed + 140 });
    const evalSet = () => {
      const n = s.evalSamples;
      const x0 = ring(n, 1_000_000);
      const t = randomUniform([n, 1], { seed, stream: afaStream(5) });
      const eps = randomNormal([n, d], { seed, stream: afaStream(6) });
      return { x: inputs(vpNoise(x0, t, eps), t), emb: timeEmbedding(t, s.frequencies), eps };
    };
    const perExample = (out: Tensor, eps: Tensor) => Array.from(sum(square(sub(out, eps)), 1).dataSync());

    const stepZero = await ctx.stage('step-zero', () => {
      const ev = evalSet();
      const afa = afaForward(experts, expertParams, aggregators, agg0, ev.x, ev.emb).output.dataSync();
      const uni = uniformFeatureAverage(experts, expertParams, m, ev.x).dataSync();
      let diff = 0, scale = 0;
      for (let i = 0; i < afa.length; i++) { diff = Math.max(diff, Math.abs(afa[i]! - uni[i]!)); scale = Math.max(scale, Math.abs(uni[i]!)); }
      return { maxAbsDiff: diff, scale };
    });

    const trainedAfa = await ctx.stage('aggregators', () => {
      const params = tensor(Float32Array.from(agg0.dataSync()), [aggregators.size]);
      const B = s.afaBatch;
      const history = trainArena(params, (p, k) => {
        const x0 = ring(B, 10_000 + k);
        const t = randomUniform([B, 1], { seed, stream: afaStream(2), offset: k * B });
        const eps = randomNormal([B, d], { seed, stream: afaStream(3), offset: k * B * d });
        const out = afaForward(experts, expertParams, aggregators, p, inputs(vpNoise(x0, t, eps), t), timeEmbedding(t, s.frequencies)).output;
        return mul(sum(square(sub(out, eps))), 1 / B);
      }, { steps: s.afaSteps, lr: s.afaLr, every: 50, onLog: (k) => ctx.progress(k, s.afaSteps, 'aggregators') });
      return { params: Array.from(params.dataSync()), history };
    });

    const losses = await ctx.stage('evaluate', () => {
      const ev = evalSet();
      const aggParams = tensor(Float32Array.from(trainedAfa.params), [aggregators.size]);
      const afa = afaForward(experts, expertParams, aggregators, aggParams, ev.x, ev.emb);
      const both = experts.apply(expertParams, ev.x); // [M, B, d]
      const n = s.evalSamples;
      const per = {
        ensemble: perExample(afa.output, ev.eps),
        expertA: perExample(tensor(Float32Array.from(both.dataSync()).slice(0, n * d), [n, d]), ev.eps),
        expertB: perExample(tensor(Float32Array.from(both.dataSync()).slice(n * d), [n, d]), ev.eps),
        uniform: perExample(uniformFeatureAverage(experts, expertParams, m, ev.x), ev.eps),
      };
      const w = afa.weights.map((a) => a.dataSync());
      const meanWeightA = w.map((a) => Array.from(a).slice(0, n).reduce((x, y) => x + y, 0) / n);
      const paired = (a: number[], b: number[]) => meanSE(a.map((x, i) => x - b[i]!));
      const summary = Object.fromEntries(Object.entries(per).map(([k, v]) => [k, meanSE(v).mean]));
      const diffs = {
        vsExpertA: paired(per.ensemble, per.expertA), vsExpertB: paired(per.ensemble, per.expertB), vsUniform: paired(per.ensemble, per.uniform),
      };
      return {
        loss: summary as Record<string, number>,
        diffs: Object.fromEntries(Object.entries(diffs).map(([k, q]) => [k, { mean: q.mean, se: q.se }])) as Record<string, { mean: number; se: number }>,
        meanWeightExpertA: meanWeightA,
      };
    });

    const L = losses.loss, D = losses.diffs;
    const below = (q: { mean: number; se: number }) => q.mean + 2 * q.se < 0;
    const checks: Check[] = [
      check('zero-init-identity',
        'At step 0 (zero-initialised aggregators) the ensemble output equals the uniform feature average: max |difference| ≤ 4·2⁻²⁴·max|output| (softmax(0) = ½ exactly for M = 2, so it should be 0) [code: conv_out zero init]',
        stepZero, stepZero.maxAbsDiff <= 4 * 2 ** -24 * Math.max(1, stepZero.scale)),
      check('beats-experts',
        'After training, the ensemble’s denoising loss on the full ring is below each expert’s: paired difference + 2 SE < 0 for both [paper; PAPERS.md §14]',
        { loss: L, vsExpertA: D['vsExpertA']!, vsExpertB: D['vsExpertB']! }, below(D['vsExpertA']!) && below(D['vsExpertB']!)),
      check('beats-uniform',
        'After training, the ensemble’s loss is below the uniform feature average’s (dynamic beats static merging): paired difference + 2 SE < 0 [paper]',
        { loss: L, vsUniform: D['vsUniform']! }, below(D['vsUniform']!)),
    ];
    const series: Series[] = [
      { name: 'denoising loss', x: 'model', y: 'E‖ε̂ − ε‖² on the full ring', mark: 'bar', points: Object.entries(L).map(([x, y]) => ({ x, y })) },
      {
        name: 'training', x: 'step', y: 'loss', logY: true,
        points: [
          ...trainedExperts.history.map((v, k) => ({ x: k * 50, y: v / m, group: 'experts (mean)' })),
          ...trainedAfa.history.map((v, k) => ({ x: k * 50, y: v, group: 'aggregators' })),
        ],
      },
    ];
    return {
      metrics: {
        loss: { ensemble: L['ensemble']!, expertA: L['expertA']!, expertB: L['expertB']!, uniform: L['uniform']! },
        stepZeroEqualsUniform: stepZero.maxAbsDiff,
        pairedDifferences: D,
        meanWeightExpertA: losses.meanWeightExpertA,
      },
      series,
      checks,
    };
  },
});
