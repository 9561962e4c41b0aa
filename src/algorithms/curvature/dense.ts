// Dense curvature matrices of small models, assembled from operator products, and their
// eigenvalues in float64: the oracle for the Lanczos / SLQ path.
//
// Assembly. A symmetric operator V ↦ M·V applied to the identity, `block` columns at a time,
// gives M column by column; the result is symmetrised as (M + Mᵀ)/2 (products computed in
// float32 are symmetric only to rounding).
//
// Eigenvalues. Householder reduction to tridiagonal form using only the lower triangle
// (4n³/3 flops, Golub & Van Loan, Matrix Computations, 4th ed., §8.3.1), then all eigenvalues
// of the tridiagonal matrix by Sturm-sequence bisection (§8.4.1), which cannot fail to
// converge and is accurate to a few units of roundoff times ‖T‖. No eigenvectors: the
// experiments need spectra of up to a few thousand parameters, where the vectors would cost
// three times as much.

import { tensor, Tensor } from '../../engine.js';
import type { Backend, BackendName, CurvatureOperator, Operator } from '../../engine.js';

export interface DenseOptions {
  /** Element type of the identity blocks and products (default float64). */
  dtype?: 'float32' | 'float64';
  /** Backend of the identity blocks (default: the default backend). */
  backend?: Backend | BackendName;
  /** Columns per product (default 64). */
  block?: number;
}

/**
 * The n×n matrix of a symmetric operator, row-major float64, symmetrised as (M + Mᵀ)/2.
 * `op` is an `Operator` (V [n, b] ↦ M·V) or a `CurvatureOperator` (its `apply` is used).
 * @example
 * const H = modelHessian(net, softmaxCrossEntropy, params, { x, y });
 * const m = denseMatrix(H, H.size, { dtype: 'float64' });
 */
export async function denseMatrix(op: Operator | CurvatureOperator, n: number, opts: DenseOptions = {}): Promise<Float64Array> {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`denseMatrix: expected a positive integer for 'n' but received ${n}`);
  const apply: Operator = typeof op === 'function' ? op : op && typeof op.apply === 'function' ? op.apply : (() => {
    throw new TypeError(`denseMatrix: expected an operator function or a CurvatureOperator for 'op' but received ${typeof op}`);
  })();
  const block = opts.block ?? 64;
  if (!Number.isInteger(block) || block < 1) throw new RangeError(`denseMatrix: expected a positive integer for 'opts.block' but received ${block}`);
  const dtype = opts.dtype ?? 'float64';
  const m = new Float64Array(n * n);
  for (let j = 0; j < n; j += block) {
    const b = Math.min(block, n - j);
    const e = dtype === 'float64' ? new Float64Array(n * b) : new Float32Array(n * b);
    for (let c = 0; c < b; c++) e[(j + c) * b + c] = 1;
    const v = tensor(e, [n, b], { dtype, ...(opts.backend ? { backend: opts.backend } : {}) });
    const out = await apply(v);
    if (!(out instanceof Tensor) || out.shape[0] !== n || out.shape[1] !== b) {
      v.dispose();
      throw new RangeError(`denseMatrix: expected op(V) of shape [${n}, ${b}] but received ${out instanceof Tensor ? `[${out.shape.join(', ')}]` : typeof out}`);
    }
    const r = await out.data();
    v.dispose();
    out.dispose();
    for (let row = 0; row < n; row++) {
      const base = row * n + j;
      for (let c = 0; c < b; c++) m[base + c] = r[row * b + c]!;
    }
  }
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      const s = 0.5 * (m[i * n + j]! + m[j * n + i]!);
      m[i * n + j] = s;
      m[j * n + i] = s;
    }
  }
  return m;
}

/**
 * Householder tridiagonalisation of a symmetric matrix (lower triangle read): the diagonal
 * and off-diagonal of T = QᵀAQ. The input is not modified.
 */
export function tridiagonalize(a: Float64Array, n: number): { diag: Float64Array; off: Float64Array } {
  if (!(a instanceof Float64Array) || a.length !== n * n) {
    throw new RangeError(`tridiagonalize: expected a Float64Array of ${n}×${n} = ${n * n} values for 'a' but received ${a?.length}`);
  }
  const m = Float64Array.from(a);
  const v = new Float64Array(n), p = new Float64Array(n);
  const diag = new Float64Array(n), off = new Float64Array(Math.max(0, n - 1));
  for (let k = 0; k < n - 2; k++) {
    const s = k + 1, len = n - s;
    let norm2 = 0;
    for (let i = 0; i < len; i++) {
      const x = m[(s + i) * n + k]!;
      v[i] = x;
      norm2 += x * x;
    }
    const norm = Math.sqrt(norm2);
    if (norm === 0) { off[k] = 0; continue; }
    const alpha = v[0]! >= 0 ? -norm : norm;
    v[0]! -= alpha;
    const vv = norm2 - 2 * alpha * (v[0]! + alpha) + alpha * alpha; // ‖v‖² with v0 replaced
    off[k] = alpha;
    if (vv === 0) continue;
    const tau = 2 / vv;
    // p = τ A22 v from the lower triangle: row i contributes a_ij v_j to p_i and a_ij v_i to p_j.
    p.fill(0, 0, len);
    for (let i = 0; i < len; i++) {
      const row = (s + i) * n + s;
      const vi = v[i]!;
      let acc = 0;
      for (let j = 0; j < i; j++) {
        const aij = m[row + j]!;
        acc += aij * v[j]!;
        p[j]! += aij * vi;
      }
      p[i]! += acc + m[row + i]! * vi;
    }
    let pv = 0;
    for (let i = 0; i < len; i++) { p[i]! *= tau; pv += p[i]! * v[i]!; }
    const half = 0.5 * tau * pv;
    for (let i = 0; i < len; i++) p[i]! -= half * v[i]!; // p is now w
    for (let i = 0; i < len; i++) {
      const row = (s + i) * n + s;
      const vi = v[i]!, wi = p[i]!;
      for (let j = 0; j <= i; j++) m[row + j]! -= vi * p[j]! + wi * v[j]!;
    }
  }
  for (let i = 0; i < n; i++) diag[i] = m[i * n + i]!;
  if (n >= 2) off[n - 2] = m[(n - 1) * n + n - 2]!;
  return { diag, off };
}

/** Number of eigenvalues of the tridiagonal (diag, off) below x (Sturm count, LDLᵀ pivots). */
function sturmCount(diag: Float64Array, off2: Float64Array, x: number, tiny: number): number {
  let count = 0, q = 1;
  for (let i = 0; i < diag.length; i++) {
    q = diag[i]! - x - (i > 0 ? off2[i - 1]! / q : 0);
    if (q === 0) q = -tiny;
    if (q < 0) count++;
  }
  return count;
}

/**
 * All eigenvalues (ascending) of a symmetric tridiagonal matrix by bisection on Sturm
 * counts; each is located to within 4u·‖T‖ (absolute).
 */
export function tridiagEigenvalues(diag: Float64Array, off: Float64Array): Float64Array {
  const n = diag.length;
  if (off.length !== Math.max(0, n - 1)) throw new RangeError(`tridiagEigenvalues: expected ${Math.max(0, n - 1)} values for 'off' but received ${off.length}`);
  if (n === 0) return new Float64Array(0);
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < n; i++) {
    const r = (i > 0 ? Math.abs(off[i - 1]!) : 0) + (i < n - 1 ? Math.abs(off[i]!) : 0);
    lo = Math.min(lo, diag[i]! - r);
    hi = Math.max(hi, diag[i]! + r);
  }
  const scale = Math.max(Math.abs(lo), Math.abs(hi), Number.MIN_VALUE);
  const tol = 4 * Number.EPSILON * scale;
  const tiny = Number.EPSILON * scale * 1e-3 + Number.MIN_VALUE;
  lo -= tol; hi += tol;
  const off2 = Float64Array.from(off, (b) => b * b);
  const out = new Float64Array(n);
  // Eigenvalue i (0-based) is where the count crosses i + 1. Each search reuses the
  // interval left by the previous eigenvalue.
  let left = lo;
  for (let i = 0; i < n; i++) {
    let a = left, b = hi;
    while (b - a > tol) {
      const mid = 0.5 * (a + b);
      if (mid <= a || mid >= b) break;
      if (sturmCount(diag, off2, mid, tiny) > i) b = mid;
      else a = mid;
    }
    out[i] = 0.5 * (a + b);
    left = a;
  }
  return out;
}

/**
 * All eigenvalues (ascending) of a symmetric n×n matrix, float64: Householder
 * tridiagonalisation then bisection (see the file header).
 * @example
 * const values = symEigenvalues(denseHessian, n); // values[n − 1] = λ_max
 */
export function symEigenvalues(a: Float64Array, n: number): Float64Array {
  const { diag, off } = tridiagonalize(a, n);
  return tridiagEigenvalues(diag, off);
}
