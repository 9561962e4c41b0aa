// Shape ops. reshape, permute/transpose, slice, expandDims, squeeze and broadcastTo return
// views that share storage when the layout allows; concat and contiguous copy.

import { ShapeError, typeError } from '../errors.js';
import { record } from '../trace.js';
import { broadcastShapes, checkShape, fmt, normAxis, sizeOf, stridesFor } from '../shape.js';
import type { Shape } from '../shape.js';
import { allocStorage, contiguousCopy, Tensor } from '../tensor.js';
import { checkTensor, commonBackend } from './util.js';

/** A contiguous tensor with the same elements (the input itself when already contiguous). */
export function contiguous(x: Tensor): Tensor {
  checkTensor('contiguous', 'x', x);
  if (x.isContiguous) return record('contiguous', [x], x.view(x.shape, x.strides, x.offset));
  return record('contiguous', [x], contiguousCopy(x));
}

/** The same elements in a new shape; one dimension may be -1 (inferred). */
export function reshape(x: Tensor, shape: Shape): Tensor {
  checkTensor('reshape', 'x', x);
  if (!Array.isArray(shape)) throw typeError('reshape', 'shape', 'an array of integers', shape);
  const dims = shape.slice();
  const infer = dims.indexOf(-1);
  if (infer >= 0) {
    const rest = sizeOf(dims.filter((_, i) => i !== infer));
    dims[infer] = rest === 0 ? 0 : x.size / rest;
  }
  checkShape('reshape', 'shape', dims);
  if (sizeOf(dims) !== x.size || !dims.every(Number.isInteger)) {
    throw new ShapeError(`reshape: cannot reshape ${fmt(x.shape)} (${x.size} elements) to ${fmt(shape)}`);
  }
  const strides = x.isContiguous ? stridesFor(dims) : viewStrides(x.shape, x.strides, dims);
  if (strides) return record('reshape', [x], x.view(dims, strides, x.offset), { shape: x.shape });
  const src = contiguousCopy(x);
  const out = src.view(dims, stridesFor(dims), 0);
  src.dispose();
  return record('reshape', [x], out, { shape: x.shape });
}

/**
 * Strides that show a strided view of `shape` as `dims` without copying, or null when the
 * layout does not allow it. Each run of old axes that merges or splits into new axes must be
 * contiguous within itself (NumPy's attempt_nocopy_reshape); this keeps a replica's weight
 * matrix in a [R, P] arena a view.
 */
function viewStrides(shape: Shape, strides: Shape, dims: Shape): number[] | null {
  if (sizeOf(dims) === 0) return stridesFor(dims);
  const os: number[] = [], ot: number[] = [];
  shape.forEach((d, i) => { if (d !== 1) { os.push(d); ot.push(strides[i]!); } });
  const out = new Array<number>(dims.length).fill(0);
  let oi = 0, ni = 0;
  while (ni < dims.length && oi < os.length) {
    let oj = oi + 1, nj = ni + 1;
    let np = dims[ni]!, op = os[oi]!;
    while (np !== op) {
      if (np < op) np *= dims[nj++]!;
      else op *= os[oj++]!;
    }
    for (let k = oi; k < oj - 1; k++) if (ot[k] !== os[k + 1]! * ot[k + 1]!) return null;
    out[nj - 1] = ot[oj - 1]!;
    for (let k = nj - 1; k > ni; k--) out[k - 1] = out[k]! * dims[k]!;
    ni = nj;
    oi = oj;
  }
  for (; ni < dims.length; ni++) out[ni] = 1;
  return out;
}

export function flatten(x: Tensor): Tensor {
  return reshape(x, [x.size]);
}

/** Reorders the axes: out.shape[i] = x.shape[perm[i]] (a view). */
export function permute(x: Tensor, perm: readonly number[]): Tensor {
  checkTensor('permute', 'x', x);
  if (!Array.isArray(perm) || perm.length !== x.rank || [...perm].sort((a, b) => a - b).some((p, i) => p !== i)) {
    throw new RangeError(`permute: expected a permutation of [0..${x.rank - 1}] for 'perm' but received [${perm}]`);
  }
  const out = x.view(perm.map((p) => x.shape[p]!), perm.map((p) => x.strides[p]!), x.offset);
  return record('permute', [x], out, { perm });
}

/** Swaps two axes (default: the last two) — a view, no copy. */
export function transpose(x: Tensor, axis0 = -2, axis1 = -1): Tensor {
  checkTensor('transpose', 'x', x);
  if (x.rank < 2) return permute(x, x.shape.map((_, i) => i));
  const a = normAxis('transpose', axis0, x.rank), b = normAxis('transpose', axis1, x.rank);
  const perm = x.shape.map((_, i) => i);
  perm[a] = b;
  perm[b] = a;
  return permute(x, perm);
}

/** The sub-tensor x[begin[0]:begin[0]+size[0], ...] (a view). A size of -1 runs to the end. */
export function slice(x: Tensor, begin: readonly number[], size?: readonly number[]): Tensor {
  checkTensor('slice', 'x', x);
  if (!Array.isArray(begin) || begin.length > x.rank) {
    throw typeError('slice', 'begin', `an array of at most ${x.rank} integers`, begin);
  }
  const b = x.shape.map((_, i) => begin[i] ?? 0);
  const s = x.shape.map((d, i) => {
    const v = size?.[i] ?? -1;
    return v === -1 ? d - b[i]! : v;
  });
  let offset = x.offset;
  for (let i = 0; i < x.rank; i++) {
    if (!Number.isInteger(b[i]) || !Number.isInteger(s[i]) || b[i]! < 0 || s[i]! < 0 || b[i]! + s[i]! > x.shape[i]!) {
      throw new RangeError(`slice: begin ${fmt(b)} with size ${fmt(s)} is out of bounds for shape ${fmt(x.shape)} (axis ${i})`);
    }
    offset += b[i]! * x.strides[i]!;
  }
  return record('slice', [x], x.view(s, x.strides, offset), { begin: b, size: s, inShape: x.shape });
}

/** Inserts an axis of length 1 at `axis`. */
export function expandDims(x: Tensor, axis: number): Tensor {
  checkTensor('expandDims', 'x', x);
  const a = normAxis('expandDims', axis, x.rank + 1);
  const shape = x.shape.slice();
  shape.splice(a, 0, 1);
  return reshape(x, shape);
}

/** Removes axes of length 1 (all of them, or the ones named). */
export function squeeze(x: Tensor, axes?: readonly number[]): Tensor {
  checkTensor('squeeze', 'x', x);
  const drop = new Set(axes ? axes.map((a) => normAxis('squeeze', a, x.rank)) : x.shape.flatMap((d, i) => (d === 1 ? [i] : [])));
  for (const a of drop) if (x.shape[a] !== 1) throw new ShapeError(`squeeze: axis ${a} of ${fmt(x.shape)} has length ${x.shape[a]}, not 1`);
  return reshape(x, x.shape.filter((_, i) => !drop.has(i)));
}

/** A broadcast view of x with `shape` (NumPy rules; stride 0 on broadcast axes). */
export function broadcastTo(x: Tensor, shape: Shape): Tensor {
  checkTensor('broadcastTo', 'x', x);
  const dims = checkShape('broadcastTo', 'shape', shape);
  const b = broadcastShapes('broadcastTo', x.shape, dims);
  if (b.length !== dims.length || b.some((d, i) => d !== dims[i])) {
    throw new ShapeError(`broadcastTo: cannot broadcast ${fmt(x.shape)} to ${fmt(dims)}`);
  }
  const lead = dims.length - x.rank;
  const strides = dims.map((d, i) => (i < lead || x.shape[i - lead] !== d ? 0 : x.strides[i - lead]!));
  return record('broadcastTo', [x], x.view(dims, strides, x.offset), { inShape: x.shape });
}

/** Joins tensors along an existing axis. */
export function concat(xs: readonly Tensor[], axis = 0): Tensor {
  if (!Array.isArray(xs) || xs.length === 0) throw typeError('concat', 'xs', 'a non-empty array of tensors', xs);
  xs.forEach((x, i) => checkTensor('concat', `xs[${i}]`, x));
  const b = commonBackend('concat', xs);
  const first = xs[0]!;
  const a = normAxis('concat', axis, first.rank);
  for (const x of xs as readonly Tensor[]) {
    if (x.rank !== first.rank || x.dtype !== first.dtype || x.shape.some((d, i) => i !== a && d !== first.shape[i])) {
      throw new ShapeError(`concat: expected shapes that agree except on axis ${a} but received ${xs.map((t) => fmt(t.shape)).join(', ')} (${xs.map((t) => t.dtype).join(', ')})`);
    }
  }
  const shape = first.shape.slice();
  shape[a] = xs.reduce((s, x) => s + x.shape[a]!, 0);
  const out = Tensor.fromStorage(b, allocStorage(b, sizeOf(shape), first.dtype), shape);
  let at = 0;
  for (const x of xs) {
    const dst = out.strided;
    b.ops.copyInto(x.strided, { ...dst, shape: x.shape, offset: at * dst.strides[a]! });
    at += x.shape[a]!;
  }
  return record('concat', xs, out, { axis: a, sizes: xs.map((x) => x.shape[a]!) });
}

/** Joins tensors along a new axis. */
export function stack(xs: readonly Tensor[], axis = 0): Tensor {
  if (!Array.isArray(xs) || xs.length === 0) throw typeError('stack', 'xs', 'a non-empty array of tensors', xs);
  return concat(xs.map((x) => expandDims(x, axis)), axis);
}
