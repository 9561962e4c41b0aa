// Lanczos tridiagonalisation of a symmetric operator, for several probe vectors at once.
//
// Each probe p runs its own Lanczos process q_1 = v_p / ‖v_p‖, A Q_j = Q_j T_j + β_j q_{j+1} e_jᵀ
// (Golub & Van Loan, Matrix Computations, 4th ed., §10.1). The b probes advance in lockstep:
// one call of the operator per step applies A to all of their current vectors as one [n, b]
// block, so the products that dominate the cost are matrix-matrix work.
//
// Full reorthogonalisation (the default): after w = A q_j, two passes of classical
// Gram–Schmidt against the probe's whole stored basis, w ← w − Qᵀ(Q w) (the "twice is
// enough" rule, Giraud, Langou & Rozložník 2005), as one backend op (`orthogonalize`; the
// cpu kernel reads the basis three times instead of four, and its `orthonormalizeInto`
// also takes the norm and writes q_{j+1} = w/‖w‖ straight into the basis, with no
// intermediate vectors, then has an idle worker populate the next row's memory). α_j is the
// q_j coefficient of the two passes; β_j = ‖w‖. This keeps Q orthonormal to working
// precision, so no spurious copies ("ghosts") of converged eigenvalues appear. With
// `reorthogonalize: false` the plain three-term recurrence runs instead (for comparison).
//
// A probe stops early on breakdown: β_j below `breakdownTol`·‖T‖ means its Krylov space is
// invariant (its Ritz values are then eigenvalues); the other probes go on.
//
// State. For probe p after j steps: alpha[p] = α_1..α_j, beta[p] = β_1..β_j, and rows
// 0..j of basis[p] ([steps+1, n]) hold q_1..q_{j+1} (q_{j+1} is meaningless after a
// breakdown). `snapshot()`/`restore` carry that state so a run can be resumed exactly.
//
// Kept products. For the probes listed in `keepProducts`, rows 0..j−1 of products[p]
// ([steps, n]) hold the operator's own outputs A q_1..A q_j, before any orthogonalisation.
// With them a Ritz pair's residual ‖A y − θ y‖ is assembled as W s − θ Q s (W = [A q_i],
// y = Q s) from products already paid for, instead of one more operator call. The probes
// listed in `reportProducts` instead hand each A q_j to the caller in the step's record
// without a copy in the run (the spectrum job appends them to its checkpoint and reads them
// back for the residuals: keptResiduals' `products`), which saves a row of new memory a step.

import { UNIT_ROUNDOFF } from '../dtype.js';
import { checkInt, rangeError, typeError } from '../errors.js';
import type { Backend, BackendName, HostArray } from '../backend/ops.js';
import { backendSync } from '../backend/backend.js';
import { tensor, zeros } from '../ops/creation.js';
import { div, mul, sub } from '../ops/elementwise.js';
import { dot, norm } from '../ops/reduce.js';
import { concat, contiguous, reshape, slice, transpose } from '../ops/views.js';
import { dispose, Tensor, tidy } from '../tensor.js';
import { checkOperatorResult, operatorCall } from './operators.js';
import type { Operator, OperatorLike, SizedOperator } from './operators.js';
import { PROBE_STREAM, probeRows } from './probes.js';
import type { ProbeDistribution } from './probes.js';

export interface LanczosOptions {
  /** Maximum number of steps per probe (the Krylov dimension m), 1 ≤ m ≤ n. */
  steps: number;
  /** Number of probes b advancing in lockstep (default 1; taken from `start` when given). */
  probes?: number;
  /** Start vectors as the columns of [n, b] (normalised here); default: seeded random probes. */
  start?: Tensor;
  /** Seed of the random start vectors (default 0). */
  seed?: number;
  /** Distribution of the random start vectors (default 'rademacher'). */
  distribution?: ProbeDistribution;
  /** Element type of the vectors (default: the start block's, else float32). */
  dtype?: 'float32' | 'float64';
  backend?: Backend | BackendName;
  /** Two Gram–Schmidt passes against the stored basis each step (default true). */
  reorthogonalize?: boolean;
  /** Breakdown threshold relative to ‖T‖ (default 8·√n·u of the dtype). */
  breakdownTol?: number;
  /** Probes whose products A q_j are kept (see the file header; default none). */
  keepProducts?: readonly number[];
  /** Probes whose products A q_j are handed back in each step's record but not kept (see the file header; default none). */
  reportProducts?: readonly number[];
}

/** The host-side state of a run, enough (with the basis rows) to resume it exactly. */
export interface LanczosSnapshot {
  n: number;
  probes: number;
  maxSteps: number;
  dtype: 'float32' | 'float64';
  reorthogonalize: boolean;
  breakdownTol: number;
  /** Probes whose products A q_j are kept (absent in snapshots of runs that keep none). */
  keepProducts?: number[];
  /** Probes whose products are reported but not kept (absent when none). */
  reportProducts?: number[];
  /** Steps done by each probe. */
  steps: number[];
  /** Whether each probe can go on (false after a breakdown or at maxSteps). */
  active: boolean[];
  alpha: number[][];
  beta: number[][];
  normEstimate: number;
  matvecs: number;
}

export interface LanczosStepInfo {
  /** The step just completed (1-based), shared by all probes that took it. */
  step: number;
  /** Probes that took this step. */
  probes: number[];
  /** Their new basis vectors q_{step+1} as rows [probes.length, n] (valid until the next step). */
  rows: Tensor;
  /** The operator's outputs A q_step of the probes that keep or report products, as rows (valid until the next step). */
  products: { probes: number[]; rows: Tensor } | null;
  alpha: number[];
  beta: number[];
}

function gershgorin(alpha: readonly number[], beta: readonly number[]): number {
  let best = 0;
  for (let i = 0; i < alpha.length; i++) {
    const left = i > 0 ? Math.abs(beta[i - 1]!) : 0;
    best = Math.max(best, Math.abs(alpha[i]!) + left + Math.abs(beta[i]!));
  }
  return best;
}

/** Writes `src` (a [rows, n] tensor) into rows [at, at+rows) of `dst` ([m, n]) in place. */
function writeRows(dst: Tensor, at: number, src: Tensor): void {
  const view = slice(dst, [at, 0], [src.shape[0]!, dst.shape[1]!]);
  dst.backend.ops.copyInto(src.strided, view.strided);
  view.dispose();
}

export class Lanczos {
  readonly n: number;
  readonly probes: number;
  readonly maxSteps: number;
  readonly dtype: 'float32' | 'float64';
  readonly backend: Backend;
  readonly reorthogonalize: boolean;
  readonly breakdownTol: number;
  /** Per probe: [maxSteps + 1, n], rows 0..steps[p] valid. */
  readonly basis: Tensor[];
  /** Per probe: [maxSteps, n] with rows 0..steps[p]−1 valid for the probes that keep products, else null. */
  readonly products: (Tensor | null)[];
  /** Probes whose products are reported in each step's record without being kept. */
  readonly reportProducts: readonly number[];
  readonly alpha: number[][];
  readonly beta: number[][];
  readonly steps: number[];
  readonly active: boolean[];
  /** max over probes of the Gershgorin bound of T: an upper estimate of ‖A‖ on the Krylov spaces. */
  normEstimate = 0;
  /** Matrix-vector products so far (columns passed to the operator). */
  matvecs = 0;

  private constructor(private readonly op: Operator, snap: LanczosSnapshot, backend: Backend, basis: Tensor[], products: (Tensor | null)[]) {
    this.n = snap.n;
    this.probes = snap.probes;
    this.maxSteps = snap.maxSteps;
    this.dtype = snap.dtype;
    this.backend = backend;
    this.reorthogonalize = snap.reorthogonalize;
    this.breakdownTol = snap.breakdownTol;
    this.basis = basis;
    this.products = products;
    this.reportProducts = (snap.reportProducts ?? []).filter((p) => !products[p]);
    this.alpha = snap.alpha.map((a) => a.slice());
    this.beta = snap.beta.map((b) => b.slice());
    this.steps = snap.steps.slice();
    this.active = snap.active.slice();
    this.normEstimate = snap.normEstimate;
    this.matvecs = snap.matvecs;
  }

  /**
   * A new run on `op` (an n×n symmetric operator); no products are taken until step().
   * @example
   * const run = Lanczos.create(matrixOperator(a), n, { steps: 50, probes: 4, seed: 1 });
   * while (await run.step()) {}
   */
  static create(op: Operator, n: number, opts: LanczosOptions): Lanczos {
    const fn = 'lanczos';
    if (typeof op !== 'function') throw typeError(fn, 'op', 'a function V => A·V', op);
    checkInt(fn, 'n', n, 1);
    const maxSteps = checkInt(fn, 'opts.steps', opts?.steps, 1, n);
    const start = opts.start;
    if (start !== undefined) {
      if (!(start instanceof Tensor)) throw typeError(fn, 'opts.start', 'a Tensor [n, b]', start);
      if (start.rank !== 2 || start.shape[0] !== n) throw rangeError(fn, 'opts.start', `a tensor of shape [${n}, b]`, `shape [${start.shape.join(', ')}]`);
      if (start.dtype === 'int32') throw typeError(fn, 'opts.start', 'a float32 or float64 tensor', 'int32');
    }
    const probes = start ? start.shape[1]! : checkInt(fn, 'opts.probes', opts.probes ?? 1, 1);
    const dtype: 'float32' | 'float64' = (start?.dtype as 'float32' | 'float64' | undefined) ?? opts.dtype ?? 'float32';
    if (dtype !== 'float32' && dtype !== 'float64') throw rangeError(fn, 'opts.dtype', "'float32' or 'float64'", dtype);
    const backend = start ? start.backend : backendSync(opts.backend);
    const breakdownTol = opts.breakdownTol ?? 8 * Math.sqrt(n) * UNIT_ROUNDOFF[dtype];
    const keep = opts.keepProducts ?? [];
    if (!Array.isArray(keep)) throw typeError(fn, 'opts.keepProducts', 'an array of probe indices', keep);
    keep.forEach((p, i) => checkInt(fn, `opts.keepProducts[${i}]`, p, 0, probes - 1));
    const report = opts.reportProducts ?? [];
    if (!Array.isArray(report)) throw typeError(fn, 'opts.reportProducts', 'an array of probe indices', report);
    report.forEach((p, i) => checkInt(fn, `opts.reportProducts[${i}]`, p, 0, probes - 1));
    // A probe that keeps its products reports them anyway.
    const reportOnly = [...new Set(report)].filter((p) => !keep.includes(p)).sort((a, b) => a - b);
    const basis = Array.from({ length: probes }, () => zeros([maxSteps + 1, n], { dtype, backend }));
    const products = Array.from({ length: probes }, (_, p) => (keep.includes(p) ? zeros([maxSteps, n], { dtype, backend }) : null));
    const first = tidy(() => {
      const rows = start
        ? contiguous(transpose(start))
        : probeRows(opts.distribution ?? 'rademacher', n, probes, { seed: opts.seed ?? 0, stream: PROBE_STREAM.lanczos, dtype, backend });
      return div(rows, norm(rows, 1, true));
    });
    for (let p = 0; p < probes; p++) {
      const row = slice(first, [p, 0], [1, n]);
      writeRows(basis[p]!, 0, row);
      row.dispose();
    }
    first.dispose();
    const snap: LanczosSnapshot = {
      n, probes, maxSteps, dtype, reorthogonalize: opts.reorthogonalize ?? true, breakdownTol,
      ...(keep.length > 0 ? { keepProducts: [...new Set(keep)].sort((a, b) => a - b) } : {}),
      ...(reportOnly.length > 0 ? { reportProducts: reportOnly } : {}),
      steps: new Array(probes).fill(0), active: new Array(probes).fill(true),
      alpha: Array.from({ length: probes }, () => []), beta: Array.from({ length: probes }, () => []),
      normEstimate: 0, matvecs: 0,
    };
    return new Lanczos(op, snap, backend, basis, products);
  }

  /**
   * Resumes a run from its snapshot and its basis rows: `rows[p]` holds rows
   * 0..snap.steps[p] of probe p's basis (row-major, (steps[p] + 1)·n values), and
   * `products[p]`, for each probe that keeps products, its steps[p] rows A q_i.
   */
  static restore(op: Operator, snap: LanczosSnapshot, rows: readonly HostArray[], backend?: Backend | BackendName, products: readonly (HostArray | null)[] = []): Lanczos {
    const fn = 'Lanczos.restore';
    if (typeof op !== 'function') throw typeError(fn, 'op', 'a function V => A·V', op);
    if (!snap || typeof snap !== 'object') throw typeError(fn, 'snap', 'a LanczosSnapshot', snap);
    const b = backendSync(backend);
    if (rows.length !== snap.probes) throw rangeError(fn, 'rows', `${snap.probes} arrays (one per probe)`, rows);
    const basis = rows.map((r, p) => {
      const want = (snap.steps[p]! + 1) * snap.n;
      if (r.length !== want) throw rangeError(fn, `rows[${p}]`, `an array of length ${want}`, r);
      const full = snap.dtype === 'float64' ? new Float64Array((snap.maxSteps + 1) * snap.n) : new Float32Array((snap.maxSteps + 1) * snap.n);
      full.set(r);
      return tensor(full, [snap.maxSteps + 1, snap.n], { dtype: snap.dtype, backend: b });
    });
    const kept = Array.from({ length: snap.probes }, (_, p) => {
      if (!snap.keepProducts?.includes(p)) return null;
      const r = products[p];
      const want = snap.steps[p]! * snap.n;
      if (!r || r.length !== want) throw rangeError(fn, `products[${p}]`, `an array of length ${want}`, r ?? null);
      const full = snap.dtype === 'float64' ? new Float64Array(snap.maxSteps * snap.n) : new Float32Array(snap.maxSteps * snap.n);
      full.set(r);
      return tensor(full, [snap.maxSteps, snap.n], { dtype: snap.dtype, backend: b });
    });
    return new Lanczos(op, snap, b, basis, kept);
  }

  snapshot(): LanczosSnapshot {
    return {
      n: this.n, probes: this.probes, maxSteps: this.maxSteps, dtype: this.dtype,
      reorthogonalize: this.reorthogonalize, breakdownTol: this.breakdownTol,
      ...(this.products.some((t) => t) ? { keepProducts: this.products.flatMap((t, p) => (t ? [p] : [])) } : {}),
      ...(this.reportProducts.length > 0 ? { reportProducts: this.reportProducts.slice() } : {}),
      steps: this.steps.slice(), active: this.active.slice(),
      alpha: this.alpha.map((a) => a.slice()), beta: this.beta.map((b) => b.slice()),
      normEstimate: this.normEstimate, matvecs: this.matvecs,
    };
  }

  /** True while some probe can take another step. */
  get running(): boolean {
    return this.active.some((a, p) => a && this.steps[p]! < this.maxSteps);
  }

  /** Whether probe p stopped on breakdown (an invariant subspace). */
  brokeDown(p: number): boolean {
    return !this.active[p] && this.steps[p]! < this.maxSteps;
  }

  /**
   * Advances every active probe by one step (one call of the operator on their block).
   * Returns the step's record, or null when no probe can go on.
   */
  async step(): Promise<LanczosStepInfo | null> {
    const act = this.active.flatMap((a, p) => (a && this.steps[p]! < this.maxSteps ? [p] : []));
    if (act.length === 0) return null;
    const j = this.steps[act[0]!]!;
    const n = this.n;
    // Current vectors q_{j+1} (row j) of the active probes as a contiguous [b, n] block.
    const cur = tidy(() => act.length === this.probes && this.probes === 1
      ? slice(this.basis[0]!, [j, 0], [1, n])
      : concat(act.map((p) => slice(this.basis[p]!, [j, 0], [1, n])), 0));
    const v = transpose(cur);
    let out: Tensor;
    try {
      out = checkOperatorResult('lanczos', v, await this.op(v));
    } finally {
      v.dispose();
      cur.dispose();
    }
    this.matvecs += act.length;

    const keptProbes = act.filter((p) => this.products[p] || this.reportProducts.includes(p));
    const w = contiguous(transpose(out));
    out.dispose();
    let coeffs: { alpha: number[]; beta: number[]; next: Tensor | null };
    let kept: Tensor | null = null;
    try {
      kept = tidy(() => {
        const keptRows: Tensor[] = [];
        act.forEach((p, i) => {
          if (this.products[p]) {
            writeRows(this.products[p]!, j, slice(w, [i, 0], [1, n]));
            // The kept row itself (a view), not a second copy.
            keptRows.push(slice(this.products[p]!, [j, 0], [1, n]));
          } else if (this.reportProducts.includes(p)) {
            keptRows.push(slice(w, [i, 0], [1, n]));
          }
        });
        return keptRows.length === 0 ? null : keptRows.length === 1 ? keptRows[0]! : concat(keptRows, 0);
      });
      coeffs = this.orthonormalizeInPlace(act, w, j) ?? await this.orthonormalizeByOps(act, w, j);
    } catch (e) {
      kept?.dispose();
      throw e;
    } finally {
      w.dispose();
    }

    act.forEach((p, i) => {
      const a = coeffs.alpha[i]!, bt = coeffs.beta[i]!;
      if (!Number.isFinite(a) || !Number.isFinite(bt)) {
        coeffs.next?.dispose();
        kept?.dispose();
        throw new RangeError(`lanczos: the operator produced a non-finite value at step ${j + 1} of probe ${p} (α = ${a}, β = ${bt})`);
      }
    });
    act.forEach((p, i) => {
      const bt = coeffs.beta[i]!;
      this.alpha[p]!.push(coeffs.alpha[i]!);
      this.beta[p]!.push(bt);
      this.steps[p] = j + 1;
      this.normEstimate = Math.max(this.normEstimate, gershgorin(this.alpha[p]!, this.beta[p]!));
      if (coeffs.next) {
        const row = slice(coeffs.next, [i, 0], [1, n]);
        writeRows(this.basis[p]!, j + 1, row);
        row.dispose();
      }
      if (bt <= this.breakdownTol * this.normEstimate) this.active[p] = false;
      if (j + 1 >= this.maxSteps) this.active[p] = false;
    });
    // The new rows: the basis rows themselves (views) when they were written in place.
    const next = coeffs.next ?? tidy(() => act.length === 1
      ? slice(this.basis[act[0]!]!, [j + 1, 0], [1, n])
      : concat(act.map((p) => slice(this.basis[p]!, [j + 1, 0], [1, n])), 0));
    const info: LanczosStepInfo = {
      step: j + 1, probes: act, rows: next, alpha: coeffs.alpha, beta: coeffs.beta,
      products: kept ? { probes: keptProbes, rows: kept } : null,
    };
    // The rows stay readable until the next step, which disposes them.
    this.lastRows?.dispose();
    this.lastKept?.dispose();
    this.lastRows = next;
    this.lastKept = kept;
    return info;
  }

  /**
   * The backend's in-place reorthogonalisation (ops.orthonormalizeInto, cpu float32): each
   * probe's w_i [n] (row i of `w`) becomes q_{j+2} = w2/‖w2‖ written straight into its basis
   * row j + 1, with no intermediate vectors. Null where the backend has no such op.
   */
  private orthonormalizeInPlace(act: number[], w: Tensor, j: number): { alpha: number[]; beta: number[]; next: null } | null {
    const ops = this.backend.ops;
    if (!this.reorthogonalize || !ops.orthonormalizeInto) return null;
    const alpha: number[] = [], beta: number[] = [];
    for (const [i, p] of act.entries()) {
      const q = this.basis[p]!;
      const r = ops.orthonormalizeInto(q.contig, j + 1, this.n, { s: w.storage, offset: w.offset + i * this.n }, { s: q.storage, offset: q.offset + (j + 1) * this.n });
      if (!r) {
        // Every probe shares one dtype, so the op declines the first or none.
        if (i === 0) return null;
        throw new Error('lanczos: internal error: orthonormalizeInto declined a probe after accepting another');
      }
      alpha.push(r.coeffs[j]!);
      beta.push(r.norm);
    }
    return { alpha, beta, next: null };
  }

  /** The same through tensor ops: the new rows in `next` ([b, n], normalised), not yet in the basis. */
  private async orthonormalizeByOps(act: number[], w: Tensor, j: number): Promise<{ alpha: number[]; beta: number[]; next: Tensor }> {
    const n = this.n;
    const { next, coeffs } = tidy(() => {
      const rows: Tensor[] = [];
      const alphas: Tensor[] = [];
      act.forEach((p, i) => {
        const wi = slice(w, [i, 0], [1, n]);
        if (this.reorthogonalize) {
          // One fused op: [w2, h1 + h2] after two Gram–Schmidt passes against rows 0..j.
          const q = this.basis[p]!.strided;
          const fused = Tensor.fromStorage(this.backend, this.backend.ops.orthogonalize(q, j + 1, n, { s: w.strided.s, offset: w.strided.offset + i * n }), [n + j + 1]);
          alphas.push(reshape(slice(fused, [n + j], [1]), [1, 1]));
          rows.push(reshape(slice(fused, [0], [n]), [1, n]));
        } else {
          const qj = slice(this.basis[p]!, [j, 0], [1, n]);
          let r = wi;
          if (j > 0) r = sub(r, mul(slice(this.basis[p]!, [j - 1, 0], [1, n]), this.beta[p]![j - 1]!));
          const a = reshape(dot(qj, r), [1, 1]);
          alphas.push(a);
          rows.push(sub(r, mul(qj, a)));
        }
      });
      const block = rows.length === 1 ? rows[0]! : concat(rows, 0);
      const norms = norm(block, 1, true);
      return {
        next: div(block, norms),
        coeffs: concat([...alphas.map((a) => reshape(a, [1])), reshape(norms, [act.length])], 0),
      };
    });
    const host = await coeffs.data();
    coeffs.dispose();
    return { alpha: act.map((_, i) => host[i]!), beta: act.map((_, i) => host[act.length + i]!), next };
  }

  private lastRows: Tensor | null = null;
  private lastKept: Tensor | null = null;

  /** Runs steps until every probe has stopped. */
  async run(onStep?: (info: LanczosStepInfo) => void | Promise<void>): Promise<this> {
    for (let info = await this.step(); info; info = await this.step()) await onStep?.(info);
    return this;
  }

  /** The tridiagonal T of probe p: its diagonal (α) and off-diagonal (β_1..β_{j−1}). */
  tridiagonal(p: number): { diag: Float64Array; off: Float64Array } {
    const k = this.steps[p]!;
    return { diag: Float64Array.from(this.alpha[p]!), off: Float64Array.from(this.beta[p]!.slice(0, Math.max(k - 1, 0))) };
  }

  /** β_j after the last step of probe p: the norm of the residual A Q − Q T. */
  residualNorm(p: number): number {
    return this.beta[p]![this.steps[p]! - 1] ?? 0;
  }

  /** A view of q_1..q_j of probe p as rows [j, n]. */
  basisRows(p: number, count = this.steps[p]!): Tensor {
    return slice(this.basis[p]!, [0, 0], [count, this.n]);
  }

  /** A view of A q_1..A q_j of probe p as rows [j, n] (a probe that keeps products; see the file header). */
  productRows(p: number, count = this.steps[p]!): Tensor {
    const t = this.products[p];
    if (!t) throw new RangeError(`Lanczos.productRows: probe ${p} does not keep its products (opts.keepProducts)`);
    return slice(t, [0, 0], [count, this.n]);
  }

  /** A view of probe p's next vector q_{j+1} as a row [1, n] (meaningless after a breakdown). */
  nextVector(p: number): Tensor {
    return slice(this.basis[p]!, [this.steps[p]!, 0], [1, this.n]);
  }

  /** Host copy of rows [from, to) of probe p's basis (for checkpoints). */
  async hostRows(p: number, from: number, to: number): Promise<HostArray> {
    const v = slice(this.basis[p]!, [from, 0], [to - from, this.n]);
    try {
      return await v.data();
    } finally {
      v.dispose();
    }
  }

  /** Frees the basis. */
  dispose(): void {
    this.lastRows?.dispose();
    this.lastKept?.dispose();
    this.lastRows = null;
    this.lastKept = null;
    dispose(this.basis);
    for (const t of this.products) t?.dispose();
  }
}

/**
 * Runs a Lanczos process to completion (see the file header) and returns it.
 * @example
 * const run = await lanczos(matrixOperator(a), 100, { steps: 30 });
 * const { diag, off } = run.tridiagonal(0);
 */
export function lanczos(op: SizedOperator, opts: LanczosOptions, onStep?: (info: LanczosStepInfo) => void | Promise<void>): Promise<Lanczos>;
export function lanczos(op: Operator, n: number, opts: LanczosOptions, onStep?: (info: LanczosStepInfo) => void | Promise<void>): Promise<Lanczos>;
export async function lanczos(
  opIn: OperatorLike, a: number | LanczosOptions, b?: LanczosOptions | ((info: LanczosStepInfo) => void | Promise<void>), c?: (info: LanczosStepInfo) => void | Promise<void>,
): Promise<Lanczos> {
  const sized = typeof opIn !== 'function';
  const { op, n, opts } = operatorCall<LanczosOptions>('lanczos', opIn, sized && typeof a !== 'number' ? a : (a as number), sized && typeof a !== 'number' ? undefined : (b as LanczosOptions));
  const onStep = sized && typeof a !== 'number' ? (b as ((info: LanczosStepInfo) => void | Promise<void>) | undefined) : c;
  return Lanczos.create(op, n, opts).run(onStep);
}
