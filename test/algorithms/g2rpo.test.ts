// Paper 10 (G²RPO): the schedule, the η = 0 step (Euler), the SDE step against exact Gaussian
// marginals, the log-probability, granular completion indices, group advantages, PPO-clip, and
// the quick `g2rpo` benchmark.

import test from 'ava';
import { add, meanSE, mul, randomNormal, tensor, valueAndGrad } from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import {
  flowLogProb, flowSchedule, flowStepMean, g2rpoExperiment, granularIndices, groupAdvantages, ppoClipLoss, runExperiment,
} from '../../src/algorithms/index.js';

test('flowSchedule: σ_0 = 1, σ_S = 0, shift·s/(1 + (shift − 1)s)', (t) => {
  const s = flowSchedule(4, 3);
  t.deepEqual(s.map((x) => Math.round(x * 1e12) / 1e12), [1, 0.9, 0.75, 0.5, 0].map((x, i) => i === 0 || i === 4 ? x : Math.round(((3 * (1 - i / 4)) / (1 + 2 * (1 - i / 4))) * 1e12) / 1e12));
  t.deepEqual(flowSchedule(2, 1), [1, 0.5, 0]);
});

test('η = 0 is the Euler ODE step x + v·dt exactly', (t) => {
  const x = randomNormal([5, 2], { seed: 1 }), v = randomNormal([5, 2], { seed: 2 });
  const step = flowStepMean(v, x, 0.6, 0.4, 0);
  t.is(step.scale, 0);
  t.deepEqual(Array.from(step.mean.dataSync()), Array.from(add(x, mul(v, 0.4 - 0.6)).dataSync()));
});

test('flowLogProb is the Gaussian log-density averaged over dimensions (float64 recomputation)', (t) => {
  const x = randomNormal([3, 2], { seed: 3 }), v = randomNormal([3, 2], { seed: 4 }), z = randomNormal([3, 2], { seed: 5 });
  const step = flowStepMean(v, x, 0.7, 0.5, 0.7, 0.9);
  const xn = add(step.mean, mul(z, step.scale));
  const got = flowLogProb(xn, step).dataSync(), zv = z.dataSync();
  for (let i = 0; i < 3; i++) {
    const want = (-(zv[2 * i]! ** 2 + zv[2 * i + 1]! ** 2) / 2) / 2 - Math.log(step.scale) - 0.5 * Math.log(2 * Math.PI);
    t.true(Math.abs(got[i]! - want) < 1e-5, `${got[i]} vs ${want}`);
  }
});

test('the flow SDE (η = 0.7) with the exact velocity of Gaussian data keeps the marginals: final variance c² within 4 SE + Euler–Maruyama bias', (t) => {
  // x0 ~ N(0, c²I), x_σ = (1−σ)x0 + σε ~ N(0, V(σ) I), V = (1−σ)²c² + σ²; exact v = x(σ − (1−σ)c²)/V
  const c = 0.5, n = 8000, S = 400, d = 2;
  const sig = flowSchedule(S, 1);
  const V = (s: number) => (1 - s) ** 2 * c * c + s * s;
  let x: Tensor = randomNormal([n, d], { seed: 6 });
  for (let i = 0; i < S; i++) {
    const s0 = sig[i]!;
    const v = mul(x, (s0 - (1 - s0) * c * c) / V(s0));
    const step = flowStepMean(v, x, s0, sig[i + 1]!, 0.7, sig[1]);
    const z = randomNormal([n, d], { seed: 7, offset: i * n * d });
    x = add(step.mean, mul(z, step.scale));
  }
  const xv = x.dataSync();
  const q = meanSE(Array.from(xv));
  const varSE = c * c * Math.sqrt(2 / (n * d - 1));
  // first-order scheme with h = 1/400: an allowance of 2% of c² for its O(h) bias on top of 4 SE
  t.true(Math.abs(q.mean) <= 4 * q.se, `mean ${q.mean} (SE ${q.se})`);
  t.true(Math.abs(q.sd ** 2 - c * c) <= 4 * varSE + 0.02 * c * c, `var ${q.sd ** 2} vs ${c * c} (SE ${varSE})`);
});

test('granularIndices: σ_{k+1} then every g-th remaining σ, ending at σ_S', (t) => {
  t.deepEqual(granularIndices(0, 1, 4), [1, 2, 3, 4]);
  t.deepEqual(granularIndices(0, 2, 16), [1, 2, 4, 6, 8, 10, 12, 14, 16]);
  t.deepEqual(granularIndices(3, 3, 16), [4, 5, 8, 11, 14, 16]);
});

test('groupAdvantages: per-group z-scores (unbiased sd) summed over tables, clipped', (t) => {
  const a = groupAdvantages([[[1, 2, 3]], [[0, 0, 6]]], 5);
  // table 1: mean 2, sd 1 → [−1, 0, 1]; table 2: mean 2, sd √12 → [−2, −2, 4]/√12
  const want = [-1 - 2 / Math.sqrt(12), -2 / Math.sqrt(12), 1 + 4 / Math.sqrt(12)];
  a[0]!.forEach((x, i) => t.true(Math.abs(x - want[i]!) < 1e-7));
  t.deepEqual(groupAdvantages([[[0, 0, 0, 100]]], 1)[0]!.map((x) => Math.round(x * 1e6) / 1e6), [-0.5, -0.5, -0.5, 1]);
});

test('ppoClipLoss: value −mean(A) at ρ = 1, gradient −A/B; clipped ratios carry no gradient', (t) => {
  const old = tensor([0.1, -0.2, 0.3, 0.0], [4]);
  const adv = [1, -2, 0.5, 3];
  const { value, grad } = valueAndGrad((lp: Tensor) => ppoClipLoss(lp, old, adv, 1e-4))(tensor([0.1, -0.2, 0.3, 0.0], [4]));
  t.true(Math.abs(value.dataSync()[0]! - -(1 - 2 + 0.5 + 3) / 4) < 1e-6);
  Array.from(grad.dataSync()).forEach((g, i) => t.true(Math.abs(g - -adv[i]! / 4) < 1e-6, `${i}: ${g}`));
  // ρ = e^{0.5} > 1 + ε with A > 0: max(−Aρ, −A(1+ε)) = −A(1+ε), constant in logp
  const g2 = valueAndGrad((lp: Tensor) => ppoClipLoss(lp, tensor([0], [1]), [1], 0.2))(tensor([0.5], [1]));
  t.true(Math.abs(g2.value.dataSync()[0]! + 1.2) < 1e-6);
  t.true(g2.grad.dataSync()[0] === 0); // ±0
});

test('g2rpo experiment (quick): metrics present, the correlation check holds', async (t) => {
  const res = await runExperiment(g2rpoExperiment, { quick: true });
  const m = res.metrics as Record<string, Record<string, number> | string>;
  const r = m['meanReward'] as Record<string, number>;
  for (const k of ['g2rpo', 'flowGrpo', 'pretrained']) t.true(Number.isFinite(r[k]!), k);
  t.is(typeof m['rewardAccounting'], 'string');
  const c = m['noiseRewardCorrelation'] as Record<string, number>;
  t.true(Number.isFinite(c['singular']!) && Number.isFinite(c['full']!));
  for (const ch of res.checks) t.true(ch.pass, `${ch.name}: ${JSON.stringify(ch.observed)}`);
});
