// Reference gather along a middle axis and its adjoint, scatter-add.

import { arrayFor } from '../../dtype.js';
import { host, HostStorage } from '../host.js';
import type { Contig, OpSignatures, Storage } from '../ops.js';

function index(fn: string, idx: Int32Array | Float32Array | Float64Array, at: number, n: number): number {
  const j = idx[at]!;
  if (!(j >= 0 && j < n)) throw new RangeError(`${fn}: expected indices in [0, ${n - 1}] for 'indices' but received ${j} at position ${at}`);
  return j;
}

export const gather: Pick<OpSignatures, 'gather' | 'scatterAdd'> = {
  /** out[o, j, i] = x[o, idx[j], i]; an index outside [0, n) is a RangeError. */
  gather(x: Contig, outer: number, n: number, inner: number, idx: Contig, m: number): Storage {
    const s = host(x.s).data, ix = host(idx.s).data, out = arrayFor(x.s.dtype, outer * m * inner);
    for (let j = 0; j < m; j++) {
      const r = index('gather', ix, idx.offset + j, n);
      for (let o = 0; o < outer; o++) {
        for (let i = 0; i < inner; i++) out[(o * m + j) * inner + i] = s[x.offset + (o * n + r) * inner + i]!;
      }
    }
    return new HostStorage(out);
  },

  /** out[o, idx[j], i] += src[o, j, i], out zero-initialised with shape [outer, n, inner]. */
  scatterAdd(src: Contig, outer: number, m: number, inner: number, idx: Contig, n: number): Storage {
    const s = host(src.s).data, ix = host(idx.s).data, out = arrayFor(src.s.dtype, outer * n * inner);
    for (let j = 0; j < m; j++) {
      const r = index('scatterAdd', ix, idx.offset + j, n);
      for (let o = 0; o < outer; o++) {
        for (let i = 0; i < inner; i++) out[(o * n + r) * inner + i]! += s[src.offset + (o * m + j) * inner + i]!;
      }
    }
    return new HostStorage(out);
  },
};
