// The backend op table: every op that a backend must implement, declared once.
//
// Contract. Ops work on storage handles owned by one backend. Inputs are either
// contiguous (`Contig`: a storage and an element offset) or strided (`Strided`: a
// storage, an offset, a shape and strides in elements; a stride of 0 broadcasts).
// Every op that produces a value returns a fresh storage holding it contiguously in
// row-major order; ops named `*Into`/`*Step` write into storage they are given.
// The tensor layer (src/tensor.ts, src/ops/) does all shape checking, broadcasting
// and view logic; backends may assume arguments are consistent.
//
// Each backend exports `{ [K in OpName]: OpImpl<K> }`, so an op missing from any
// backend is a type error. The `reference` backend (src/backend/reference/) is the
// living definition of every op: read its TSDoc for the maths.

import type { DType } from '../dtype.js';

/** An opaque handle to memory owned by a backend. */
export interface Storage {
  readonly dtype: DType;
  /** Number of elements. */
  readonly size: number;
}

export interface Contig {
  readonly s: Storage;
  readonly offset: number;
}

export interface Strided extends Contig {
  readonly shape: readonly number[];
  readonly strides: readonly number[];
}

/** Elementwise unary ops. The numeric codes are shared with native/ and kernels/. */
export const UNARY = {
  neg: 0, abs: 1, exp: 2, log: 3, sqrt: 4, rsqrt: 5, square: 6, reciprocal: 7,
  relu: 8, tanh: 9, sigmoid: 10, gelu: 11, sign: 12, step: 13, sin: 14, cos: 15,
  log1p: 16, expm1: 17, softplus: 18, gelugrad: 19, floor: 20, ceil: 21,
} as const;
export type UnaryOp = keyof typeof UNARY;

/** Elementwise binary ops (comparisons give 1 or 0 in the input dtype). */
export const BINARY = {
  add: 0, sub: 1, mul: 2, div: 3, max: 4, min: 5, pow: 6,
  lt: 7, le: 8, gt: 9, ge: 10, eq: 11, ne: 12, atan2: 13,
} as const;
export type BinaryOp = keyof typeof BINARY;

export const REDUCE = { sum: 0, max: 1, min: 2, argmax: 3, argmin: 4, sumsq: 5 } as const;
export type ReduceOp = keyof typeof REDUCE;

/** Fused epilogue activation of matmul. */
export const ACT = { none: 0, relu: 1, tanh: 2, sigmoid: 3, gelu: 4 } as const;
export type Act = keyof typeof ACT;

export interface MatmulArgs {
  /** A: `batch` matrices, each m×k (or k×m when transA), row-major, `strideA` elements apart (0 = shared). */
  readonly a: Contig;
  readonly b: Contig;
  readonly batch: number;
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly transA: boolean;
  readonly transB: boolean;
  readonly strideA: number;
  readonly strideB: number;
  /** Optional bias of length n added to every row before the activation. */
  readonly bias?: Contig;
  readonly act: Act;
}

// ─── Optimizer steps (owner: src/optim/; maths in src/backend/reference/optim.ts) ───
//
// One call updates a whole parameter arena in place: `replicas` replicas of `size`
// elements each, laid out [replicas, size] from each handle's offset; the gradient and
// every per-element state buffer use the same layout. A replica is cut into groups by
// `bounds` (0 = b_0 < b_1 < … < b_G = size; group j is [b_j, b_{j+1})). Each (replica,
// group) pair has its own record of hyperparameters, `hyper[(r·G + j)·K + f]` with the
// field order of OPTIM_HYPER[op] (K fields): float32 for float32 arenas, float64 for
// float64 ones (so a float64 arena's lr is not rounded to float32); the host computes every
// step-dependent factor (bias corrections, schedules) in float64 and rounds it once to the
// arena's precision, so every backend sees the same numbers. Field `clip` (first in every record) is a maximum
// gradient norm per replica (0 = off): the step then scales g by
// s = min(1, clip / (√(Σ_j norms[r·G + j]) + 1e-6)), and `norms` must hold the squared
// group norms of g (optimSumSq). The numeric field indices are shared with native/optim
// and kernels/optim_*.wgsl.

/** Hyperparameter record fields of each optimizer step op, in order. */
export const OPTIM_HYPER = {
  sgdStep: ['clip', 'lr', 'weightDecay', 'keep', 'momentum', 'dampening', 'nesterov'],
  adamStep: ['clip', 'stepSize', 'weightDecay', 'keep', 'beta1', 'beta2', 'eps', 'bc2Rsqrt'],
  adagradStep: ['clip', 'lr', 'weightDecay', 'keep', 'eps'],
  adagradNormStep: ['clip', 'lr', 'keep', 'eps'],
  rmspropStep: ['clip', 'lr', 'weightDecay', 'keep', 'alpha', 'eps', 'momentum'],
  diffgradStep: ['clip', 'stepSize', 'weightDecay', 'keep', 'beta1', 'beta2', 'eps', 'constFriction'],
  egStep: ['clip', 'lr', 'weightDecay'],
  optimisticStep: ['clip', 'lr', 'weightDecay', 'entropic'],
} as const;
export type OptimOp = keyof typeof OPTIM_HYPER;

/** Structural variants of rmspropStep (bits of OptimArgs.variant); they fix its state list. */
export const RMSPROP_VARIANT = { centered: 1, momentum: 2 } as const;

export interface OptimArgs {
  /** Parameters [replicas, size], updated in place. */
  readonly p: Contig;
  /** Gradients [replicas, size], read only. */
  readonly g: Contig;
  /** State buffers, updated in place; which ones, and their lengths, are given per op. */
  readonly state: readonly Contig[];
  readonly replicas: number;
  readonly size: number;
  /** Group boundaries within a replica (G + 1 of them, from 0 up to `size`). */
  readonly bounds: Int32Array;
  /** Hyperparameters [replicas, G, OPTIM_HYPER[op].length], in the arena's float precision. */
  readonly hyper: Float32Array | Float64Array;
  /** Squared gradient norms [replicas, G] from optimSumSq; required when a clip is set and by adagradNormStep. */
  readonly norms?: Contig;
  /** Structural variant bits (only rmspropStep uses any; 0 elsewhere). */
  readonly variant: number;
}

/**
 * Refuses optimizer arguments that share memory where the fused step writes: p and every state
 * buffer are written in place, so none may overlap another argument (p, g, a state, norms).
 * Every backend calls this first, so aliasing (e.g. `new SGD(x).step(x)`) gets one message
 * everywhere instead of a backend-specific outcome.
 */
export function checkOptimArgs(op: OptimOp, a: OptimArgs): void {
  const G = a.bounds.length - 1;
  const whole = a.replicas * a.size;
  const args: { name: string; c: Contig; n: number; writes: boolean }[] = [
    { name: 'p', c: a.p, n: whole, writes: true },
    { name: 'g', c: a.g, n: whole, writes: false },
    ...a.state.map((c, i) => ({ name: `state[${i}]`, c, n: op === 'adagradNormStep' ? a.replicas * G : whole, writes: true })),
    ...(a.norms ? [{ name: 'norms', c: a.norms, n: a.replicas * G, writes: false }] : []),
  ];
  for (let i = 0; i < args.length; i++) {
    for (let j = 0; j < args.length; j++) {
      const x = args[i]!, y = args[j]!;
      if (i === j || !x.writes || x.c.s !== y.c.s || x.n === 0 || y.n === 0) continue;
      if (j < i && y.writes) continue; // each writable pair once
      if (x.c.offset < y.c.offset + y.n && y.c.offset < x.c.offset + x.n) {
        throw new RangeError(`${op}: expected an output that shares no memory with '${y.name}' for '${x.name}' but received a view overlapping '${y.name}' (the step writes '${x.name}' in place)`);
      }
    }
  }
}

/**
 * A fused SGD step whose gradient is a batched product (the optional op `sgdProductStep`):
 * out[t] ← SGD(W_t, op(A_t)·op(B_t)) with the records `hyper` [batch, 7] (SGD without
 * momentum or clipping), the bits of `matmul` then `sgdStep`, without writing the gradient.
 */
export interface SgdProductArgs {
  /** op(A_t) = A_t [m, k], or A_tᵀ of a [k, m] matrix when transA; A_t at a.offset + t·strideA. */
  a: Contig;
  strideA: number;
  transA: boolean;
  /** op(B_t) = B_t [k, n], or B_tᵀ of an [n, k] matrix when transB. */
  b: Contig;
  strideB: number;
  transB: boolean;
  /** The weights W_t [m, n] at w.offset + t·strideW (0: one start matrix for every replica). */
  w: Contig;
  strideW: number;
  /** The stepped weights [batch, m, n]; may be `w` itself (strideW = m·n) for an in-place step. */
  out: Contig;
  batch: number;
  m: number;
  n: number;
  k: number;
  /** The SGD records [batch, 7] (OPTIM_HYPER.sgdStep) without clipping or momentum. */
  hyper: Float32Array | Float64Array;
  /** Also next.out[t] [rows, n] = X_t·out[t] for X_t [rows, m] at next.a.offset + t·next.strideA (the bits of `matmul`). */
  next?: { a: Contig; strideA: number; rows: number; out: Contig };
}

export interface OpSignatures {
  /** A new storage of `size` elements, each `value`. */
  fill(size: number, value: number, dtype: DType): Storage;
  /**
   * A new storage of `size` elements whose contents are arbitrary: for outputs that the caller
   * overwrites completely (a copy, a concatenation), so that the memory is not filled first.
   * Optional: without it, `allocStorage` fills with zeros.
   */
  alloc?(size: number, dtype: DType): Storage;
  /** Writes the strided view `src` into the strided view `dst` (same shape). */
  copyInto(src: Strided, dst: Strided): void;
  /** Casts `size` contiguous elements to `dtype` (float→int truncates toward zero). */
  cast(x: Contig, size: number, dtype: DType): Storage;
  unary(op: UnaryOp, x: Contig, size: number): Storage;
  /** out[i] = op(a[i], b[i]) over `shape`, inputs read through their (broadcasting) strides. */
  binary(op: BinaryOp, a: Strided, b: Strided, shape: readonly number[]): Storage;
  /** out[i] = cond[i] != 0 ? a[i] : b[i], all read through strides. */
  where(cond: Strided, a: Strided, b: Strided, shape: readonly number[]): Storage;
  /** Reduces the middle axis of x viewed as [outer, n, inner]; argmax/argmin give int32. */
  reduce(op: ReduceOp, x: Contig, outer: number, n: number, inner: number): Storage;
  /** C[batch, m, n] = act(op(A)·op(B) + bias). */
  matmul(args: MatmulArgs): Storage;
  /** Row-wise softmax (or log-softmax) of x viewed as [rows, cols]. */
  softmax(x: Contig, rows: number, cols: number, log: boolean): Storage;
  /** out[o, j, i] = x[o, idx[j], i] for x viewed as [outer, n, inner], idx int32 of length m. */
  gather(x: Contig, outer: number, n: number, inner: number, idx: Contig, m: number): Storage;
  /** The adjoint of gather: out[o, idx[j], i] += src[o, j, i], out of shape [outer, n, inner]. */
  scatterAdd(src: Contig, outer: number, m: number, inner: number, idx: Contig, n: number): Storage;
  /**
   * Lanczos reorthogonalisation (owner: src/linalg/): two classical Gram–Schmidt passes of
   * w [n] against Q [rows, n] (both contiguous, float32 or float64, same dtype):
   * h1 = Q w, w1 = w − Qᵀh1, h2 = Q w1, w2 = w1 − Qᵀh2. Returns [w2 (n values), h1 + h2 (rows values)]
   * as the first n + rows values of a storage that may be longer (cpu: reused across steps).
   */
  orthogonalize(q: Contig, rows: number, n: number, w: Contig): Storage;
  /**
   * Optional (cpu; float32): the passes of `orthogonalize` with w2/‖w2‖ written into `into`
   * (n values; it may lie in q's own storage past the rows read, as the next Lanczos row does)
   * instead of a new storage. Returns h1 + h2 (rows values) and ‖w2‖ (summed in double), or
   * null where it does not apply (other dtypes): callers then use orthogonalize.
   */
  orthonormalizeInto?(q: Contig, rows: number, n: number, w: Contig, into: Contig): { coeffs: Float32Array; norm: number } | null;

  // ─── Optimizer steps (see OptimArgs; owner: src/optim/) ───
  /** Squared norms of x [replicas, size] per (replica, group): out[r·G + j] = Σ_{i∈group j} x[r, i]², float32. */
  optimSumSq(x: Contig, replicas: number, size: number, bounds: Int32Array): Storage;
  /** SGD with momentum, dampening, Nesterov and weight decay; state [] or [momentum buffer]. */
  sgdStep(a: OptimArgs): void;
  /** Adam / AdamW (decoupled decay via `keep`); state [m, v] or, for AMSGrad, [m, v, vmax]. */
  adamStep(a: OptimArgs): void;
  /** AdaGrad; state [sum of squares]. */
  adagradStep(a: OptimArgs): void;
  /** AdaGradNorm (one step size per replica and group); state [b² of length replicas·G]; needs norms. */
  adagradNormStep(a: OptimArgs): void;
  /** RMSProp; state [v, gAvg if centered, buffer if momentum] (RMSPROP_VARIANT bits). */
  rmspropStep(a: OptimArgs): void;
  /** diffGrad (v2, friction from the previous gradient); state [m, v, previous g]. */
  diffgradStep(a: OptimArgs): void;
  /** Unnormalised exponentiated gradient EG±; state [] (sign-preserving on p) or [u, v] with p = u − v. */
  egStep(a: OptimArgs): void;
  /** Optimistic (mirror) descent, Euclidean or entropic per group; state [x̂]. */
  optimisticStep(a: OptimArgs): void;
  /** Optional (cpu; float32): see SgdProductArgs. Callers fall back to matmul + sgdStep where it is absent. */
  sgdProductStep?(a: SgdProductArgs): void;
}

export type OpName = keyof OpSignatures;
export type OpImpl<K extends OpName> = OpSignatures[K];
export type OpTable = { [K in keyof OpSignatures]: OpSignatures[K] };

/** Typed arrays by dtype. */
export type HostArray = Float32Array | Float64Array | Int32Array;

export interface Backend {
  readonly name: BackendName;
  readonly ops: OpTable;
  /** A new storage holding a copy of `data`. */
  upload(data: HostArray): Storage;
  /** Reads `size` elements from `offset` (default: all). */
  read(s: Storage, offset?: number, size?: number): Promise<HostArray>;
  /** Synchronous read; only backends whose memory is host memory implement it. */
  readSync?(s: Storage, offset?: number, size?: number): HostArray;
  /** Frees the storage now. Using it afterwards is an error. */
  free(s: Storage): void;
  /** Waits for queued work (a no-op on host backends). */
  sync(): Promise<void>;
}

export type BackendName = 'reference' | 'cpu' | 'webgpu';
