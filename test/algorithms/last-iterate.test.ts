// Paper 17 (last iterate): prox-SGD's soft-threshold step against its closed form, the step
// rules, entropic mirror descent's composite step against its closed form, FISTA on a 1-D lasso,
// and the quick `last-iterate` experiment.

import test from 'ava';
import { tensor } from '../../src/index.js';
import { EntropicMirrorDescent, fista, lastIterateExperiment, lastIterateStep, proxSGD, runExperiment } from '../../src/algorithms/index.js';

const EPS = 2 ** -52;

test('prox-SGD step = soft-threshold(x − η_t g, η_t λ) in closed form, with η_t = η/√t', (t) => {
  const x0 = [0.5, -0.2, 0.05, -1.5, 0.0, 2.0];
  const g = [1, -1, 0.2, 0.3, -0.4, 0.1];
  const x = tensor([...x0, ...x0.map((v) => -v)], [2, 6], { dtype: 'float64' });
  const opt = proxSGD(x, { rule: { kind: 'sqrt-t', eta: 0.4 }, lambda: 0.3 });
  const grads = tensor([...g, ...g], [2, 6], { dtype: 'float64' });
  const st = (v: number, tau: number) => Math.sign(v) * Math.max(Math.abs(v) - tau, 0);
  let ref = [...x0, ...x0.map((v) => -v)];
  let etaSum = 0;
  for (let step = 1; step <= 3; step++) {
    opt.step(grads);
    const eta = 0.4 / Math.sqrt(step);
    etaSum += eta;
    ref = ref.map((v, i) => st(v - eta * g[i % 6]!, eta * 0.3));
    const got = x.dataSync();
    // the optimizer keeps η_t as a float32 record: each step adds |Δ| ≤ 2^-24·η_t|g| (+ float64 rounding)
    ref.forEach((v, i) => t.true(Math.abs(got[i]! - v) <= 2 ** -23 * etaSum * Math.abs(g[i % 6]!) + 8 * EPS * Math.max(1, Math.abs(v)), `step ${step} [${i}]: ${got[i]} vs ${v}`));
  }
  t.is(lastIterateStep({ kind: 'strongly-convex', mu: 2, t0: 3 }, 5), 1 / 16);
  t.is(lastIterateStep({ kind: 'sqrt-T', eta: 1, horizon: 100 }, 7), 0.1);
});

test('entropic mirror descent with the entropy composite term matches x⁺ ∝ x^{1/(1+ητ)} e^{−ηg/(1+ητ)}', (t) => {
  const x0 = [0.1, 0.2, 0.3, 0.4], g = [1, -2, 0.5, 0];
  const md = new EntropicMirrorDescent(tensor(x0, [1, 4], { dtype: 'float64' }), { kind: 'sqrt-t', eta: 0.5 }, 0.2);
  md.step(tensor(g, [1, 4], { dtype: 'float64' }));
  const a = 1 / (1 + 0.5 * 0.2);
  const u = x0.map((v, i) => v ** a * Math.exp(-0.5 * g[i]! * a));
  const z = u.reduce((s, v) => s + v, 0);
  const got = md.x.dataSync();
  u.forEach((v, i) => t.true(Math.abs(got[i]! - v / z) <= 16 * EPS, `${got[i]} vs ${v / z}`));
});

test('FISTA solves a 1-D lasso: argmin ½(x − 3)² + |x| = 2', (t) => {
  const x = fista((v) => v.map((u) => u - 3), (v, s) => v.map((u) => Math.sign(u) * Math.max(Math.abs(u) - s, 0)), 1, new Float64Array(1), 50);
  t.true(Math.abs(x[0]! - 2) <= 4 * EPS);
});

test('last-iterate experiment (quick): structure; checks reported with numbers', async (t) => {
  const r = await runExperiment(lastIterateExperiment, { quick: true });
  const m = r.metrics as Record<string, any>;
  for (const k of ['sqrt-t', 'strongly-convex', 'simplex-eg', 'student-t']) {
    t.true(Number.isFinite(m.slope[k].slope) && Number.isFinite(m.slope[k].se), k);
  }
  const byName = Object.fromEntries(r.checks.map((c) => [c.name, c]));
  t.true(byName['student-t-slower']!.pass, JSON.stringify(byName['student-t-slower']!.observed));
  // the slope checks are pre-asymptotic at the quick horizon (T ≤ 1000, fit from 100); see docs/papers/last-iterate.md
  for (const c of r.checks) t.truthy(c.observed);
});
