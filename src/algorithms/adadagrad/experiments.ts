// §13 AdAdaGrad (2402.11215): softmax regression on Fashion-MNIST from b₀ = 2 with AdaGrad
// (lr 8e-3, η = 0.1, the authors' expt.sh) and AdaGradNorm; the batch size grows to thousands
// and the final accuracy matches a good fixed batch with far fewer steps.

import { AdaGrad, AdaGradNorm, classificationMetrics, gatherRows, loadDefaultDataset, softmaxCrossEntropy, softmaxRegression, tensor, valueAndGrad } from '../../engine.js';
import type { Tensor } from '../../engine.js';
import { check, defineExperiment } from '../experiment.js';
import type { Check, Json, Series } from '../experiment.js';
import { batchTestStatistic, GrowingBatchSampler, nextBatchSize, softmaxRegressionGradientStats, streamedGradientStats } from './methods.js';
import type { BatchTest } from './methods.js';

const PAPER = { number: 13, title: 'AdAdaGrad: Adaptive Batch Size Schemes for Adaptive Gradient Methods', arxiv: '2402.11215' };

interface SchemeResult {
  [key: string]: Json;
  accuracy: number;
  loss: number;
  steps: number;
  examples: number;
  /** (examples seen, batch size) at the start and at every change. */
  batchSizes: [number, number][];
}

interface Rows { x: Float32Array; y: Int32Array; n: number; features: number }

async function runScheme(train: Rows, test: Rows, o: {
  optimizer: 'adagrad' | 'adagradNorm'; lr: number; test: BatchTest | null; batch: number; bMax: number; budget: number;
  eta: number; chunk: number; seed: number; closedForm: boolean;
}): Promise<SchemeResult> {
  const net = softmaxRegression(train.features, 10);
  const params = net.init({ seed: o.seed });
  const opt = o.optimizer === 'adagrad' ? new AdaGrad(params, { lr: o.lr }) : new AdaGradNorm(params, { lr: o.lr });
  const f = valueAndGrad((p: Tensor, x: Tensor, y: Tensor) => softmaxCrossEntropy(net.apply(p, x), y));
  const sampler = new GrowingBatchSampler(train.n, o.seed);
  let b = o.batch, steps = 0;
  const trace: [number, number][] = [[0, b]];
  try {
    while (sampler.examples + b <= o.budget) {
      const rows = sampler.next(b);
      const x = tensor(gatherRows(train.x, train.features, rows), [b, train.features]);
      const y = tensor(gatherRows(train.y, 1, rows), [b], { dtype: 'int32' });
      let nb = b;
      if (o.test && b >= 2) {
        const s = o.closedForm
          ? await softmaxRegressionGradientStats(params, x, y, 10)
          : await streamedGradientStats(net, softmaxCrossEntropy, params, x, y, { chunk: o.chunk });
        nb = nextBatchSize(b, batchTestStatistic(o.test, s, { eta: o.eta, theta: o.eta, nu: o.eta }), o.bMax);
      }
      const { value, grad } = f(params, x, y);
      opt.step(grad);
      value.dispose(); grad.dispose(); x.dispose(); y.dispose();
      steps++;
      if (nb !== b) { b = nb; trace.push([sampler.examples, b]); }
    }
    const m = await classificationMetrics(net, params, test);
    return { accuracy: m.accuracy[0]!, loss: m.loss[0]!, steps, examples: sampler.examples, batchSizes: trace };
  } finally {
    opt.dispose();
    params.dispose();
  }
}

const ADAPTIVE: { name: string; optimizer: 'adagrad' | 'adagradNorm'; test: BatchTest }[] = [
  { name: 'adagrad-norm', optimizer: 'adagrad', test: 'norm' },
  { name: 'adagrad-augmented-inner-product', optimizer: 'adagrad', test: 'augmentedInnerProduct' },
  { name: 'adagrad-coordinate', optimizer: 'adagrad', test: 'coordinate' },
  { name: 'adagradnorm-norm', optimizer: 'adagradNorm', test: 'norm' },
  { name: 'adagradnorm-augmented-inner-product', optimizer: 'adagradNorm', test: 'augmentedInnerProduct' },
];

export const adaptiveBatchExperiment = defineExperiment({
  name: 'adaptive-batch',
  paper: PAPER,
  shows: 'Adaptive batch-size tests grow the batch of AdaGrad / AdaGradNorm from 2 to thousands on softmax regression (Fashion-MNIST) and match the best fixed batch at equal samples with far fewer steps.',
  settings: {
    seed: 0,
    /** Rows of descent's shipped Fashion-MNIST (10,000): the first trainRows train, the rest test. */
    trainRows: 8000,
    /** Examples processed per run (the paper's 100 epochs of the training rows). */
    budget: 800000,
    b0: 2,
    bMax: 8000,
    eta: 0.1,
    lr: 0.008,
    /** AdaGradNorm's lr (the authors' scripts give only AdaGrad's; 1 is Ward et al.'s usual scale). */
    lrNorm: 1,
    fixedBatches: [32, 128, 512, 2048],
    /** 'closed-form' (softmax regression's g_i = x̃_i ⊗ (p_i − y_i), PAPERS.md §13) or 'streamed' (generic per-example gradients in chunks of `chunk`). */
    statistics: 'closed-form',
    chunk: 512,
  },
  quick: { trainRows: 600, budget: 6000, bMax: 600, fixedBatches: [32, 128], statistics: 'streamed', chunk: 200 },
  seconds: { full: 858, quick: 12 },
  async run(s, ctx) {
    const all = loadDefaultDataset();
    const F = all.features, nTrain = Math.min(s.trainRows, all.n - 1);
    const train: Rows = { x: all.x.subarray(0, nTrain * F), y: all.y.subarray(0, nTrain), n: nTrain, features: F };
    const test: Rows = { x: all.x.subarray(nTrain * F), y: all.y.subarray(nTrain), n: all.n - nTrain, features: F };
    const common = { bMax: Math.min(s.bMax, nTrain), budget: s.budget, eta: s.eta, chunk: s.chunk, seed: ctx.seed, closedForm: s.statistics === 'closed-form' };
    const results: Record<string, SchemeResult> = {};
    const fixed = s.fixedBatches as number[];
    const total = ADAPTIVE.length + fixed.length;
    let done = 0;
    for (const a of ADAPTIVE) {
      results[a.name] = await ctx.stage(a.name, () => runScheme(train, test, { ...common, optimizer: a.optimizer, lr: a.optimizer === 'adagrad' ? s.lr : s.lrNorm, test: a.test, batch: s.b0 }));
      ctx.progress(++done, total, a.name);
    }
    for (const B of fixed) {
      results[`adagrad-fixed-${B}`] = await ctx.stage(`adagrad-fixed-${B}`, () => runScheme(train, test, { ...common, optimizer: 'adagrad', lr: s.lr, test: null, batch: B }));
      ctx.progress(++done, total, `fixed ${B}`);
    }
    const norm = results['adagrad-norm']!;
    const bestFixed = fixed.map((B) => ({ B, ...results[`adagrad-fixed-${B}`]! })).sort((p, q) => q.accuracy - p.accuracy)[0]!;
    const sizes = norm.batchSizes.map(([, b]) => b);
    const checks: Check[] = [
      check('batch-grows-to-thousands',
        `Lau et al. §5 (PAPERS.md §13): with the norm test (η = ${s.eta}) AdAdaGrad's batch size never decreases and rises from b₀ = ${s.b0} to ≥ 1000 by the end.`,
        { first: sizes[0]!, last: sizes[sizes.length - 1]!, changes: sizes.length - 1 },
        sizes.every((v, i) => i === 0 || v >= sizes[i - 1]!) && sizes[sizes.length - 1]! >= 1000),
      check('accuracy-matches-best-fixed',
        'PAPERS.md §13: AdAdaGrad (norm test) reaches a test accuracy within 1 percentage point of the best fixed-batch AdaGrad at the same sample budget.',
        { adaptive: norm.accuracy, bestFixed: bestFixed.accuracy, bestFixedBatch: bestFixed.B }, norm.accuracy >= bestFixed.accuracy - 0.01),
      check('far-fewer-steps',
        'PAPERS.md §13: AdAdaGrad (norm test) takes at most half the optimizer steps of the best fixed-batch run.',
        { adaptiveSteps: norm.steps, bestFixedSteps: bestFixed.steps, bestFixedBatch: bestFixed.B }, norm.steps <= 0.5 * bestFixed.steps),
    ];
    const batchSizes: Record<string, Json> = {};
    const final: Record<string, Json> = {};
    for (const [k, r] of Object.entries(results)) {
      if (!k.startsWith('adagrad-fixed')) batchSizes[k] = r.batchSizes;
      final[k] = { accuracy: r.accuracy, steps: r.steps, examples: r.examples, loss: r.loss };
    }
    const series: Series[] = [{
      name: 'batch size', x: 'examples seen', y: 'batch size', logY: true,
      points: ADAPTIVE.flatMap((a) => {
        const tr = results[a.name]!.batchSizes;
        return [...tr, [results[a.name]!.examples, tr[tr.length - 1]![1]] as [number, number]].map(([x, y]) => ({ x, y, group: a.name }));
      }),
    }, {
      name: 'final test accuracy', x: 'scheme', y: 'accuracy', mark: 'bar',
      points: Object.entries(results).map(([k, r]) => ({ x: k, y: r.accuracy })),
    }];
    return { metrics: { batchSizes, final }, series, checks };
  },
});
