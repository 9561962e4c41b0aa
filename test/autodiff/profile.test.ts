// The tangent pass's profiler hook (profileTangentPass, used by bench/hvp.bench.ts --phases):
// it sees every entry whose rule runs, once per pass, in recording order, and nothing once
// removed; installing it does not change the product.

import test from 'ava';
import * as d from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { profileTangentPass } from '../../src/autodiff/jvp.js';

const t64 = (v: number[]) => d.tensor(v, undefined, { dtype: 'float64', backend: 'reference' });

test.serial('profileTangentPass: one call per rule run, in recording order, with finite non-negative ms; removed by null', (t) => {
  const x = t64([0.3, -1.2, 2.0]), v = t64([1, 0.5, -2]);
  // f(x) = sin(x)·x + exp(x): entries sin, mul, exp, add.
  const f = (z: Tensor) => d.add(d.mul(d.sin(z), z), d.exp(z));
  const plain = d.jvp(f, x, v).jvp.dataSync();
  const seen: { op: string; ms: number }[] = [];
  profileTangentPass((e, ms) => { seen.push({ op: e.op, ms }); });
  let profiled: ArrayLike<number>;
  try {
    profiled = d.jvp(f, x, v).jvp.dataSync();
  } finally {
    profileTangentPass(null);
  }
  t.deepEqual(seen.map((s) => s.op), ['sin', 'mul', 'exp', 'add']);
  for (const s of seen) t.true(Number.isFinite(s.ms) && s.ms >= 0);
  t.deepEqual(Array.from(profiled), Array.from(plain));
  // ḟ = (cos x·x + sin x + eˣ)·v in closed form; the results are at most ~20 in size and take
  // a handful of float64 roundings, so 1e-13 (≈ 30 ulp at 20) bounds the difference.
  const xs = [0.3, -1.2, 2.0], vs = [1, 0.5, -2];
  xs.forEach((xi, i) => t.true(Math.abs(plain[i]! - (Math.cos(xi) * xi + Math.sin(xi) + Math.exp(xi)) * vs[i]!) < 1e-13));
  const before = seen.length;
  d.jvp(f, x, v);
  t.is(seen.length, before);
});

test.serial('profileTangentPass: a Hessian operator\'s product reports its entries on every product', (t) => {
  const p = t64([0.4, -0.7]), v = t64([1, 2]);
  // f(p) = Σ p³ / 3: H = diag(2p).
  const H = d.hessianOperator((q: Tensor) => d.div(d.sum(d.mul(d.mul(q, q), q)), 3), p);
  let calls = 0;
  profileTangentPass(() => { calls++; });
  try {
    const a = H.apply(v).dataSync();
    const first = calls;
    t.true(first > 0);
    const b = H.apply(v).dataSync();
    t.is(calls, 2 * first);
    t.deepEqual(Array.from(a), Array.from(b));
    // H·v = 2p⊙v = [0.8, −2.8], up to a few float64 roundings (1e-15 ≈ 2–4 ulp here).
    t.true(Math.abs(a[0]! - 2 * 0.4 * 1) < 1e-15 && Math.abs(a[1]! - 2 * -0.7 * 2) < 1e-15);
  } finally {
    profileTangentPass(null);
    H.dispose();
  }
});
