// cpu gather and scatter-add along the middle axis of [outer, n, inner]: native for float32
// values with int32 indices (every index checked before anything is written), reference
// otherwise.

import { host, HostStorage, takeF32 } from '../host.js';
import type { Contig, OpSignatures, Storage } from '../ops.js';
import { referenceOps } from '../reference/index.js';
import { f32 } from './elementwise.js';
import { loadNative } from './load.js';

export const gather: Pick<OpSignatures, 'gather' | 'scatterAdd'> = {
  gather(x: Contig, outer: number, n: number, inner: number, idx: Contig, m: number): Storage {
    if (!f32(x.s) || idx.s.dtype !== 'int32') return referenceOps.gather(x, outer, n, inner, idx, m);
    const out = takeF32(outer * m * inner, false);
    loadNative().gather(host(x.s).data as Float32Array, x.offset, outer, n, inner, host(idx.s).data as Int32Array, idx.offset, m, out);
    return new HostStorage(out);
  },

  scatterAdd(src: Contig, outer: number, m: number, inner: number, idx: Contig, n: number): Storage {
    if (!f32(src.s) || idx.s.dtype !== 'int32') return referenceOps.scatterAdd(src, outer, m, inner, idx, n);
    const out = takeF32(outer * n * inner, true);
    loadNative().scatterAdd(host(src.s).data as Float32Array, src.offset, outer, m, inner, host(idx.s).data as Int32Array, idx.offset, n, out);
    return new HostStorage(out);
  },
};
