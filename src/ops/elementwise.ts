// Elementwise ops with NumPy broadcasting. Scalars (plain numbers) broadcast too.

import { checkDType } from '../dtype.js';
import type { DType } from '../dtype.js';
import { typeError } from '../errors.js';
import { isTracing, record } from '../trace.js';
import type { BinaryOp, UnaryOp } from '../backend/ops.js';
import { broadcastShapes } from '../shape.js';
import { contiguousCopy, Tensor } from '../tensor.js';
import { broadcastTo } from './views.js';
import { checkDtypes, checkTensor, commonBackend, lift } from './util.js';
import type { TensorLike } from './util.js';

function unaryOp(op: UnaryOp, x: Tensor): Tensor {
  checkTensor(op, 'x', x);
  if (x.dtype === 'int32' && op !== 'neg' && op !== 'abs' && op !== 'sign' && op !== 'square' && op !== 'relu' && op !== 'step') {
    throw new TypeError(`${op}: expected a float32 or float64 tensor for 'x' but received int32 (use cast())`);
  }
  const src = x.isContiguous ? x : contiguousCopy(x);
  const out = Tensor.fromStorage(x.backend, x.backend.ops.unary(op, src.contig, x.size), x.shape);
  if (src !== x) src.dispose();
  return record(op, [x], out);
}

export const neg = (x: Tensor) => unaryOp('neg', x);
export const abs = (x: Tensor) => unaryOp('abs', x);
export const exp = (x: Tensor) => unaryOp('exp', x);
export const log = (x: Tensor) => unaryOp('log', x);
export const sqrt = (x: Tensor) => unaryOp('sqrt', x);
export const rsqrt = (x: Tensor) => unaryOp('rsqrt', x);
export const square = (x: Tensor) => unaryOp('square', x);
export const reciprocal = (x: Tensor) => unaryOp('reciprocal', x);
export const relu = (x: Tensor) => unaryOp('relu', x);
export const tanh = (x: Tensor) => unaryOp('tanh', x);
export const sigmoid = (x: Tensor) => unaryOp('sigmoid', x);
/** gelu(x) = x·Φ(x), the exact (erf) form. */
export const gelu = (x: Tensor) => unaryOp('gelu', x);
/** d/dx gelu(x) = Φ(x) + x·φ(x). */
export const geluGrad = (x: Tensor) => unaryOp('gelugrad', x);
export const sign = (x: Tensor) => unaryOp('sign', x);
/** 1 where x > 0, else 0 (the derivative of relu). */
export const step = (x: Tensor) => unaryOp('step', x);
export const sin = (x: Tensor) => unaryOp('sin', x);
export const cos = (x: Tensor) => unaryOp('cos', x);
export const log1p = (x: Tensor) => unaryOp('log1p', x);
export const expm1 = (x: Tensor) => unaryOp('expm1', x);
/** log(1 + eˣ), stable for large |x|. */
export const softplus = (x: Tensor) => unaryOp('softplus', x);
export const floor = (x: Tensor) => unaryOp('floor', x);
export const ceil = (x: Tensor) => unaryOp('ceil', x);

function binaryOp(op: BinaryOp, a: TensorLike, b: TensorLike): Tensor {
  const like = a instanceof Tensor ? a : b instanceof Tensor ? b : undefined;
  if (!like) throw typeError(op, 'a', 'at least one Tensor among the two arguments', a);
  const ta = lift(op, 'a', a, like), tb = lift(op, 'b', b, like);
  const backend = commonBackend(op, [ta, tb]);
  checkDtypes(op, ta, tb);
  const shape = broadcastShapes(op, ta.shape, tb.shape);
  const va = broadcastTo(ta, shape), vb = broadcastTo(tb, shape);
  const out = Tensor.fromStorage(backend, backend.ops.binary(op, va.strided, vb.strided, shape), shape);
  // The broadcast views were for the backend call only; the recorded inputs are ta and tb.
  if (va !== ta) va.dispose();
  if (vb !== tb) vb.dispose();
  record(op, [ta, tb], out);
  if (!isTracing()) {
    if (ta !== a) ta.dispose();
    if (tb !== b) tb.dispose();
  }
  return out;
}

export const add = (a: TensorLike, b: TensorLike) => binaryOp('add', a, b);
export const sub = (a: TensorLike, b: TensorLike) => binaryOp('sub', a, b);
export const mul = (a: TensorLike, b: TensorLike) => binaryOp('mul', a, b);
export const div = (a: TensorLike, b: TensorLike) => binaryOp('div', a, b);
export const pow = (a: TensorLike, b: TensorLike) => binaryOp('pow', a, b);
export const maximum = (a: TensorLike, b: TensorLike) => binaryOp('max', a, b);
export const minimum = (a: TensorLike, b: TensorLike) => binaryOp('min', a, b);
export const atan2 = (a: TensorLike, b: TensorLike) => binaryOp('atan2', a, b);
/** 1 where a < b, else 0 (in the inputs' dtype). */
export const less = (a: TensorLike, b: TensorLike) => binaryOp('lt', a, b);
export const lessEqual = (a: TensorLike, b: TensorLike) => binaryOp('le', a, b);
export const greater = (a: TensorLike, b: TensorLike) => binaryOp('gt', a, b);
export const greaterEqual = (a: TensorLike, b: TensorLike) => binaryOp('ge', a, b);
export const equal = (a: TensorLike, b: TensorLike) => binaryOp('eq', a, b);
export const notEqual = (a: TensorLike, b: TensorLike) => binaryOp('ne', a, b);

/** cond ≠ 0 ? a : b, all three broadcast together. */
export function where(cond: Tensor, a: TensorLike, b: TensorLike): Tensor {
  checkTensor('where', 'cond', cond);
  const like = a instanceof Tensor ? a : b instanceof Tensor ? b : undefined;
  const ta = lift('where', 'a', a, like), tb = lift('where', 'b', b, like ?? ta);
  const backend = commonBackend('where', [cond, ta, tb]);
  checkDtypes('where', ta, tb);
  const shape = broadcastShapes('where', broadcastShapes('where', cond.shape, ta.shape), tb.shape);
  const vc = broadcastTo(cond, shape), va = broadcastTo(ta, shape), vb = broadcastTo(tb, shape);
  const out = Tensor.fromStorage(backend, backend.ops.where(vc.strided, va.strided, vb.strided, shape), shape);
  for (const [v, t] of [[vc, cond], [va, ta], [vb, tb]] as const) if (v !== t) v.dispose();
  record('where', [cond, ta, tb], out);
  if (!isTracing()) {
    if (ta !== a) ta.dispose();
    if (tb !== b) tb.dispose();
  }
  return out;
}

/** Converts to another dtype (float → int32 truncates toward zero). */
export function cast(x: Tensor, dtype: DType): Tensor {
  checkTensor('cast', 'x', x);
  checkDType('cast', 'dtype', dtype);
  const src = x.isContiguous ? x : contiguousCopy(x);
  const out = Tensor.fromStorage(x.backend, x.backend.ops.cast(src.contig, x.size, dtype), x.shape);
  if (src !== x) src.dispose();
  return record('cast', [x], out, { from: x.dtype });
}
