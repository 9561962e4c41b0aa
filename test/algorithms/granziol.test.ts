// §6 Granziol et al.: the batch-scaling fit against exact data, the stable-learning-rate sweep
// against the closed-form GD stability limit 2/λ_max of a quadratic, the SLQ learner against
// Polyak's formula on a known spectrum, and the batch-hessian experiment's quick run.

import test from 'ava';
import * as d from '../../src/index.js';
import { runExperiment } from '../../src/algorithms/experiment.js';
import { batchHessianExperiment, fitBatchScaling, polyakRule, slqLearner, stableLearningRates } from '../../src/algorithms/granziol/index.js';
import { symEigenvalues } from '../../src/algorithms/curvature/index.js';

test('fitBatchScaling · recovers a and c exactly from a + c(1/B − 1/N)', (t) => {
  const B = [64, 128, 256, 512, 2048];
  const f = fitBatchScaling(B, B.map((b) => 3 + 50 * (1 / b - 1 / 2048)), 2048);
  t.true(Math.abs(f.a - 3) < 1e-12 && Math.abs(f.c - 50) < 1e-10 && Math.abs(f.r2 - 1) < 1e-12, JSON.stringify(f));
  t.throws(() => fitBatchScaling([1, 2], [1, 2], 10), { message: /at least 3/ });
});

test('stableLearningRates · full-batch GD on least squares is stable up to 2/λ_max(H), not beyond', async (t) => {
  const n = 64, features = 5;
  const x = Float32Array.from(new d.Rng(3).normal(n * features));
  const y = Float32Array.from(new d.Rng(4).normal(n));
  const net = d.linearRegression(features);
  // mse = mean (w·x + b − y)²: H = (2/n) X̃ᵀX̃ with X̃ = [X, 1].
  const P = features + 1, xt = new Float64Array(P * P);
  for (let i = 0; i < n; i++) for (let a = 0; a < P; a++) for (let b = 0; b < P; b++) {
    xt[a * P + b]! += (2 / n) * (a < features ? x[i * features + a]! : 1) * (b < features ? x[i * features + b]! : 1);
  }
  const lmax = symEigenvalues(xt, P)[P - 1]!;
  const factors = [0.5, 0.9, 0.97, 1.05, 1.2, 2];
  const init = net.init({ seed: 1 });
  const r = await stableLearningRates(net, d.mse, init, { x, y, n, features }, { optimizer: 'sgd', lrs: factors.map((f) => (f * 2) / lmax), batchSize: n, steps: 200 });
  // Below 2/λ every eigencomponent of the error contracts, so the loss never rises; at 1.05·2/λ the
  // top component grows by 1.1² per step (1.1^400 in 200 steps), far past 2× the initial loss.
  t.deepEqual(r.diverged, [false, false, false, true, true, true]);
  t.true(Math.abs(r.stableLr - (0.97 * 2) / lmax) < 1e-12);
  init.dispose();
});

test('slqLearner · on a known spectrum with n Lanczos steps returns Polyak\'s rate and momentum exactly', async (t) => {
  const spectrum = [0, 0, 0.5, 1, 2, 3, 10];
  const { matrix } = d.symmetricWithSpectrum(spectrum, { seed: 2, dtype: 'float64' });
  const r = await slqLearner(d.matrixOperator(matrix), 7, { steps: 7, dtype: 'float64', minWeight: 1e-8, seed: 3 });
  const want = polyakRule(10, 0.5);
  t.true(Math.abs(r.lambdaMax - 10) < 1e-10 && Math.abs(r.lambdaMinPositive - 0.5) < 1e-10, `${r.lambdaMax}, ${r.lambdaMinPositive}`);
  t.true(Math.abs(r.lr - want.lr) < 1e-10 && Math.abs(r.momentum - want.momentum) < 1e-10);
  t.true(Math.abs(want.lr - 4 / (Math.sqrt(10) + Math.sqrt(0.5)) ** 2) < 1e-15);
  matrix.dispose();
});

test('batch-hessian · quick run: metric keys, finite numbers, checks reported', async (t) => {
  const r = await runExperiment(batchHessianExperiment, { quick: true });
  const m = r.metrics as Record<string, any>;
  for (const key of ['lambdaMax', 'fit', 'stableLr', 'stableLrSlope', 'mlp']) t.true(key in m, key);
  for (const src of [m, m.mlp]) {
    for (const v of Object.values(src.lambdaMax) as { mean: number; se: number }[]) t.true(Number.isFinite(v.mean) && v.mean > 0 && v.se >= 0);
    for (const k of ['a', 'c', 'se_a', 'se_c', 'r2']) t.true(Number.isFinite(src.fit[k]), k);
    for (const o of ['sgd', 'adam']) for (const v of Object.values(src.stableLr[o]) as number[]) t.true(v >= 0);
  }
  t.is(r.checks.length, 8);
  for (const c of r.checks) t.not(c.observed, null, c.name);
});
