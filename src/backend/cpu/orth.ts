// cpu Lanczos reorthogonalisation: the fused native kernel (native/linalg/orth.cc) for
// float32, the reference otherwise.

import { host, HostStorage, takeF32 } from '../host.js';
import type { Contig, OpSignatures, Storage } from '../ops.js';
import { referenceOps } from '../reference/index.js';
import { f32 } from './elementwise.js';
import { loadNative } from './load.js';

export const orth: Pick<OpSignatures, 'orthogonalize' | 'orthonormalizeInto'> = {
  orthogonalize(q: Contig, rows: number, n: number, w: Contig): Storage {
    if (!f32(q.s) || !f32(w.s)) return referenceOps.orthogonalize(q, rows, n, w);
    // The result fills the first n + rows values of a buffer whose length grows in steps of 64
    // rows, so that consecutive Lanczos steps reuse one pooled buffer: new memory costs ~3 ms a
    // MB to touch on some machines (a Firecracker guest: docs/BENCHMARKS.md, issue 17).
    const out = takeF32(n + Math.ceil(rows / 64) * 64, false);
    loadNative().orthogonalize(host(q.s).data as Float32Array, q.offset, rows, n, host(w.s).data as Float32Array, w.offset, out);
    return new HostStorage(out);
  },
  orthonormalizeInto(q: Contig, rows: number, n: number, w: Contig, into: Contig) {
    if (!f32(q.s) || !f32(w.s) || !f32(into.s)) return null;
    const coeffs = new Float32Array(rows);
    const norm = loadNative().orthonormalize(host(q.s).data as Float32Array, q.offset, rows, n, host(w.s).data as Float32Array, w.offset, host(into.s).data as Float32Array, into.offset, coeffs);
    return { coeffs, norm };
  },
};
