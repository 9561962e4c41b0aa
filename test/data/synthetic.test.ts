// Synthetic data: seeded determinism, the documented streams, and the distributions
// (class means, label frequencies, noise levels) within stated statistical bounds; the
// teacher–student targets recomputed from the returned teacher.

import test from 'ava';
import { gaussianMixture, teacherStudent } from '../../src/data/synthetic.js';
import { normal } from '../../src/random.js';
import { assertSame } from './same.js';

test('gaussianMixture is a function of its options', (t) => {
  const a = gaussianMixture({ n: 300, classes: 4, features: 5, seed: 9 });
  const b = gaussianMixture({ n: 300, classes: 4, features: 5, seed: 9 });
  assertSame(t, a.x, b.x);
  assertSame(t, a.y, b.y);
  t.is(a.x.length, 300 * 5);
  t.is(a.means.length, 4 * 5);
  // Means come from stream 0: (separation/√features)·z.
  const z = normal(9, 20, 0, 0);
  assertSame(t, a.means, Float32Array.from(z, (v) => (3 / Math.sqrt(5)) * v));
  const c = gaussianMixture({ n: 300, classes: 4, features: 5, seed: 10 });
  t.not(c.x[0], a.x[0]);
});

test('gaussianMixture: labels uniform, class sample means near the means, spread σ', (t) => {
  const n = 20000, classes = 5, features = 3, noise = 0.5;
  const d = gaussianMixture({ n, classes, features, seed: 21, noise, separation: 2 });
  const count = new Array(classes).fill(0);
  const sum = new Float64Array(classes * features), sq = new Float64Array(classes * features);
  for (let i = 0; i < n; i++) {
    const c = d.y[i]!;
    count[c]++;
    for (let j = 0; j < features; j++) {
      const r = d.x[i * features + j]! - d.means[c * features + j]!;
      sum[c * features + j] += r;
      sq[c * features + j] += r * r;
    }
  }
  // Binomial(n, 1/k) counts: 6 standard deviations.
  const p = 1 / classes, sd = Math.sqrt(n * p * (1 - p));
  for (const c of count) t.true(Math.abs(c - n * p) < 6 * sd, `class count ${c}`);
  for (let c = 0; c < classes; c++) {
    for (let j = 0; j < features; j++) {
      // Sample mean of the residual: N(0, σ²/count), 6 standard errors.
      const m = sum[c * features + j]! / count[c];
      t.true(Math.abs(m) < 6 * noise / Math.sqrt(count[c]), `mean offset ${m}`);
      // Sample variance: relative standard error √(2/count), 6 of them.
      const v = sq[c * features + j]! / count[c];
      t.true(Math.abs(v / noise ** 2 - 1) < 6 * Math.sqrt(2 / count[c]), `variance ${v}`);
    }
  }
});

test('teacherStudent: targets are the teacher network plus noise', (t) => {
  const d = teacherStudent({ n: 64, features: 6, hidden: [5, 4], outputs: 2, activation: 'tanh', noise: 0, biasScale: 0.5, seed: 4 });
  t.deepEqual(d.teacher.widths, [6, 5, 4, 2]);
  t.is(d.y.length, 128);
  let worst = 0;
  for (let i = 0; i < d.n; i++) {
    let h: number[] = Array.from(d.x.subarray(i * 6, i * 6 + 6));
    d.teacher.layers.forEach(({ W, b }, l) => {
      const out = d.teacher.widths[l + 1]!;
      const z = Array.from({ length: out }, (_, o) => h.reduce((s, v, k) => s + v * W[k * out + o]!, b[o]!));
      h = l + 1 < d.teacher.layers.length ? z.map(Math.tanh) : z;
    });
    // Both sides compute in float64 and round once to float32: they agree to one float32 ulp.
    for (let o = 0; o < 2; o++) worst = Math.max(worst, Math.abs(d.y[i * 2 + o]! - h[o]!) / (2 ** -23 * Math.abs(h[o]!)));
  }
  t.true(worst <= 1, `worst error ${worst} ulps`);
});

test('teacherStudent: LeCun-scaled weights, N(0, I) inputs and noise of the stated size', (t) => {
  const n = 20000, features = 10, noise = 0.3;
  const d = teacherStudent({ n, features, noise, seed: 8 });
  t.deepEqual(d.teacher.widths, [10, 1]);
  t.true(d.teacher.layers[0]!.b.every((v) => v === 0));
  const W = d.teacher.layers[0]!.W;
  const z = normal(8, 10, 0, 0);
  assertSame(t, W, Float32Array.from(z, (v) => v / Math.sqrt(10)));
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    let f = 0;
    for (let k = 0; k < features; k++) f += d.x[i * features + k]! * W[k]!;
    s2 += (d.y[i]! - f) ** 2;
  }
  // Residual variance of n normals: relative standard error √(2/n), 6 of them.
  t.true(Math.abs(s2 / n / noise ** 2 - 1) < 6 * Math.sqrt(2 / n), `residual variance ${s2 / n}`);
});

test('bad options', (t) => {
  t.throws(() => gaussianMixture({ n: 10, classes: 0, features: 2, seed: 1 }), {
    instanceOf: RangeError, message: "gaussianMixture: expected an integer in [1, 2147483647] for 'classes' but received 0",
  });
  t.throws(() => teacherStudent({ n: 10, features: 2, seed: 1, activation: 'softsign' as 'relu' }), {
    instanceOf: RangeError,
    message: "teacherStudent: expected 'relu', 'tanh', 'sigmoid' or 'identity' for 'activation' but received 'softsign'",
  });
  t.throws(() => teacherStudent({ n: 10, features: 2, seed: 1, noise: -1 }), {
    instanceOf: RangeError, message: "teacherStudent: expected a number ≥ 0 for 'noise' but received -1",
  });
});
