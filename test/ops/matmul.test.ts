// Matrix products on every backend against the reference backend, with the bound
// |ĉ_ij − c_ij| ≤ k·u·(|A|·|B|)_ij (Higham §3.1) plus the activation's own error.

import * as d from '../../src/index.js';
import type { Act, Backend, Tensor } from '../../src/index.js';
import { assertClose, FUNCTION_ULPS, U } from '../helpers/close.js';
import { eachBackend } from '../helpers/cases.js';
import { label, randn, randu } from '../helpers/gen.js';

const ref = d.reference;
const on = (b: Backend, data: Float32Array, shape: number[]) => d.tensor(data, shape, { backend: b });

interface Case { m: number; n: number; k: number; transA?: boolean; transB?: boolean; batchA?: number[]; batchB?: number[]; bias?: boolean; act?: Act }

const CASES: Case[] = [
  { m: 1, n: 1, k: 1 }, { m: 0, n: 5, k: 3 }, { m: 4, n: 0, k: 3 }, { m: 3, n: 4, k: 0 },
  { m: 7, n: 13, k: 17 }, { m: 16, n: 16, k: 16 }, { m: 17, n: 33, k: 15 }, { m: 64, n: 99, k: 45 },
  { m: 1, n: 257, k: 1 }, { m: 130, n: 10, k: 257 }, { m: 31, n: 47, k: 129, transA: true },
  { m: 29, n: 37, k: 65, transB: true }, { m: 33, n: 17, k: 63, transA: true, transB: true },
  { m: 5, n: 6, k: 7, batchA: [3], batchB: [3] }, { m: 5, n: 6, k: 7, batchA: [2, 3], batchB: [] },
  { m: 5, n: 6, k: 7, batchA: [], batchB: [4] }, { m: 9, n: 11, k: 5, batchA: [2, 1], batchB: [3], transB: true },
  { m: 23, n: 19, k: 31, bias: true, act: 'relu' }, { m: 23, n: 19, k: 31, bias: true, act: 'tanh' },
  { m: 23, n: 19, k: 31, bias: true, act: 'sigmoid' }, { m: 23, n: 19, k: 31, bias: true, act: 'gelu' },
  { m: 40, n: 10, k: 50, bias: true, act: 'none', transA: true }, { m: 6, n: 10, k: 9, act: 'relu', batchA: [2], batchB: [] },
];

function operands(be: Backend, c: Case, xa: Float32Array, xb: Float32Array, xbias: Float32Array) {
  const ba = c.batchA ?? [], bb = c.batchB ?? [];
  let a = on(be, xa, c.transA ? [...ba, c.k, c.m] : [...ba, c.m, c.k]);
  let b = on(be, xb, c.transB ? [...bb, c.n, c.k] : [...bb, c.k, c.n]);
  if (c.transA) a = d.transpose(a);
  if (c.transB) b = d.transpose(b);
  return { a, b, bias: c.bias ? on(be, xbias, [c.n]) : undefined };
}

function product(be: Backend, c: Case, xa: Float32Array, xb: Float32Array, xbias: Float32Array): Tensor {
  const { a, b, bias } = operands(be, c, xa, xb, xbias);
  return c.bias || c.act ? d.linear(a, b, bias, c.act ?? 'none') : d.matmul(a, b);
}

for (const c of CASES) {
  eachBackend(`matmul · ${label({ ...c })}`, async (t, be) => {
    const size = (s: number[] | undefined) => (s ?? []).reduce((p, v) => p * v, 1);
    const xa = randu(size(c.batchA) * c.m * c.k, c.m * 7 + c.k), xb = randu(size(c.batchB) * c.k * c.n, c.n * 5 + c.k), xbias = randu(c.n, 3);
    const want = await product(ref, c, xa, xb, xbias).data();
    const got = await product(be, c, xa, xb, xbias).data();
    // (|A|·|B|)_ij + |bias_j| bounds the sum that is rounded.
    const { a, b } = operands(ref, c, xa.map(Math.abs), xb.map(Math.abs), xbias);
    const mag = await d.matmul(a, b).data();
    const actUlps = FUNCTION_ULPS[c.act ?? 'relu'] ?? 0;
    // gelu′ ≤ 1.13, every other activation's derivative ≤ 1: the sum's error passes through scaled by at most that.
    assertClose(t, got, want, (i) => 1.13 * (c.k + 1) * U.float32 * (mag[i]! + (c.bias ? 1 : 0)) + 2 * actUlps * U.float32 * Math.max(Math.abs(want[i]!), 1), 'matmul');
  });
}

eachBackend('matmul · shape errors name the op and the shapes', async (t, be) => {
  const a = d.zeros([2, 3], { backend: be }), b = d.zeros([4, 5], { backend: be });
  t.throws(() => d.matmul(a, b), { message: 'matmul: inner dimensions differ: [2, 3] · [4, 5] (3 vs 4)' });
  t.throws(() => d.matmul(d.zeros([2, 3, 4], { backend: be }), d.zeros([3, 4, 5], { backend: be })), { message: /matmul: shapes \[2\] and \[3\] do not broadcast/ });
});

// Large products on the cpu backend: a probe check C·t ≈ A·(B·t) instead of an O(n³) oracle.
for (const [m, n, k] of [[512, 512, 512], [1031, 263, 777], [2048, 10, 256]] as const) {
  eachBackend(`matmul · probe · ${label({ m, n, k })}`, async (t, be) => {
    if (be.name !== 'cpu') { t.pass('probe checks run on cpu only (lavapipe is too slow for these sizes)'); return; }
    const xa = randn(m * k, 1), xb = randn(k * n, 2), probe = randn(n, 3);
    const c = await d.matmul(on(be, xa, [m, k]), on(be, xb, [k, n])).data();
    const bt = new Float64Array(k), bta = new Float64Array(k);
    for (let p = 0; p < k; p++) for (let j = 0; j < n; j++) { bt[p]! += xb[p * n + j]! * probe[j]!; bta[p]! += Math.abs(xb[p * n + j]! * probe[j]!); }
    let worst = 0;
    for (let i = 0; i < m; i++) {
      let ct = 0, abt = 0, bound = 0;
      for (let j = 0; j < n; j++) ct += c[i * n + j]! * probe[j]!;
      for (let p = 0; p < k; p++) { abt += xa[i * k + p]! * bt[p]!; bound += Math.abs(xa[i * k + p]!) * bta[p]!; }
      // Σ_j |ĉ_ij − c_ij||t_j| ≤ k·u·Σ_j (|A||B|)_ij |t_j| = k·u·(|A|·(|B|·|t|))_i, plus rounding ĉ·t in float64.
      worst = Math.max(worst, Math.abs(ct - abt) / (k * U.float32 * bound + 1e-12));
    }
    t.true(worst <= 1, `probe residual / bound = ${worst}`);
  });
}
