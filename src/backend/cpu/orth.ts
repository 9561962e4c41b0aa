// cpu Lanczos reorthogonalisation: the fused native kernel (native/linalg/orth.cc) for
// float32, the reference otherwise.

import { host, HostStorage, newHostArray } from '../host.js';
import type { Contig, OpSignatures, Storage } from '../ops.js';
import { referenceOps } from '../reference/index.js';
import { f32 } from './elementwise.js';
import { loadNative } from './load.js';

export const orth: Pick<OpSignatures, 'orthogonalize'> = {
  orthogonalize(q: Contig, rows: number, n: number, w: Contig): Storage {
    if (!f32(q.s) || !f32(w.s)) return referenceOps.orthogonalize(q, rows, n, w);
    // n + rows differs every Lanczos step, so the pool never has one: new memory on huge pages.
    const out = newHostArray('float32', n + rows) as Float32Array;
    loadNative().orthogonalize(host(q.s).data as Float32Array, q.offset, rows, n, host(w.s).data as Float32Array, w.offset, out);
    return new HostStorage(out);
  },
};
