// cpu-only fused kernels that the op table does not have (yet): an SGD step whose gradient is
// a batched matrix product, computed and consumed replica by replica inside the addon
// (native/gemm/gemm.h sgemm_sgd) so that the gradient never reaches memory. Callers use it
// where the backend is 'cpu' and take the separate ops (matmul, then the optimizer's step)
// elsewhere: the result is the same bit for bit (test/native/sgemm-sgd.test.ts).

import { host, HostStorage, takeF32 } from '../host.js';
import type { Contig, Storage } from '../ops.js';
import { OPTIM_HYPER } from '../ops.js';
import { loadNative } from './load.js';

export interface MatmulSgdArgs {
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
  /** The SGD records [batch, 7] (OPTIM_HYPER.sgdStep, SGD.records()) without clipping or momentum. */
  hyper: Float32Array;
  /**
   * Also next.out[t] [rows, n] = X_t·out[t] for X_t [rows, m] at next.a.offset + t·next.strideA,
   * computed while the stepped weights are in cache (the next step's forward product x·W1):
   * the bits of `matmul` of the same operands.
   */
  next?: { a: Contig; strideA: number; rows: number; out: Contig };
}

/**
 * out[t] ← SGD(W_t, op(A_t)·op(B_t)): the bits of `matmul` followed by the optimizer's `sgdStep`
 * with the same record, without writing the gradient. Float32 host storage only.
 */
export function matmulSgdStep(args: MatmulSgdArgs): void {
  const { a, b, w, out } = args;
  const nx = args.next;
  for (const [name, c] of [['a', a], ['b', b], ['w', w], ['out', out], ['next.a', nx?.a], ['next.out', nx?.out]] as const) {
    if (!c) continue;
    if (c.s.dtype !== 'float32') throw new TypeError(`matmulSgdStep: expected float32 storage for '${name}' but received ${c.s.dtype}`);
  }
  if (args.hyper.length !== args.batch * OPTIM_HYPER.sgdStep.length) {
    throw new RangeError(`matmulSgdStep: expected ${args.batch}·${OPTIM_HYPER.sgdStep.length} record values for 'hyper' but received ${args.hyper.length}`);
  }
  loadNative().sgemmSgd(
    host(a.s).data as Float32Array, a.offset, args.strideA, args.transA,
    host(b.s).data as Float32Array, b.offset, args.strideB, args.transB,
    host(w.s).data as Float32Array, w.offset, args.strideW, host(out.s).data as Float32Array, out.offset,
    args.batch, args.m, args.n, args.k, args.hyper,
    nx ? host(nx.a.s).data as Float32Array : null, nx?.a.offset ?? 0, nx?.strideA ?? 0, nx?.rows ?? 0,
    nx ? host(nx.out.s).data as Float32Array : undefined, nx?.out.offset ?? 0,
  );
}

/** A float32 host storage of `size` elements whose contents are not set (for matmulSgdStep's out). */
export function uninitializedF32(size: number): Storage {
  return new HostStorage(takeF32(size, false));
}
