// Extreme eigenpairs of a symmetric operator by Lanczos with full reorthogonalisation:
// Ritz pairs (θ_i, y_i = Q s_i) from the tridiagonal T = S Θ Sᵀ, residual norms, and a
// driver that stops as soon as the wanted Ritz pairs have converged.
//
// Residuals. In exact arithmetic ‖A y_i − θ_i y_i‖ = |β_j · s_{j,i}| (the last component of
// s_i times the last β; Parlett, The Symmetric Eigenvalue Problem, §13.1), which costs
// nothing; `verify` recomputes it explicitly with one more operator call on the block of
// Ritz vectors, and `keptResiduals` assembles it from the products A q_i a run kept
// (‖W s_i − θ_i Q s_i‖, no operator call). For a symmetric A, an eigenvalue lies within ‖A y − θ y‖ of θ (‖y‖ = 1).
// Convergence: every wanted pair has |β_j s_{j,i}| ≤ tol·|θ_i|.
//
// A single start vector carries one direction per eigenspace, so an eigenvalue of
// multiplicity r appears once among the Ritz values (not r times).

import { checkFinite, checkInt, rangeError } from '../errors.js';
import { tensor, zeros } from '../ops/creation.js';
import { add, mul, sub } from '../ops/elementwise.js';
import { matmul } from '../ops/matmul.js';
import { norm } from '../ops/reduce.js';
import { slice, transpose } from '../ops/views.js';
import { tidy } from '../tensor.js';
import type { Tensor } from '../tensor.js';
import { Lanczos } from './lanczos.js';
import type { LanczosOptions, LanczosStepInfo } from './lanczos.js';
import { checkOperatorResult, operatorCall } from './operators.js';
import type { Operator, OperatorLike, SizedOperator } from './operators.js';
import { tridiagEig, tridiagEigSync } from './tridiag.js';

export type Which = 'largest' | 'smallest';

export interface RitzPairs {
  /** Ritz values, descending for 'largest', ascending for 'smallest'. */
  values: Float64Array;
  /** |β_j · s_{j,i}|: the residual norm of each pair in exact arithmetic. */
  residualEstimates: Float64Array;
  /** Ritz vectors as the columns of [n, k] (when requested). */
  vectors?: Tensor;
}

function pick(values: Float64Array, k: number, which: Which): number[] {
  const j = values.length;
  const count = Math.min(k, j);
  return Array.from({ length: count }, (_, i) => (which === 'largest' ? j - 1 - i : i));
}

/**
 * All Ritz values of a Lanczos tridiagonal (diag, off) whose last β is `beta`, ascending, with
 * their residual estimates |β·s_{j,i}| (no vectors, no operator).
 */
export async function ritzValues(diag: Float64Array, off: Float64Array, beta: number): Promise<{ values: Float64Array; residualEstimates: Float64Array }> {
  const eig = await tridiagEig(diag, off);
  return { values: eig.values, residualEstimates: Float64Array.from(eig.last, (s) => Math.abs(beta * s)) };
}

/** Ritz pairs of probe p of a run: the k largest or smallest, optionally with vectors. */
export async function ritzPairs(run: Lanczos, p: number, k: number, which: Which = 'largest', opts: { vectors?: boolean } = {}): Promise<RitzPairs> {
  checkInt('ritzPairs', 'p', p, 0, run.probes - 1);
  checkInt('ritzPairs', 'k', k, 1);
  if (which !== 'largest' && which !== 'smallest') throw rangeError('ritzPairs', 'which', "'largest' or 'smallest'", which);
  const { diag, off } = run.tridiagonal(p);
  const j = diag.length;
  if (j === 0) return { values: new Float64Array(0), residualEstimates: new Float64Array(0) };
  const eig = await tridiagEig(diag, off, { vectors: opts.vectors === true });
  const idx = pick(eig.values, k, which);
  const beta = run.residualNorm(p);
  const values = Float64Array.from(idx, (i) => eig.values[i]!);
  const residualEstimates = Float64Array.from(idx, (i) => Math.abs(beta * eig.last[i]!));
  if (!opts.vectors) return { values, residualEstimates };
  const s = new Float64Array(j * idx.length);
  idx.forEach((col, c) => {
    for (let r = 0; r < j; r++) s[r * idx.length + c] = eig.vectors![r * j + col]!;
  });
  const vectors = tidy(() => {
    const q = run.basisRows(p, j);
    const st = tensor(run.dtype === 'float64' ? s : Float32Array.from(s), [j, idx.length], { dtype: run.dtype, backend: run.backend });
    return matmul(transpose(q), st);
  });
  return { values, residualEstimates, vectors };
}

/**
 * Rows A q_from..A q_{from+count−1} of a probe's products as a [count, n] tensor (the caller of
 * `keptResiduals` disposes it): products kept outside the run, such as a checkpoint file.
 * `keptResiduals` asks for them in order, each row once, in blocks of `PRODUCT_BLOCK` rows.
 */
export type ProductRows = (from: number, count: number) => Tensor | Promise<Tensor>;

/** Rows per block that `keptResiduals` asks a ProductRows source for. */
export const PRODUCT_BLOCK = 4;

/**
 * The k largest (or smallest) Ritz pairs of probe p with their residuals ‖A y_i − θ_i y_i‖
 * (‖y_i‖ = 1), A y_i taken as W s_i from the products A q_1..A q_j the run kept for probe p
 * (opts.keepProducts), or that `products` reads from where they were kept: as explicit as one
 * more operator call, without making one.
 * @example
 * const run = Lanczos.create(op, n, { steps: 80, keepProducts: [0] });
 * while (await run.step()) {}
 * const { values, residuals } = await keptResiduals(run, 0, 5);
 */
export async function keptResiduals(run: Lanczos, p: number, k: number, which: Which = 'largest', products?: ProductRows): Promise<{ values: Float64Array; residuals: Float64Array; residualEstimates: Float64Array }> {
  checkInt('keptResiduals', 'p', p, 0, run.probes - 1);
  if (products !== undefined && typeof products !== 'function') throw rangeError('keptResiduals', 'products', 'a function (from, count) => Tensor [count, n]', products);
  if (!products && !run.products[p]) throw rangeError('keptResiduals', 'p', 'a probe whose products the run keeps (opts.keepProducts), or a products source', p);
  checkInt('keptResiduals', 'k', k, 1);
  if (which !== 'largest' && which !== 'smallest') throw rangeError('keptResiduals', 'which', "'largest' or 'smallest'", which);
  const { diag, off } = run.tridiagonal(p);
  const j = diag.length;
  if (j === 0) return { values: new Float64Array(0), residuals: new Float64Array(0), residualEstimates: new Float64Array(0) };
  const eig = await tridiagEig(diag, off, { vectors: true });
  const idx = pick(eig.values, k, which);
  const c = idx.length;
  const beta = run.residualNorm(p);
  const values = Float64Array.from(idx, (i) => eig.values[i]!);
  const residualEstimates = Float64Array.from(idx, (i) => Math.abs(beta * eig.last[i]!));
  const s = new Float64Array(j * c);
  idx.forEach((col, i) => {
    for (let r = 0; r < j; r++) s[r * c + i] = eig.vectors![r * j + col]!;
  });
  const like = { dtype: run.dtype, backend: run.backend };
  const st = tensor(run.dtype === 'float64' ? s : Float32Array.from(s), [j, c], like);
  let ay: Tensor;
  if (!products) {
    ay = tidy(() => matmul(transpose(run.productRows(p, j)), st));
  } else {
    // W s = Σ over blocks of W_blockᵀ s_block, the blocks read in order.
    ay = zeros([run.n, c], like);
    for (let from = 0; from < j; from += PRODUCT_BLOCK) {
      const count = Math.min(PRODUCT_BLOCK, j - from);
      const w = await products(from, count);
      try {
        if (w.rank !== 2 || w.shape[0] !== count || w.shape[1] !== run.n) throw rangeError('keptResiduals', 'products', `a tensor [${count}, ${run.n}] for rows ${from}..${from + count - 1}`, `shape [${w.shape.join(', ')}]`);
        const prev = ay;
        ay = tidy(() => add(prev, matmul(transpose(w), slice(st, [from, 0], [count, c]))));
        prev.dispose();
      } finally {
        w.dispose();
      }
    }
  }
  const out = tidy(() => {
    const y = matmul(transpose(run.basisRows(p, j)), st);
    const r = sub(ay, mul(y, tensor(run.dtype === 'float64' ? values : Float32Array.from(values), [1, c], like)));
    return { r: norm(r, 0), y: norm(y, 0) };
  });
  st.dispose();
  ay.dispose();
  const [rn, yn] = await Promise.all([out.r.data(), out.y.data()]);
  out.r.dispose();
  out.y.dispose();
  return { values, residuals: Float64Array.from(rn, (v, i) => v / yn[i]!), residualEstimates };
}

/** ‖A y_i − θ_i y_i‖ / ‖y_i‖ for the columns y_i of Y [n, k], with one operator call. */
export async function explicitResiduals(op: Operator, y: Tensor, theta: ArrayLike<number>): Promise<Float64Array> {
  const k = y.shape[1]!;
  if (theta.length !== k) throw rangeError('explicitResiduals', 'theta', `${k} values (one per column of Y)`, theta);
  const ay = checkOperatorResult('explicitResiduals', y, await op(y));
  const out = tidy(() => {
    const t = tensor(Float64Array.from(theta), [1, k], { dtype: y.dtype, backend: y.backend });
    const r = sub(ay, mul(y, t));
    return { r: norm(r, 0), yn: norm(y, 0) };
  });
  ay.dispose();
  const [rn, yn] = await Promise.all([out.r.data(), out.yn.data()]);
  out.r.dispose();
  out.yn.dispose();
  return Float64Array.from(rn, (v, i) => v / yn[i]!);
}

export interface EigshOptions extends Omit<LanczosOptions, 'steps' | 'probes'> {
  /** Number of eigenpairs (default 5). */
  k?: number;
  which?: Which;
  /** Relative residual tolerance: stop when |β s_{j,i}| ≤ tol·|θ_i| for the k wanted pairs (default 1e-5). */
  tol?: number;
  /** Maximum Lanczos steps (default min(n, max(100, 10k))). */
  maxSteps?: number;
  /** Return the Ritz vectors (default true). */
  vectors?: boolean;
  /** Recompute the residuals explicitly (one more operator call on k vectors; default true). */
  verify?: boolean;
  onStep?: (info: LanczosStepInfo & { converged: number; residuals: Float64Array; values: Float64Array }) => void | Promise<void>;
}

export interface EigshResult {
  values: Float64Array;
  /** Explicit residual norms when `verify`, else the estimates. */
  residuals: Float64Array;
  residualEstimates: Float64Array;
  vectors?: Tensor;
  steps: number;
  matvecs: number;
  /** Whether all k pairs met the tolerance (else the run hit maxSteps or broke down first). */
  converged: boolean;
  run: Lanczos;
}

/** How many of the wanted Ritz pairs of probe p meet the tolerance, from T alone (O(j²)). */
export function convergedCount(run: Lanczos, p: number, k: number, which: Which, tol: number): { count: number; values: Float64Array; residuals: Float64Array } {
  const { diag, off } = run.tridiagonal(p);
  const eig = tridiagEigSync(diag, off);
  const idx = pick(eig.values, k, which);
  const beta = run.residualNorm(p);
  const values = Float64Array.from(idx, (i) => eig.values[i]!);
  const residuals = Float64Array.from(idx, (i) => Math.abs(beta * eig.last[i]!));
  let count = 0;
  for (let i = 0; i < idx.length; i++) if (residuals[i]! <= tol * Math.abs(values[i]!)) count++;
  return { count, values, residuals };
}

/**
 * The k largest (or smallest) eigenpairs of a symmetric operator.
 * @example
 * const { values, residuals } = await eigsh(matrixOperator(a), n, { k: 3, seed: 1 });
 */
export function eigsh(op: SizedOperator, opts?: EigshOptions): Promise<EigshResult>;
export function eigsh(op: Operator, n: number, opts?: EigshOptions): Promise<EigshResult>;
export async function eigsh(opIn: OperatorLike, nOrOpts?: number | EigshOptions, optsIn?: EigshOptions): Promise<EigshResult> {
  const { op, n, opts } = operatorCall('eigsh', opIn, nOrOpts, optsIn);
  checkInt('eigsh', 'n', n, 1);
  const k = checkInt('eigsh', 'opts.k', opts.k ?? 5, 1, n);
  const which = opts.which ?? 'largest';
  if (which !== 'largest' && which !== 'smallest') throw rangeError('eigsh', 'opts.which', "'largest' or 'smallest'", which);
  const tol = checkFinite('eigsh', 'opts.tol', opts.tol ?? 1e-5);
  if (tol <= 0) throw rangeError('eigsh', 'opts.tol', 'a positive number', tol);
  const maxSteps = checkInt('eigsh', 'opts.maxSteps', opts.maxSteps ?? Math.min(n, Math.max(100, 10 * k)), 1, n);
  const { k: _k, which: _w, tol: _t, maxSteps: _m, vectors: _v, verify: _f, onStep, ...rest } = opts;
  const run = Lanczos.create(op, n, { ...rest, steps: maxSteps, probes: 1 });
  let converged = false;
  for (let info = await run.step(); info; info = await run.step()) {
    const c = convergedCount(run, 0, k, which, tol);
    converged = c.count === k;
    await onStep?.({ ...info, converged: c.count, residuals: c.residuals, values: c.values });
    if (converged) break;
  }
  const wantVectors = opts.vectors ?? true, verify = opts.verify ?? true;
  const pairs = await ritzPairs(run, 0, k, which, { vectors: wantVectors || verify });
  let residuals = pairs.residualEstimates;
  if (verify && pairs.vectors) {
    residuals = await explicitResiduals(op, pairs.vectors, pairs.values);
    run.matvecs += pairs.values.length;
  }
  if (!wantVectors) pairs.vectors?.dispose();
  return {
    values: pairs.values,
    residuals,
    residualEstimates: pairs.residualEstimates,
    ...(wantVectors && pairs.vectors ? { vectors: pairs.vectors } : {}),
    steps: run.steps[0]!,
    matvecs: run.matvecs,
    converged,
    run,
  };
}
