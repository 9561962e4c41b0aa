// §6 Granziol et al. (2006.09092): λ_max of the minibatch Hessian falls with B as a + c/B, and
// the largest stable learning rate grows ≈ ∝ B for SGD and ≈ ∝ √B for Adam at small B; on
// softmax regression (the convex proxy) and on an MLP, both on 2048 Fashion-MNIST images.

import { logLogSlope, loadDefaultDataset, meanSE, MLP, softmaxCrossEntropy, softmaxRegression, tensor } from '../../engine.js';
import type { Model, Tensor } from '../../engine.js';
import { check, defineExperiment } from '../experiment.js';
import type { Check, ExperimentContext, Json, Series } from '../experiment.js';
import { fit, loadTrainedMlp, minibatchSpectra, topEigenvalues } from '../curvature/index.js';
import type { HostData } from '../curvature/index.js';
import { fitBatchScaling, stableLearningRates } from './methods.js';

const PAPER = { number: 6, title: 'Learning Rates as a Function of Batch Size: A Random Matrix Theory Approach to Neural Network Training', arxiv: '2006.09092' };

const geometric = (lo: number, hi: number, count: number) => Array.from({ length: count }, (_, i) => lo * (hi / lo) ** (i / (count - 1)));

interface Study {
  lambdaMax: Record<string, { mean: number; se: number }>;
  fit: { a: number; c: number; se_a: number; se_c: number; r2: number };
  full: number;
  stableLr: { sgd: Record<string, number>; adam: Record<string, number> };
  stableLrSlope: { sgd: { slope: number; se: number }; adam: { slope: number; se: number } };
}

async function study(name: string, model: Model, params: Tensor, data: HostData, s: {
  batchSizes: number[]; subsets: number; lanczosSteps: number; fitFrom: number; lrBatchSizes: number[];
  sgdLrs: number[]; adamLrs: number[]; lrSteps: number;
}, ctx: ExperimentContext): Promise<Study & { [k: string]: Json }> {
  const lambdaMax: Study['lambdaMax'] = {};
  for (const B of s.batchSizes) {
    const values = await ctx.stage(`${name}-lambda-B${B}`, async () => {
      const r = await minibatchSpectra(model, softmaxCrossEntropy, params, data, { batchSizes: [B], subsets: s.subsets, seed: ctx.seed, maxSteps: s.lanczosSteps, tol: 1e-4 });
      return r.results[0]!.values.map((v) => v[0]!);
    });
    const m = meanSE(values);
    lambdaMax[B] = { mean: m.mean, se: values.length > 1 ? m.se : 0 };
    ctx.log(`${name}: λ_max(B=${B}) = ${m.mean.toFixed(4)} ± ${(values.length > 1 ? m.se : 0).toFixed(4)}`);
  }
  const fitB = s.batchSizes.filter((B) => B >= s.fitFrom);
  const f = fitBatchScaling(fitB, fitB.map((B) => lambdaMax[B]!.mean), data.n);
  const full = lambdaMax[data.n]?.mean ?? NaN;
  const stableLr: Study['stableLr'] = { sgd: {}, adam: {} };
  for (const opt of ['sgd', 'adam'] as const) {
    for (const B of s.lrBatchSizes) {
      stableLr[opt][B] = await ctx.stage(`${name}-stable-${opt}-B${B}`, async () => {
        const r = await stableLearningRates(model, softmaxCrossEntropy, params, data, { optimizer: opt, lrs: opt === 'sgd' ? s.sgdLrs : s.adamLrs, batchSize: B, steps: s.lrSteps, seed: ctx.seed });
        return r.stableLr;
      });
    }
  }
  const slope = (o: 'sgd' | 'adam') => {
    const bs = s.lrBatchSizes.filter((B) => stableLr[o][B]! > 0);
    if (bs.length < 3) return { slope: NaN, se: NaN };
    const r = logLogSlope(bs, bs.map((B) => stableLr[o][B]!));
    return { slope: r.slope, se: r.seSlope };
  };
  return { lambdaMax, fit: f, full, stableLr, stableLrSlope: { sgd: slope('sgd'), adam: slope('adam') } } as Study & { [k: string]: Json };
}

function studyChecks(label: string, st: Study, batchSizes: number[]): Check[] {
  const out: Check[] = [];
  const pairs = batchSizes.slice(1).map((B, i) => {
    const a = st.lambdaMax[batchSizes[i]!]!, b = st.lambdaMax[B]!;
    const spread = 2 * Math.hypot(a.se, b.se);
    return { from: batchSizes[i]!, to: B, drop: a.mean - b.mean, spread, rises: b.mean - a.mean > spread };
  });
  out.push(check(`${label}-lambda-decreases`,
    `Granziol et al. §4 (PAPERS.md §6): λ_max(H_B) decreases with B up to batch-to-batch noise: no consecutive pair rises by more than 2 combined standard errors (40 subsets each).`,
    pairs, pairs.every((p) => !p.rises)));
  const f = st.fit;
  const aClose = Math.abs(f.a - st.full) / st.full;
  out.push(check(`${label}-fit-a-plus-c-over-B`,
    `PAPERS.md §6: the fit λ_max = a + c(1/B − 1/N) over B ≥ 64 has c > 0 (by more than 2 SE), R² > 0.9 and a within 20% of λ_max(H_N).`,
    { ...f, full: st.full, aRelativeToFull: aClose }, f.c - 2 * f.se_c > 0 && f.r2 > 0.9 && aClose <= 0.2));
  out.push(check(`${label}-sgd-linear-scaling`,
    'Granziol et al. §6: the largest stable SGD learning rate scales ≈ linearly in B at small B: log-log slope over B ∈ 16…512 in [0.6, 1.4] (√2-spaced lr grid).',
    st.stableLrSlope.sgd, st.stableLrSlope.sgd.slope >= 0.6 && st.stableLrSlope.sgd.slope <= 1.4));
  out.push(check(`${label}-adam-sqrt-scaling`,
    'Granziol et al. §6: the largest stable Adam learning rate scales ≈ √B: log-log slope in [0.25, 0.75], and below the SGD slope.',
    { adam: st.stableLrSlope.adam, sgd: st.stableLrSlope.sgd },
    st.stableLrSlope.adam.slope >= 0.25 && st.stableLrSlope.adam.slope <= 0.75 && st.stableLrSlope.adam.slope < st.stableLrSlope.sgd.slope));
  return out;
}

export const batchHessianExperiment = defineExperiment({
  name: 'batch-hessian',
  paper: PAPER,
  shows: 'λ_max of the minibatch Hessian falls as a + c/B towards the full-data value, and the largest stable learning rate grows ≈ ∝ B for SGD and ≈ ∝ √B for Adam, on softmax regression and an MLP (2048 Fashion-MNIST images).',
  settings: {
    seed: 0,
    n: 2048,
    batchSizes: [16, 32, 64, 128, 256, 512, 1024, 2048],
    subsets: 40,
    lanczosSteps: 20,
    fitFrom: 64,
    softmaxGdSteps: 300,
    /** MLP widths; trained in-process with Adam unless `mlpWeights` names a `descent train` weights.safetensors. */
    mlpWidths: [784, 64, 64, 10],
    mlpWeights: '',
    mlpEpochs: 10,
    mlpLr: 0.001,
    lrBatchSizes: [16, 32, 64, 128, 256, 512],
    /** √2-spaced grids, one replica per learning rate. */
    sgdLrs: geometric(2 ** -9, 2 ** 2, 23),
    adamLrs: geometric(2 ** -14, 2 ** -3, 23),
    lrSteps: 200,
  },
  quick: {
    n: 256, batchSizes: [16, 32, 64, 128, 256], subsets: 6, lanczosSteps: 12, softmaxGdSteps: 50, mlpWidths: [784, 16, 10], mlpEpochs: 3,
    lrBatchSizes: [16, 32, 64], sgdLrs: geometric(2 ** -8, 2 ** 2, 11), adamLrs: geometric(2 ** -12, 2 ** -2, 11), lrSteps: 30,
  },
  seconds: { full: 906, quick: 9 },
  async run(s, ctx) {
    const data = loadDefaultDataset({ limit: s.n });
    const host: HostData = { x: data.x, y: data.y, n: data.n, features: data.features };
    const batchSizes = (s.batchSizes as number[]).filter((B) => B <= data.n);
    if (!batchSizes.includes(data.n)) batchSizes.push(data.n);
    const cfg = {
      batchSizes, subsets: s.subsets, lanczosSteps: s.lanczosSteps, fitFrom: s.fitFrom, lrBatchSizes: s.lrBatchSizes as number[],
      sgdLrs: s.sgdLrs as number[], adamLrs: s.adamLrs as number[], lrSteps: s.lrSteps,
    };
    // Softmax regression after full-batch GD with step 1/λ_max(init).
    const soft = softmaxRegression(data.features, 10);
    const softParams = tensor(Float32Array.from(await ctx.stage('softmax-weights', async () => {
      const p = soft.init({ seed: ctx.seed });
      const batch = { x: tensor(data.x, [data.n, data.features]), y: tensor(data.y, [data.n], { dtype: 'int32' }) };
      const l0 = (await topEigenvalues(soft, softmaxCrossEntropy, p, batch, { maxSteps: 30 })).values[0]!;
      batch.x.dispose(); batch.y.dispose();
      await fit(soft, softmaxCrossEntropy, p, host, { lr: 1 / l0, steps: s.softmaxGdSteps });
      const out = Array.from(await p.data());
      p.dispose();
      return out;
    })), [soft.size]);
    const softStudy = await study('softmax', soft, softParams, host, cfg, ctx);
    softParams.dispose();
    // The MLP: `descent train`'s weights when given, else trained here.
    let mlp: Model, mlpParams: Tensor, mlpSource: string;
    if (s.mlpWeights) {
      const loaded = loadTrainedMlp(s.mlpWeights);
      mlp = loaded.model; mlpParams = loaded.params; mlpSource = s.mlpWeights;
    } else {
      const net = new MLP(s.mlpWidths as number[], { activation: 'relu' });
      mlp = net;
      mlpSource = `trained in-process: Adam lr ${s.mlpLr}, batch 128, ${s.mlpEpochs} epochs`;
      mlpParams = tensor(Float32Array.from(await ctx.stage('mlp-weights', async () => {
        const p = net.init({ seed: ctx.seed + 1 });
        await fit(net, softmaxCrossEntropy, p, host, { optimizer: 'adam', lr: s.mlpLr, batchSize: 128, epochs: s.mlpEpochs, seed: ctx.seed });
        const out = Array.from(await p.data());
        p.dispose();
        return out;
      })), [net.size]);
    }
    const mlpStudy = await study('mlp', mlp, mlpParams, host, cfg, ctx);
    mlpParams.dispose();

    const checks = [...studyChecks('softmax', softStudy, batchSizes), ...studyChecks('mlp', mlpStudy, batchSizes)];
    const series: Series[] = [];
    for (const [label, st] of [['softmax', softStudy], ['mlp', mlpStudy]] as const) {
      series.push({
        name: `λ_max(H_B), ${label}`, x: 'batch size B', y: 'λ_max', logX: true, mark: 'point',
        points: batchSizes.map((B) => ({ x: B, y: st.lambdaMax[B]!.mean, lo: st.lambdaMax[B]!.mean - st.lambdaMax[B]!.se, hi: st.lambdaMax[B]!.mean + st.lambdaMax[B]!.se, group: 'measured' }))
          .concat(batchSizes.map((B) => ({ x: B, y: st.fit.a + st.fit.c * (1 / B - 1 / data.n), group: 'a + c(1/B − 1/N)' }) as never)),
      });
      series.push({
        name: `largest stable learning rate, ${label}`, x: 'batch size B', y: 'learning rate', logX: true, logY: true,
        points: (['sgd', 'adam'] as const).flatMap((o) => (s.lrBatchSizes as number[]).map((B) => ({ x: B, y: st.stableLr[o][B]!, group: o }))),
      });
    }
    return {
      metrics: {
        lambdaMax: softStudy.lambdaMax, fit: softStudy.fit, stableLr: softStudy.stableLr, stableLrSlope: softStudy.stableLrSlope,
        lambdaMaxFull: softStudy.full,
        mlp: { ...mlpStudy, source: mlpSource },
      },
      series,
      checks,
    };
  },
});
