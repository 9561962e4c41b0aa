// Curvature studies on any model: which matrix (Hessian, Gauss-Newton, or their difference),
// the minibatch-Hessian sampler, the sharpness tracker, loss along a line, and the
// outlier/bulk counts of a spectrum.
//
// The Hessian of a mean loss splits as (Sagun et al. 2017, eq. 2; Schraudolph 2002)
//   ∇²L = (1/N) Σ_i J_iᵀ ∇²ℓ(f_i) J_i  +  (1/N) Σ_i Σ_c ∂ℓ/∂f_ic ∇²f_ic
//       =            G (GGN)            +          R (residual),
// so the residual's products are H·V − G·V (two exact products, no approximation).

import {
  add, broadcastTo, eigsh, gatherRows, keep, mean, modelGGN, modelHessian, mul, norm, randomNormal, reshape, sub,
  stream, subsetIndices, tensor, tidy, Tensor, div,
} from '../../engine.js';
import type { Backend, BackendName, CurvatureOperator, DataBatch, Loss, Model, ModelCurvatureOptions } from '../../engine.js';

/** Which curvature matrix: the Hessian, the generalised Gauss-Newton matrix, or H − G. */
export type CurvatureMatrix = 'hessian' | 'ggn' | 'residual';

/**
 * The operator of `matrix` for the mean loss of `model` on `data` at `params`. 'residual' is
 * H − G (Sagun et al. 2017, eq. 2: the part of the Hessian from the model's own curvature,
 * weighted by the loss gradient with respect to the outputs), applied as H·V − G·V.
 * @example
 * const R = curvatureOperator('residual', net, softmaxCrossEntropy, params, { x, y });
 */
export function curvatureOperator(matrix: CurvatureMatrix, model: Model, loss: Loss, params: Tensor, data: DataBatch, opts: ModelCurvatureOptions = {}): CurvatureOperator {
  if (matrix === 'hessian') return modelHessian(model, loss, params, data, opts);
  if (matrix === 'ggn') return modelGGN(model, loss, params, data, opts);
  if (matrix !== 'residual') throw new RangeError(`curvatureOperator: expected 'hessian', 'ggn' or 'residual' for 'matrix' but received ${String(matrix)}`);
  const H = modelHessian(model, loss, params, data, opts);
  const G = modelGGN(model, loss, params, data, opts);
  return {
    size: H.size,
    value: H.value,
    apply: (V: Tensor) => tidy(() => sub(H.apply(V), G.apply(V))),
    gradient: () => H.gradient(),
    dispose() { H.dispose(); G.dispose(); },
  };
}

/** Host data the sampler draws rows from: x [n, features] and targets [n] or [n, width]. */
export interface HostData {
  x: Float32Array;
  y: Int32Array | Float32Array;
  n: number;
  features: number;
}

function checkHostData(fn: string, data: HostData): number {
  if (!data || !(data.x instanceof Float32Array) || !(data.y instanceof Int32Array || data.y instanceof Float32Array)) {
    throw new TypeError(`${fn}: expected 'data' as { x: Float32Array, y: Int32Array | Float32Array, n, features } but received ${typeof data}`);
  }
  if (data.x.length !== data.n * data.features || data.n < 1 || data.y.length % data.n !== 0) {
    throw new RangeError(`${fn}: expected data.x of ${data.n}×${data.features} values and data.y a multiple of n = ${data.n} long but received ${data.x.length} and ${data.y.length}`);
  }
  return data.y.length / data.n;
}

/**
 * The `count` seeded subsets of size B of n rows: subset s is `subsetIndices(n, B, seed, s)`
 * (a uniform B-subset, Philox stream ('shuffle', s) under `seed`), host-side, so the same
 * seeds give the same rows on every backend and every machine.
 */
export function minibatchSubsets(n: number, batchSize: number, count: number, seed: number): Int32Array[] {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`minibatchSubsets: expected a positive integer for 'count' but received ${count}`);
  return Array.from({ length: count }, (_, s) => subsetIndices(n, batchSize, seed, s));
}

/** The rows `rows` of host data as tensors { x [B, features], y [B] or [B, width] }. */
export function gatherBatch(data: HostData, rows: ArrayLike<number>, opts: { dtype?: 'float32' | 'float64'; backend?: Backend | BackendName } = {}): DataBatch {
  const width = checkHostData('gatherBatch', data);
  const like = opts.backend ? { backend: opts.backend } : {};
  const xs = gatherRows(data.x, data.features, rows);
  const x = tensor(opts.dtype === 'float64' ? Float64Array.from(xs) : xs, [rows.length, data.features], { dtype: opts.dtype ?? 'float32', ...like });
  const ys = data.y instanceof Int32Array ? gatherRows(data.y, width, rows) : gatherRows(data.y, width, rows);
  const yShape = data.y instanceof Int32Array && width === 1 ? [rows.length] : [rows.length, width];
  const y = data.y instanceof Int32Array
    ? tensor(ys, yShape, { dtype: 'int32', ...like })
    : tensor(opts.dtype === 'float64' ? Float64Array.from(ys) : ys, yShape, { dtype: opts.dtype ?? 'float32', ...like });
  return { x, y };
}

export interface MinibatchSpectraOptions {
  /** Batch sizes B (each ≤ n; B = n is the full set, one subset). */
  batchSizes: readonly number[];
  /** Subsets per batch size (default 40). */
  subsets?: number;
  /** Seed of the subsets (default 0). */
  seed?: number;
  /** Top eigenvalues per subset (default 1). */
  k?: number;
  /** Which matrix (default 'hessian'). */
  matrix?: CurvatureMatrix;
  /** Lanczos steps at most (default 30) and relative tolerance (default 1e-4). */
  maxSteps?: number;
  tol?: number;
  dtype?: 'float32' | 'float64';
  backend?: Backend | BackendName;
  /** Called after each subset (for progress and resumable stages). */
  onSubset?: (batchSize: number, s: number, values: number[]) => void;
}

export interface MinibatchSpectra {
  /** Per batch size: the top-k eigenvalues (descending) of each subset's matrix. */
  results: { batchSize: number; values: number[][] }[];
  matvecs: number;
}

/**
 * The minibatch-Hessian sampler: for each B and each of `subsets` seeded subsets
 * (`minibatchSubsets`), the top-k eigenvalues of the subset's mean-loss Hessian (or GGN /
 * residual) by Lanczos with full reorthogonalisation. (Granziol et al. 2020, §3: H_B = H_emp
 * + ε(B).) B = n uses the whole set once.
 * @example
 * const { results } = await minibatchSpectra(net, softmaxCrossEntropy, params, data, { batchSizes: [16, 64, 256] });
 */
export async function minibatchSpectra(model: Model, loss: Loss, params: Tensor, data: HostData, opts: MinibatchSpectraOptions): Promise<MinibatchSpectra> {
  checkHostData('minibatchSpectra', data);
  const subsets = opts.subsets ?? 40, seed = opts.seed ?? 0, k = opts.k ?? 1;
  const results: MinibatchSpectra['results'] = [];
  let matvecs = 0;
  for (const B of opts.batchSizes) {
    if (!Number.isInteger(B) || B < 1 || B > data.n) throw new RangeError(`minibatchSpectra: expected batch sizes in [1, ${data.n}] for 'opts.batchSizes' but received ${B}`);
    const rowsList = B === data.n ? [subsetIndices(data.n, B)] : minibatchSubsets(data.n, B, subsets, seed);
    const values: number[][] = [];
    for (let s = 0; s < rowsList.length; s++) {
      const r = await topEigenvalues(model, loss, params, gatherBatch(data, rowsList[s]!, { dtype: opts.dtype ?? 'float32', ...(opts.backend ? { backend: opts.backend } : {}) }), {
        k, matrix: opts.matrix ?? 'hessian', maxSteps: opts.maxSteps ?? 30, tol: opts.tol ?? 1e-4, seed: seed + s, disposeData: true,
      });
      matvecs += r.matvecs;
      values.push(r.values);
      opts.onSubset?.(B, s, r.values);
    }
    results.push({ batchSize: B, values });
  }
  return { results, matvecs };
}

/** The top-k eigenvalues of a model's curvature matrix on one batch, by Lanczos. */
export async function topEigenvalues(model: Model, loss: Loss, params: Tensor, batch: DataBatch, opts: {
  k?: number; matrix?: CurvatureMatrix; maxSteps?: number; tol?: number; seed?: number; disposeData?: boolean;
} = {}): Promise<{ values: number[]; residuals: number[]; matvecs: number }> {
  const op = curvatureOperator(opts.matrix ?? 'hessian', model, loss, params, batch);
  try {
    const n = op.size;
    const k = Math.min(opts.k ?? 1, n);
    const r = await eigsh(op.apply, n, {
      k, maxSteps: Math.min(n, opts.maxSteps ?? Math.max(30, 3 * k)), tol: opts.tol ?? 1e-4, seed: opts.seed ?? 0,
      dtype: params.dtype === 'float64' ? 'float64' : 'float32', backend: params.backend, vectors: false, verify: false,
    });
    r.run.dispose();
    return { values: Array.from(r.values), residuals: Array.from(r.residuals), matvecs: r.matvecs };
  } finally {
    op.dispose();
    if (opts.disposeData) { batch.x.dispose(); batch.y.dispose(); }
  }
}

export interface SharpnessOptions {
  /** Measure every `every` steps (default 10). */
  every?: number;
  /** Lanczos steps at most per measurement (default 20) and relative tolerance (default 1e-3). */
  maxSteps?: number;
  tol?: number;
  /** Weight of a fresh random direction added to the warm start (default 0.01; 0 = pure warm start). */
  mix?: number;
  seed?: number;
}

/** One sharpness measurement. */
export interface SharpnessPoint {
  step: number;
  /** λ_max of the operator. */
  value: number;
  matvecs: number;
  /** Whether the Lanczos run met the tolerance. */
  converged: boolean;
}

/**
 * The sharpness tracker: λ_max of the loss Hessian every k steps of training, by Lanczos
 * warm-started from the previous top Ritz vector (plus `mix` of a fresh seeded direction),
 * so a measurement whose top direction barely moved converges in a few products (Cohen et
 * al. 2021 measure sharpness this way along GD trajectories).
 * @example
 * const tracker = new SharpnessTracker({ every: 10 });
 * if (tracker.due(t)) await tracker.measure(modelHessian(net, loss, params, data), t); // disposes the operator
 */
export class SharpnessTracker {
  readonly every: number;
  readonly history: SharpnessPoint[] = [];
  private vector: Tensor | null = null;
  private readonly opts: Required<Omit<SharpnessOptions, 'every'>>;

  constructor(opts: SharpnessOptions = {}) {
    this.every = opts.every ?? 10;
    if (!Number.isInteger(this.every) || this.every < 1) throw new RangeError(`SharpnessTracker: expected a positive integer for 'opts.every' but received ${opts.every}`);
    this.opts = { maxSteps: opts.maxSteps ?? 20, tol: opts.tol ?? 1e-3, mix: opts.mix ?? 0.01, seed: opts.seed ?? 0 };
  }

  /** Whether step t is a measurement step (t multiple of `every`). */
  due(step: number): boolean {
    return step % this.every === 0;
  }

  /** Measures λ_max of `op` (an operator of this run's size; disposed here) and records it at `step`. */
  async measure(op: CurvatureOperator, step: number): Promise<SharpnessPoint> {
    const n = op.size;
    try {
      const dtype = op.value.dtype === 'float64' ? 'float64' : 'float32';
      let start: Tensor | undefined;
      if (this.vector && this.vector.shape[0] === n) {
        const v = this.vector;
        start = tidy(() => {
          if (this.opts.mix === 0) return reshape(v, [n, 1]);
          const r = randomNormal([n, 1], { seed: this.opts.seed, stream: stream('paper20', 0), offset: this.history.length * n, dtype, backend: v.backend });
          return add(reshape(v, [n, 1]), mul(div(r, norm(r)), this.opts.mix));
        });
      }
      const r = await eigsh(op.apply, n, {
        k: 1, maxSteps: Math.min(n, this.opts.maxSteps), tol: this.opts.tol, seed: this.opts.seed + this.history.length,
        dtype, backend: op.value.backend, ...(start ? { start } : {}), vectors: true, verify: false,
      });
      start?.dispose();
      this.vector?.dispose();
      this.vector = keep(tidy(() => reshape(r.vectors!, [n])));
      r.vectors!.dispose();
      r.run.dispose();
      const point = { step, value: r.values[0]!, matvecs: r.matvecs, converged: r.converged };
      this.history.push(point);
      return point;
    } finally {
      op.dispose();
    }
  }

  /** Frees the kept Ritz vector. */
  dispose(): void {
    this.vector?.dispose();
    this.vector = null;
  }
}

export interface LineOptions {
  /** Points on the segment (default 21, s = 0, 1/20, …, 1). */
  points?: number;
  /** Range of s (default [0, 1]; values outside extrapolate along the line). */
  from?: number;
  to?: number;
}

/**
 * Mean loss along the line θ(s) = (1 − s)·a + s·b, all points evaluated at once as a
 * population [S, P] (one forward pass). The barrier of Sagun et al. (2017, §4) is
 * max_s L(θ(s)) − max(L(a), L(b)).
 * @example
 * const { s, loss } = lossAlongLine(net, softmaxCrossEntropy, thetaSB, thetaLB, { x, y });
 */
export async function lossAlongLine(model: Model, loss: Loss, a: Tensor, b: Tensor, data: DataBatch, opts: LineOptions = {}): Promise<{ s: number[]; loss: number[]; barrier: number }> {
  const points = opts.points ?? 21, from = opts.from ?? 0, to = opts.to ?? 1;
  if (!Number.isInteger(points) || points < 2) throw new RangeError(`lossAlongLine: expected an integer ≥ 2 for 'opts.points' but received ${points}`);
  if (!(a instanceof Tensor) || !(b instanceof Tensor) || a.rank !== 1 || b.rank !== 1 || a.shape[0] !== b.shape[0]) {
    throw new RangeError(`lossAlongLine: expected two arenas [P] of one length for 'a' and 'b' but received ${a?.shape} and ${b?.shape}`);
  }
  const P = a.shape[0]!;
  const s = Array.from({ length: points }, (_, i) => from + ((to - from) * i) / (points - 1));
  const out = tidy(() => {
    const like = { dtype: a.dtype, backend: a.backend };
    const S = tensor(a.dtype === 'float64' ? Float64Array.from(s) : Float32Array.from(s), [points, 1], like);
    const A = reshape(a, [1, P]);
    const theta = add(A, mul(S, sub(reshape(b, [1, P]), A)));
    const B = data.x.shape[0]!;
    const x = broadcastTo(reshape(data.x, [1, ...data.x.shape]), [points, ...data.x.shape]);
    const y = broadcastTo(reshape(data.y, [1, ...data.y.shape]), [points, ...data.y.shape]);
    const l = loss(model.apply(theta, x), y, { reduction: 'none' });
    return mean(reshape(l, [points, B]), 1);
  });
  const values = Array.from(await out.data());
  out.dispose();
  const barrier = Math.max(...values) - Math.max(values[0]!, values[points - 1]!);
  return { s, loss: values, barrier };
}

/**
 * Outliers of a spectrum by its largest gap: with λ_1 ≥ λ_2 ≥ … (descending), the count is
 * the i in [1, maxCount] maximising λ_i/λ_{i+1} over λ_{i+1} > 0, the bulk's edge is λ_{count+1}.
 */
export function gapOutliers(descending: ArrayLike<number>, maxCount: number): { count: number; ratio: number; edge: number } {
  let best = 0, ratio = 0;
  for (let i = 1; i <= Math.min(maxCount, descending.length - 1); i++) {
    const hi = descending[i - 1]!, lo = descending[i]!;
    if (!(lo > 0)) break;
    if (hi / lo > ratio) { ratio = hi / lo; best = i; }
  }
  return { count: best, ratio, edge: best < descending.length ? descending[best]! : NaN };
}

/** The number of eigenvalues with |λ| < rel·max|λ| (the flat directions). */
export function nearZeroCount(values: ArrayLike<number>, rel = 1e-3): number {
  let top = 0;
  for (let i = 0; i < values.length; i++) top = Math.max(top, Math.abs(values[i]!));
  let c = 0;
  for (let i = 0; i < values.length; i++) if (Math.abs(values[i]!) < rel * top) c++;
  return c;
}
