// Reference Lanczos reorthogonalisation: two classical Gram–Schmidt passes in float64,
// rounded once to the input dtype at the end.

import { arrayFor } from '../../dtype.js';
import { host, HostStorage } from '../host.js';
import type { Contig, OpSignatures, Storage } from '../ops.js';

export const orth: Pick<OpSignatures, 'orthogonalize'> = {
  /**
   * h1 = Q w, w1 = w − Qᵀh1, h2 = Q w1, w2 = w1 − Qᵀh2 for Q [rows, n] at q and w [n];
   * out = [w2, h1 + h2] (n + rows values, w's dtype).
   */
  orthogonalize(q: Contig, rows: number, n: number, w: Contig): Storage {
    const qs = host(q.s).data, ws = host(w.s).data;
    const x = Float64Array.from({ length: n }, (_, k) => ws[w.offset + k]!);
    const h = new Float64Array(rows);
    for (let pass = 0; pass < 2; pass++) {
      const c = new Float64Array(rows);
      for (let i = 0; i < rows; i++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += qs[q.offset + i * n + k]! * x[k]!;
        c[i] = s;
      }
      for (let i = 0; i < rows; i++) {
        for (let k = 0; k < n; k++) x[k] -= c[i]! * qs[q.offset + i * n + k]!;
        h[i] += c[i]!;
      }
    }
    const out = arrayFor(w.s.dtype, n + rows);
    out.set(x);
    out.set(h, n);
    return new HostStorage(out);
  },
};
