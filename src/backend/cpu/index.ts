// The `cpu` backend: host memory (shared with `reference`, see ../host.ts) and the native
// addon's kernels (native/): a BLIS-style SGEMM with AVX-512 / AVX2 micro-kernels chosen at
// load, vectorised elementwise ops and float64-accumulating reductions, all split over a
// small persistent thread pool. float64 and int32 data take the reference implementation
// where a kernel is float32-only, and so do the optimizer steps for now (optim.ts).
//
// `cpu`'s ops load the addon on first use; createCpuBackend() loads it up front, so a
// missing build shows as a NativeLoadError when the backend is chosen.

import { hostMemory, setLargeAllocator } from '../host.js';
import { matmulSgdStep } from './fused.js';
import type { Backend, OpTable } from '../ops.js';
import { elementwise } from './elementwise.js';
import { gather } from './gather.js';
import { loadNative } from './load.js';
import { matmul } from './matmul.js';
import type { CpuInfo, EigResult, Isa } from './native.js';
import { optim } from './optim.js';
import { orth } from './orth.js';
import { reduce } from './reduce.js';

export { loadNative, NativeLoadError, candidatePaths } from './load.js';
export type { CpuInfo, EigResult, Isa, NativeAddon } from './native.js';

export const cpuOps: OpTable = {
  ...elementwise,
  ...reduce,
  ...matmul,
  ...gather,
  ...optim,
  ...orth,
  sgdProductStep: matmulSgdStep,
};

export const cpu: Backend = {
  name: 'cpu',
  ops: cpuOps,
  ...hostMemory,
};

/** The cpu backend, after loading the addon (throws NativeLoadError when it is not built). */
export function createCpuBackend(): Backend {
  const addon = loadNative();
  // Large host arrays on huge pages (host.ts, LargeAllocator).
  setLargeAllocator((bytes) => addon.hugeBuffer(bytes));
  return cpu;
}

/** Sets the number of threads native kernels use (1..256, the calling thread included). */
export function setThreads(n: number): void {
  loadNative().setThreads(n);
}

/** The number of threads native kernels use (default: the physical cores, or $DESCENT_THREADS). */
export function getThreads(): number {
  return loadNative().getThreads();
}

/** The instruction set in use, those available, threads and cores. */
export function cpuInfo(): CpuInfo {
  return loadNative().cpuInfo();
}

/**
 * Switches the native kernels to a lower instruction set this CPU supports ('ref', 'avx2',
 * 'avx512'); for tests and benchmarks. $DESCENT_ISA sets the one chosen at load.
 */
export function setIsa(isa: Isa): void {
  loadNative().setIsa(isa);
}

/**
 * Eigen-decomposition of the symmetric tridiagonal matrix with diagonal `alpha` (length k)
 * and off-diagonal `beta` (length k − 1), in float64 on a libuv worker thread: eigenvalues
 * ascending and the k×k row-major matrix whose column j is the unit eigenvector of values[j].
 *
 * @example
 * const { values } = await tridiagEig(new Float64Array([2, 2]), new Float64Array([-1])); // [1, 3]
 */
export function tridiagEig(alpha: Float64Array, beta: Float64Array, ends = false): Promise<EigResult> {
  return loadNative().tridiagEig(alpha, beta, ends);
}

/** tridiagEig on the calling thread (for small k). */
export function tridiagEigSync(alpha: Float64Array, beta: Float64Array, ends = false): EigResult {
  return loadNative().tridiagEigSync(alpha, beta, ends);
}
