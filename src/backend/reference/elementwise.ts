// Reference elementwise ops: the living definition of fill, copyInto, cast, unary,
// binary and where. Strided inputs are walked with an odometer over the output shape.

import { arrayFor } from '../../dtype.js';
import type { DType } from '../../dtype.js';
import { host, HostStorage } from '../host.js';
import type { BinaryOp, Contig, OpSignatures, Storage, Strided, UnaryOp } from '../ops.js';
import { erf, gelu, geluGrad, sigmoid, softplus } from './math.js';

/** Visits every index of `shape` in row-major order with the element offset of each view. */
export function walk(shape: readonly number[], views: readonly Strided[], visit: (i: number, offs: number[]) => void): void {
  const rank = shape.length;
  let total = 1;
  for (const d of shape) total *= d;
  if (total === 0) return;
  const idx = new Array<number>(rank).fill(0);
  const offs = views.map((v) => v.offset);
  for (let i = 0; i < total; i++) {
    visit(i, offs);
    for (let ax = rank - 1; ax >= 0; ax--) {
      idx[ax]!++;
      for (let v = 0; v < views.length; v++) offs[v]! += views[v]!.strides[ax]!;
      if (idx[ax]! < shape[ax]!) break;
      for (let v = 0; v < views.length; v++) offs[v]! -= views[v]!.strides[ax]! * shape[ax]!;
      idx[ax] = 0;
    }
  }
}

/** The unary functions, in float64. */
export const UNARY_FN: { [K in UnaryOp]: (x: number) => number } = {
  neg: (x) => -x,
  abs: Math.abs,
  exp: Math.exp,
  log: Math.log,
  sqrt: Math.sqrt,
  rsqrt: (x) => 1 / Math.sqrt(x),
  square: (x) => x * x,
  reciprocal: (x) => 1 / x,
  relu: (x) => (x <= 0 ? 0 : x), // NaN stays NaN (IEEE: NaN ≤ 0 is false)
  tanh: Math.tanh,
  sigmoid,
  gelu,
  sign: (x) => (x > 0 ? 1 : x < 0 ? -1 : x === 0 ? 0 : x), // NaN stays NaN
  step: (x) => (x > 0 ? 1 : 0),
  sin: Math.sin,
  cos: Math.cos,
  log1p: Math.log1p,
  expm1: Math.expm1,
  softplus,
  gelugrad: geluGrad,
  floor: Math.floor,
  ceil: Math.ceil,
};

export const BINARY_FN: { [K in BinaryOp]: (a: number, b: number) => number } = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  max: (a, b) => (a >= b || Number.isNaN(a) ? a : b),
  min: (a, b) => (a <= b || Number.isNaN(a) ? a : b),
  pow: Math.pow,
  lt: (a, b) => +(a < b),
  le: (a, b) => +(a <= b),
  gt: (a, b) => +(a > b),
  ge: (a, b) => +(a >= b),
  eq: (a, b) => +(a === b),
  ne: (a, b) => +(a !== b),
  atan2: Math.atan2,
};

export { erf };

export const elementwise: Pick<OpSignatures, 'fill' | 'copyInto' | 'cast' | 'unary' | 'binary' | 'where'> = {
  /** out[i] = value */
  fill(size: number, value: number, dtype: DType): Storage {
    const out = arrayFor(dtype, size);
    out.fill(value);
    return new HostStorage(out);
  },

  /** dst[idx] = src[idx] for every index of the common shape. */
  copyInto(src: Strided, dst: Strided): void {
    const s = host(src.s).data, d = host(dst.s).data;
    walk(src.shape, [src, dst], (_, [so, dO]) => { d[dO!] = s[so!]!; });
  },

  /** out[i] = dtype(x[i]); float → int32 truncates toward zero. */
  cast(x: Contig, size: number, dtype: DType): Storage {
    const s = host(x.s).data, out = arrayFor(dtype, size);
    for (let i = 0; i < size; i++) out[i] = dtype === 'int32' ? Math.trunc(s[x.offset + i]!) : s[x.offset + i]!;
    return new HostStorage(out);
  },

  /** out[i] = f(x[i]) with f from UNARY_FN, computed in float64 and rounded once. */
  unary(op: UnaryOp, x: Contig, size: number): Storage {
    const f = UNARY_FN[op], s = host(x.s).data, out = arrayFor(x.s.dtype, size);
    for (let i = 0; i < size; i++) out[i] = f(s[x.offset + i]!);
    return new HostStorage(out);
  },

  /** out[i] = f(a[i], b[i]) over the broadcast shape. */
  binary(op: BinaryOp, a: Strided, b: Strided, shape: readonly number[]): Storage {
    const f = BINARY_FN[op], da = host(a.s).data, db = host(b.s).data;
    const out = arrayFor(a.s.dtype, shape.reduce((p, d) => p * d, 1));
    walk(shape, [a, b], (i, [oa, ob]) => { out[i] = f(da[oa!]!, db[ob!]!); });
    return new HostStorage(out);
  },

  /** out[i] = cond[i] ≠ 0 ? a[i] : b[i] */
  where(cond: Strided, a: Strided, b: Strided, shape: readonly number[]): Storage {
    const dc = host(cond.s).data, da = host(a.s).data, db = host(b.s).data;
    const out = arrayFor(a.s.dtype, shape.reduce((p, d) => p * d, 1));
    walk(shape, [cond, a, b], (i, [oc, oa, ob]) => { out[i] = dc[oc!] !== 0 ? da[oa!]! : db[ob!]!; });
    return new HostStorage(out);
  },
};
