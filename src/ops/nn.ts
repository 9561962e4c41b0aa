// Row-wise softmax, gathering by index, one-hot encoding.

import { typeError } from '../errors.js';
import { record } from '../trace.js';
import { fmt, normAxis, sizeOf } from '../shape.js';
import { contiguousCopy, Tensor } from '../tensor.js';
import { eye } from './creation.js';
import { permute } from './views.js';
import { checkFloat, checkTensor, commonBackend } from './util.js';

function softmaxOp(op: 'softmax' | 'logSoftmax', x: Tensor, axis: number): Tensor {
  checkTensor(op, 'x', x);
  checkFloat(op, 'x', x);
  const a = normAxis(op, axis, x.rank);
  if (a !== x.rank - 1) {
    const perm = x.shape.map((_, i) => i);
    perm[a] = x.rank - 1;
    perm[x.rank - 1] = a;
    return permute(softmaxOp(op, permute(x, perm), -1), perm);
  }
  const cols = x.shape[a] ?? 1, rows = x.size / Math.max(cols, 1);
  const src = x.isContiguous ? x : contiguousCopy(x);
  const out = Tensor.fromStorage(x.backend, x.backend.ops.softmax(src.contig, cols === 0 ? 0 : rows, cols, op === 'logSoftmax'), x.shape);
  if (src !== x) src.dispose();
  return record(op, [x], out);
}

/** e^{x_j}/Σ_k e^{x_k} along `axis` (default the last). */
export const softmax = (x: Tensor, axis = -1) => softmaxOp('softmax', x, axis);
/** x_j − log Σ_k e^{x_k} along `axis`. */
export const logSoftmax = (x: Tensor, axis = -1) => softmaxOp('logSoftmax', x, axis);

function checkIndices(op: string, indices: Tensor): void {
  checkTensor(op, 'indices', indices);
  if (indices.dtype !== 'int32' || indices.rank !== 1) {
    throw typeError(op, 'indices', 'a 1-D int32 tensor', `${indices.dtype} tensor of shape ${fmt(indices.shape)}`);
  }
}

/** out = x with `axis` replaced by the entries indices[j] (x.take(indices, axis)). */
export function gather(x: Tensor, indices: Tensor, axis = 0): Tensor {
  checkTensor('gather', 'x', x);
  checkIndices('gather', indices);
  const b = commonBackend('gather', [x, indices]);
  const a = normAxis('gather', axis, x.rank);
  const outer = sizeOf(x.shape.slice(0, a)), n = x.shape[a]!, inner = sizeOf(x.shape.slice(a + 1)), m = indices.size;
  const src = x.isContiguous ? x : contiguousCopy(x);
  const idx = indices.isContiguous ? indices : contiguousCopy(indices);
  const shape = x.shape.slice();
  shape[a] = m;
  const out = Tensor.fromStorage(b, b.ops.gather(src.contig, outer, n, inner, idx.contig, m), shape);
  if (src !== x) src.dispose();
  if (idx !== indices) idx.dispose();
  return record('gather', [x, indices], out, { axis: a, n });
}

/** The adjoint of gather: a tensor with `axis` of length n, where out[idx[j]] += src[j]. */
export function scatterAdd(src: Tensor, indices: Tensor, n: number, axis = 0): Tensor {
  checkTensor('scatterAdd', 'src', src);
  checkIndices('scatterAdd', indices);
  const b = commonBackend('scatterAdd', [src, indices]);
  const a = normAxis('scatterAdd', axis, src.rank);
  if (src.shape[a] !== indices.size) {
    throw new RangeError(`scatterAdd: expected axis ${a} of 'src' ${fmt(src.shape)} to match the ${indices.size} indices`);
  }
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`scatterAdd: expected a non-negative integer for 'n' but received ${n}`);
  const outer = sizeOf(src.shape.slice(0, a)), m = src.shape[a]!, inner = sizeOf(src.shape.slice(a + 1));
  const s = src.isContiguous ? src : contiguousCopy(src);
  const idx = indices.isContiguous ? indices : contiguousCopy(indices);
  const shape = src.shape.slice();
  shape[a] = n;
  const out = Tensor.fromStorage(b, b.ops.scatterAdd(s.contig, outer, m, inner, idx.contig, n), shape);
  if (s !== src) s.dispose();
  if (idx !== indices) idx.dispose();
  return record('scatterAdd', [src, indices], out, { axis: a });
}

/** Rows of the identity: out[j] = e_{indices[j]} of length `classes` (float32). */
export function oneHot(indices: Tensor, classes: number): Tensor {
  checkIndices('oneHot', indices);
  if (!Number.isInteger(classes) || classes < 1) throw new RangeError(`oneHot: expected a positive integer for 'classes' but received ${classes}`);
  const id = eye(classes, { backend: indices.backend });
  const out = gather(id, indices, 0);
  id.dispose();
  return out;
}
