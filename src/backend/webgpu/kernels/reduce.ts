// reduce (over the middle axis of [outer, n, inner]) and row softmax on the GPU
// (kernels/reduce.wgsl, kernels/softmax.wgsl).

import { REDUCE } from '../../ops.js';
import type { Contig, OpSignatures, ReduceOp, Storage } from '../../ops.js';
import type { WebGPUContext } from '../context.js';
import type { GPUStorage } from '../pool.js';

const WG = 64;
/** Workgroup size of the one-workgroup-per-output variants. */
const GROUP_WG = 256;
/** Elements one workgroup reduces in the first pass of a long reduction. */
const CHUNK = 8192;

export function reduce(ctx: WebGPUContext): Pick<OpSignatures, 'reduce' | 'softmax'> {
  const DT = { float32: 0, int32: 1 } as const;

  /** Groups for `count` workgroups, split over x and y. */
  const groupsFor = (count: number) => ctx.groups1d(count, 1);

  function pass(op: number, square: number, dtype: 'float32' | 'int32', x: GPUStorage, xoff: number, outer: number, n: number, inner: number, out: GPUStorage): void {
    const outputs = outer * inner;
    // Few outputs over a long axis: one workgroup per (output, chunk); else one invocation per output.
    const perGroup = n >= 256 && outputs * 4 < n;
    const arg = op === REDUCE.argmax || op === REDUCE.argmin;
    if (!perGroup) {
      ctx.run('reduce.wgsl', 'per_output', { WG, WG_LEN: WG, OP: op, DTYPE: DT[dtype], SQUARE: square }, [x, out], [outer, n, inner, xoff, 0, 1, 0, 0], ctx.groups1d(outputs, WG));
      return;
    }
    const chunks = arg ? 1 : Math.ceil(n / CHUNK);
    const chunk = Math.ceil(n / chunks);
    const target = chunks === 1 ? out : ctx.alloc('reduce', dtype, outputs * chunks);
    ctx.run('reduce.wgsl', 'per_group', { WG: GROUP_WG, WG_LEN: GROUP_WG, OP: op, DTYPE: DT[dtype], SQUARE: square }, [x, target], [outer, n, inner, xoff, chunk, chunks, 0, 0], groupsFor(outputs * chunks));
    if (chunks > 1) {
      // Second pass over the partials [outputs, chunks]: sums of squares are summed.
      const op2 = op === REDUCE.sumsq ? REDUCE.sum : op;
      pass(op2, 0, dtype, target, 0, outputs, chunks, 1, out);
      ctx.free(target);
    }
  }

  return {
    reduce(op: ReduceOp, x: Contig, outer: number, n: number, inner: number): Storage {
      const s = ctx.storage(op, 'x', x.s);
      const dtype = s.dtype as 'float32' | 'int32';
      const arg = op === 'argmax' || op === 'argmin';
      const out = ctx.alloc(op, arg ? 'int32' : dtype, outer * inner);
      if (outer * inner === 0) return out;
      pass(REDUCE[op], op === 'sumsq' ? 1 : 0, dtype, s, x.offset, outer, n, inner, out);
      return out;
    },

    softmax(x: Contig, rows: number, cols: number, log: boolean): Storage {
      const s = ctx.storage(log ? 'logSoftmax' : 'softmax', 'x', x.s);
      if (s.dtype !== 'float32') throw new TypeError(`${log ? 'logSoftmax' : 'softmax'}: expected a float32 tensor for 'x' but received ${s.dtype}`);
      const out = ctx.alloc('softmax', 'float32', rows * cols);
      if (rows * cols === 0) return out;
      const params = [rows, cols, x.offset, 0];
      if (cols >= 128) ctx.run('softmax.wgsl', 'per_group', { WG: GROUP_WG, WG_LEN: GROUP_WG, LOG: log ? 1 : 0 }, [s, out], params, groupsFor(rows));
      else ctx.run('softmax.wgsl', 'per_row', { WG, WG_LEN: WG, LOG: log ? 1 : 0 }, [s, out], params, ctx.groups1d(rows, WG));
      return out;
    },
  };
}
