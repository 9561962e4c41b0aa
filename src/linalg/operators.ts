// Linear operators as the spectrum algorithms see them, plain symmetric matrices as
// operators, and test matrices with known spectra.
//
// Contract of an operator: `op(V)` takes a block V of shape [n, b] (b vectors as columns,
// float32 or float64, on any backend) and returns A·V of the same shape, dtype and
// backend, where A is a fixed symmetric n×n matrix. It may return a Promise. The caller
// owns and disposes both V and the result; an operator must not keep or dispose V.
// The Lanczos code passes V as a transposed view of a contiguous [b, n] block (strides
// [1, n]); operators that work on rows can take transpose(V) for free, and returning the
// transpose of a contiguous [b, n] result saves the caller a copy.

import type { DType } from '../dtype.js';
import { rangeError, typeError } from '../errors.js';
import type { Backend, BackendName } from '../backend/ops.js';
import { tensor } from '../ops/creation.js';
import { matmul } from '../ops/matmul.js';
import { Tensor } from '../tensor.js';
import { randomOrthogonal } from './dense.js';

export type Operator = (V: Tensor) => Tensor | Promise<Tensor>;

/**
 * An operator that knows its order n, like the curvature operators (hessianOperator,
 * ggnOperator): the spectrum functions take it without the size, e.g. `eigsh(H, { k: 5 })`.
 */
export interface SizedOperator {
  readonly size: number;
  readonly apply: (V: Tensor) => Tensor | Promise<Tensor>;
}

/** What the spectrum functions accept: a function with its size given apart, or a sized operator. */
export type OperatorLike = Operator | SizedOperator;

/**
 * Normalises the two call forms of a spectrum function, `fn(op, n, opts)` with a function and
 * `fn(op, opts)` with a SizedOperator (whose size a given n must then equal).
 */
export function operatorCall<O extends object>(fn: string, op: OperatorLike, nOrOpts: number | O | undefined, opts: O | undefined): { op: Operator; n: number; opts: O } {
  if (typeof op === 'function') {
    if (typeof nOrOpts !== 'number') throw typeError(fn, 'n', "the operator's order (an integer; an operator object { size, apply } carries its own)", nOrOpts);
    return { op, n: nOrOpts, opts: opts ?? ({} as O) };
  }
  if (op !== null && typeof op === 'object' && typeof op.apply === 'function' && typeof op.size === 'number') {
    const apply = (v: Tensor) => op.apply(v);
    if (typeof nOrOpts === 'number') {
      if (nOrOpts !== op.size) throw rangeError(fn, 'n', `the operator's own size ${op.size} (or no n at all)`, nOrOpts);
      return { op: apply, n: op.size, opts: opts ?? ({} as O) };
    }
    return { op: apply, n: op.size, opts: nOrOpts ?? opts ?? ({} as O) };
  }
  throw typeError(fn, 'op', 'a function V => A·V or an operator object { size, apply }', op);
}

/** The operator V ↦ A·V of a symmetric matrix A [n, n] (symmetry is the caller's promise). */
export function matrixOperator(a: Tensor): Operator {
  if (!(a instanceof Tensor)) throw typeError('matrixOperator', 'a', 'a Tensor', a);
  if (a.rank !== 2 || a.shape[0] !== a.shape[1]) {
    throw rangeError('matrixOperator', 'a', 'a square matrix [n, n]', `shape [${a.shape.join(', ')}]`);
  }
  if (a.dtype === 'int32') throw typeError('matrixOperator', 'a', 'a float32 or float64 tensor', 'int32');
  return (v: Tensor) => matmul(a, v);
}

/** Wraps an operator to count the matrix-vector products it performs (columns of each block). */
export function countingOperator(op: Operator): { op: Operator; readonly matvecs: number; readonly calls: number } {
  const counter = {
    matvecs: 0,
    calls: 0,
    op: (v: Tensor) => {
      counter.matvecs += v.shape[1] ?? 1;
      counter.calls++;
      return op(v);
    },
  };
  return counter;
}

/** Checks an operator's output against its input block. */
export function checkOperatorResult(fn: string, v: Tensor, out: unknown): Tensor {
  if (!(out instanceof Tensor)) throw typeError(fn, 'op(V)', 'a Tensor', out);
  if (out.rank !== 2 || out.shape[0] !== v.shape[0] || out.shape[1] !== v.shape[1]) {
    throw rangeError(fn, 'op(V)', `a tensor of shape [${v.shape.join(', ')}]`, `shape [${out.shape.join(', ')}]`);
  }
  if (out.dtype !== v.dtype) throw typeError(fn, 'op(V)', `a ${v.dtype} tensor`, `a ${out.dtype} tensor`);
  if (out.backend !== v.backend) throw typeError(fn, 'op(V)', `a tensor on the '${v.backend.name}' backend`, `one on '${out.backend.name}'`);
  return out;
}

export interface TestMatrix {
  /** A = Q·diag(λ)·Qᵀ as a tensor. */
  matrix: Tensor;
  /** Its eigenvalues, descending. */
  eigenvalues: Float64Array;
  /** A in float64, row-major, on the host (the oracle). */
  dense: Float64Array;
  /** Q (n×n row-major, column i ↔ the i-th value given to symmetricWithSpectrum). */
  eigenvectors: Float64Array;
  op: Operator;
}

export interface TestMatrixOptions {
  seed: number;
  dtype?: DType;
  backend?: Backend | BackendName;
}

/**
 * A dense symmetric matrix with the given eigenvalues: Q·diag(λ)·Qᵀ with Q Haar-random
 * (seeded), assembled in float64 and rounded once to `dtype`.
 */
export function symmetricWithSpectrum(eigenvalues: ArrayLike<number>, opts: TestMatrixOptions): TestMatrix {
  const n = eigenvalues.length;
  if (n < 1) throw rangeError('symmetricWithSpectrum', 'eigenvalues', 'at least one eigenvalue', eigenvalues);
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(eigenvalues[i])) throw rangeError('symmetricWithSpectrum', 'eigenvalues', 'finite numbers', eigenvalues[i]);
  }
  const q = randomOrthogonal(n, opts.seed, 7);
  const dense = new Float64Array(n * n);
  const row = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) row[k] = q[i * n + k]! * eigenvalues[k]!;
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += row[k]! * q[j * n + k]!;
      dense[i * n + j] = s;
      dense[j * n + i] = s;
    }
  }
  const matrix = tensor(dense, [n, n], { dtype: opts.dtype ?? 'float64', ...(opts.backend ? { backend: opts.backend } : {}) });
  const sorted = Float64Array.from(eigenvalues).sort().reverse();
  return { matrix, eigenvalues: sorted, dense, eigenvectors: q, op: matrixOperator(matrix) };
}

/** `count` evenly spaced values from `lo` to `hi` inclusive. */
function linspace(lo: number, hi: number, count: number): number[] {
  if (count === 1) return [lo];
  return Array.from({ length: count }, (_, i) => lo + ((hi - lo) * i) / (count - 1));
}

/**
 * Spectra with known structure for tests and benchmarks (each returns n values).
 * - wellSeparated: top five 100, 90, …, 60 above a bulk evenly spread on [0, 10].
 * - clustered: top five within relative gaps of 1e-3 (10, 9.99, …) above a bulk on [0, 5].
 * - repeated: three simple values 10, 9, 8, then 47 distinct bulk values on [0, 5], each
 *   repeated (n − 3)/47 times (rounded; the last absorbs the rest).
 * - indefinite: five values from 20 down to 12, five from −25 up to −13, bulk on [−2, 2].
 * - decaying: λ_i = 1/(i+1)² (positive definite, fast decay: where Hutch++ shines).
 */
export const testSpectra = {
  wellSeparated(n: number): Float64Array {
    return Float64Array.from([100, 90, 80, 70, 60, ...linspace(0, 10, n - 5)]);
  },
  clustered(n: number): Float64Array {
    return Float64Array.from([10, 9.99, 9.98, 9.97, 9.96, ...linspace(0, 5, n - 5)]);
  },
  repeated(n: number): Float64Array {
    const distinct = linspace(0, 5, 47);
    const out = [10, 9, 8];
    const each = Math.floor((n - 3) / 47);
    for (let i = 0; i < 47; i++) {
      const count = i === 46 ? n - 3 - each * 46 : each;
      for (let c = 0; c < count; c++) out.push(distinct[i]!);
    }
    return Float64Array.from(out);
  },
  indefinite(n: number): Float64Array {
    return Float64Array.from([20, 18, 16, 14, 12, -25, -22, -19, -16, -13, ...linspace(-2, 2, n - 10)]);
  },
  decaying(n: number): Float64Array {
    return Float64Array.from({ length: n }, (_, i) => 1 / (i + 1) ** 2);
  },
};
