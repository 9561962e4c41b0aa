// Small dense linear systems in float64 on the host, beside symEig (dense.ts): Cholesky,
// LU with partial pivoting, the singular value decomposition (one-sided Jacobi), minimum-norm
// least squares, the inverse and the 2-norm condition number. Matrices are row-major,
// right-hand sides are n×nrhs row-major (one column per right-hand side). O(n³); meant for n up
// to a few hundred (model-fitting, kernel and natural-gradient systems of the algorithm layer).

import { checkFinite, checkInt, rangeError, typeError } from '../errors.js';

const EPS = 2 ** -52;

function checkMatrix(fn: string, arg: string, a: unknown, rows: number, cols: number): ArrayLike<number> {
  if (a === null || typeof a !== 'object' || typeof (a as ArrayLike<number>).length !== 'number') {
    throw typeError(fn, arg, `a Float64Array (or array) of length ${rows * cols} (${rows}×${cols}, row-major)`, a);
  }
  const m = a as ArrayLike<number>;
  if (m.length !== rows * cols) throw rangeError(fn, arg, `a Float64Array of length ${rows * cols} (${rows}×${cols}, row-major)`, a);
  for (let i = 0; i < m.length; i++) {
    if (!Number.isFinite(m[i])) throw new RangeError(`${fn}: expected finite numbers in '${arg}' but element ${i} is ${String(m[i])}`);
  }
  return m;
}

export interface CholeskyOptions {
  /** Added to the diagonal before factorising (a ridge: factorises A + jitter·I). Default 0. */
  jitter?: number;
}

/**
 * The Cholesky factor of a symmetric positive definite n×n matrix: lower-triangular L with
 * A + jitter·I = L·Lᵀ (the upper triangle of the result is 0; only A's lower triangle is read).
 * Cholesky–Banachiewicz order (Golub & Van Loan, Matrix Computations, 4th ed., Alg. 4.2.1).
 * Throws a RangeError naming 'a' when a pivot is not positive (A is not positive definite to
 * working precision); a small `jitter` regularises a semi-definite A.
 * @example
 * const L = cholesky(Float64Array.of(4, 2, 2, 3), 2); // [2, 0, 1, √2]
 */
export function cholesky(a: ArrayLike<number>, n: number, opts: CholeskyOptions = {}): Float64Array {
  checkInt('cholesky', 'n', n, 1);
  checkMatrix('cholesky', 'a', a, n, n);
  const jitter = checkFinite('cholesky', 'opts.jitter', opts.jitter ?? 0);
  if (jitter < 0) throw rangeError('cholesky', 'opts.jitter', 'a non-negative number', jitter);
  const L = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * n + j]! + (i === j ? jitter : 0);
      for (let k = 0; k < j; k++) s -= L[i * n + k]! * L[j * n + k]!;
      if (i === j) {
        if (!(s > 0)) {
          throw new RangeError(`cholesky: expected a symmetric positive definite matrix for 'a' but pivot ${i} is ${s} (not positive)${jitter === 0 ? '; opts.jitter adds a ridge to the diagonal' : ` with jitter ${jitter}`}`);
        }
        L[i * n + i] = Math.sqrt(s);
      } else {
        L[i * n + j] = s / L[j * n + j]!;
      }
    }
  }
  return L;
}

/**
 * Solves A·X = B from the Cholesky factor L of A (A = L·Lᵀ): forward then back substitution.
 * B is n×nrhs row-major; returns X with the same layout.
 */
export function choleskySolve(L: ArrayLike<number>, b: ArrayLike<number>, n: number, nrhs = 1): Float64Array {
  checkInt('choleskySolve', 'n', n, 1);
  checkInt('choleskySolve', 'nrhs', nrhs, 1);
  checkMatrix('choleskySolve', 'L', L, n, n);
  checkMatrix('choleskySolve', 'b', b, n, nrhs);
  for (let i = 0; i < n; i++) {
    if (!(L[i * n + i]! !== 0)) throw rangeError('choleskySolve', 'L', 'a Cholesky factor with a non-zero diagonal', L);
  }
  const x = Float64Array.from(b);
  for (let c = 0; c < nrhs; c++) {
    for (let i = 0; i < n; i++) {
      let s = x[i * nrhs + c]!;
      for (let k = 0; k < i; k++) s -= L[i * n + k]! * x[k * nrhs + c]!;
      x[i * nrhs + c] = s / L[i * n + i]!;
    }
    for (let i = n - 1; i >= 0; i--) {
      let s = x[i * nrhs + c]!;
      for (let k = i + 1; k < n; k++) s -= L[k * n + i]! * x[k * nrhs + c]!;
      x[i * nrhs + c] = s / L[i * n + i]!;
    }
  }
  return x;
}

/** LU with partial pivoting in place: P·A = L·U (unit L below, U on and above the diagonal). */
function luFactor(fn: string, a: ArrayLike<number>, n: number): { lu: Float64Array; piv: Int32Array } {
  const lu = Float64Array.from(a);
  const piv = new Int32Array(n);
  let amax = 0;
  for (let i = 0; i < n * n; i++) amax = Math.max(amax, Math.abs(lu[i]!));
  const tiny = n * EPS * amax;
  for (let k = 0; k < n; k++) {
    let p = k, best = Math.abs(lu[k * n + k]!);
    for (let i = k + 1; i < n; i++) {
      const v = Math.abs(lu[i * n + k]!);
      if (v > best) { best = v; p = i; }
    }
    if (!(best > tiny)) {
      throw new RangeError(`${fn}: expected a nonsingular matrix for 'a' but it is singular to working precision (column ${k} has no pivot above ${tiny.toExponential(2)} = n·ε·max|a|); lstsq gives the minimum-norm solution`);
    }
    piv[k] = p;
    if (p !== k) {
      for (let j = 0; j < n; j++) {
        const t = lu[k * n + j]!; lu[k * n + j] = lu[p * n + j]!; lu[p * n + j] = t;
      }
    }
    const d = lu[k * n + k]!;
    for (let i = k + 1; i < n; i++) {
      const l = (lu[i * n + k]! /= d);
      if (l !== 0) for (let j = k + 1; j < n; j++) lu[i * n + j] -= l * lu[k * n + j]!;
    }
  }
  return { lu, piv };
}

function luSolve(lu: Float64Array, piv: Int32Array, x: Float64Array, n: number, nrhs: number): void {
  for (let k = 0; k < n; k++) {
    const p = piv[k]!;
    if (p !== k) for (let c = 0; c < nrhs; c++) {
      const t = x[k * nrhs + c]!; x[k * nrhs + c] = x[p * nrhs + c]!; x[p * nrhs + c] = t;
    }
  }
  for (let c = 0; c < nrhs; c++) {
    for (let i = 0; i < n; i++) {
      let s = x[i * nrhs + c]!;
      for (let k = 0; k < i; k++) s -= lu[i * n + k]! * x[k * nrhs + c]!;
      x[i * nrhs + c] = s;
    }
    for (let i = n - 1; i >= 0; i--) {
      let s = x[i * nrhs + c]!;
      for (let k = i + 1; k < n; k++) s -= lu[i * n + k]! * x[k * nrhs + c]!;
      x[i * nrhs + c] = s / lu[i * n + i]!;
    }
  }
}

/**
 * Solves A·X = B for a square nonsingular A by LU with partial pivoting (Golub & Van Loan,
 * Alg. 3.4.1; backward stable in practice: ‖A·X̂ − B‖ ≲ n·ε·‖A‖·‖X̂‖). B is n×nrhs row-major.
 * Throws a RangeError naming 'a' when A is singular to working precision (a pivot ≤ n·ε·max|aᵢⱼ|).
 * @example
 * solve(Float64Array.of(2, 1, 1, 3), Float64Array.of(3, 5), 2); // [0.8, 1.4]
 */
export function solve(a: ArrayLike<number>, b: ArrayLike<number>, n: number, nrhs = 1): Float64Array {
  checkInt('solve', 'n', n, 1);
  checkInt('solve', 'nrhs', nrhs, 1);
  checkMatrix('solve', 'a', a, n, n);
  checkMatrix('solve', 'b', b, n, nrhs);
  const { lu, piv } = luFactor('solve', a, n);
  const x = Float64Array.from(b);
  luSolve(lu, piv, x, n, nrhs);
  return x;
}

/** The inverse of a square nonsingular matrix (LU with partial pivoting against I). */
export function inverse(a: ArrayLike<number>, n: number): Float64Array {
  checkInt('inverse', 'n', n, 1);
  checkMatrix('inverse', 'a', a, n, n);
  const { lu, piv } = luFactor('inverse', a, n);
  const x = new Float64Array(n * n);
  for (let i = 0; i < n; i++) x[i * n + i] = 1;
  luSolve(lu, piv, x, n, n);
  return x;
}

export interface SVDResult {
  /** Left singular vectors as the columns of an m×k row-major matrix (k = min(m, n)). */
  u: Float64Array;
  /** Singular values, descending (length k). */
  s: Float64Array;
  /** Right singular vectors as the columns of an n×k row-major matrix. */
  v: Float64Array;
}

/** One-sided Jacobi on the columns of w (rows×cols, rows ≥ cols), accumulating V. */
function jacobiColumns(w: Float64Array, rows: number, cols: number): { s: Float64Array; v: Float64Array } {
  const v = new Float64Array(cols * cols);
  for (let i = 0; i < cols; i++) v[i * cols + i] = 1;
  for (let sweep = 0; sweep < 60; sweep++) {
    let rotated = false;
    for (let p = 0; p < cols - 1; p++) {
      for (let q = p + 1; q < cols; q++) {
        let alpha = 0, beta = 0, gamma = 0;
        for (let i = 0; i < rows; i++) {
          const x = w[i * cols + p]!, y = w[i * cols + q]!;
          alpha += x * x; beta += y * y; gamma += x * y;
        }
        if (gamma === 0 || Math.abs(gamma) <= EPS * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t), s = c * t;
        for (let i = 0; i < rows; i++) {
          const x = w[i * cols + p]!, y = w[i * cols + q]!;
          w[i * cols + p] = c * x - s * y; w[i * cols + q] = s * x + c * y;
        }
        for (let i = 0; i < cols; i++) {
          const x = v[i * cols + p]!, y = v[i * cols + q]!;
          v[i * cols + p] = c * x - s * y; v[i * cols + q] = s * x + c * y;
        }
      }
    }
    if (!rotated) break;
  }
  const s = new Float64Array(cols);
  for (let j = 0; j < cols; j++) {
    let ss = 0;
    for (let i = 0; i < rows; i++) ss += w[i * cols + j]! ** 2;
    s[j] = Math.sqrt(ss);
  }
  return { s, v };
}

/**
 * The thin singular value decomposition A = U·diag(s)·Vᵀ of an m×n matrix by one-sided (Hestenes)
 * Jacobi rotations (Demmel & Veselić, SIAM J. Matrix Anal. Appl. 13, 1992: small singular values
 * to high relative accuracy). Columns of U for zero singular values are 0.
 */
export function svd(a: ArrayLike<number>, m: number, n: number): SVDResult {
  checkInt('svd', 'm', m, 1);
  checkInt('svd', 'n', n, 1);
  checkMatrix('svd', 'a', a, m, n);
  const tall = m >= n, rows = tall ? m : n, cols = tall ? n : m;
  const w = new Float64Array(rows * cols);
  if (tall) w.set(a as ArrayLike<number>);
  else for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) w[j * cols + i] = a[i * n + j]!;
  const { s, v } = jacobiColumns(w, rows, cols);
  const order = Array.from({ length: cols }, (_, j) => j).sort((x, y) => s[y]! - s[x]!);
  const k = cols;
  const left = new Float64Array(rows * k), right = new Float64Array(cols * k), sv = new Float64Array(k);
  order.forEach((j, r) => {
    sv[r] = s[j]!;
    for (let i = 0; i < rows; i++) left[i * k + r] = s[j]! > 0 ? w[i * cols + j]! / s[j]! : 0;
    for (let i = 0; i < cols; i++) right[i * k + r] = v[i * cols + j]!;
  });
  return tall ? { u: left, s: sv, v: right } : { u: right, s: sv, v: left };
}

export interface LstsqOptions {
  /** Singular values ≤ rcond·σ_max count as 0 (default max(m, n)·ε, as numpy.linalg.lstsq). */
  rcond?: number;
}

export interface LstsqResult {
  /** The minimum-norm least-squares solution, n×nrhs row-major. */
  x: Float64Array;
  /** Numerical rank: the number of singular values above rcond·σ_max. */
  rank: number;
  /** ‖A·xⱼ − bⱼ‖₂ for each right-hand side j (the norm, not its square as numpy returns). */
  residual: Float64Array;
  /** Singular values of A, descending. */
  s: Float64Array;
}

/**
 * Minimum-norm least squares: X = A⁺·B, the X minimising ‖A·X − B‖_F with the least ‖X‖_F, for
 * any m×n A (over- or under-determined, rank-deficient). Through the SVD: X = Σ_{σᵢ > rcond·σ₁}
 * vᵢ(uᵢᵀB)/σᵢ (Golub & Van Loan §5.5.4). B is m×nrhs row-major.
 * @example
 * lstsq(Float64Array.of(1, 1), Float64Array.of(2), 1, 2).x; // [1, 1]
 */
export function lstsq(a: ArrayLike<number>, b: ArrayLike<number>, m: number, n: number, nrhs = 1, opts: LstsqOptions = {}): LstsqResult {
  checkInt('lstsq', 'm', m, 1);
  checkInt('lstsq', 'n', n, 1);
  checkInt('lstsq', 'nrhs', nrhs, 1);
  checkMatrix('lstsq', 'a', a, m, n);
  checkMatrix('lstsq', 'b', b, m, nrhs);
  const rcond = checkFinite('lstsq', 'opts.rcond', opts.rcond ?? Math.max(m, n) * EPS);
  if (rcond < 0) throw rangeError('lstsq', 'opts.rcond', 'a non-negative number', rcond);
  const { u, s, v } = svd(a, m, n);
  const k = s.length;
  const tol = rcond * s[0]!;
  let rank = 0;
  while (rank < k && s[rank]! > tol) rank++;
  const x = new Float64Array(n * nrhs);
  for (let r = 0; r < rank; r++) {
    for (let c = 0; c < nrhs; c++) {
      let dot = 0;
      for (let i = 0; i < m; i++) dot += u[i * k + r]! * b[i * nrhs + c]!;
      const coef = dot / s[r]!;
      for (let j = 0; j < n; j++) x[j * nrhs + c] += coef * v[j * k + r]!;
    }
  }
  const residual = new Float64Array(nrhs);
  for (let c = 0; c < nrhs; c++) {
    let ss = 0;
    for (let i = 0; i < m; i++) {
      let r = -b[i * nrhs + c]!;
      for (let j = 0; j < n; j++) r += a[i * n + j]! * x[j * nrhs + c]!;
      ss += r * r;
    }
    residual[c] = Math.sqrt(ss);
  }
  return { x, rank, residual, s };
}

/** The 2-norm condition number σ_max/σ_min of a square matrix (Infinity when it is singular). */
export function cond(a: ArrayLike<number>, n: number): number {
  checkInt('cond', 'n', n, 1);
  checkMatrix('cond', 'a', a, n, n);
  const { s } = svd(a, n, n);
  const lo = s[n - 1]!;
  return lo > 0 ? s[0]! / lo : Infinity;
}
