// cpu matrix product: the native SGEMM (packed, AVX-512 / AVX2 micro-kernels, threaded) with
// its fused bias + activation epilogue. Non-float32 operands take the reference implementation.

import { host, HostStorage, takeF32 } from '../host.js';
import { ACT } from '../ops.js';
import type { MatmulArgs, OpSignatures, Storage } from '../ops.js';
import { referenceOps } from '../reference/index.js';
import { f32 } from './elementwise.js';
import { loadNative } from './load.js';

export const matmul: Pick<OpSignatures, 'matmul'> = {
  matmul(args: MatmulArgs): Storage {
    const { a, b, bias, batch, m, n, k } = args;
    if (!f32(a.s) || !f32(b.s) || (bias && !f32(bias.s))) return referenceOps.matmul(args);
    // The kernel overwrites C (it never reads it) unless k = 0 leaves the sums empty.
    const out = takeF32(batch * m * n, k === 0);
    loadNative().sgemm(
      host(a.s).data as Float32Array, a.offset, args.strideA, args.transA,
      host(b.s).data as Float32Array, b.offset, args.strideB, args.transB,
      out, batch, m, n, k,
      bias ? (host(bias.s).data as Float32Array) : null, bias?.offset ?? 0, ACT[args.act],
    );
    return new HostStorage(out);
  },
};
