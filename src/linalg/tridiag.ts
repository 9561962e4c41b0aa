// Eigenvalues and eigenvectors of a real symmetric tridiagonal matrix, in float64.
//
// T has diagonal `diag` (k entries) and off-diagonal `off` (k − 1 entries, off[i] couples
// rows i and i+1). `tridiagEigReference` is the TypeScript implementation: implicit QL with
// Wilkinson shifts (the tql2 scheme of EISPACK; Bowdler, Martin, Reinsch & Wilkinson,
// Numer. Math. 11, 1968), O(k²) for the values plus the requested rows of the eigenvector
// matrix, O(k³) with all of it. An off-diagonal is negligible when |e[m]| ≤ ε·‖T‖ (tql2's
// norm-wise test, backward stable): the purely relative test ε·(|d[m]| + |d[m+1]|) never
// fires on blocks of roundoff-sized entries, which Householder reductions of singular
// matrices (ReLU-net Hessians, with many exactly zero eigenvalues) produce, and QL then
// failed to converge. `tridiagEig` (the one public solver) uses a native solver
// when one is registered and loads (src/backends.ts registers the cpu addon's: the same
// algorithm in C++, on a libuv worker thread; this layer does not import the backend), and
// this one otherwise; `setNativeTridiagEig` overrides the choice.
//
// Output convention: eigenvalues ascending; eigenvector j is column j of Z (k×k, row-major,
// Z[r·k + j]); `first` and `last` are rows 0 and k−1 of Z (the components that stochastic
// Lanczos quadrature and the Lanczos residual estimates need). Eigenvector signs are
// arbitrary.

import { rangeError, typeError } from '../errors.js';

export interface TridiagEigOptions {
  /** Compute the whole eigenvector matrix Z (default false: only its first and last rows). */
  vectors?: boolean;
}

export interface TridiagEigResult {
  /** Eigenvalues, ascending. */
  values: Float64Array;
  /** Row 0 of Z: the first component of each eigenvector (same order as values). */
  first: Float64Array;
  /** Row k−1 of Z: the last component of each eigenvector. */
  last: Float64Array;
  /** The eigenvector matrix Z (k×k row-major, column j ↔ values[j]) when requested. */
  vectors?: Float64Array;
}

export type TridiagEigFn = (diag: Float64Array, off: Float64Array, opts?: TridiagEigOptions) =>
  TridiagEigResult | Promise<TridiagEigResult>;

const EPS = 2 ** -52;

function checkArgs(fn: string, diag: unknown, off: unknown): number {
  if (!(diag instanceof Float64Array)) throw typeError(fn, 'diag', 'a Float64Array', diag);
  if (!(off instanceof Float64Array)) throw typeError(fn, 'off', 'a Float64Array', off);
  const k = diag.length;
  if (off.length !== Math.max(k - 1, 0)) {
    throw rangeError(fn, 'off', `a Float64Array of length ${Math.max(k - 1, 0)} (diag has ${k})`, off);
  }
  for (let i = 0; i < k; i++) if (!Number.isFinite(diag[i])) throw new RangeError(`${fn}: expected finite numbers in 'diag' but received ${diag[i]} at index ${i}`);
  for (let i = 0; i < k - 1; i++) if (!Number.isFinite(off[i])) throw new RangeError(`${fn}: expected finite numbers in 'off' but received ${off[i]} at index ${i}`);
  return k;
}

/**
 * Eigen-decomposition of the symmetric tridiagonal matrix (diag, off) by implicit QL with
 * Wilkinson shifts, in float64. Each eigenvalue is accurate to a few units of
 * 2^-53·‖T‖; the eigenvectors are orthonormal to the same order.
 * @example
 * const { values, first } = tridiagEigReference(new Float64Array([2, 2]), new Float64Array([1]));
 * // values = [1, 3], first = [±0.7071, ±0.7071]
 */
export function tridiagEigReference(diag: Float64Array, off: Float64Array, opts: TridiagEigOptions = {}): TridiagEigResult {
  const k = checkArgs('tridiagEigReference', diag, off);
  const full = opts.vectors === true;
  const d = Float64Array.from(diag);
  const e = new Float64Array(k);
  e.set(off);
  // The rotations act on columns of Z, each row independently: with full=false only rows 0
  // and k−1 are carried (z0, zl), which keeps the cost O(k²).
  // z holds Zᵀ (zt[j·k + r] = component r of vector j) so that a rotation of two vectors
  // runs over contiguous memory.
  const z = full ? new Float64Array(k * k) : null;
  const z0 = new Float64Array(k), zl = new Float64Array(k);
  if (z) for (let i = 0; i < k; i++) z[i * k + i] = 1;
  if (k > 0) { z0[0] = 1; zl[k - 1] = 1; }
  let tnorm = 0;
  for (let i = 0; i < k; i++) tnorm = Math.max(tnorm, Math.abs(d[i]!) + (i > 0 ? Math.abs(e[i - 1]!) : 0) + Math.abs(e[i]!));
  const small = EPS * tnorm;

  for (let l = 0; l < k; l++) {
    let iter = 0;
    for (;;) {
      let m = l;
      for (; m < k - 1; m++) {
        const dd = Math.abs(d[m]!) + Math.abs(d[m + 1]!);
        const em = Math.abs(e[m]!);
        if (em <= EPS * dd || em <= small) break;
      }
      if (m === l) break;
      if (++iter > 60) {
        throw new RangeError(`tridiagEigReference: no convergence after 60 QL sweeps at row ${l} (k = ${k}); is the input finite?`);
      }
      // Wilkinson shift: the eigenvalue of the leading 2×2 block closer to d[l].
      let g = (d[l + 1]! - d[l]!) / (2 * e[l]!);
      let r = Math.hypot(g, 1);
      g = d[m]! - d[l]! + e[l]! / (g + (g >= 0 ? r : -r));
      let s = 1, c = 1, p = 0;
      let i = m - 1;
      let deflated = false;
      for (; i >= l; i--) {
        const f = s * e[i]!, b = c * e[i]!;
        r = Math.hypot(f, g);
        e[i + 1] = r;
        if (r === 0) {
          // NOTE: an exact zero rotation splits the matrix; undo the pending shift and restart.
          d[i + 1]! -= p;
          e[m] = 0;
          deflated = true;
          break;
        }
        s = f / r;
        c = g / r;
        g = d[i + 1]! - p;
        r = (d[i]! - g) * s + 2 * c * b;
        p = s * r;
        d[i + 1] = g + p;
        g = c * r - b;
        if (z) {
          const ai = i * k, aj = ai + k;
          for (let q = 0; q < k; q++) {
            const zi = z[ai + q]!, zj = z[aj + q]!;
            z[aj + q] = s * zi + c * zj;
            z[ai + q] = c * zi - s * zj;
          }
        } else {
          let zi = z0[i]!, zj = z0[i + 1]!;
          z0[i + 1] = s * zi + c * zj;
          z0[i] = c * zi - s * zj;
          zi = zl[i]!; zj = zl[i + 1]!;
          zl[i + 1] = s * zi + c * zj;
          zl[i] = c * zi - s * zj;
        }
      }
      if (deflated) continue;
      d[l]! -= p;
      e[l] = g;
      e[m] = 0;
    }
  }

  const order = Array.from({ length: k }, (_, i) => i).sort((a, b) => d[a]! - d[b]!);
  const values = new Float64Array(k), first = new Float64Array(k), last = new Float64Array(k);
  let vectors: Float64Array | undefined;
  if (z) {
    vectors = new Float64Array(k * k);
    for (let j = 0; j < k; j++) {
      const src = order[j]!;
      for (let row = 0; row < k; row++) vectors[row * k + j] = z[src * k + row]!;
    }
  }
  for (let j = 0; j < k; j++) {
    const src = order[j]!;
    values[j] = d[src]!;
    first[j] = z ? z[src * k]! : z0[src]!;
    last[j] = z ? z[src * k + k - 1]! : zl[src]!;
  }
  return vectors ? { values, first, last, vectors } : { values, first, last };
}

/** A native solver in both forms: on a worker thread, and on the calling thread. */
export interface NativeTridiagEig {
  solve: TridiagEigFn;
  solveSync: (diag: Float64Array, off: Float64Array, opts?: TridiagEigOptions) => TridiagEigResult;
}

let registered: NativeTridiagEig | null | undefined;
let provider: (() => NativeTridiagEig | null) | null = null;
/** setNativeTridiagEig's choice (undefined: none, the registered solver is used). */
let override: TridiagEigFn | null | undefined;

/**
 * @internal Registers where the native solver comes from: `load` returns it (in this file's
 * output convention) or null when it is unavailable, and runs on first use. Called once by
 * src/backends.ts with the cpu addon's solver.
 */
export function registerNativeTridiagEig(load: () => NativeTridiagEig | null): void {
  provider = load;
  registered = undefined;
}

function loaded(): NativeTridiagEig | null {
  if (registered === undefined) registered = provider ? provider() : null;
  return registered;
}

function native(): TridiagEigFn | null {
  return override !== undefined ? override : loaded()?.solve ?? null;
}

/**
 * Overrides the solver `tridiagEig` uses: a function following this file's output
 * convention, null for the TypeScript one, undefined to go back to the registered native one.
 * While an override is set, `tridiagEigSync` uses the TypeScript solver.
 */
export function setNativeTridiagEig(fn: TridiagEigFn | null | undefined): void {
  override = fn;
}

/** 'native' when the addon's solver is in use, else 'typescript'. */
export function tridiagEigImplementation(): 'native' | 'typescript' {
  return native() ? 'native' : 'typescript';
}

/**
 * The symmetric tridiagonal eigenproblem in float64: the native solver when the addon loads,
 * else `tridiagEigReference`.
 */
export async function tridiagEig(diag: Float64Array, off: Float64Array, opts: TridiagEigOptions = {}): Promise<TridiagEigResult> {
  checkArgs('tridiagEig', diag, off);
  const fn = native();
  if (fn && diag.length > 0) return fn(diag, off, opts);
  return tridiagEigReference(diag, off, opts);
}

/**
 * The same on the calling thread, for the per-step convergence test of a Lanczos run: the
 * native solver's synchronous form when it is in use (k = 1..20 in a fresh process: 0.6 ms
 * in all against 10 ms for the TypeScript one, most of it before V8 has compiled it), else
 * `tridiagEigReference`.
 */
export function tridiagEigSync(diag: Float64Array, off: Float64Array, opts: TridiagEigOptions = {}): TridiagEigResult {
  checkArgs('tridiagEigSync', diag, off);
  const fn = override === undefined ? loaded()?.solveSync : undefined;
  if (fn && diag.length > 0) return fn(diag, off, opts);
  return tridiagEigReference(diag, off, opts);
}
