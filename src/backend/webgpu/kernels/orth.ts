// Lanczos reorthogonalisation on the GPU, composed from the backend's own matmul and
// elementwise kernels: h1 = Q w, w1 = w − Qᵀh1, h2 = Q w1, w2 = w1 − Qᵀh2 (four passes
// over the basis; the cpu backend fuses them into three, native/linalg/orth.cc).

import type { Contig, OpSignatures, Storage, Strided } from '../../ops.js';
import type { WebGPUContext } from '../context.js';

type Parts = Pick<OpSignatures, 'matmul' | 'binary' | 'fill' | 'copyInto'>;

export function orth(ctx: WebGPUContext, ops: Parts): Pick<OpSignatures, 'orthogonalize'> {
  const vec = (c: Contig, len: number): Strided => ({ s: c.s, offset: c.offset, shape: [len], strides: [1] });
  return {
    orthogonalize(q: Contig, rows: number, n: number, w: Contig): Storage {
      const out = ops.fill(n + rows, 0, w.s.dtype);
      let x: Contig = w;
      let h: Storage | null = null;
      for (let pass = 0; pass < 2 && rows > 0; pass++) {
        const c = ops.matmul({ a: q, b: x, batch: 1, m: rows, n: 1, k: n, transA: false, transB: false, strideA: 0, strideB: 0, act: 'none' });
        const qc = ops.matmul({ a: q, b: { s: c, offset: 0 }, batch: 1, m: n, n: 1, k: rows, transA: true, transB: false, strideA: 0, strideB: 0, act: 'none' });
        const next = ops.binary('sub', vec(x, n), vec({ s: qc, offset: 0 }, n), [n]);
        ctx.free(qc);
        if (x !== w) ctx.free(x.s);
        x = { s: next, offset: 0 };
        if (h === null) {
          h = c;
        } else {
          const sum = ops.binary('add', vec({ s: h, offset: 0 }, rows), vec({ s: c, offset: 0 }, rows), [rows]);
          ctx.free(h);
          ctx.free(c);
          h = sum;
        }
      }
      ops.copyInto(vec(x, n), { s: out, offset: 0, shape: [n], strides: [1] });
      if (x !== w) ctx.free(x.s);
      if (h !== null) {
        ops.copyInto(vec({ s: h, offset: 0 }, rows), { s: out, offset: n, shape: [rows], strides: [1] });
        ctx.free(h);
      }
      return out;
    },
  };
}
