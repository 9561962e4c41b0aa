// cpu elementwise ops: fill, copyInto, cast, unary, binary, where. float32 runs natively;
// other dtypes (and ranks above 8) take the reference implementation.

import { arrayFor } from '../../dtype.js';
import type { DType } from '../../dtype.js';
import { host, HostStorage, takeF32 } from '../host.js';
import { BINARY, UNARY } from '../ops.js';
import type { BinaryOp, Contig, OpSignatures, Storage, Strided, UnaryOp } from '../ops.js';
import { referenceOps } from '../reference/index.js';
import { loadNative } from './load.js';

const MAX_RANK = 8;

export const f32 = (s: Storage): boolean => s.dtype === 'float32';

export const elementwise: Pick<OpSignatures, 'fill' | 'alloc' | 'copyInto' | 'cast' | 'unary' | 'binary' | 'where'> = {
  fill(size: number, value: number, dtype: DType): Storage {
    if (dtype !== 'float32') return referenceOps.fill(size, value, dtype);
    const out = takeF32(size, true);
    if (value !== 0 || Object.is(value, -0)) loadNative().fill(out, value);
    return new HostStorage(out);
  },

  alloc(size: number, dtype: DType): Storage {
    // Pooled float32 arrays come back as they were left; other dtypes are small and fresh.
    return dtype === 'float32' ? new HostStorage(takeF32(size, false)) : referenceOps.fill(size, 0, dtype);
  },

  copyInto(src: Strided, dst: Strided): void {
    const s = host(src.s).data, d = host(dst.s).data;
    // The same buffer on both sides may overlap: the reference copy defines that order.
    if (src.s.dtype !== dst.s.dtype || s.buffer === d.buffer || src.shape.length > MAX_RANK) {
      referenceOps.copyInto(src, dst);
      return;
    }
    loadNative().copyInto(s, src.offset, src.strides, d, dst.offset, dst.strides, src.shape);
  },

  cast(x: Contig, size: number, dtype: DType): Storage {
    const out = arrayFor(dtype, size);
    loadNative().cast(host(x.s).data, x.offset, out, size);
    return new HostStorage(out);
  },

  unary(op: UnaryOp, x: Contig, size: number): Storage {
    if (!f32(x.s)) return referenceOps.unary(op, x, size);
    const out = takeF32(size, false);
    loadNative().unary(UNARY[op], host(x.s).data as Float32Array, x.offset, out, size);
    return new HostStorage(out);
  },

  binary(op: BinaryOp, a: Strided, b: Strided, shape: readonly number[]): Storage {
    if (!f32(a.s) || !f32(b.s) || shape.length > MAX_RANK) return referenceOps.binary(op, a, b, shape);
    const out = takeF32(shape.reduce((p, d) => p * d, 1), false);
    loadNative().binary(BINARY[op], host(a.s).data as Float32Array, a.offset, a.strides, host(b.s).data as Float32Array, b.offset, b.strides, out, shape);
    return new HostStorage(out);
  },

  where(cond: Strided, a: Strided, b: Strided, shape: readonly number[]): Storage {
    if (!f32(cond.s) || !f32(a.s) || !f32(b.s) || shape.length > MAX_RANK) return referenceOps.where(cond, a, b, shape);
    const out = takeF32(shape.reduce((p, d) => p * d, 1), false);
    loadNative().where(
      host(cond.s).data as Float32Array, cond.offset, cond.strides,
      host(a.s).data as Float32Array, a.offset, a.strides,
      host(b.s).data as Float32Array, b.offset, b.strides, out, shape,
    );
    return new HostStorage(out);
  },
};
