// §21 Sagun et al. (1706.04454): the Hessian of over-parametrised nets is a bulk near zero
// plus a few outliers whose number tracks the classes; wider nets grow the bulk, not the
// outliers; small- and large-batch solutions from one init are joined without a barrier.

import { add, classificationMetrics, gaussianMixture, MLP, softmaxCrossEntropy, tensor } from '../../engine.js';
import { check, defineExperiment } from '../experiment.js';
import type { Check, Json, Series } from '../experiment.js';
import {
  curvatureOperator, denseMatrix, fit, gapOutliers, lossAlongLine, nearZeroCount, symEigenvalues, topEigenvalues,
} from '../curvature/index.js';

const PAPER = { number: 21, title: 'Empirical Analysis of the Hessian of Over-Parametrized Neural Networks', arxiv: '1706.04454' };

interface ModelResult {
  [key: string]: Json;
  P: number;
  trainLoss: number;
  accuracy: number;
  /** The top 3k eigenvalues, descending. */
  top: number[];
  nearZero: number;
  negative: number;
  lanczosRelError: number | null;
}

/** A 20-h-…-k ReLU MLP of `layers` hidden layers. */
function sizes(features: number, width: number, layers: number, classes: number): number[] {
  return [features, ...Array.from({ length: layers }, () => width), classes];
}

export const hessianOutliersExperiment = defineExperiment({
  name: 'hessian-outliers',
  paper: PAPER,
  shows: 'The Hessian of a trained MLP on a k-class Gaussian mixture has about k−1 outliers above a bulk near 0; width grows the bulk, not the outliers; no barrier between small- and large-batch solutions.',
  settings: {
    seed: 0,
    classes: [2, 5, 10],
    widths: [16, 32, 64],
    /** Hidden layers (1: 20-h-k, ≤ 2k parameters; PAPERS.md's 20-h-h-k has 6.2k at h = 64, whose dense float64 eigendecomposition alone takes minutes in TypeScript). */
    hiddenLayers: 1,
    features: 20,
    n: 1000,
    separation: 5,
    trainSteps: 600,
    lr: 0.01,
    /** Lanczos top-10 vs dense on the (largest k, largest h) model. */
    lanczosK: 10,
    barrierN: 2048,
    barrierClasses: 10,
    barrierWidth: 32,
    barrierSmallBatch: 32,
    barrierLargeBatch: 2048,
    barrierEpochs: 30,
    barrierLr: 0.1,
  },
  quick: { classes: [2, 5], widths: [8, 16], n: 300, trainSteps: 300, barrierN: 512, barrierLargeBatch: 512, barrierEpochs: 5, barrierWidth: 16 },
  seconds: { full: 176, quick: 10 },
  async run(s, ctx) {
    const classes = s.classes as number[], widths = s.widths as number[];
    const results: Record<string, Record<string, ModelResult>> = {};
    const total = classes.length * widths.length + 1;
    let done = 0;
    for (const k of classes) {
      results[k] = {};
      const data = gaussianMixture({ n: s.n, classes: k, features: s.features, seed: ctx.seed * 100 + k, separation: s.separation });
      for (const h of widths) {
        const isOracle = k === classes[classes.length - 1] && h === widths[widths.length - 1];
        results[k]![h] = await ctx.stage(`model-k${k}-h${h}`, async (): Promise<ModelResult> => {
          const net = new MLP(sizes(s.features, h, s.hiddenLayers, k), { activation: 'relu' });
          const params = net.init({ seed: ctx.seed * 1000 + k * 100 + h });
          await fit(net, softmaxCrossEntropy, params, data, { optimizer: 'adam', lr: s.lr, steps: s.trainSteps });
          const m = await classificationMetrics(net, params, data);
          const batch = { x: tensor(data.x, [data.n, data.features]), y: tensor(data.y, [data.n], { dtype: 'int32' }) };
          const H = curvatureOperator('hessian', net, softmaxCrossEntropy, params, batch);
          const M = await denseMatrix(H, net.size, { dtype: 'float32', block: 128 });
          H.dispose();
          const ev = symEigenvalues(M, net.size).reverse();
          let lanczosRelError: number | null = null;
          if (isOracle) {
            const kk = Math.min(s.lanczosK, net.size);
            const r = await topEigenvalues(net, softmaxCrossEntropy, params, batch, { k: kk, maxSteps: Math.min(net.size, 300), tol: 1e-5, seed: 1 });
            lanczosRelError = Math.max(...r.values.map((v, i) => Math.abs(v - ev[i]!) / Math.abs(ev[i]!)));
          }
          batch.x.dispose(); batch.y.dispose(); params.dispose();
          let negative = 0;
          for (const v of ev) if (v < -1e-3 * ev[0]!) negative++;
          return {
            P: net.size, trainLoss: m.loss[0]!, accuracy: m.accuracy[0]!, top: Array.from(ev.subarray(0, 3 * k)),
            nearZero: nearZeroCount(ev, 1e-3), negative, lanczosRelError,
          };
        });
        ctx.progress(++done, total, `k=${k} h=${h}`);
      }
    }
    const barrier = await ctx.stage('barrier', async () => {
      const k = s.barrierClasses;
      const data = gaussianMixture({ n: s.barrierN, classes: k, features: s.features, seed: ctx.seed * 100 + 77, separation: s.separation });
      const net = new MLP(sizes(s.features, s.barrierWidth, s.hiddenLayers, k), { activation: 'relu' });
      const init = net.init({ seed: ctx.seed + 4242 });
      const sb = add(init, 0), lb = add(init, 0);
      init.dispose();
      await fit(net, softmaxCrossEntropy, sb, data, { lr: s.barrierLr, batchSize: s.barrierSmallBatch, epochs: s.barrierEpochs, seed: ctx.seed });
      await fit(net, softmaxCrossEntropy, lb, data, { lr: s.barrierLr, batchSize: s.barrierLargeBatch, epochs: s.barrierEpochs, seed: ctx.seed });
      const batch = { x: tensor(data.x, [data.n, data.features]), y: tensor(data.y, [data.n], { dtype: 'int32' }) };
      const line = await lossAlongLine(net, softmaxCrossEntropy, sb, lb, batch, { points: 21 });
      batch.x.dispose(); batch.y.dispose(); sb.dispose(); lb.dispose();
      return { s: line.s, loss: line.loss, barrier: line.barrier };
    });
    ctx.progress(total, total, 'barrier');

    // Metrics.
    const outliers: Record<string, Record<string, number>> = {}, gap: Record<string, Record<string, number>> = {};
    const gapAtK: Record<string, Record<string, number>> = {};
    const nearZeroAll: Record<string, Record<string, number>> = {};
    for (const k of classes) {
      outliers[k] = {}; gap[k] = {}; gapAtK[k] = {}; nearZeroAll[k] = {};
      for (const h of widths) {
        const r = results[k]![h]!;
        outliers[k]![h] = gapOutliers(r.top, 2 * k).count;
        gap[k]![h] = k >= 2 ? r.top[k - 2]! / r.top[k - 1]! : NaN;
        gapAtK[k]![h] = r.top[k - 1]! / r.top[k]!;
        nearZeroAll[k]![h] = r.nearZero;
      }
    }
    const kMax = classes[classes.length - 1]!, hMax = widths[widths.length - 1]!;
    const nearZero: Record<string, number> = {};
    for (const h of widths) nearZero[h] = results[kMax]![h]!.nearZero;
    const lanczosVsDense = results[kMax]![hMax]!.lanczosRelError;

    const checks: Check[] = [];
    const countOk = classes.flatMap((k) => widths.map((h) => ({ k, h, c: outliers[k]![h]!, ok: outliers[k]![h]! === k - 1 || outliers[k]![h]! === k })));
    checks.push(check('outliers-k-minus-1-to-k',
      'Sagun et al. §3 + softmax rank: the number of outliers (largest gap λ_i/λ_{i+1} among the top 2k) is k−1 or k for every k and h.',
      countOk.map(({ k, h, c }) => ({ k, h, outliers: c })), countOk.every((x) => x.ok)));
    const gaps = classes.flatMap((k) => widths.map((h) => ({ k, h, ratio: Math.max(gap[k]![h]!, gapAtK[k]![h]!) })));
    checks.push(check('gap-above-5',
      'PAPERS.md §21: the eigenvalue gap at the predicted index, max(λ_{k−1}/λ_k, λ_k/λ_{k+1}), exceeds 5 for every k and h.',
      gaps, gaps.every((g) => g.ratio > 5)));
    const widthRows = classes.map((k) => ({ k, nearZero: widths.map((h) => nearZeroAll[k]![h]!), P: widths.map((h) => results[k]![h]!.P), outliers: widths.map((h) => outliers[k]![h]!) }));
    const growsBulk = widthRows.every((r) => r.nearZero.every((v, i) => i === 0 || v > r.nearZero[i - 1]!));
    const outlierSteady = widthRows.every((r) => Math.max(...r.outliers) - Math.min(...r.outliers) <= 1);
    checks.push(check('width-grows-bulk-not-outliers',
      'Sagun et al. §3: for each k, the count of |λ| < 1e-3·λ_1 rises strictly with h, while the outlier count varies by at most 1 across h.',
      widthRows, growsBulk && outlierSteady));
    const rises = widths.map((h) => ({ h, outliers: classes.map((k) => outliers[k]![h]!) }));
    checks.push(check('more-classes-more-outliers',
      'Sagun et al. §3: raising k raises the outlier count (strictly increasing in k for every h).',
      rises, rises.every((r) => r.outliers.every((v, i) => i === 0 || v > r.outliers[i - 1]!))));
    const endMax = Math.max(barrier.loss[0]!, barrier.loss[barrier.loss.length - 1]!);
    checks.push(check('no-barrier-sb-lb',
      'Sagun et al. §4: along θ(s) = (1−s)θ_SB + sθ_LB (21 points) the max interior loss ≤ max(endpoint losses) + 5% of it.',
      { barrier: barrier.barrier, endpointMax: endMax, losses: barrier.loss }, barrier.barrier <= 0.05 * endMax));
    checks.push(check('lanczos-vs-dense',
      'Oracle: Lanczos top-10 (float32 products, tol 1e-5) matches the float64 dense eigenvalues of the same float32 products to 1e-3 relative (√P·u_f32 ≈ 3e-6 of ‖H‖, amplified by λ_1/λ_10 ≤ 300).',
      { maxRelError: lanczosVsDense }, lanczosVsDense !== null && lanczosVsDense <= 1e-3));

    const series: Series[] = [
      {
        name: 'top eigenvalues (largest k)', x: 'index', y: 'eigenvalue', logY: true, mark: 'point',
        points: widths.flatMap((h) => results[kMax]![h]!.top.filter((v) => v > 0).map((v, i) => ({ x: i + 1, y: v, group: `h=${h}` }))),
      },
      { name: 'loss along the SB–LB line', x: 's', y: 'loss', points: barrier.s.map((x, i) => ({ x, y: barrier.loss[i]! })) },
    ];
    const models: Record<string, Json> = {};
    for (const k of classes) for (const h of widths) {
      const r = results[k]![h]!;
      models[`k${k}-h${h}`] = { P: r.P, trainLoss: r.trainLoss, accuracy: r.accuracy, negative: r.negative, top: r.top.slice(0, k + 2) };
    }
    return {
      metrics: { outliers, gap, gapAtK, nearZero, nearZeroAll, barrier: barrier.barrier, lanczosVsDense, models },
      series,
      checks,
    };
  },
});
