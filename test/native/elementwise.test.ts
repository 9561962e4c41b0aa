// The cpu backend's non-GEMM ops against the reference backend, on every instruction set
// this CPU has: unary and binary ops (special values included), broadcasting and strided
// views, where, copyInto, cast, fill, reductions, softmax, gather and scatter-add, at sizes
// around the vector widths and above the threading thresholds.
//
// Bounds. Ops that are one correctly rounded float32 operation (+ − × ÷ √, comparisons,
// max/min, rounding, sign, relu) must match bit for bit: the reference rounds the exact
// float64 result once, which for these equals the float32 operation. Library functions are
// evaluated in float64 by both sides (V8's, libmvec's or glibc's, each within a few float64
// ulps) and rounded once, so they may differ by 1 float32 ulp (2u|y|) where the exact value
// sits near a rounding boundary; gelu and gelugrad add the reference erf's absolute error
// (≤ e^{x²}·2^-53 ≈ 1e-12 for |x/√2| < 3, its own note) times |x|/2. Float64-accumulated sums
// get 1 ulp plus n·2^-52·Σ|x| for the two float64 summation orders.

import test from 'ava';
import type { ExecutionContext } from 'ava';
import { cpuOps } from '../../src/backend/cpu/index.js';
import { loadNative } from '../../src/backend/cpu/load.js';
import type { Isa } from '../../src/backend/cpu/native.js';
import { HostStorage } from '../../src/backend/host.js';
import { BINARY, REDUCE, UNARY } from '../../src/backend/ops.js';
import type { BinaryOp, Contig, HostArray, ReduceOp, Storage, Strided, UnaryOp } from '../../src/backend/ops.js';
import { referenceOps } from '../../src/backend/reference/index.js';
import { assertClose } from '../helpers/close.js';
import type { Bound } from '../helpers/close.js';
import { randn, randu } from '../helpers/gen.js';

const native = loadNative();
const ISAS = native.cpuInfo().isas;
const BEST = native.cpuInfo().isa;
const U = 2 ** -24;

function withIsa(isa: Isa, f: () => void): void {
  native.setIsa(isa);
  try {
    f();
  } finally {
    native.setIsa(BEST);
  }
}

const data = (s: Storage): HostArray => (s as HostStorage).data;
const contig = (x: HostArray, offset = 0): Contig => ({ s: new HostStorage(x), offset });
const contiguousStrides = (shape: readonly number[]): number[] => {
  const st = new Array<number>(shape.length).fill(1);
  for (let d = shape.length - 2; d >= 0; d--) st[d] = st[d + 1]! * shape[d + 1]!;
  return st;
};
const view = (x: HostArray, shape: number[], strides = contiguousStrides(shape), offset = 0): Strided => ({ s: new HostStorage(x), offset, shape, strides });

const exact: Bound = () => 0;
const ulp1 = (want: ArrayLike<number>): Bound => (i) => 2 * U * Math.abs(want[i]!);

const SPECIAL = [0, -0, 1, -1, 0.5, -0.5, 1e-30, -1e-30, 1e-8, 88, 89, -103, -110, 1e30, -1e30, Infinity, -Infinity, NaN, 3.5, -3.5, 20, -20];

/** Inputs for unary ops: specials, then normal and wide uniform values, `n` in all. */
function unaryInput(n: number, seed: number): Float32Array {
  const x = new Float32Array(n);
  const r = randn(n, seed), w = randu(n, seed + 1, -30, 30);
  for (let i = 0; i < n; i++) x[i] = i < SPECIAL.length ? SPECIAL[i]! : i % 3 === 0 ? w[i]! : 2 * r[i]!;
  return x;
}

const EXACT_UNARY = new Set<UnaryOp>(['neg', 'abs', 'sqrt', 'rsqrt', 'square', 'reciprocal', 'relu', 'sign', 'step', 'floor', 'ceil']);

function unaryBound(op: UnaryOp, x: Float32Array, want: ArrayLike<number>): Bound {
  if (EXACT_UNARY.has(op)) return exact;
  if (op === 'gelu' || op === 'gelugrad') return (i) => 2 * U * Math.abs(want[i]!) + 0.5e-12 * Math.max(1, Math.abs(x[i]!));
  return ulp1(want);
}

for (const isa of ISAS) {
  test(`elementwise · ${isa} · every unary op, special values, sizes around the vector widths`, (t) => {
    withIsa(isa, () => {
      for (const n of [0, 1, 7, 16, 17, 33, 257, 5000]) {
        const x = unaryInput(n + 3, n);
        for (const op of Object.keys(UNARY) as UnaryOp[]) {
          const want = data(referenceOps.unary(op, contig(x, 3), n));
          const got = data(cpuOps.unary(op, contig(x, 3), n));
          // The reference's erf gives NaN at ±∞ (so gelu/gelugrad do); cpu returns the limits, checked below.
          if (op === 'gelu' || op === 'gelugrad') {
            for (let i = 0; i < n; i++) if (Math.abs(x[3 + i]!) === Infinity) want[i] = got[i]!;
          }
          assertClose(t, got, want, unaryBound(op, x.subarray(3), want), `${op} n=${n}`);
        }
      }
    });
  });

  test(`elementwise · ${isa} · gelu and gelugrad take their limits at ±∞`, (t) => {
    withIsa(isa, () => {
      const x = Float32Array.from([Infinity, -Infinity, NaN]);
      t.deepEqual(Array.from(data(cpuOps.unary('gelu', contig(x), 3))), [Infinity, -0, NaN]);
      t.deepEqual(Array.from(data(cpuOps.unary('gelugrad', contig(x), 3))), [1, 0, NaN]);
    });
  });

  test(`elementwise · ${isa} · every binary op with broadcasting and strided views`, (t) => {
    withIsa(isa, () => {
      const cases: { shape: number[]; a: [number[], number[]]; b: [number[], number[]] }[] = [
        { shape: [37], a: [[37], [1]], b: [[37], [1]] },
        { shape: [5, 33], a: [[5, 33], [33, 1]], b: [[5, 33], [0, 1]] },
        { shape: [5, 33], a: [[5, 33], [1, 5]], b: [[5, 33], [1, 0]] },
        { shape: [3, 4, 17], a: [[3, 4, 17], [0, 17, 1]], b: [[3, 4, 17], [68, 1, 4]] },
        { shape: [2, 3, 2, 2, 3, 2, 2, 3], a: [[], []], b: [[], []] },
        { shape: [], a: [[], []], b: [[], []] },
        { shape: [4, 0, 3], a: [[4, 0, 3], [0, 3, 1]], b: [[4, 0, 3], [0, 3, 1]] },
        { shape: [300, 301], a: [[300, 301], [301, 1]], b: [[300, 301], [1, 300]] },
      ];
      for (const c of cases) {
        const stA = c.a[1].length ? c.a[1] : contiguousStrides(c.shape);
        const stB = c.b[1].length ? c.b[1] : c.shape.map(() => 0);
        const span = (st: number[]) => 1 + c.shape.reduce((s, d, i) => s + (d > 0 ? (d - 1) * st[i]! : 0), 0);
        const xa = unaryInput(span(stA) + 2, 11), xb = unaryInput(span(stB) + 1, 12).reverse();
        for (const op of Object.keys(BINARY) as BinaryOp[]) {
          const va = view(xa, c.shape, stA, 2), vb = view(xb, c.shape, stB, 1);
          const want = data(referenceOps.binary(op, va, vb, c.shape));
          const got = data(cpuOps.binary(op, va, vb, c.shape));
          assertClose(t, got, want, op === 'pow' || op === 'atan2' ? ulp1(want) : exact, `${op} shape=[${c.shape}]`);
        }
      }
    });
  });

  test(`elementwise · ${isa} · where, copyInto, cast and fill`, (t) => {
    withIsa(isa, () => {
      const shape = [6, 35];
      const cond = randu(6 * 35, 21).map((v) => (v > 0 ? 1 : v < -0.5 ? NaN : 0));
      const a = randn(35, 22), b = randn(6 * 35, 23);
      const args = [view(cond, shape), view(a, shape, [0, 1]), view(b, shape, [1, 6])] as const;
      assertClose(t, data(cpuOps.where(...args, shape)), data(referenceOps.where(...args, shape)), exact, 'where');

      for (const make of [(n: number) => randn(n, 24), (n: number) => new Float64Array(randn(n, 25)), (n: number) => Int32Array.from(randu(n, 26, -1e6, 1e6))]) {
        const src = make(4 * 5 * 37);
        const dstA = make(5 * 4 * 37 + 3), dstB = dstA.slice();
        const s = view(src, [4, 5, 37], [37, 4 * 37, 1]);
        referenceOps.copyInto(s, view(dstA, [4, 5, 37], [37, 148, 1], 3));
        cpuOps.copyInto(s, view(dstB, [4, 5, 37], [37, 148, 1], 3));
        assertClose(t, dstB, dstA, exact, `copyInto ${src.constructor.name}`);
      }

      const wide = Float64Array.from([...SPECIAL, 2 ** 31, -(2 ** 31) - 1, 2 ** 32 + 5, -(2 ** 40) - 7, 1e20, 1.5, -1.5, 2.5, -2.999, 16777217, ...randu(100, 27, -3e9, 3e9)]);
      const sources: HostArray[] = [new Float32Array(wide), wide, Int32Array.from(randu(90, 28, -2e9, 2e9))];
      for (const x of sources) {
        for (const dtype of ['float32', 'float64', 'int32'] as const) {
          const want = data(referenceOps.cast(contig(x, 2), x.length - 2, dtype));
          const got = data(cpuOps.cast(contig(x, 2), x.length - 2, dtype));
          t.is(got.constructor, want.constructor, `cast ${x.constructor.name} → ${dtype}: type`);
          assertClose(t, got, want, exact, `cast ${x.constructor.name} → ${dtype}`);
        }
      }

      for (const value of [0, -0, 1.5, NaN, -Infinity]) {
        for (const n of [0, 5, 100_000]) assertClose(t, data(cpuOps.fill(n, value, 'float32')), data(referenceOps.fill(n, value, 'float32')), exact, `fill ${value} n=${n}`);
      }
    });
  });

  test(`elementwise · ${isa} · reductions over [outer, n, inner], NaN and empty axes`, (t) => {
    withIsa(isa, () => {
      const shapes: [number, number, number][] = [
        [1, 0, 1], [3, 0, 4], [1, 1, 1], [1, 17, 1], [1, 100_003, 1], [5, 33, 1], [1, 33, 5], [4, 7, 17],
        [2, 3000, 40], [1, 40_000, 3], [3, 5, 2000], [1, 2, 70_000],
      ];
      for (const [outer, n, inner] of shapes) {
        const x = randn(outer * n * inner + 1, outer * 7 + n + inner);
        const withNaN = x.slice();
        if (withNaN.length > 4) { withNaN[3] = NaN; withNaN[withNaN.length - 2] = NaN; }
        for (const src of [x, withNaN]) {
          for (const op of Object.keys(REDUCE) as ReduceOp[]) {
            const want = data(referenceOps.reduce(op, contig(src, 1), outer, n, inner));
            const got = data(cpuOps.reduce(op, contig(src, 1), outer, n, inner));
            let bound: Bound = exact;
            if (op === 'sum' || op === 'sumsq') {
              const abs = data(referenceOps.reduce(op === 'sum' ? 'sum' : 'sumsq', contig(src.map(Math.abs), 1), outer, n, inner));
              bound = (i) => 2 * U * Math.abs(want[i]!) + n * 2 ** -52 * abs[i]!;
            }
            assertClose(t, got, want, bound, `${op} [${outer}, ${n}, ${inner}]${src === withNaN ? ' with NaN' : ''}`);
          }
        }
      }
    });
  });

  test(`elementwise · ${isa} · softmax and log-softmax rows`, (t) => {
    withIsa(isa, () => {
      for (const [rows, cols] of [[1, 1], [3, 10], [7, 33], [2000, 10], [2, 5000], [0, 4], [4, 0]] as const) {
        const x = randn(rows * cols + 2, rows + cols).map((v) => 8 * v);
        if (rows * cols > 20) { x[5] = -Infinity; x[9] = 80; }
        for (const log of [false, true]) {
          const want = data(referenceOps.softmax(contig(x, 2), rows, cols, log));
          const got = data(cpuOps.softmax(contig(x, 2), rows, cols, log));
          // Both sides: float64 exp (a few float64 ulps), a float64 sum of cols terms, one rounding.
          assertClose(t, got, want, (i) => 2 * U * Math.abs(want[i]!) + (cols + 8) * 2 ** -50 * (log ? 64 : Math.abs(want[i]!)), `softmax rows=${rows} cols=${cols} log=${log}`);
        }
      }
      const special = Float32Array.from([1, NaN, 2, -Infinity, -Infinity, -Infinity, Infinity, 0, 1]);
      for (const log of [false, true]) {
        assertClose(t, data(cpuOps.softmax(contig(special), 3, 3, log)), data(referenceOps.softmax(contig(special), 3, 3, log)), exact, `softmax special rows log=${log}`);
      }
    });
  });
}

test('elementwise · gather and scatterAdd with repeated indices', (t) => {
  for (const [outer, n, inner, m] of [[1, 10, 1, 25], [3, 7, 5, 9], [2, 50, 300, 64], [1, 4, 1000, 12], [4, 1, 3, 0]] as const) {
    const x = randn(outer * n * inner + 1, n + m);
    const idx = Int32Array.from({ length: m + 2 }, (_, j) => (j * 7 + 3) % n);
    const want = data(referenceOps.gather(contig(x, 1), outer, n, inner, contig(idx, 2), m));
    const got = data(cpuOps.gather(contig(x, 1), outer, n, inner, contig(idx, 2), m));
    assertClose(t, got, want, exact, `gather [${outer}, ${n}, ${inner}] m=${m}`);
    const src = randn(outer * m * inner + 1, 3 * m);
    const sw = data(referenceOps.scatterAdd(contig(src, 1), outer, m, inner, contig(idx, 2), n));
    const sg = data(cpuOps.scatterAdd(contig(src, 1), outer, m, inner, contig(idx, 2), n));
    // Both add repeated rows into float32 in index order, rounding each step the same way.
    assertClose(t, sg, sw, exact, `scatterAdd [${outer}, ${m}, ${inner}] n=${n}`);
  }
  const bad = Int32Array.from([0, 5, 2]);
  t.throws(() => cpuOps.gather(contig(randn(10, 1)), 1, 5, 2, contig(bad), 3), { instanceOf: RangeError, message: "gather: expected indices in [0, 4] for 'indices' but received 5 at position 1" });
  t.throws(() => cpuOps.scatterAdd(contig(randn(6, 1)), 1, 3, 2, contig(bad), 5), { instanceOf: RangeError, message: "scatterAdd: expected indices in [0, 4] for 'indices' but received 5 at position 1" });
});

test('elementwise · one and two threads agree above the threading thresholds', (t) => {
  const before = native.getThreads();
  const x = randn(300_001, 77);
  const run = () => [
    data(cpuOps.unary('tanh', contig(x), x.length)),
    data(cpuOps.binary('mul', view(x, [300, 1000]), view(x, [300, 1000], [1000, 1], 1), [300, 1000])),
    data(cpuOps.reduce('sum', contig(x), 1, 300_000, 1)),
    data(cpuOps.reduce('argmax', contig(x), 3, 100_000, 1)),
    data(cpuOps.reduce('max', contig(x), 1, 3, 100_000)),
    data(cpuOps.softmax(contig(x), 3000, 100, true)),
  ];
  try {
    native.setThreads(1);
    const one = run();
    native.setThreads(2);
    const two = run();
    one.forEach((o, k) => {
      // Only the one-axis sum splits its axis over threads: partial float64 sums, added in order.
      const bound: Bound = k === 2 ? () => 300_000 * 2 ** -52 * 300_000 * 4 + 2 * U * Math.abs(o[0]!) : exact;
      assertClose(t, two[k]!, o, bound, `kernel ${k}`);
    });
  } finally {
    native.setThreads(before);
  }
});

test('elementwise · the cpu backend keeps other dtypes on the reference path', (t: ExecutionContext) => {
  const x = new Float64Array([1, -2, 3.5]);
  t.deepEqual(Array.from(data(cpuOps.unary('exp', contig(x), 3))), Array.from(data(referenceOps.unary('exp', contig(x), 3))));
  t.is(data(cpuOps.reduce('sum', contig(x), 1, 3, 1)).constructor, Float64Array);
  const i = new Int32Array([4, -1, 9]);
  t.deepEqual(Array.from(data(cpuOps.reduce('argmax', contig(i), 1, 3, 1))), [2]);
});
