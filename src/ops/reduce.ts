// Reductions over one axis, several axes or all of them.

import { typeError } from '../errors.js';
import { record } from '../trace.js';
import type { ReduceOp } from '../backend/ops.js';
import { normAxis, sizeOf } from '../shape.js';
import { contiguousCopy, Tensor } from '../tensor.js';
import { mul, sqrt } from './elementwise.js';
import { checkTensor } from './util.js';

export type Axes = number | readonly number[] | undefined;

function normAxes(op: string, x: Tensor, axes: Axes): number[] {
  if (axes === undefined) return x.shape.map((_, i) => i);
  const list = typeof axes === 'number' ? [axes] : axes;
  if (!Array.isArray(list)) throw typeError(op, 'axis', 'an axis number or an array of them', axes);
  const out = [...new Set(list.map((a) => normAxis(op, a, x.rank)))];
  return out.sort((a, b) => a - b);
}

/** Reduces the given (sorted) axes one at a time, innermost first, keeping them as length 1. */
function reduceKeep(op: ReduceOp, x: Tensor, axes: readonly number[]): Tensor {
  let cur = x.isContiguous ? x : contiguousCopy(x);
  for (let i = axes.length - 1; i >= 0; i--) {
    const a = axes[i]!;
    const outer = sizeOf(cur.shape.slice(0, a)), n = cur.shape[a]!, inner = sizeOf(cur.shape.slice(a + 1));
    const shape = cur.shape.slice();
    shape[a] = 1;
    // Σx² over several axes squares once: later passes sum the partial sums of squares.
    const pass = op === 'sumsq' && i < axes.length - 1 ? 'sum' : op;
    const next = Tensor.fromStorage(cur.backend, cur.backend.ops.reduce(pass, cur.contig, outer, n, inner), shape);
    if (cur !== x) cur.dispose();
    cur = next;
  }
  return cur === x ? x.view(x.shape, x.strides, x.offset) : cur;
}

function reduceOp(op: ReduceOp, x: Tensor, axis: Axes, keepDims: boolean): Tensor {
  checkTensor(op, 'x', x);
  const axes = normAxes(op, x, axis);
  if ((op === 'argmax' || op === 'argmin') && axes.length !== 1) {
    throw new RangeError(`${op}: expected one axis for 'axis' but received ${axis === undefined ? 'none' : `[${axes}]`}${x.rank === 1 ? '' : ' (flatten first to search all elements)'}`);
  }
  const kept = reduceKeep(op, x, axes);
  const shape = keepDims ? kept.shape.slice() : x.shape.filter((_, i) => !axes.includes(i));
  const out = kept.view(shape, kept.strides.filter((_, i) => keepDims || !axes.includes(i)), kept.offset);
  kept.dispose();
  return record(op, [x], out, { axes, keepDims, inShape: x.shape });
}

/** Σ over the axes (all when omitted); float accumulation is pairwise or float64 on every backend. */
export const sum = (x: Tensor, axis?: Axes, keepDims = false) => reduceOp('sum', x, axis, keepDims);
/** Σ x² over the axes. */
export const sumSquares = (x: Tensor, axis?: Axes, keepDims = false) => reduceOp('sumsq', x, axis, keepDims);
export const max = (x: Tensor, axis?: Axes, keepDims = false) => reduceOp('max', x, axis, keepDims);
export const min = (x: Tensor, axis?: Axes, keepDims = false) => reduceOp('min', x, axis, keepDims);
/** The first index of the largest element along `axis` (int32). */
export const argmax = (x: Tensor, axis = -1, keepDims = false) => reduceOp('argmax', x, axis, keepDims);
export const argmin = (x: Tensor, axis = -1, keepDims = false) => reduceOp('argmin', x, axis, keepDims);

/** The mean over the axes (all when omitted). */
export function mean(x: Tensor, axis?: Axes, keepDims = false): Tensor {
  checkTensor('mean', 'x', x);
  const count = normAxes('mean', x, axis).reduce((p, a) => p * x.shape[a]!, 1);
  const s = sum(x, axis, keepDims);
  const out = mul(s, 1 / count);
  return out;
}

/** The Euclidean norm over the axes (all when omitted). */
export function norm(x: Tensor, axis?: Axes, keepDims = false): Tensor {
  return sqrt(sumSquares(x, axis, keepDims));
}

/** Σ a·b over all elements of two tensors of one shape. */
export function dot(a: Tensor, b: Tensor): Tensor {
  checkTensor('dot', 'a', a);
  checkTensor('dot', 'b', b);
  if (a.size !== b.size || a.rank !== b.rank) {
    throw new RangeError(`dot: expected tensors of one shape but received [${a.shape}] and [${b.shape}]`);
  }
  return sum(mul(a, b));
}
