// The cpu backend's optional op sgdProductStep (ops.ts SgdProductArgs): an SGD step whose
// gradient is a batched matrix product, computed and consumed replica by replica inside the
// addon (native/gemm/gemm.h sgemm_sgd) so that the gradient never reaches memory. SGD.stepProduct
// uses it where the backend has it and takes the separate ops (matmul, then the step) elsewhere:
// the result is the same bit for bit (test/native/sgemm-sgd.test.ts, test/optim).

import { host } from '../host.js';
import type { SgdProductArgs } from '../ops.js';
import { OPTIM_HYPER } from '../ops.js';
import { loadNative } from './load.js';

/**
 * out[t] ← SGD(W_t, op(A_t)·op(B_t)): the bits of `matmul` followed by the optimizer's `sgdStep`
 * with the same record, without writing the gradient. Float32 host storage only.
 */
export function matmulSgdStep(args: SgdProductArgs): void {
  const { a, b, w, out } = args;
  const nx = args.next;
  for (const [name, c] of [['a', a], ['b', b], ['w', w], ['out', out], ['next.a', nx?.a], ['next.out', nx?.out]] as const) {
    if (!c) continue;
    if (c.s.dtype !== 'float32') throw new TypeError(`matmulSgdStep: expected float32 storage for '${name}' but received ${c.s.dtype}`);
  }
  if (!(args.hyper instanceof Float32Array)) throw new TypeError(`matmulSgdStep: expected float32 records for 'hyper' (a float32 arena) but received ${args.hyper.constructor.name}`);
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
