// SGD.stepProduct: the first-layer step of a population (W_r ← SGD(W_r, A_rᵀ·B_r)) as one
// fused launch on the cpu backend (the optional op sgdProductStep) and as matmul + step
// elsewhere; both equal the separate ops bit for bit, with a shared start matrix (`from`) and
// the next product X_r·W_r (`next`), over several steps with a schedule. Bad arguments are named.

import test from 'ava';
import type { ExecutionContext } from 'ava';
import * as d from '../../src/index.js';
import { SGD } from '../../src/optim/index.js';
import { eachBackend } from '../helpers/cases.js';

const R = 3, K = 5, M = 7, N = 4, ROWS = 2;
const same = (t: ExecutionContext, a: ArrayLike<number>, b: ArrayLike<number>, what: string) => {
  let diff = a.length === b.length ? 0 : -1;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) diff++;
  t.is(diff, 0, `${what}: ${diff} of ${a.length} values differ`);
};

eachBackend('stepProduct · SGD.stepProduct equals matmul then step, with a shared start and the next product, bit for bit', async (t, b) => {
    const rnd = (shape: number[], seed: number) => d.randomNormal(shape, { seed, backend: b });
    const from = rnd([M, N], 1);
    const opts = { lr: 0.05, weightDecay: 0.01, schedule: { kind: 'cosine', total: 10, min: 0.1 } } as const;
    const fused = new SGD(d.zeros([R, M * N], { backend: b }), opts);
    const plain = new SGD(d.contiguous(d.broadcastTo(d.reshape(from, [1, M * N]), [R, M * N])), opts);
    for (let s = 0; s < 4; s++) {
      const A = rnd([R, K, M], 10 + s), B = rnd([R, K, N], 20 + s), X = rnd([R, ROWS, M], 30 + s);
      const next = fused.stepProduct(A, B, { ...(s === 0 ? { from } : {}), next: X })!;
      plain.step(d.reshape(d.matmul(d.transpose(A), B), [R, M * N]));
      const want = d.matmul(X, d.reshape(plain.params, [R, M, N]));
      same(t, await fused.params.data(), await plain.params.data(), `weights after step ${s + 1}`);
      same(t, await next.data(), await want.data(), `next product after step ${s + 1}`);
      t.deepEqual(next.shape, [R, ROWS, N]);
      t.is(fused.stepProduct(A, B), null, 'no next: null');
      plain.step(d.reshape(d.matmul(d.transpose(A), B), [R, M * N]));
      d.dispose([A, B, X, next, want]);
    }
    same(t, await fused.params.data(), await plain.params.data(), 'weights at the end');
    const A = rnd([R, K, M], 1), B = rnd([R, K, N + 1], 2);
    t.throws(() => fused.stepProduct(A, B), { instanceOf: RangeError, message: /^SGD\.stepProduct: expected a last dimension n with m·n = 28 .* for 'b' but received .*\[3, 5, 5\]/ });
    t.throws(() => fused.stepProduct(d.reshape(A, [R * K, M]), B), { instanceOf: RangeError, message: /^SGD\.stepProduct: expected a tensor \[3, k, m\] for 'a'/ });
    t.throws(() => fused.stepProduct(A, rnd([R, K, N], 3), { next: rnd([R, ROWS, M + 1], 4) }), { instanceOf: RangeError, message: /'o\.next'/ });
});

test('stepProduct · cpu · SGD.stepProduct with momentum (no fused op for it) takes matmul then step: same bits', async (t) => {
  const b = await d.initBackend('cpu');
  const opts = { lr: 0.05, momentum: 0.9 };
  const w0 = d.randomNormal([R, M * N], { seed: 5, backend: b });
  const a = new SGD(d.contiguous(w0), opts), c = new SGD(d.contiguous(w0), opts);
  for (let s = 0; s < 3; s++) {
    const A = d.randomNormal([R, K, M], { seed: 40 + s, backend: b }), B = d.randomNormal([R, K, N], { seed: 50 + s, backend: b });
    a.stepProduct(A, B);
    c.step(d.reshape(d.matmul(d.transpose(A), B), [R, M * N]));
  }
  same(t, await a.params.data(), await c.params.data(), 'momentum SGD');
});

eachBackend('stepProduct · operands that are column slices of a wider arena (each replica block contiguous, read in place on cpu) give the bits of their contiguous copies', async (t, b) => {
  const rnd = (shape: number[], seed: number) => d.randomNormal(shape, { seed, backend: b });
  // B as the first layer's z̄1 is taken: columns [0, K·N) of a [R, K·N + 3] gradient.
  const wide = rnd([R, K * N + 3], 60), B = d.reshape(d.slice(wide, [0, 0], [R, K * N]), [R, K, N]);
  const wideA = rnd([R, K * M + 5], 61), A = d.reshape(d.slice(wideA, [0, 5], [R, K * M]), [R, K, M]);
  const X = d.slice(rnd([R, ROWS + 1, M], 62), [0, 1, 0], [R, ROWS, M]);
  t.false(B.isContiguous);
  t.false(A.isContiguous);
  const s = new SGD(rnd([R, M * N], 63), { lr: 0.1 }), c = new SGD(rnd([R, M * N], 63), { lr: 0.1 });
  const got = s.stepProduct(A, B, { next: X })!, want = c.stepProduct(d.contiguous(A), d.contiguous(B), { next: d.contiguous(X) })!;
  same(t, await s.params.data(), await c.params.data(), 'weights');
  same(t, await got.data(), await want.data(), 'next product');
  // A block repeated for every replica (stride 0) is read as such.
  const one = d.broadcastTo(rnd([1, K, M], 64), [R, K, M]);
  s.stepProduct(one, B);
  c.stepProduct(d.contiguous(one), d.contiguous(B));
  same(t, await s.params.data(), await c.params.data(), 'weights after a broadcast operand');
});
