// §13 AdAdaGrad: streamed per-example statistics (chunks) and the softmax-regression closed form
// against the materialised [N, P] per-example gradients in float64 (exact up to rounding); the
// tests' statistics against their definitions on the matrix; the growing-batch sampler; the
// adaptive-batch experiment's quick run.

import test from 'ava';
import * as d from '../../src/index.js';
import { runExperiment } from '../../src/algorithms/experiment.js';
import {
  adaptiveBatchExperiment, batchTestStatistic, gradientStatsFromMatrix, GrowingBatchSampler, nextBatchSize, softmaxRegressionGradientStats,
  streamedGradientStats,
} from '../../src/algorithms/adadagrad/index.js';
import type { GradientStats } from '../../src/algorithms/adadagrad/index.js';

const N = 13, F = 5, K = 3;
const data = d.gaussianMixture({ n: N, classes: K, features: F, seed: 4 });
const x = d.tensor(Float64Array.from(data.x), [N, F], { dtype: 'float64', backend: 'cpu' });
const y = d.tensor(data.y, [N], { dtype: 'int32', backend: 'cpu' });

function close(t: any, a: GradientStats, b: GradientStats, label: string) {
  for (const key of ['mean', 'sqNorms', 'inner', 'coordSumSq'] as const) {
    const u = a[key], v = b[key];
    t.is(u.length, v.length, `${label} ${key} length`);
    let scale = 0, err = 0;
    for (let i = 0; i < u.length; i++) { scale = Math.max(scale, Math.abs(v[i]!)); err = Math.max(err, Math.abs(u[i]! - v[i]!)); }
    // float64, sums of ≤ N·P terms: 1e-12 relative is ~5000u.
    t.true(err <= 1e-12 * Math.max(scale, 1e-300), `${label} ${key}: ${err} vs scale ${scale}`);
  }
}

test('streamedGradientStats · chunks of 4 (and 1, and all) equal the materialised [N, P] statistics (MLP, float64)', async (t) => {
  const net = new d.MLP([F, 4, K], { activation: 'tanh' });
  const p = net.init({ seed: 1, dtype: 'float64', backend: 'cpu' });
  const G = d.perExampleGradients(net, d.softmaxCrossEntropy, p, x, y);
  const oracle = gradientStatsFromMatrix(await G.data(), N, net.size);
  for (const chunk of [1, 4, N]) close(t, await streamedGradientStats(net, d.softmaxCrossEntropy, p, x, y, { chunk }), oracle, `chunk ${chunk}`);
});

test('softmaxRegressionGradientStats · the closed form equals the materialised statistics (float64)', async (t) => {
  const net = d.softmaxRegression(F, K);
  const p = net.init({ seed: 2, dtype: 'float64', backend: 'cpu' });
  const G = d.perExampleGradients(net, d.softmaxCrossEntropy, p, x, y);
  close(t, await softmaxRegressionGradientStats(p, x, y, K), gradientStatsFromMatrix(await G.data(), N, net.size), 'closed form');
});

test('batchTestStatistic · each test against its definition on the matrix', (t) => {
  const b = 6, P = 4;
  const g = Float64Array.from(new d.Rng(8).normal(b * P), (v, i) => v + (i % P) * 0.7);
  const s = gradientStatsFromMatrix(g, b, P);
  const gb = s.mean, g2 = gb.reduce((a, v) => a + v * v, 0);
  const variance = (f: (i: number) => number) => {
    let m = 0; for (let i = 0; i < b; i++) m += f(i) / b;
    let v = 0; for (let i = 0; i < b; i++) v += (f(i) - m) ** 2 / (b - 1);
    return v;
  };
  let varSum = 0;
  for (let j = 0; j < P; j++) varSum += variance((i) => g[i * P + j]!);
  const eta = 0.3;
  const rel = (a: number, w: number) => Math.abs(a - w) <= 1e-12 * Math.abs(w);
  t.true(rel(batchTestStatistic('norm', s, { eta }), varSum / (eta * eta * g2)));
  const ip = (i: number) => { let v = 0; for (let j = 0; j < P; j++) v += g[i * P + j]! * gb[j]!; return v; };
  t.true(rel(batchTestStatistic('innerProduct', s, { theta: eta }), variance(ip) / (eta * eta * g2 * g2)));
  let orth = 0;
  for (let j = 0; j < P; j++) orth += variance((i) => g[i * P + j]! - (ip(i) / g2) * gb[j]!);
  t.true(rel(batchTestStatistic('orthogonality', s, { nu: eta }), orth / (eta * eta * g2)));
  t.true(rel(batchTestStatistic('augmentedInnerProduct', s, { theta: eta, nu: eta }), Math.max(variance(ip) / (eta * eta * g2 * g2), orth / (eta * eta * g2))));
  const coords = Array.from({ length: P }, (_, j) => variance((i) => g[i * P + j]!) / (eta * eta * gb[j]! ** 2)).sort((p, q) => p - q);
  t.true(rel(batchTestStatistic('coordinate', s, { eta }), 0.5 * (coords[1]! + coords[2]!)));
  t.is(nextBatchSize(10, 3.2, 100), 10);
  t.is(nextBatchSize(10, 33.2, 100), 34);
  t.is(nextBatchSize(10, 1e9, 100), 100);
});

test('GrowingBatchSampler · every row once per epoch whatever the batch sizes; deterministic', (t) => {
  const a = new GrowingBatchSampler(10, 3), b = new GrowingBatchSampler(10, 3);
  const drawn = [...a.next(3), ...a.next(4), ...a.next(3)];
  t.deepEqual([...drawn].sort((p, q) => p - q), Array.from({ length: 10 }, (_, i) => i));
  t.deepEqual(drawn, Array.from(d.permutation(10, 3, 0)));
  t.deepEqual(Array.from(b.next(10)), drawn);
  const next = a.next(12);
  t.deepEqual(Array.from(next.subarray(0, 10)), Array.from(d.permutation(10, 3, 1)));
  t.is(a.examples, 22);
});

test('adaptive-batch · quick run: metric keys, batch trajectories non-decreasing, finite results, checks reported', async (t) => {
  const r = await runExperiment(adaptiveBatchExperiment, { quick: true });
  const m = r.metrics as Record<string, any>;
  t.true('batchSizes' in m && 'final' in m);
  for (const tr of Object.values(m.batchSizes) as [number, number][][]) {
    t.is(tr[0]![1], 2);
    tr.forEach(([, b], i) => t.true(i === 0 || b >= tr[i - 1]![1]));
  }
  for (const k of ['adagrad-fixed-32', 'adagrad-fixed-128', 'adagrad-norm', 'adagradnorm-norm', 'adagrad-coordinate']) {
    const f = m.final[k];
    t.true(f.accuracy > 0.1 && f.accuracy <= 1 && f.steps > 0 && f.examples <= 6000, k);
  }
  t.is(r.checks.length, 3);
  t.true(r.checks.find((c) => c.name === 'far-fewer-steps')!.pass);
  for (const c of r.checks) t.not(c.observed, null);
});
