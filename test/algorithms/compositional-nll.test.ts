// Paper 12 (compositional NLL): Gauss–Hermite against closed-form moments, the exact-mode
// gradient θ − θ* [derived], the log-space moving average, NCE's gradient against float64 finite
// differences, and the quick `compositional-nll` experiment.

import test from 'ava';
import { tensor } from '../../src/index.js';
import {
  CompositionalNLL, compositionalNllExperiment, compositionalSteps, exactGradientError, exactPoints, gaussHermite,
  gaussianMeanEnergy, logStdNormal, nceValueAndGrad, normalRule, runExperiment,
} from '../../src/algorithms/index.js';

const EPS = 2 ** -52;

test('gaussHermite: the 3-point rule in closed form; normalRule integrates Gaussian moments exactly', (t) => {
  const { nodes, weights } = gaussHermite(3);
  const sp = Math.sqrt(Math.PI);
  t.true(Math.abs(nodes[2]! - Math.sqrt(1.5)) <= 4 * EPS && Math.abs(nodes[1]!) <= 4 * EPS);
  t.true(Math.abs(weights[0]! - sp / 6) <= 8 * EPS && Math.abs(weights[1]! - (2 * sp) / 3) <= 8 * EPS);
  // E[X^k] of N(1.5, 0.7²) for k ≤ 2n − 1 = 39 (checked up to 4): 1, μ, μ² + σ², μ³ + 3μσ², μ⁴ + 6μ²σ² + 3σ⁴
  const r = normalRule(20, 1.5, 0.7);
  const m = (k: number) => r.points.reduce((a, x, i) => a + r.weights[i]! * x ** k, 0);
  const mu = 1.5, s2 = 0.49;
  const exact = [1, mu, mu * mu + s2, mu ** 3 + 3 * mu * s2, mu ** 4 + 6 * mu * mu * s2 + 3 * s2 * s2];
  exact.forEach((e, k) => t.true(Math.abs(m(k) - e) <= 64 * EPS * Math.max(1, e), `moment ${k}: ${m(k)} vs ${e}`));
});

test('exact mode: the compositional gradient equals θ − θ* [derived] to float64 rounding', (t) => {
  for (const ts of [1, 2.5, 4]) {
    const err = exactGradientError(ts, 64, [-1, 0, 0.7, 2, 3.3, 5]);
    t.true(err <= 1e-9, `θ* = ${ts}: ${err}`);
  }
  // so GD with step 0.5 halves the error exactly: ⌈log2(θ*/0.05)⌉ steps
  t.is(compositionalSteps(3, { step: 0.5, tol: 0.05, nodes: 64, maxSteps: 100 }).steps, 6);
});

test('the moving average u_t = (1 − γ)u_{t−1} + γ ĝ_t is kept in log space', (t) => {
  const est = new CompositionalNLL({ energy: gaussianMeanEnergy, gamma: 0.25 });
  const th = tensor([0.3], [1], { dtype: 'float64' });
  const xs1 = Float64Array.from([0.1, -0.4, 1.2]), xs2 = Float64Array.from([2, -1, 0.5]);
  const ghat = (xs: Float64Array) => xs.reduce((a, x) => a + Math.exp(-0.5 * (x - 0.3) ** 2 - logStdNormal(x)), 0) / xs.length;
  const data = { x: tensor([1, 2], [2], { dtype: 'float64' }) };
  const r1 = est.gradient(th, data, { x: tensor(xs1, [3], { dtype: 'float64' }), logq: xs1.map(logStdNormal) });
  t.true(Math.abs(Math.exp(r1.logU) - ghat(xs1)) <= 16 * EPS * ghat(xs1));
  const r2 = est.gradient(th, data, { x: tensor(xs2, [3], { dtype: 'float64' }), logq: xs2.map(logStdNormal) });
  const u2 = 0.75 * ghat(xs1) + 0.25 * ghat(xs2);
  t.true(Math.abs(Math.exp(r2.logU) - u2) <= 16 * EPS * u2);
  // ∇̂ = mean(θ − x) − Σ w_k (θ − x'_k)/(3 u_2)
  const w = xs2.map((x) => Math.exp(-0.5 * (x - 0.3) ** 2 - logStdNormal(x)));
  const g = (0.3 - 1.5) - w.reduce((a, wk, k) => a + wk * (0.3 - xs2[k]!), 0) / (3 * u2);
  t.true(Math.abs(r2.grad.dataSync()[0]! - g) <= 64 * EPS * 4, `${r2.grad.dataSync()[0]} vs ${g}`);
  t.throws(() => new CompositionalNLL({ energy: gaussianMeanEnergy, gamma: 0 }), { instanceOf: RangeError, message: /'opts.gamma'/ });
});

test('NCE gradient matches float64 central differences of its value', (t) => {
  const { data, noise } = exactPoints(2, 32);
  const at = (th: number, c: number) => nceValueAndGrad(gaussianMeanEnergy, tensor([th, c], [2], { dtype: 'float64' }), data, noise);
  const { grad } = at(0.7, 1.1);
  const h = 1e-5;
  const g = grad.dataSync();
  const fdT = (at(0.7 + h, 1.1).value - at(0.7 - h, 1.1).value) / (2 * h);
  const fdC = (at(0.7, 1.1 + h).value - at(0.7, 1.1 - h).value) / (2 * h);
  // central differences: truncation O(h²·f‴) ≈ 1e-10 plus rounding ε·|f|/h ≈ 1e-11
  t.true(Math.abs(g[0]! - fdT) <= 1e-8, `${g[0]} vs ${fdT}`);
  t.true(Math.abs(g[1]! - fdC) <= 1e-8, `${g[1]} vs ${fdC}`);
});

test('compositional-nll experiment (quick): structure and checks', async (t) => {
  const r = await runExperiment(compositionalNllExperiment, { quick: true });
  const m = r.metrics as Record<string, any>;
  for (const k of ['1', '2', '3']) {
    t.true(Number.isInteger(m.steps.compositional[k]));
    t.true(Number.isInteger(m.steps.nce[k]));
  }
  for (const c of r.checks) t.true(c.pass, `${c.name}: ${JSON.stringify(c.observed)}`);
});
