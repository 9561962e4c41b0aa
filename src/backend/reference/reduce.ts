// Reference reductions over the middle axis of [outer, n, inner], accumulated in float64.

import { arrayFor } from '../../dtype.js';
import { host, HostStorage } from '../host.js';
import type { Contig, OpSignatures, ReduceOp, Storage } from '../ops.js';

export const reduce: Pick<OpSignatures, 'reduce'> = {
  /**
   * sum: Σ_j x[o,j,i]; sumsq: Σ_j x²; max/min: the extreme value (NaN if any is NaN;
   * -inf/+inf when n = 0); argmax/argmin: the first index of the extreme value (int32; 0 when n = 0).
   */
  reduce(op: ReduceOp, x: Contig, outer: number, n: number, inner: number): Storage {
    const s = host(x.s).data;
    const arg = op === 'argmax' || op === 'argmin';
    const out = arrayFor(arg ? 'int32' : x.s.dtype, outer * inner);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const base = x.offset + o * n * inner + i;
        let acc = op === 'max' || op === 'argmax' ? -Infinity : op === 'min' || op === 'argmin' ? Infinity : 0;
        let at = 0;
        for (let j = 0; j < n; j++) {
          const v = s[base + j * inner]!;
          switch (op) {
            case 'sum': acc += v; break;
            case 'sumsq': acc += v * v; break;
            case 'max': case 'min':
              if (Number.isNaN(v) || Number.isNaN(acc)) acc = NaN;
              else acc = op === 'max' ? Math.max(acc, v) : Math.min(acc, v);
              break;
            case 'argmax': if (v > acc || (Number.isNaN(v) && !Number.isNaN(acc))) { acc = v; at = j; } break;
            case 'argmin': if (v < acc || (Number.isNaN(v) && !Number.isNaN(acc))) { acc = v; at = j; } break;
            default: op satisfies never;
          }
        }
        out[o * inner + i] = arg ? at : acc;
      }
    }
    return new HostStorage(out);
  },
};
