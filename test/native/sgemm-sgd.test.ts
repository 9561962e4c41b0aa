// The fused SGD step over a batched product (native sgemmSgd, src/backend/cpu/fused.ts):
// out[t] = W_t − lr_t·op(A_t)·op(B_t) and, with `next`, z[t] = X_t·out[t].
//  - Bits: on every instruction set this CPU has, the same bits as sgemm followed by optimStep's
//    SGD with the same records (what the separate ops compute), and z the bits of sgemm(X, out).
//  - Values: against a float64 product. With ĝ the float32 gradient, |ĝ − g| ≤ k·u·|A|·|B|
//    (Higham §3.1, γ_k), then lr·ĝ and the subtraction each round once:
//    |out − (W − lr·g)| ≤ u·|W| + (k + 3)·u·lr·(|A|·|B|).
// Shapes: odd sizes, all four transposes, k = 0, the dot (n ≤ 12) and mirrored paths, the
// first layer of the federated bench (784×128, k = 32), one shared W (stride 0), in place.
// Bad input: a record with clipping or momentum, overlapping outputs, wrong dtypes.

import test from 'ava';
import { matmulSgdStep } from '../../src/backend/cpu/fused.js';
import { loadNative } from '../../src/backend/cpu/load.js';
import { HostStorage } from '../../src/backend/host.js';
import { randn } from '../helpers/gen.js';

const native = loadNative();
const ISAS = native.cpuInfo().isas;
const BEST = native.cpuInfo().isa;
const U = 2 ** -24;
const K_REC = 7; // OPTIM_HYPER.sgdStep

interface Case { batch: number; m: number; n: number; k: number; transA?: boolean; transB?: boolean; shared?: boolean; inPlace?: boolean; rows?: number }

const CASES: Case[] = [
  { batch: 3, m: 7, n: 5, k: 3, transA: true },
  { batch: 2, m: 29, n: 33, k: 17, rows: 3 },
  { batch: 2, m: 13, n: 40, k: 300, transB: true, shared: true, rows: 1 },
  { batch: 3, m: 50, n: 10, k: 20, transA: true, transB: true, inPlace: true, rows: 5 }, // dot path (n ≤ 12)
  { batch: 2, m: 6, n: 45, k: 9, inPlace: true }, // mirrored dot path (m ≤ 12)
  { batch: 1, m: 1, n: 1, k: 1, rows: 1 },
  { batch: 2, m: 4, n: 3, k: 0, shared: true, rows: 2 },
  { batch: 2, m: 784, n: 128, k: 32, transA: true, shared: true, rows: 32 }, // the federated first layer
  // Several MC row blocks stepped as each is final, in place; then with several KC slices.
  { batch: 3, m: 400, n: 70, k: 20, transA: true, inPlace: true, rows: 2 },
  { batch: 2, m: 200, n: 40, k: 900, inPlace: true },
];

const label = (c: Case) => Object.entries(c).map(([k, v]) => `${k}=${v}`).join(' ');

function records(batch: number, seed: number): Float32Array {
  const h = new Float32Array(batch * K_REC);
  for (let t = 0; t < batch; t++) {
    h[t * K_REC + 1] = Math.fround(0.05 + 0.1 * ((t * 7 + seed) % 5)); // lr
    h[t * K_REC + 3] = 1; // keep
  }
  return h;
}

function setup(c: Case, seed: number) {
  const { batch, m, n, k } = c;
  const a = randn(batch * m * k + 1, seed), b = randn(batch * k * n, seed + 1);
  const w = randn((c.shared ? 1 : batch) * m * n, seed + 2), x = randn(batch * (c.rows ?? 0) * m, seed + 3);
  return { a, b, w, x, hyper: records(batch, seed) };
}

test('sgemmSgd · the bits of sgemm + optimStep (SGD), and z the bits of sgemm(X, out), on every instruction set', (t) => {
  for (const isa of ISAS) {
    native.setIsa(isa);
    try {
      for (const c of CASES) {
        const { batch, m, n, k } = c, mn = m * n, rows = c.rows ?? 0;
        const { a, b, w, x, hyper } = setup(c, 11);
        const strideW = c.shared ? 0 : mn;
        // Separate ops: G = op(A)·op(B), then W ← SGD(W, G) on a broadcast copy of W.
        const g = new Float32Array(batch * mn);
        native.sgemm(a, 1, m * k, !!c.transA, b, 0, k * n, !!c.transB, g, batch, m, n, k, null, 0, 0);
        const want = new Float32Array(batch * mn);
        for (let r = 0; r < batch; r++) want.set(w.subarray(r * strideW, r * strideW + mn), r * mn);
        native.optimStep(0, want, 0, g, 0, null, 0, null, 0, null, 0, batch, mn, new Int32Array([0, mn]), hyper, null, 0, 0);
        const wantZ = new Float32Array(batch * rows * n);
        if (rows > 0) native.sgemm(x, 0, rows * m, false, want, 0, mn, false, wantZ, batch, rows, n, m, null, 0, 0);
        // Fused.
        const wIn = c.inPlace ? w.slice() : w;
        const out = c.inPlace ? wIn : new Float32Array(batch * mn).fill(NaN);
        const z = new Float32Array(batch * rows * n).fill(NaN);
        native.sgemmSgd(a, 1, m * k, !!c.transA, b, 0, k * n, !!c.transB, wIn, 0, strideW, out, 0, batch, m, n, k, hyper,
          rows > 0 ? x : null, 0, rows * m, rows, z, 0);
        t.deepEqual(out, want, `${isa} ${label(c)}: out`);
        t.deepEqual(z, wantZ, `${isa} ${label(c)}: z`);
      }
    } finally {
      native.setIsa(BEST);
    }
  }
});

test('sgemmSgd · against W − lr·A·B in float64 within u·|W| + (k+3)·u·lr·|A|·|B|', (t) => {
  for (const c of CASES) {
    const { batch, m, n, k } = c, mn = m * n;
    const { a, b, w, hyper } = setup(c, 5);
    const out = new Float32Array(batch * mn);
    const strideW = c.shared ? 0 : mn;
    native.sgemmSgd(a, 1, m * k, !!c.transA, b, 0, k * n, !!c.transB, w, 0, strideW, out, 0, batch, m, n, k, hyper);
    let worst = 0;
    for (let r = 0; r < batch; r++) {
      const lr = hyper[r * K_REC + 1]!;
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let s = 0, mag = 0;
          for (let p = 0; p < k; p++) {
            const av = a[1 + r * m * k + (c.transA ? p * m + i : i * k + p)]!;
            const bv = b[r * k * n + (c.transB ? j * k + p : p * n + j)]!;
            s += av * bv;
            mag += Math.abs(av * bv);
          }
          const wv = w[r * strideW + i * n + j]!;
          const err = Math.abs(out[r * mn + i * n + j]! - (wv - lr * s));
          const bound = U * Math.abs(wv) + (k + 3) * U * lr * mag;
          worst = Math.max(worst, bound > 0 ? err / bound : err);
        }
      }
    }
    t.true(worst <= 1, `${label(c)}: worst error / bound = ${worst}`);
  }
});

test('sgemmSgd · refuses clipping, momentum, overlapping outputs and bad dtypes', (t) => {
  const a = randn(6, 1), b = randn(6, 2), w = randn(4, 3), out = new Float32Array(4);
  const h = records(1, 0);
  const call = (hyper: Float32Array, o = out, oOff = 0, ww = w) => native.sgemmSgd(a, 0, 6, false, b, 0, 6, false, ww, 0, 4, o, oOff, 1, 2, 2, 3, hyper);
  const clip = h.slice();
  clip[0] = 1;
  t.throws(() => call(clip), { instanceOf: RangeError, message: /^sgemmSgd: expected records without clipping \(clip = 0\) for 'hyper' but received clip 1\.0+ in record 0$/ });
  const mom = h.slice();
  mom[4] = 0.9;
  t.throws(() => call(mom), { instanceOf: RangeError, message: /^sgemmSgd: expected records without momentum \(momentum = 0\) for 'hyper' but received momentum 0\.9\d* in record 0$/ });
  // out overlapping w without being it.
  const both = randn(8, 4);
  t.throws(() => native.sgemmSgd(a, 0, 6, false, b, 0, 6, false, both, 0, 4, both, 2, 1, 2, 2, 3, h), { instanceOf: RangeError, message: /^sgemmSgd: expected .* for 'out' but received/ });
  // In place (out is w at the same offset) is allowed and equals the out-of-place result.
  call(h);
  const inPlace = w.slice();
  native.sgemmSgd(a, 0, 6, false, b, 0, 6, false, inPlace, 0, 4, inPlace, 0, 1, 2, 2, 3, h);
  t.deepEqual(inPlace, out);
  // z overlapping out.
  const x = randn(2, 5), big = new Float32Array(8);
  t.throws(() => native.sgemmSgd(a, 0, 6, false, b, 0, 6, false, w, 0, 4, big, 0, 1, 2, 2, 3, h, x, 0, 2, 1, big, 2), { instanceOf: RangeError, message: /^sgemmSgd: expected .* for 'z' but received/ });
  // The TypeScript entry point: float32 storage and one record per replica.
  const st = (x: Float32Array | Float64Array) => ({ s: new HostStorage(x), offset: 0 });
  const args = { a: st(a), strideA: 6, transA: false, b: st(b), strideB: 6, transB: false, w: st(w), strideW: 4, out: st(new Float32Array(4)), batch: 1, m: 2, n: 2, k: 3, hyper: h };
  t.notThrows(() => matmulSgdStep(args));
  t.throws(() => matmulSgdStep({ ...args, w: st(new Float64Array(4)) }), { instanceOf: TypeError, message: "matmulSgdStep: expected float32 storage for 'w' but received float64" });
  t.throws(() => matmulSgdStep({ ...args, hyper: new Float32Array(6) }), { instanceOf: RangeError, message: "matmulSgdStep: expected 1·7 record values for 'hyper' but received 6" });
});
