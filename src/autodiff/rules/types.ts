// The shape of a derivative rule, shared by every op family in src/autodiff/rules/.
//
// Rules are written in public tensor ops only, so they run on every backend and are
// themselves differentiable: a tape that is recording while a rule runs records the
// rule's ops, which gives second derivatives (reverse-over-reverse and forward-over-reverse).

import type { Tensor } from '../../tensor.js';
import type { RecordedOp } from '../../trace.js';
import type { EntryOf } from '../tape.js';

/**
 * The cotangent of a slice, kept unexpanded: `value` belongs at [begin, begin + size) of a
 * tensor of shape inShape and is zero elsewhere. The backward pass joins the pieces of one
 * tensor with one concat instead of padding each and adding.
 */
export interface Piece {
  readonly kind: 'piece';
  readonly value: Tensor;
  readonly begin: readonly number[];
  readonly size: readonly number[];
  readonly inShape: readonly number[];
}

export type Cotangent = Tensor | Piece;

/** Caches a tensor that depends only on primal values, once per entry and traced function. */
export type Memo = (key: string, make: () => Tensor) => Tensor;

/**
 * The derivative rule of op K: its entries' attributes are typed by RecordedOps[K]
 * (src/trace.ts). Rule (K = every op) accepts any entry; methods are bivariant, so a
 * Rule<'slice'> is one.
 */
export interface Rule<K extends RecordedOp = RecordedOp> {
  /**
   * The cotangents of the inputs given the output's cotangent `g` (of the output's shape);
   * null for an input whose `needs` flag is false. Each cotangent has its input's shape.
   */
  vjp(e: EntryOf<K>, g: Tensor, needs: readonly boolean[], memo: Memo): readonly (Cotangent | null)[];
  /**
   * The output's tangent given the inputs' tangents (null is a zero tangent; at least one is
   * non-null), with the output's shape; null when it is identically zero. With lead = 1 every
   * tangent carries one extra leading axis (b probes pushed at once): an input's tangent is
   * [b, ...input shape] and the result must be [b, ...output shape].
   */
  jvp(e: EntryOf<K>, t: readonly (Tensor | null)[], memo: Memo, lead: Lead): Tensor | null;
}

/** The number of probe axes in front of every tangent: 0 (one tangent) or 1 (a block). */
export type Lead = 0 | 1;

export function isPiece(c: Cotangent): c is Piece {
  return (c as Partial<Piece>).kind === 'piece';
}
