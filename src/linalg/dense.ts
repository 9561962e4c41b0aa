// Small dense linear algebra in float64 on the host: Householder QR, a symmetric
// eigensolver (Householder tridiagonalisation + implicit QL) and orthonormalisation of a
// few columns through their Gram matrix. These serve the spectrum algorithms' small
// projected problems (k×k with k up to a few hundred) and the construction of test
// matrices; all matrices are row-major Float64Arrays.

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
 * All eigenpairs of a symmetric n×n matrix (only the lower triangle is read): Householder
 * reduction to tridiagonal form, then implicit QL. O(n³); meant for n up to about 1000.
 */
export function symEig(a: Float64Array, n: number): SymEigResult {
  const src = checkSquare('symEig', 'a', a, n);
  const m = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      m[i * n + j] = src[i * n + j]!;
      m[j * n + i] = src[i * n + j]!;
    }
  }
  const q = new Float64Array(n * n);
  for (let i = 0; i < n; i++) q[i * n + i] = 1;
  const p = new Float64Array(n), w = new Float64Array(n), v = new Float64Array(n);
  for (let k = 0; k < n - 2; k++) {
    const len = n - k - 1;
    let norm2 = 0;
    for (let i = 0; i < len; i++) {
      v[i] = m[(k + 1 + i) * n + k]!;
      norm2 += v[i]! * v[i]!;
    }
    if (norm2 === 0) continue;
    const alpha = -(v[0]! >= 0 ? 1 : -1) * Math.sqrt(norm2);
    v[0]! -= alpha;
    let vv = 0;
    for (let i = 0; i < len; i++) vv += v[i]! * v[i]!;
    if (vv === 0) continue;
    const tau = 2 / vv;
    // A22 ← H A22 H with H = I − τ v vᵀ, as A22 − v wᵀ − w vᵀ, w = p − (τ/2)(pᵀv) v, p = τ A22 v.
    let pv = 0;
    for (let i = 0; i < len; i++) {
      let s = 0;
      const row = (k + 1 + i) * n + k + 1;
      for (let j = 0; j < len; j++) s += m[row + j]! * v[j]!;
      p[i] = tau * s;
      pv += p[i]! * v[i]!;
    }
    const half = 0.5 * tau * pv;
    for (let i = 0; i < len; i++) w[i] = p[i]! - half * v[i]!;
    for (let i = 0; i < len; i++) {
      const row = (k + 1 + i) * n + k + 1;
      for (let j = 0; j < len; j++) m[row + j]! -= v[i]! * w[j]! + w[i]! * v[j]!;
    }
    m[(k + 1) * n + k] = alpha;
    m[k * n + k + 1] = alpha;
    for (let i = 1; i < len; i++) {
      m[(k + 1 + i) * n + k] = 0;
      m[k * n + k + 1 + i] = 0;
    }
    // Q ← Q H on columns k+1..n−1.
    for (let r = 0; r < n; r++) {
      let s = 0;
      const row = r * n + k + 1;
      for (let j = 0; j < len; j++) s += q[row + j]! * v[j]!;
      s *= tau;
      for (let j = 0; j < len; j++) q[row + j]! -= s * v[j]!;
    }
  }
  const diag = new Float64Array(n), off = new Float64Array(Math.max(n - 1, 0));
  for (let i = 0; i < n; i++) diag[i] = m[i * n + i]!;
  for (let i = 0; i < n - 1; i++) off[i] = m[(i + 1) * n + i]!;
  const t = tridiagEigReference(diag, off, { vectors: true });
  const z = t.vectors!;
  const vectors = new Float64Array(n * n);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += q[r * n + j]! * z[j * n + c]!;
      vectors[r * n + c] = s;
    }
  }
  return { values: t.values, vectors };
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
