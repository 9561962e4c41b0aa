// The native SGEMM against a float64 product, on every instruction set this CPU has (the
// portable, AVX2 and AVX-512 kernels each get the same cases), all four transposes, batched
// and broadcast operands, the fused epilogues, and shapes that land on and just off the
// micro-tile (MR, NR), cache-block (KC, MC) and path (dot: n ≤ 12; mirrored; B read in place)
// boundaries. Bound: |ĉ_ij − c_ij| ≤ (k+1)·u·((|A|·|B|)_ij + |bias_j|) (Higham §3.1, γ_k,
// the +1 for the bias add), passed through the activation's Lipschitz constant L (gelu
// 1.13, others 1), plus 1 ulp for rounding the activation. Big products use a probe check.

import test from 'ava';
import type { ExecutionContext } from 'ava';
import { loadNative } from '../../src/backend/cpu/load.js';
import type { Isa } from '../../src/backend/cpu/native.js';
import { ACT } from '../../src/backend/ops.js';
import type { Act } from '../../src/backend/ops.js';
import { ACT_FN } from '../../src/backend/reference/matmul.js';
import { randn, randu } from '../helpers/gen.js';

const native = loadNative();
const ISAS = native.cpuInfo().isas;
const BEST = native.cpuInfo().isa;
const U = 2 ** -24;

function withIsa<T>(isa: Isa, f: () => T): T {
  native.setIsa(isa);
  try {
    return f();
  } finally {
    native.setIsa(BEST);
  }
}

interface Logical { m: number; n: number; k: number; a: Float32Array; b: Float32Array }

/** Stores the logical m×k matrix x row-major, or transposed (k×m) when trans. */
function store(x: Float32Array, rows: number, cols: number, trans: boolean): Float32Array {
  if (!trans) return x;
  const t = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = x[i * cols + j]!;
  return t;
}

/** C = A·B and |A|·|B| in float64. */
function product({ m, n, k, a, b }: Logical): { c: Float64Array; mag: Float64Array } {
  const c = new Float64Array(m * n), mag = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const av = a[i * k + p]!;
      for (let j = 0; j < n; j++) {
        const bv = b[p * n + j]!;
        c[i * n + j]! += av * bv;
        mag[i * n + j]! += Math.abs(av * bv);
      }
    }
  }
  return { c, mag };
}

const LIPSCHITZ: Record<Act, number> = { none: 1, relu: 1, tanh: 1, sigmoid: 1, gelu: 1.13 };

function check(t: ExecutionContext, got: Float32Array, want: Float64Array, mag: Float64Array, k: number, bias: Float32Array | null, act: Act, n: number, what: string): void {
  let worst = 0, at = -1;
  const f = ACT_FN[act];
  for (let i = 0; i < want.length; i++) {
    const bj = bias ? bias[i % n]! : 0;
    const y = f(want[i]! + bj);
    const bound = LIPSCHITZ[act] * (k + 1) * U * (mag[i]! + Math.abs(bj)) + (act === 'none' ? 0 : 2 * U * Math.abs(y)) + 1e-30;
    const r = Math.abs(got[i]! - y) / bound;
    if (!(r <= worst)) { worst = r; at = i; }
  }
  t.true(worst <= 1, `${what}: worst error/bound ${worst} at ${at} (got ${got[at]}, want ${f(want[at]! + (bias ? bias[at % n]! : 0))})`);
}

function run(l: Logical, transA: boolean, transB: boolean, opts: { bias?: Float32Array | null; act?: Act } = {}): Float32Array {
  const out = new Float32Array(l.m * l.n);
  native.sgemm(store(l.a, l.m, l.k, transA), 0, 0, transA, store(l.b, l.k, l.n, transB), 0, 0, transB, out, 1, l.m, l.n, l.k, opts.bias ?? null, 0, ACT[opts.act ?? 'none']);
  return out;
}

// Tile and block edges of every kernel: ref 4×16, avx2 6×16, avx512 14×32; KC = 256 (avx512:
// 800), a longer k split into equal slices of at most 1.25·KC; MC = 168.
const SHAPES: [number, number, number][] = [
  [0, 5, 3], [4, 0, 3], [3, 4, 0], [1, 1, 1], [2, 3, 5], [7, 13, 17],
  [13, 31, 255], [14, 32, 256], [15, 33, 257], [5, 15, 16], [6, 16, 7], [3, 17, 65],
  [29, 10, 100], [130, 10, 257], [1000, 1, 33], [10, 29, 100], [2, 300, 64], [1, 257, 129],
  [28, 200, 50], [29, 200, 50], [200, 28, 50], [200, 12, 31], [12, 200, 31], [13, 13, 13],
  [167, 47, 129], [169, 65, 300], [337, 97, 61], [64, 99, 45],
  // AVX-512 row-wise packing: op(A) = Aᵀ with m = 11·MR + 1 (pairs of panels, an odd one,
  // a 1-row remainder), B rows with n = 32 + 27 (a partial panel wider than one vector).
  [155, 59, 530], [43, 91, 9],
  // The AVX-512 KC boundary: k = 1000 is one slice, 1001 two of 501.
  [13, 33, 1000], [29, 65, 1001],
  // B read in place up to m = 3·MR (AVX-512: 42; AVX2: 18; ref: 12), packed past it; with k
  // over one KC slice too.
  [42, 200, 50], [43, 200, 50], [18, 70, 40], [19, 70, 40], [41, 100, 1001],
];

for (const isa of ISAS) {
  test(`sgemm · ${isa} · every transpose on tile, block and path edges`, (t) => {
    withIsa(isa, () => {
      for (const [m, n, k] of SHAPES) {
        const l: Logical = { m, n, k, a: randu(m * k, m * 131 + k), b: randu(k * n, n * 17 + k + 1) };
        const { c, mag } = product(l);
        for (const transA of [false, true]) {
          for (const transB of [false, true]) {
            check(t, run(l, transA, transB), c, mag, k, null, 'none', n, `m=${m} n=${n} k=${k} transA=${transA} transB=${transB}`);
          }
        }
      }
    });
  });

  test(`sgemm · ${isa} · bias and activation epilogues`, (t) => {
    withIsa(isa, () => {
      for (const [m, n, k] of [[23, 19, 31], [40, 10, 50], [9, 70, 300], [3, 5, 0]] as const) {
        const l: Logical = { m, n, k, a: randn(m * k, m + k), b: randn(k * n, n + k) };
        const bias = randn(n, 99);
        const { c, mag } = product(l);
        for (const act of ['none', 'relu', 'tanh', 'sigmoid', 'gelu'] as const) {
          for (const withBias of [false, true]) {
            for (const [ta, tb] of [[false, false], [true, false], [false, true]] as const) {
              const got = run(l, ta, tb, { bias: withBias ? bias : null, act });
              check(t, got, c, mag, k, withBias ? bias : null, act, n, `m=${m} n=${n} k=${k} act=${act} bias=${withBias} transA=${ta} transB=${tb}`);
            }
          }
        }
      }
    });
  });
}

test('sgemm · batched with per-operand strides, 0 broadcasting one operand, every transpose', (t) => {
  const batch = 3, m = 17, n = 33, k = 20;
  for (const isa of ISAS) {
    withIsa(isa, () => {
      for (const [sharedA, sharedB] of [[false, false], [true, false], [false, true]] as const) {
        const a = randu((sharedA ? 1 : batch) * m * k, 5), b = randu((sharedB ? 1 : batch) * k * n, 6);
        for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
          const out = new Float32Array(batch * m * n);
          // Operands sit after a 7-element prefix to exercise the offsets too; each entry
          // stored transposed (k×m, n×k) when its flag is set.
          const pa = new Float32Array(7 + a.length), pb = new Float32Array(7 + b.length);
          for (let s = 0; s < (sharedA ? 1 : batch); s++) pa.set(store(a.subarray(s * m * k, (s + 1) * m * k), m, k, ta), 7 + s * m * k);
          for (let s = 0; s < (sharedB ? 1 : batch); s++) pb.set(store(b.subarray(s * k * n, (s + 1) * k * n), k, n, tb), 7 + s * k * n);
          native.sgemm(pa, 7, sharedA ? 0 : m * k, ta, pb, 7, sharedB ? 0 : k * n, tb, out, batch, m, n, k, null, 0, 0);
          for (let s = 0; s < batch; s++) {
            const l: Logical = { m, n, k, a: a.subarray(sharedA ? 0 : s * m * k, (sharedA ? 0 : s * m * k) + m * k), b: b.subarray(sharedB ? 0 : s * k * n, (sharedB ? 0 : s * k * n) + k * n) };
            const { c, mag } = product(l);
            check(t, out.subarray(s * m * n, (s + 1) * m * n), c, mag, k, null, 'none', n, `${isa} batch entry ${s} sharedA=${sharedA} sharedB=${sharedB} transA=${ta} transB=${tb}`);
          }
        }
      }
    });
  }
});

test('sgemm · a batch that does not divide among the threads: the remainder runs on all of them', (t) => {
  // 3 products of 2·200·160·300 flops on 2 threads: two run one per thread, the third on both.
  const batch = 3, m = 200, n = 160, k = 300;
  const a = randu(batch * m * k, 10), b = randu(k * n, 11);
  const out = new Float32Array(batch * m * n);
  const before = native.getThreads();
  try {
    native.setThreads(2);
    native.sgemm(a, 0, m * k, false, b, 0, 0, false, out, batch, m, n, k, null, 0, 0);
  } finally {
    native.setThreads(before);
  }
  for (let s = 0; s < batch; s++) {
    const { c, mag } = product({ m, n, k, a: a.subarray(s * m * k, (s + 1) * m * k), b });
    check(t, out.subarray(s * m * n, (s + 1) * m * n), c, mag, k, null, 'none', n, `batch entry ${s}`);
  }
});

test('sgemm · many small products run one per task', (t) => {
  const batch = 64, m = 5, n = 6, k = 7;
  const a = randu(batch * m * k, 8), b = randu(batch * k * n, 9);
  const out = new Float32Array(batch * m * n);
  native.sgemm(a, 0, m * k, true, b, 0, k * n, true, out, batch, m, n, k, null, 0, 0);
  for (let s = 0; s < batch; s++) {
    const la = new Float32Array(m * k), lb = new Float32Array(k * n);
    for (let i = 0; i < m; i++) for (let p = 0; p < k; p++) la[i * k + p] = a[s * m * k + p * m + i]!;
    for (let p = 0; p < k; p++) for (let j = 0; j < n; j++) lb[p * n + j] = b[s * k * n + j * k + p]!;
    const { c, mag } = product({ m, n, k, a: la, b: lb });
    check(t, out.subarray(s * m * n, (s + 1) * m * n), c, mag, k, null, 'none', n, `batch entry ${s}`);
  }
});

// Probe check for products too big for an O(mnk) float64 oracle here:
// Σ_j |ĉ_ij − c_ij||t_j| ≤ k·u·(|A|·(|B|·|t|))_i.
function probe(t: ExecutionContext, m: number, n: number, k: number, transA: boolean, transB: boolean, what: string): Float32Array {
  const a = randn(m * k, m + 2 * k), b = randn(k * n, n + 3 * k), v = randn(n, 4);
  const out = new Float32Array(m * n);
  native.sgemm(store(a, m, k, transA), 0, 0, transA, store(b, k, n, transB), 0, 0, transB, out, 1, m, n, k, null, 0, 0);
  const bt = new Float64Array(k), bta = new Float64Array(k);
  for (let p = 0; p < k; p++) {
    for (let j = 0; j < n; j++) {
      bt[p]! += b[p * n + j]! * v[j]!;
      bta[p]! += Math.abs(b[p * n + j]! * v[j]!);
    }
  }
  let worst = 0;
  for (let i = 0; i < m; i++) {
    let ct = 0, abt = 0, bound = 0;
    for (let j = 0; j < n; j++) ct += out[i * n + j]! * v[j]!;
    for (let p = 0; p < k; p++) {
      abt += a[i * k + p]! * bt[p]!;
      bound += Math.abs(a[i * k + p]!) * bta[p]!;
    }
    worst = Math.max(worst, Math.abs(ct - abt) / (k * U * bound + 1e-12));
  }
  t.true(worst <= 1, `${what}: probe residual / bound = ${worst}`);
  return out;
}

const BIG: [number, number, number][] = [[777, 1029, 300], [1024, 10, 784], [10, 1024, 784], [2048, 256, 257], [600, 600, 600]];

test('sgemm · probe checks on large products, all transposes', (t) => {
  for (const [m, n, k] of BIG) {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) probe(t, m, n, k, transA, transB, `m=${m} n=${n} k=${k} transA=${transA} transB=${transB}`);
    }
  }
});

test('sgemm · one and two threads agree', (t) => {
  const before = native.getThreads();
  try {
    // On 2 threads, 600³, 300×257×1000, 300×257×2100 and 155×59×1100 take the shared-B path
    // (≥ 4 row blocks; on AVX-512 the last two in 3 and 2 KC slices, on AVX2 every one in
    // several; B chunks that end inside a panel); 1024×10×784 the dot path.
    for (const [m, n, k] of [[600, 600, 600], [1024, 10, 784], [300, 257, 1000], [300, 257, 2100], [155, 59, 1100]] as const) {
      for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
        native.setThreads(1);
        const one = probe(t, m, n, k, ta, tb, `1 thread m=${m} n=${n} k=${k}`);
        native.setThreads(2);
        const two = probe(t, m, n, k, ta, tb, `2 threads m=${m} n=${n} k=${k}`);
        // Threads split rows and columns, never k, so each element sums in the same order.
        let diff = 0;
        for (let i = 0; i < one.length; i++) diff = Math.max(diff, Math.abs(one[i]! - two[i]!));
        t.is(diff, 0, `m=${m} n=${n} k=${k}: max |1-thread − 2-thread| = ${diff}`);
      }
    }
  } finally {
    native.setThreads(before);
  }
});

test('sgemm · two threads: bias and activation epilogues on the shared-B path match one thread and the oracle', (t) => {
  // 170 rows on 2 threads: MC = 56, so 4 row blocks (the last 2 rows, a 2-row micro-tile);
  // k = 1100 in 2 KC slices on AVX-512 (the epilogue runs after the last); n = 45, 2 panels,
  // the second partial.
  const m = 170, n = 45, k = 1100;
  const l: Logical = { m, n, k, a: randn(m * k, 21), b: randn(k * n, 22) };
  const bias = randn(n, 23);
  const { c, mag } = product(l);
  const before = native.getThreads();
  try {
    for (const act of ['relu', 'gelu'] as const) {
      for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
        native.setThreads(1);
        const one = run(l, ta, tb, { bias, act });
        native.setThreads(2);
        const two = run(l, ta, tb, { bias, act });
        const what = `act=${act} transA=${ta} transB=${tb}`;
        check(t, two, c, mag, k, bias, act, n, what);
        let diff = 0;
        for (let i = 0; i < one.length; i++) diff = Math.max(diff, Math.abs(one[i]! - two[i]!));
        t.is(diff, 0, `${what}: max |1-thread − 2-thread| = ${diff}`);
      }
    }
  } finally {
    native.setThreads(before);
  }
});
