// gather and scatterAdd along a middle axis on the GPU (kernels/gather.wgsl). Out-of-range
// indices are found by the kernels and raised as a RangeError by the next read or sync.

import type { Contig, OpSignatures, Storage } from '../../ops.js';
import type { WebGPUContext } from '../context.js';

const WG = 64;

export function gather(ctx: WebGPUContext): Pick<OpSignatures, 'gather' | 'scatterAdd'> {
  function indices(fn: string, idx: Contig) {
    const s = ctx.storage(fn, 'indices', idx.s);
    if (s.dtype !== 'int32') throw new TypeError(`${fn}: expected an int32 tensor for 'indices' but received ${s.dtype}`);
    return s;
  }
  const DT = { float32: 0, int32: 1 } as const;

  return {
    gather(x: Contig, outer: number, n: number, inner: number, idx: Contig, m: number): Storage {
      const s = ctx.storage('gather', 'x', x.s), ix = indices('gather', idx);
      const out = ctx.alloc('gather', s.dtype, outer * m * inner);
      const total = outer * m * inner;
      if (total === 0) return out;
      const check = ctx.indexCheck('gather', n);
      ctx.run('gather.wgsl', 'gather', { WG }, [s, ix, out, check.status], [outer, n, inner, m, x.offset, idx.offset, check.tag, 0], ctx.groups1d(total, WG));
      return out;
    },

    scatterAdd(src: Contig, outer: number, m: number, inner: number, idx: Contig, n: number): Storage {
      const s = ctx.storage('scatterAdd', 'src', src.s), ix = indices('scatterAdd', idx);
      const out = ctx.alloc('scatterAdd', s.dtype, outer * n * inner);
      ctx.batch.clear(out.buffer, 0, out.byteLength);
      if (outer * m * inner === 0) return out;
      const check = ctx.indexCheck('scatterAdd', n);
      const links = ctx.scratch('scatterAdd', 8 * m);
      const params = [outer, m, inner, n, src.offset, idx.offset, check.tag, 0];
      ctx.run('gather.wgsl', 'scatter_links', { WG }, [ix, links, check.status], params, ctx.groups1d(m, WG));
      ctx.run('gather.wgsl', 'scatter_sum', { WG, DTYPE: DT[s.dtype as 'float32' | 'int32'] }, [s, ix, links, out], params, ctx.groups1d(outer * m * inner, WG));
      return out;
    },
  };
}
