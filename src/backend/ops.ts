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

export interface OpSignatures {
  /** A new storage of `size` elements, each `value`. */
  fill(size: number, value: number, dtype: DType): Storage;
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
}

export type OpName = keyof OpSignatures;
export type OpImpl<K extends OpName> = OpSignatures[K];
export type OpTable = { [K in OpName]: OpImpl<K> };

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
