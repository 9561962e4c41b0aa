// Small dense linear algebra in float64 on the host: Householder QR, the symmetric
// eigensolver (Householder tridiagonalisation + implicit QL; with or without vectors) and
// orthonormalisation of a few columns through their Gram matrix. These serve the spectrum
// algorithms' projected problems, dense curvature matrices of small models (n in the
// thousands: the oracle for Lanczos) and the construction of test matrices; all matrices are
// row-major Float64Arrays.

import { rangeError, typeError } from '../errors.js';
import { normal } from '../random.js';
import { tridiagEigReference } from './tridiag.js';

function checkSquare(fn: string, arg: string, a: unknown, n: number): Float64Array {
  if (!(a instanceof Float64Array)) throw typeError(fn, arg, 'a Float64Array', a);
  if (a.length !== n * n) throw rangeError(fn, arg, `a Float64Array of length ${n * n} (${n}×${n})`, a);
  return a;
}

/**
 * Q with orthonormal columns from the Householder QR of a (rows×cols, rows ≥ cols), signs
 * chosen so that R has a non-negative diagonal (then Q of a Gaussian matrix is Haar-distributed).
 */
export function householderQ(a: Float64Array, rows: number, cols: number): Float64Array {
  if (!(a instanceof Float64Array)) throw typeError('householderQ', 'a', 'a Float64Array', a);
  if (cols > rows) throw rangeError('householderQ', 'cols', `at most rows = ${rows}`, cols);
  if (a.length !== rows * cols) throw rangeError('householderQ', 'a', `a Float64Array of length ${rows * cols}`, a);
  const r = Float64Array.from(a);
  const vs: Float64Array[] = [];
  const taus: number[] = [];
  const signs: number[] = [];
  for (let k = 0; k < cols; k++) {
    let norm2 = 0;
    for (let i = k; i < rows; i++) norm2 += r[i * cols + k]! ** 2;
    const x0 = r[k * cols + k]!;
    const alpha = -(x0 >= 0 ? 1 : -1) * Math.sqrt(norm2);
    const v = new Float64Array(rows - k);
    for (let i = k; i < rows; i++) v[i - k] = r[i * cols + k]!;
    v[0]! -= alpha;
    let vv = 0;
    for (const x of v) vv += x * x;
    const tau = vv === 0 ? 0 : 2 / vv;
    for (let j = k; j < cols; j++) {
      let s = 0;
      for (let i = k; i < rows; i++) s += v[i - k]! * r[i * cols + j]!;
      s *= tau;
      for (let i = k; i < rows; i++) r[i * cols + j]! -= s * v[i - k]!;
    }
    vs.push(v);
    taus.push(tau);
    signs.push(r[k * cols + k]! < 0 ? -1 : 1);
  }
  // Q = H_0 H_1 … H_{cols−1} applied to the first cols columns of the identity.
  const q = new Float64Array(rows * cols);
  for (let j = 0; j < cols; j++) q[j * cols + j] = 1;
  for (let k = cols - 1; k >= 0; k--) {
    const v = vs[k]!, tau = taus[k]!;
    for (let j = 0; j < cols; j++) {
      let s = 0;
      for (let i = k; i < rows; i++) s += v[i - k]! * q[i * cols + j]!;
      s *= tau;
      for (let i = k; i < rows; i++) q[i * cols + j]! -= s * v[i - k]!;
    }
  }
  for (let j = 0; j < cols; j++) {
    if (signs[j]! < 0) for (let i = 0; i < rows; i++) q[i * cols + j] = -q[i * cols + j]!;
  }
  return q;
}

/** A Haar-random n×n orthogonal matrix from a seeded Gaussian (shared Philox stream). */
export function randomOrthogonal(n: number, seed: number, stream = 0): Float64Array {
  const g = Float64Array.from(normal(seed, n * n, 0, stream));
  return householderQ(g, n, n);
}

export interface SymEigResult {
  /** Eigenvalues, ascending. */
  values: Float64Array;
  /** Eigenvectors as the columns of an n×n row-major matrix (column j ↔ values[j]). */
  vectors: Float64Array;
}

/**
 * Householder reduction of a symmetric matrix (lower triangle read) to tridiagonal form
 * T = QᵀAQ, Q = H_0·H_1·…·H_{n−3}, H_k = I − τ_k v_k v_kᵀ acting on rows/columns k+1…n−1
 * (Golub & Van Loan, Matrix Computations, 4th ed., §8.3.1: 4n³/3 flops). Only the lower
 * triangle is read and updated, row by row, so every inner loop is contiguous. With `keep`,
 * v_k is returned in column k below the subdiagonal of `reflectors` (n×n) and τ_k in `taus`.
 */
function householderTridiagonal(src: Float64Array, n: number, keep: boolean):
  { diag: Float64Array; off: Float64Array; reflectors: Float64Array; taus: Float64Array } {
  const m = Float64Array.from(src);
  const v = new Float64Array(n), p = new Float64Array(n);
  const diag = new Float64Array(n), off = new Float64Array(Math.max(0, n - 1)), taus = new Float64Array(n);
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
    const x0 = v[0]!;
    v[0] = x0 - alpha;
    const vv = norm2 - 2 * alpha * x0 + alpha * alpha; // ‖v‖² with v_0 = x_0 − α
    off[k] = alpha;
    if (vv === 0) continue;
    const tau = 2 / vv;
    taus[k] = tau;
    if (keep) for (let i = 0; i < len; i++) m[(s + i) * n + k] = v[i]!;
    // p = τ·A22·v from the lower triangle: a_ij (j < i) contributes a_ij·v_j to p_i and a_ij·v_i to p_j.
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
    for (let i = 0; i < len; i++) p[i]! -= half * v[i]!; // p is now w = p − (τ/2)(pᵀv)·v
    // A22 ← A22 − v·wᵀ − w·vᵀ (lower triangle).
    for (let i = 0; i < len; i++) {
      const row = (s + i) * n + s;
      const vi = v[i]!, wi = p[i]!;
      for (let j = 0; j <= i; j++) m[row + j]! -= vi * p[j]! + wi * v[j]!;
    }
  }
  for (let i = 0; i < n; i++) diag[i] = m[i * n + i]!;
  if (n >= 2) off[n - 2] = m[(n - 1) * n + n - 2]!;
  return { diag, off, reflectors: m, taus };
}

function checkFinite(fn: string, a: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      const x = a[i * n + j]!;
      if (!Number.isFinite(x)) throw new RangeError(`${fn}: expected finite numbers in 'a' but received ${x} at (${i}, ${j})`);
    }
  }
}

/**
 * All eigenpairs of a symmetric n×n matrix in float64 (only the lower triangle is read):
 * Householder reduction to tridiagonal form T = QᵀAQ, the tridiagonal eigenproblem by
 * implicit QL (`tridiagEigReference`, tql2's norm-wise deflation: it converges on singular
 * matrices with many repeated eigenvalues, such as ReLU-net Hessians), then V = Q·Z by
 * applying the reflectors to Z. O(n³): about 4n³/3 + 2n³ flops plus the QL rotations (≈ 6n³);
 * backward stable, ‖AV − VΛ‖ and ‖VᵀV − I‖ are a small multiple of n·ε·‖A‖ and n·ε.
 * For eigenvalues alone use `symEigenvalues` (O(n²) after the reduction).
 * @example
 * const { values, vectors } = symEig(new Float64Array([2, 1, 1, 2]), 2); // values = [1, 3]
 */
export function symEig(a: Float64Array, n: number): SymEigResult {
  const src = checkSquare('symEig', 'a', a, n);
  checkFinite('symEig', src, n);
  const { diag, off, reflectors: m, taus } = householderTridiagonal(src, n, true);
  const t = tridiagEigReference(diag, off, { vectors: true });
  const z = t.vectors!;
  // V = H_0·…·H_{n−3}·Z: apply H_k (rows k+1…n−1) from the last to the first, to one chunk
  // of CHUNK columns at a time so that the chunk stays in cache across all n reflectors.
  const CHUNK = 64;
  const w = new Float64Array(CHUNK);
  const vt = new Float64Array(n * n); // vt[k·n + i] = (v_k)_i: each reflector contiguous
  for (let i = 0; i < n; i++) for (let k = 0; k < i; k++) vt[k * n + i] = m[i * n + k]!;
  for (let c0 = 0; c0 < n; c0 += CHUNK) {
    const cw = Math.min(CHUNK, n - c0);
    for (let k = n - 3; k >= 0; k--) {
      const tau = taus[k]!;
      if (tau === 0) continue;
      w.fill(0);
      for (let i = k + 1; i < n; i++) {
        const vi = vt[k * n + i]!;
        if (vi === 0) continue;
        const row = i * n + c0;
        for (let c = 0; c < cw; c++) w[c]! += vi * z[row + c]!;
      }
      for (let i = k + 1; i < n; i++) {
        const f = tau * vt[k * n + i]!;
        if (f === 0) continue;
        const row = i * n + c0;
        for (let c = 0; c < cw; c++) z[row + c]! -= f * w[c]!;
      }
    }
  }
  return { values: t.values, vectors: z };
}

/**
 * All eigenvalues (ascending) of a symmetric n×n matrix in float64 (only the lower triangle
 * is read): the Householder reduction of `symEig`, then the tridiagonal eigenvalues by
 * implicit QL without vectors (O(n²)). About 4n³/3 flops in all; each eigenvalue is within
 * a small multiple of n·ε·‖A‖ of the exact one. n = 2000 takes seconds.
 * @example
 * const values = symEigenvalues(denseHessian, n); // values[n − 1] = λ_max
 */
export function symEigenvalues(a: Float64Array, n: number): Float64Array {
  const src = checkSquare('symEigenvalues', 'a', a, n);
  checkFinite('symEigenvalues', src, n);
  const { diag, off } = householderTridiagonal(src, n, false);
  return tridiagEigReference(diag, off).values;
}

/**
 * The transform that orthonormalises k columns Y given their Gram matrix G = YᵀY (k×k):
 * Y·X has orthonormal columns spanning the directions of Y whose Gram eigenvalues exceed
 * `rtol`·(largest), and X drops the others (SVQB, Stathopoulos & Wu, SISC 23, 2002).
 * Returns X (k×r row-major) and r.
 */
export function gramOrthonormaliser(g: Float64Array, k: number, rtol = 1e-10): { x: Float64Array; rank: number } {
  checkSquare('gramOrthonormaliser', 'g', g, k);
  const { values, vectors } = symEig(g, k);
  const top = values[k - 1] ?? 0;
  const keep: number[] = [];
  for (let j = k - 1; j >= 0; j--) if (values[j]! > rtol * top && values[j]! > 0) keep.push(j);
  const r = keep.length;
  const x = new Float64Array(k * r);
  keep.forEach((j, c) => {
    const s = 1 / Math.sqrt(values[j]!);
    for (let i = 0; i < k; i++) x[i * r + c] = vectors[i * k + j]! * s;
  });
  return { x, rank: r };
}
