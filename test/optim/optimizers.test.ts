// Exact single-step facts of the update rules (reference backend, float64) and the
// optimizers' argument checks.

import test from 'ava';
import * as d from '../../src/index.js';
import { Adam, AdaGradNorm, DiffGrad, EGPlusMinus, Optimistic, SGD } from '../../src/optim/index.js';
import type { Optimizer } from '../../src/optim/index.js';

const ref = d.reference;
const u64 = 2 ** -53;
// A float64 arena's hyperparameter records are float64; comparisons between two methods whose
// step factors are rounded differently allow 16 float64 roundings (of the parameters, ≤ 1 here,
// when differences of parameters are compared).
const u64x16 = 16 * u64;
const vec = (xs: number[]) => d.tensor(Float64Array.from(xs), [xs.length], { backend: ref });
const host = (t: d.Tensor) => Array.from(t.dataSync());

/** Steps `opt` with each gradient and returns p after each step. */
function trace(opt: Optimizer, grads: number[][]): number[][] {
  return grads.map((g) => {
    const gt = vec(g);
    opt.step(gt);
    return host(opt.params);
  });
}

function near(t: import('ava').ExecutionContext, a: number, b: number, rel: number, what: string): void {
  t.true(Math.abs(a - b) <= rel * Math.abs(b), `${what}: ${a} vs ${b} (relative bound ${rel})`);
}

/** |a − b| ≤ bound: for differences of parameters of size ≤ 1, whose roundings are absolute. */
function nearAbs(t: import('ava').ExecutionContext, a: number, b: number, bound: number, what: string): void {
  t.true(Math.abs(a - b) <= bound, `${what}: ${a} vs ${b} (absolute bound ${bound})`);
}

test('SGD · torch semantics: the momentum buffer starts at g, dampening from step 2', (t) => {
  const p = trace(new SGD(vec([1]), { lr: 0.125, momentum: 0.75, dampening: 0.5 }), [[2], [4]]);
  t.is(p[0]![0], 1 - 0.125 * 2);
  t.is(p[1]![0], p[0]![0]! - 0.125 * (0.75 * 2 + 0.5 * 4));
  const n = trace(new SGD(vec([1]), { lr: 0.125, momentum: 0.75, nesterov: true }), [[2]]);
  t.is(n[0]![0], 1 - 0.125 * (2 + 0.75 * 2));
});

test('SGD · a float64 arena steps with its float64 learning rate (not rounded to float32)', (t) => {
  // 0.1 is not a float32: a float32 record would give 1 − 2·fround(0.1), 3e-9 away.
  const p = trace(new SGD(vec([1]), { lr: 0.1 }), [[2]]);
  t.is(p[0]![0], 1 - 0.1 * 2);
  const f = new SGD(d.tensor(Float32Array.of(1), [1], { backend: ref }), { lr: 0.1 });
  f.step(d.tensor(Float32Array.of(2), [1], { backend: ref }));
  t.is(f.params.dataSync()[0], Math.fround(1 - Math.fround(0.1) * 2), 'a float32 arena keeps its float32 record');
});

test('Adam · the first step is lr·sign(g) when ε = 0', (t) => {
  const p = trace(new Adam(vec([1, 1, 1]), { lr: 0.125, eps: 0 }), [[3, -0.001, 1e6]]);
  // stepSize = lr/(1 − β1) and 1/√(1 − β2) are float64 records: ≈ 10 roundings in all.
  for (const [i, s] of [1, -1, 1].entries()) near(t, 1 - p[0]![i]!, 0.125 * s, u64x16, `p[${i}]`);
});

test('diffGrad · ξ₁ = σ(|g₁|); a constant gradient gives ξ = ½, so the step is half of Adam\'s (ε = 0)', (t) => {
  const g = [[0.7, -2]];
  for (let k = 0; k < 5; k++) g.push(g[0]!);
  const dg = trace(new DiffGrad(vec([1, 1]), { lr: 0.01, eps: 0 }), g);
  const ad = trace(new Adam(vec([1, 1]), { lr: 0.01, eps: 0 }), g);
  const sig = (x: number) => 1 / (1 + Math.exp(-x));
  for (let i = 0; i < 2; i++) nearAbs(t, 1 - dg[0]![i]!, sig(Math.abs(g[0]![i]!)) * (1 - ad[0]![i]!), u64x16, `step 1, p[${i}]`);
  for (let k = 1; k < g.length; k++) {
    for (let i = 0; i < 2; i++) {
      nearAbs(t, dg[k - 1]![i]! - dg[k]![i]!, 0.5 * (ad[k - 1]![i]! - ad[k]![i]!), u64x16, `step ${k + 1}, p[${i}]`);
    }
  }
});

test('diffGrad · a large |Δg| gives ξ → 1 (Adam\'s step); legacyConstantFriction keeps ξ = ½', (t) => {
  const g = [[10], [-10], [10], [-10]];
  const dg = trace(new DiffGrad(vec([0]), { lr: 0.01, eps: 0 }), g);
  const ad = trace(new Adam(vec([0]), { lr: 0.01, eps: 0 }), g);
  // 1 − ξ = σ(−20) ≈ 2e-9 from step 2 on.
  for (let k = 1; k < 4; k++) near(t, dg[k]![0]! - dg[k - 1]![0]!, ad[k]![0]! - ad[k - 1]![0]!, 3e-9 + u64x16, `step ${k + 1}`);
  const legacy = trace(new DiffGrad(vec([0]), { lr: 0.01, eps: 0, legacyConstantFriction: true }), g);
  for (let k = 1; k < 4; k++) nearAbs(t, legacy[k]![0]! - legacy[k - 1]![0]!, 0.5 * (ad[k]![0]! - ad[k - 1]![0]!), u64x16, `legacy step ${k + 1}`);
});

test('AdaGradNorm · the first step is lr·g/‖g‖ (b₀ = 0), then b² accumulates ‖g‖²', (t) => {
  const p = trace(new AdaGradNorm(vec([0, 0]), { lr: 1, eps: 0 }), [[3, 4], [0, 5]]);
  t.deepEqual(p[0], [-0.6, -0.8]);
  near(t, p[1]![1]!, -0.8 - 5 / Math.sqrt(50), 4 * u64, 'step 2');
});

test('EG± · the signed form never changes a sign and keeps zeros; EGU± can cross zero', (t) => {
  const p = trace(new EGPlusMinus(vec([1, -1, 0]), { lr: 0.5 }), [[10, -10, 3], [10, -10, 3]]);
  t.true(p[1]![0]! > 0 && p[1]![1]! < 0);
  t.is(p[1]![2], 0);
  near(t, p[1]![0]!, Math.exp(-10), 4 * u64, 'w·e^{−lr·g·sign w}');
  const pm = trace(new EGPlusMinus(vec([0.1]), { lr: 1, form: 'pm', offset: 0.01 }), [[3]]);
  near(t, pm[0]![0]!, 0.11 * Math.exp(-3) - 0.01 * Math.exp(3), 8 * u64, 'u − v');
  t.true(pm[0]![0]! < 0);
});

test('Optimistic · Euclidean: p moves by −2η g_t + η g_{t−1}; entropic: by e^{−2η g_t + η g_{t−1}}', (t) => {
  const p = trace(new Optimistic(vec([1]), { lr: 0.125 }), [[1], [3]]);
  t.is(p[0]![0], 1 - 0.25);
  t.is(p[1]![0], 0.75 - 0.75 + 0.125);
  const q = trace(new Optimistic(vec([1]), { lr: 0.125, entropic: true }), [[1], [3]]);
  near(t, q[1]![0]!, Math.exp(-0.25 - 0.75 + 0.125), 8 * u64, 'entropic step 2');
});

test('optimizer · argument checks name the option', (t) => {
  const p = vec([1, 2, 3]);
  t.throws(() => new Adam(p, { lr: -1 }), { instanceOf: RangeError, message: "Adam: expected a finite number ≥ 0 for 'lr' but received -1" });
  t.throws(() => new Adam(p, { beta1: 1 }), { instanceOf: RangeError, message: "Adam: expected a finite number ≥ 0 and < 1 for 'beta1' but received 1" });
  t.throws(() => new Adam(p, { lr: 'big' as never }), { instanceOf: TypeError, message: /'lr' but received 'big'/ });
  t.throws(() => new Adam(p, { lrr: 1 } as never), { instanceOf: RangeError, message: /Adam: unknown option 'lrr'/ });
  t.throws(() => new Adam(d.zeros([2, 3], { backend: ref }), { lr: [0.1] }), { instanceOf: RangeError, message: "Adam: expected one value per replica (2) for 'lr' but received an array of length 1" });
  t.throws(() => new Adam(p, { groups: [{ end: 2 }] }), { instanceOf: RangeError, message: "Adam: expected 3 (groups must cover every parameter) for 'groups[0].end' but received 2" });
  t.throws(() => new Adam(p, { groups: [{ end: 2 }, { start: 1, end: 3 }] }), { instanceOf: RangeError, message: /'groups\[1\]\.start'/ });
  t.throws(() => new Adam(p, { groups: [{ end: 3, momentum: 1 }] }), { instanceOf: RangeError, message: /unknown group option 'groups\[0\]\.momentum'/ });
  t.throws(() => new SGD(p, { nesterov: true }), { instanceOf: RangeError, message: /SGD: expected momentum > 0 and dampening = 0 with 'nesterov'/ });
  t.throws(() => new Adam(d.transpose(d.zeros([2, 3], { backend: ref }))), { instanceOf: RangeError, message: /expected a contiguous tensor for 'params'/ });
  t.throws(() => new Adam(d.zeros([2, 2, 2], { backend: ref })), { instanceOf: RangeError, message: /shape \[size\] or \[replicas, size\]/ });
  t.throws(() => new Optimistic(p, { simplex: 1 }), { instanceOf: RangeError, message: /Optimistic: expected 'entropic' groups with 'simplex'/ });
  t.throws(() => new Optimistic(d.zeros([2, 3], { backend: ref }), { simplex: 1, entropic: [true, false] }), { instanceOf: RangeError, message: /same for every replica of group 0/ });
  t.throws(() => new EGPlusMinus(p, { total: 1 }), { instanceOf: RangeError, message: /expected form 'pm' with 'total'/ });
  t.throws(() => new EGPlusMinus(p, { form: 'pm', total: -1 }), { instanceOf: RangeError, message: "EGPlusMinus: expected a positive finite number for 'total' but received -1" });
  const opt = new Adam(p);
  t.throws(() => opt.step(vec([1, 2])), { instanceOf: RangeError, message: "Adam.step: expected 'grads' of shape [3] but received [2]" });
  t.throws(() => opt.step(d.zeros([3], { backend: ref })), { instanceOf: TypeError, message: "Adam.step: expected float64 for 'grads' but received float32" });
  t.throws(() => opt.step(null as never), { instanceOf: TypeError, message: "Adam.step: expected a Tensor for 'grads' but received null" });
  opt.dispose();
  t.throws(() => opt.step(vec([1, 2, 3])), { message: /disposed/ });
});

test('optimizer · per-group and per-replica hyperparameters reach the records', (t) => {
  const opt = new Adam(d.zeros([2, 10], { backend: ref }), {
    lr: [0.1, 0.2], clipNorm: [0, 3], groups: [{ end: 4, lr: 0.5 }, { end: 10, beta1: [0.8, 0.7] }],
  });
  t.is(opt.hyper('lr', 0, 0), 0.5);
  t.is(opt.hyper('lr', 1, 1), 0.2);
  t.is(opt.hyper('beta1', 1, 1), 0.7);
  t.is(opt.hyper('beta1', 1, 0), 0.9);
  const rec = opt.records(1);
  // [replicas, groups, K]: clip, stepSize = lr/(1 − β1).
  t.is(rec.length, 2 * 2 * 8);
  t.is(rec[(1 * 2 + 0) * 8], 3);
  t.is(rec[(1 * 2 + 1) * 8 + 1], Math.fround(Math.fround(0.2) / (1 - Math.fround(0.7))));
});
