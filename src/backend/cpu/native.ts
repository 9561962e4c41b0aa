// The native addon's exports, typed. Every function validates its arguments and throws a
// TypeError / RangeError naming the argument (see native/README.md for each one's contract).
// Op codes are the UNARY / BINARY / REDUCE / ACT tables of ../ops.ts.

export type Isa = 'ref' | 'avx2' | 'avx512';

export interface CpuInfo {
  /** The instruction set the kernels currently use. */
  readonly isa: Isa;
  /** Every instruction set this CPU (and its OS) supports. */
  readonly isas: readonly Isa[];
  /** Threads of the pool, the calling thread included. */
  readonly threads: number;
  /** Physical cores available to this process. */
  readonly cores: number;
  /** The GEMM micro-kernel in use, e.g. 'avx512-14x32'. */
  readonly gemmKernel: string;
  /** Whether glibc's libmvec (vector exp, log, erf, ...) was found. */
  readonly libmvec: boolean;
}

export interface EigResult {
  /** Eigenvalues, ascending. */
  readonly values: Float64Array;
  /** k×k row-major; column j is the unit eigenvector of values[j]. */
  readonly vectors: Float64Array;
}

type HostArray = Float32Array | Float64Array | Int32Array;
type Ints = readonly number[];

export interface NativeAddon {
  cpuInfo(): CpuInfo;
  setThreads(n: number): void;
  getThreads(): number;
  setIsa(isa: Isa): void;
  /** A zero-filled ArrayBuffer of `bytes` on transparent huge pages (src/backend/host.ts), or null when mmap fails. */
  hugeBuffer(bytes: number): ArrayBuffer | null;
  sgemm(
    a: Float32Array, aOffset: number, strideA: number, transA: boolean,
    b: Float32Array, bOffset: number, strideB: number, transB: boolean,
    out: Float32Array, batch: number, m: number, n: number, k: number,
    bias: Float32Array | null, biasOffset: number, act: number,
  ): void;
  /**
   * For t < batch: out[t] = W_t stepped by optimStep's SGD kernel with the gradient op(A_t)·op(B_t)
   * (computed as sgemm computes it, never stored) and record hyper[t·7 …]; W_t at wOffset + t·strideW
   * (0: one shared start), out[t] at outOffset + t·m·n (out may be w itself, in place). With `next`,
   * also z[t] (rows×n at zOffset + t·rows·n) = X_t·out[t], X_t (rows×m) at nextOffset + t·strideNext.
   */
  sgemmSgd(
    a: Float32Array, aOffset: number, strideA: number, transA: boolean,
    b: Float32Array, bOffset: number, strideB: number, transB: boolean,
    w: Float32Array, wOffset: number, strideW: number, out: Float32Array, outOffset: number,
    batch: number, m: number, n: number, k: number, hyper: Float32Array,
    next?: Float32Array | null, nextOffset?: number, strideNext?: number, rows?: number, z?: Float32Array, zOffset?: number,
  ): void;
  fill(out: Float32Array, value: number): void;
  unary(op: number, x: Float32Array, xOffset: number, out: Float32Array, size: number): void;
  binary(op: number, a: Float32Array, aOffset: number, aStrides: Ints, b: Float32Array, bOffset: number, bStrides: Ints, out: Float32Array, shape: Ints): void;
  where(
    cond: Float32Array, condOffset: number, condStrides: Ints, a: Float32Array, aOffset: number, aStrides: Ints,
    b: Float32Array, bOffset: number, bStrides: Ints, out: Float32Array, shape: Ints,
  ): void;
  copyInto(src: HostArray, srcOffset: number, srcStrides: Ints, dst: HostArray, dstOffset: number, dstStrides: Ints, shape: Ints): void;
  cast(x: HostArray, xOffset: number, out: HostArray, size: number): void;
  reduce(op: number, x: Float32Array, xOffset: number, outer: number, n: number, inner: number, out: Float32Array | Int32Array): void;
  softmax(x: Float32Array, xOffset: number, rows: number, cols: number, log: boolean, out: Float32Array): void;
  gather(x: Float32Array, xOffset: number, outer: number, n: number, inner: number, indices: Int32Array, indicesOffset: number, m: number, out: Float32Array): void;
  scatterAdd(src: Float32Array, srcOffset: number, outer: number, m: number, inner: number, indices: Int32Array, indicesOffset: number, n: number, out: Float32Array): void;
  /** Runs the ISA's FMA loop `iterations` times on `threads` pool threads at once; returns the flops done. */
  fmaBurst(iterations: number, threads: number): number;
  /** STREAM triad a[i] = b[i] + scalar·c[i] over a.length elements, threaded (for bandwidth measurements). */
  streamTriad(a: Float32Array, b: Float32Array, c: Float32Array, scalar: number): void;
  /** With `ends`, `vectors` holds only the first and last component of each eigenvector (2k values, O(k²) work). */
  tridiagEig(alpha: Float64Array, beta: Float64Array, ends?: boolean): Promise<EigResult>;
  tridiagEigSync(alpha: Float64Array, beta: Float64Array, ends?: boolean): EigResult;
  /** Points fd 2 at /dev/null, keeping the original inside the addon; false when not done (or already muted). */
  muteStderr(): boolean;
  /** Points fd 2 back at the original; false when it was not muted. */
  restoreStderr(): boolean;
  /** Two fused Gram–Schmidt passes of w against rows Q[0..rows) ([rows, n] at qOffset): out = [w2 (n), h1 + h2 (rows)]. */
  orthogonalize(q: Float32Array, qOffset: number, rows: number, n: number, w: Float32Array, wOffset: number, out: Float32Array): void;
  /** The same passes with w2/‖w2‖ written to into[intoOffset..+n) and h1 + h2 to h[0..rows); returns ‖w2‖. */
  /** The CRC-32 of data's bytes continuing from crc (zlib's convention). */
  crc32(data: ArrayBufferView, crc: number): number;
  orthonormalize(q: Float32Array, qOffset: number, rows: number, n: number, w: Float32Array, wOffset: number, into: Float32Array, intoOffset: number, h: Float32Array): number;
}

/** The names of every export, for tests that walk the whole boundary. */
export const NATIVE_EXPORTS = [
  'cpuInfo', 'setThreads', 'getThreads', 'setIsa', 'hugeBuffer', 'sgemm', 'sgemmSgd', 'fill', 'unary', 'binary', 'where', 'copyInto', 'cast',
  'reduce', 'softmax', 'gather', 'scatterAdd', 'fmaBurst', 'streamTriad', 'tridiagEig', 'tridiagEigSync', 'orthogonalize', 'orthonormalize', 'crc32',
  'muteStderr', 'restoreStderr',
] as const satisfies readonly (keyof NativeAddon)[];
