// Derivative rules of matmul (C = A·B over broadcast leading axes) and linear (x·w + bias).
// Backward: Ā = C̄·Bᵀ and B̄ = Aᵀ·C̄, summed over the leading axes an operand was broadcast
// along; transposes are views that the kernels read with a transpose flag. Forward:
// Ċ = Ȧ·B + A·Ḃ, skipping the terms whose tangent is zero, as one product over a doubled
// inner dimension when that is cheaper.

import type { Tensor } from '../../tensor.js';
import { linear as linearOp, matmul } from '../../ops/matmul.js';
import { add } from '../../ops/elementwise.js';
import { broadcastTo, concat, reshape, transpose } from '../../ops/views.js';
import { addAll, align, expand, tangentShape, unbroadcast } from './elementwise.js';
import type { Lead, Rule } from './types.js';

function gradA(g: Tensor, a: Tensor, b: Tensor): Tensor {
  return unbroadcast(matmul(g, transpose(b)), a.shape);
}

function gradB(g: Tensor, a: Tensor, b: Tensor): Tensor {
  // A shared matrix B under a batch of A: one product over the flattened batch rather than
  // a batch of products and a sum.
  if (b.rank === 2 && a.rank > 2) {
    const k = a.shape[a.rank - 1]!, n = g.shape[g.rank - 1]!;
    return matmul(transpose(reshape(a, [-1, k])), reshape(g, [-1, n]));
  }
  return unbroadcast(matmul(transpose(a), g), b.shape);
}

/**
 * Ȧ·B + A·Ḃ as one product [Ȧ, A]·[B; Ḃ] when the operands are plain matrices and the inner
 * dimension is small next to the output (copying both operands then costs less than a second
 * product and the sum of two m×n results); null otherwise.
 */
function stacked(ta: Tensor, a: Tensor, b: Tensor, tb: Tensor, lead: Lead, bias?: Tensor): Tensor | null {
  if (a.rank !== 2 || b.rank !== 2 || ta.rank !== 2 + lead || tb.rank !== 2 + lead) return null;
  const [m, k] = a.shape as [number, number], n = b.shape[1]!;
  if (2 * (m + n) * k > m * n) return null;
  // With a probe axis the primal operands are repeated (broadcast views) beside each probe's tangent.
  const probes = ta.shape.slice(0, lead);
  const left = concat([ta, lead ? broadcastTo(a, [...probes, m, k]) : a], lead + 1);
  const right = concat([lead ? broadcastTo(b, [...probes, k, n]) : b, tb], lead);
  return bias ? linearOp(left, right, bias) : matmul(left, right);
}

/**
 * t·b for a block of tangents t [p, ..., m, k] against a matrix b: one product over the
 * flattened rows when t is contiguous and b is a plain matrix, else a broadcast batch.
 */
function blockProduct(t: Tensor, b: Tensor): Tensor {
  if (b.rank !== 2 || !t.isContiguous) return matmul(t, b);
  const k = t.shape.at(-1)!;
  return reshape(matmul(reshape(t, [-1, k]), b), [...t.shape.slice(0, -1), b.shape[1]!]);
}

export const matmulRules: { readonly [K in 'matmul' | 'linear']: Rule<K> } = {
  matmul: {
    vjp: (e, g, needs) => {
      const [a, b] = e.inputs as [Tensor, Tensor];
      return [needs[0] ? gradA(g, a, b) : null, needs[1] ? gradB(g, a, b) : null];
    },
    jvp: (e, [ta, tb], _memo, lead) => {
      const [a, b] = e.inputs as [Tensor, Tensor];
      const both = ta && tb && stacked(ta, a, b, tb, lead);
      if (both) return both;
      if (lead === 0) return addAll([ta ? matmul(ta, b) : null, tb ? matmul(a, tb) : null]);
      const r = e.output.rank;
      return addAll([ta ? blockProduct(align(ta, r, lead), b) : null, tb ? matmul(a, align(tb, r, lead)) : null]);
    },
  },
  linear: {
    vjp: (e, g, needs) => {
      const [x, w, bias] = e.inputs as [Tensor, Tensor, Tensor | undefined];
      return [
        needs[0] ? gradA(g, x, w) : null,
        needs[1] ? gradB(g, x, w) : null,
        ...(bias ? [needs[2] ? unbroadcast(g, bias.shape) : null] : []),
      ];
    },
    jvp: (e, [tx, tw, tb], _memo, lead) => {
      const [x, w] = e.inputs as [Tensor, Tensor];
      const shape = tangentShape(e, lead, (tx ?? tw ?? tb)!);
      const both = tx && tw && stacked(tx, x, w, tw, lead, lead === 0 ? tb ?? undefined : undefined);
      if (both) return lead === 0 || !tb ? both : add(both, align(tb, e.output.rank, lead));
      if (lead === 0) {
        const fromX = tx ? matmul(tx, w) : null;
        const fromW = tw ? (tb ? linearOp(x, tw, tb) : matmul(x, tw)) : tb ? expand(tb, shape) : null;
        return expand(addAll([fromX, fromW])!, shape);
      }
      const r = e.output.rank;
      return expand(addAll([
        tx ? blockProduct(align(tx, r, lead), w) : null,
        tw ? matmul(x, align(tw, r, lead)) : null,
        tb ? align(tb, r, lead) : null,
      ])!, shape);
    },
  },
};
