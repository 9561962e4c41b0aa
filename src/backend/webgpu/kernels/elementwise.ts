// fill, cast, unary, binary, where and copyInto on the GPU (kernels/elementwise.wgsl, kernels/copy.wgsl).

import type { DType } from '../../../dtype.js';
import { BINARY, UNARY } from '../../ops.js';
import type { BinaryOp, Contig, OpSignatures, Storage, Strided, UnaryOp } from '../../ops.js';
import type { WebGPUContext } from '../context.js';
import { f32bits } from '../context.js';
import { GPUStorage } from '../pool.js';
import { collapse, parts } from './strided.js';

const WG = 64;
const DT: Record<DType, number> = { float32: 0, int32: 1, float64: -1 };

function sizeOf(shape: readonly number[]): number {
  return shape.reduce((p, d) => p * d, 1);
}

/** Uniform words of a strided dispatch over up to three views (see the headers of elementwise.wgsl and copy.wgsl). */
function stridedWords(size: number, offsets: readonly number[], shape: readonly number[], strides: readonly (readonly number[])[], outOffset: number, strideBase: number, strideStep: number): Uint32Array {
  const w = new Uint32Array(32);
  w[0] = size;
  offsets.forEach((o, v) => { w[1 + v] = o; });
  shape.forEach((d, a) => { w[4 + a] = d; });
  w[10] = outOffset;
  strides.forEach((s, v) => s.forEach((x, a) => { w[strideBase + strideStep * v + a] = x; }));
  return w;
}

export function elementwise(ctx: WebGPUContext): Pick<OpSignatures, 'fill' | 'alloc' | 'copyInto' | 'cast' | 'unary' | 'binary' | 'where'> {
  const file = 'elementwise.wgsl';

  /** Dispatches a strided kernel over `shape` for views `views`, writing `out` contiguously (binary, where). */
  function stridedOp(entry: string, constants: Record<string, number>, views: readonly Strided[], inputs: readonly GPUStorage[], out: GPUStorage, shape: readonly number[]): void {
    const size = sizeOf(shape);
    if (size === 0) return;
    const contiguous = views.every((v) => v.strides.every((s, a) => shape[a] === 1 || s === shape.slice(a + 1).reduce((p, d) => p * d, 1)));
    if (contiguous) {
      const w = stridedWords(size, views.map((v) => v.offset), [size], views.map(() => [1]), 0, 12, 6);
      ctx.run(file, entry, { ...constants, RANK: 1, CONTIG: 1 }, [...inputs, out], w, ctx.groups1d(size, WG));
      return;
    }
    const c = collapse(shape, views.map((v) => v.strides));
    const { inner, parts: ps } = parts(c);
    const innerSize = sizeOf(inner.shape);
    for (const p of ps) {
      const w = stridedWords(innerSize, views.map((v, i) => v.offset + p.offsets[i]!), inner.shape, inner.strides, p.outOffset, 12, 6);
      ctx.run(file, entry, { ...constants, RANK: inner.shape.length, CONTIG: 0 }, [...inputs, out], w, ctx.groups1d(innerSize, WG));
    }
  }

  function checkSame(op: string, a: GPUStorage, b: GPUStorage): void {
    if (a.dtype !== b.dtype) throw new TypeError(`${op}: expected tensors of one dtype but received ${a.dtype} and ${b.dtype} (use cast())`);
  }

  return {
    fill(size: number, value: number, dtype: DType): Storage {
      const out = ctx.alloc('fill', dtype, size);
      const bits = dtype === 'int32' ? value | 0 : f32bits(value);
      if (size > 0) ctx.run(file, 'fill', { WG }, [out], [size, bits >>> 0], ctx.groups1d(size, WG));
      return out;
    },

    alloc(size: number, dtype: DType): Storage {
      return ctx.alloc('alloc', dtype, size);
    },

    copyInto(src: Strided, dst: Strided): void {
      const s = ctx.storage('copyInto', 'src', src.s), d = ctx.storage('copyInto', 'dst', dst.s);
      if (s.dtype !== d.dtype) throw new TypeError(`copyInto: expected 'dst' of dtype ${s.dtype} but received ${d.dtype}`);
      const size = sizeOf(src.shape);
      if (size === 0) return;
      let from: Strided = src;
      let tmp: GPUStorage | null = null;
      if (s === d) {
        // A storage cannot be bound for reading and writing in one dispatch: go through a copy.
        tmp = ctx.alloc('copyInto', s.dtype, size);
        copy(src, { s: tmp, offset: 0, shape: src.shape, strides: src.shape.map((_, a) => sizeOf(src.shape.slice(a + 1))) });
        from = { s: tmp, offset: 0, shape: src.shape, strides: src.shape.map((_, a) => sizeOf(src.shape.slice(a + 1))) };
      }
      copy(from, dst);
      if (tmp) ctx.free(tmp);
    },

    cast(x: Contig, size: number, dtype: DType): Storage {
      const s = ctx.storage('cast', 'x', x.s);
      if (dtype === 'float64') throw ctx.f64('cast', 'dtype');
      const out = ctx.alloc('cast', dtype, size);
      if (size > 0) ctx.run(file, 'cast_', { WG, DTYPE: DT[s.dtype], DST: DT[dtype] }, [s, out], [size, x.offset], ctx.groups1d(size, WG));
      return out;
    },

    unary(op: UnaryOp, x: Contig, size: number): Storage {
      const s = ctx.storage(op, 'x', x.s);
      const out = ctx.alloc(op, s.dtype, size);
      if (size > 0) ctx.run(file, 'unary', { WG, DTYPE: DT[s.dtype], OP: UNARY[op] }, [s, out], [size, x.offset], ctx.groups1d(size, WG));
      return out;
    },

    binary(op: BinaryOp, a: Strided, b: Strided, shape: readonly number[]): Storage {
      const sa = ctx.storage(op, 'a', a.s), sb = ctx.storage(op, 'b', b.s);
      checkSame(op, sa, sb);
      const out = ctx.alloc(op, sa.dtype, sizeOf(shape));
      stridedOp('binary', { WG, DTYPE: DT[sa.dtype], OP: BINARY[op] }, [a, b], [sa, sb], out, shape);
      return out;
    },

    where(cond: Strided, a: Strided, b: Strided, shape: readonly number[]): Storage {
      const sc = ctx.storage('where', 'cond', cond.s), sa = ctx.storage('where', 'a', a.s), sb = ctx.storage('where', 'b', b.s);
      checkSame('where', sa, sb);
      const out = ctx.alloc('where', sa.dtype, sizeOf(shape));
      stridedOp('where_', { WG, CDTYPE: DT[sc.dtype] }, [cond, a, b], [sc, sa, sb], out, shape);
      return out;
    },
  };

  function copy(src: Strided, dst: Strided): void {
    const c = collapse(src.shape, [src.strides, dst.strides]);
    const { inner, parts: ps } = parts(c);
    const innerSize = sizeOf(inner.shape);
    for (const p of ps) {
      const w = new Uint32Array(24);
      w[0] = innerSize;
      w[1] = src.offset + p.offsets[0]!;
      w[2] = dst.offset + p.offsets[1]!;
      inner.shape.forEach((d, a) => { w[4 + a] = d; });
      inner.strides[0]!.forEach((x, a) => { w[12 + a] = x; });
      inner.strides[1]!.forEach((x, a) => { w[18 + a] = x; });
      ctx.run('copy.wgsl', 'main', { WG, RANK: inner.shape.length }, [src.s as GPUStorage, dst.s as GPUStorage], w, ctx.groups1d(innerSize, WG));
    }
  }
}
