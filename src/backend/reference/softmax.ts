// Reference row-wise softmax and log-softmax, max-shifted, in float64.

import { arrayFor } from '../../dtype.js';
import { host, HostStorage } from '../host.js';
import type { Contig, OpSignatures, Storage } from '../ops.js';

export const softmax: Pick<OpSignatures, 'softmax'> = {
  /** softmax: e^{x_j − max}/Σ e^{x − max}; log: x_j − max − log Σ e^{x − max}. */
  softmax(x: Contig, rows: number, cols: number, log: boolean): Storage {
    const s = host(x.s).data, out = arrayFor(x.s.dtype, rows * cols);
    for (let r = 0; r < rows; r++) {
      const base = x.offset + r * cols;
      let mx = -Infinity;
      for (let j = 0; j < cols; j++) mx = Math.max(mx, s[base + j]!);
      let z = 0;
      for (let j = 0; j < cols; j++) z += Math.exp(s[base + j]! - mx);
      const lz = Math.log(z);
      for (let j = 0; j < cols; j++) {
        const v = s[base + j]! - mx;
        out[r * cols + j] = log ? v - lz : Math.exp(v) / z;
      }
    }
    return new HostStorage(out);
  },
};
