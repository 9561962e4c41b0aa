// cpu reductions and softmax: native for float32 (float64 accumulation inside), reference
// otherwise.

import { host, HostStorage, takeF32 } from '../host.js';
import { REDUCE } from '../ops.js';
import type { Contig, OpSignatures, ReduceOp, Storage } from '../ops.js';
import { referenceOps } from '../reference/index.js';
import { f32 } from './elementwise.js';
import { loadNative } from './load.js';

export const reduce: Pick<OpSignatures, 'reduce' | 'softmax'> = {
  reduce(op: ReduceOp, x: Contig, outer: number, n: number, inner: number): Storage {
    if (!f32(x.s)) return referenceOps.reduce(op, x, outer, n, inner);
    const out = op === 'argmax' || op === 'argmin' ? new Int32Array(outer * inner) : takeF32(outer * inner, n === 0);
    loadNative().reduce(REDUCE[op], host(x.s).data as Float32Array, x.offset, outer, n, inner, out);
    return new HostStorage(out);
  },

  softmax(x: Contig, rows: number, cols: number, log: boolean): Storage {
    if (!f32(x.s)) return referenceOps.softmax(x, rows, cols, log);
    const out = takeF32(rows * cols, false);
    loadNative().softmax(host(x.s).data as Float32Array, x.offset, rows, cols, log, out);
    return new HostStorage(out);
  },
};
