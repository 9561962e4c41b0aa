// What the curvature operators share: the operator interface the spectrum layer calls as
// `op(V) = M·V` on a vector [n] or a block of vectors [n, b], batch weights, and the
// column-by-column application of a block.

import { checkFinite, DisposedError, typeError } from '../errors.js';
import { zeros } from '../ops/creation.js';
import { add, mul } from '../ops/elementwise.js';
import { concat, contiguous, reshape, slice, stack, transpose } from '../ops/views.js';
import { fmt } from '../shape.js';
import { keep, Tensor, tidy } from '../tensor.js';
import type { LeafRange } from './tape.js';
import { alias } from './tape.js';
export { alias };

/** A symmetric matrix M of order n, seen only through products. */
export interface CurvatureOperator {
  /** The order n of M (the arena's size, or the range's length for one layer's block). */
  readonly size: number;
  /** The (weighted) loss at the parameters. */
  readonly value: Tensor;
  /** M·V for V of shape [n] or [n, b] (b probes at once); the result has V's shape. */
  readonly apply: (V: Tensor) => Tensor;
  /** The (weighted) gradient at the parameters, restricted like M; computed on first use. */
  gradient(): Tensor;
  /**
   * gᵢᵀ M gᵢ for the rows gᵢ of G [b, n], as [b]: present when the operator computes these
   * more cheaply than M·G (a Hutchinson trace needs only them).
   */
  readonly quadratic?: (G: Tensor) => Tensor;
  /** Frees everything the operator cached. */
  dispose(): void;
}

export interface BatchOptions<B> {
  /**
   * The data set in batches: the operator is Σ_i weights[i]·M_i with M_i the matrix of
   * batch i (f is called as f(params, batches[i])). Omitted: one call with batch undefined.
   */
  batches?: readonly B[];
  /** One weight per batch; default 1/batches.length (the average of batch means). */
  weights?: readonly number[];
  /** Keep every batch's forward pass between products (default true); false recomputes it per product. */
  cache?: boolean;
  /** Only the block of parameters [begin, end) of a 1-D arena (one layer): v and M·v have end − begin elements. */
  range?: LeafRange;
}

export function batchWeights<B>(fn: string, opts: BatchOptions<B>): { batches: readonly (B | undefined)[]; weights: number[] } {
  const batches: readonly (B | undefined)[] = opts.batches ?? [undefined];
  if (!Array.isArray(batches) || batches.length === 0) throw typeError(fn, 'opts.batches', 'a non-empty array', opts.batches);
  const weights = opts.weights ? [...opts.weights] : batches.map(() => 1 / batches.length);
  if (weights.length !== batches.length) {
    throw new RangeError(`${fn}: expected ${batches.length} weights for 'opts.weights' (one per batch) but received ${weights.length}`);
  }
  weights.forEach((w, i) => checkFinite(fn, `opts.weights[${i}]`, w));
  return { batches, weights };
}

/** Σ_i w_i·t_i, freeing the terms. */
export function weightedSum(terms: readonly Tensor[], weights: readonly number[]): Tensor {
  let acc: Tensor | null = null;
  terms.forEach((t, i) => {
    const w = weights[i]!;
    const s = w === 1 ? t : mul(t, w);
    if (s !== t) t.dispose();
    if (acc) { const next = add(acc, s); acc.dispose(); s.dispose(); acc = next; } else acc = s;
  });
  return acc!;
}

/** One batch's recorded curvature: what a curvature operator keeps per batch. */
export interface BatchCurvature {
  /** The batch's loss (owned by the record). */
  readonly value: Tensor;
  /** M_i·v for one probe v. */
  apply(v: Tensor): Tensor;
  /** M_i applied to each row of a block of probes [b, n] in one pass (required with blockPass). */
  applyRows?(R: Tensor): Tensor;
  /** The batch's gradient, a tensor the caller owns. */
  gradient(): Tensor;
  dispose(): void;
}

/**
 * The operator Σ_i weights[i]·M_i over the batches, each M_i given by `record(batch_i)`:
 * recorded once and kept for every product (`cache`), or recorded afresh for each product
 * (then the value and gradient are taken at construction). With `blockPass`, a block of
 * probes goes through each record's applyRows at once; otherwise column by column.
 */
export function batchedCurvature<B>(fn: string, n: number, params: Tensor, batches: readonly (B | undefined)[], weights: readonly number[],
  cache: boolean, blockPass: boolean, record: (batch: B | undefined) => BatchCurvature): CurvatureOperator {
  let recorded: BatchCurvature[] | null = null;
  let value: Tensor, gradient: Tensor | null = null;
  if (cache) {
    recorded = batches.map(record);
    value = keep(tidy(() => weightedSum(recorded!.map((r) => alias(r.value)), weights)));
  } else {
    const parts = batches.map((b) => {
      const r = record(b);
      try {
        return { value: alias(r.value), grad: r.gradient() };
      } finally {
        r.dispose();
      }
    });
    value = keep(tidy(() => weightedSum(parts.map((q) => q.value), weights)));
    gradient = keep(tidy(() => weightedSum(parts.map((q) => q.grad), weights)));
  }
  let disposed = false;
  const product = (how: (r: BatchCurvature) => Tensor): Tensor => weightedSum(batches.map((b, i) => {
    if (recorded) return how(recorded[i]!);
    const r = record(b);
    try {
      return how(r);
    } finally {
      r.dispose();
    }
  }), weights);
  // A block of probes goes through one pass per batch when the records can (applyRows).
  const rows = blockPass ? (R: Tensor) => product((r) => r.applyRows!(R)) : undefined;
  return {
    size: n,
    value,
    apply: (V) => {
      if (disposed) throw new DisposedError(`${fn}.apply: the operator was disposed`);
      return tidy(() => applyBlock(`${fn}.apply`, n, params, V, (v) => product((r) => r.apply(v)), rows));
    },
    gradient() {
      gradient ??= keep(tidy(() => weightedSum(recorded!.map((r) => r.gradient()), weights)));
      return gradient;
    },
    dispose() {
      disposed = true;
      for (const r of recorded ?? []) r.dispose();
      value.dispose();
      gradient?.dispose();
    },
  };
}

/** Probes pushed through one tangent pass at most (the pass holds this many copies of each activation). */
export const PROBES_PER_PASS = 16;

/**
 * Applies a vector product to V of shape [n] (one(V)) or [n, b] (the matrix whose column j
 * is the product with V[:, j]): by `rows`, which takes a block of probes as rows [c, n] and
 * returns the products as rows, PROBES_PER_PASS at a time (the result is then a transposed
 * view of those rows); or else column by column.
 */
export function applyBlock(fn: string, n: number, like: Tensor, V: unknown, one: (v: Tensor) => Tensor, rows?: (R: Tensor) => Tensor): Tensor {
  if (!(V instanceof Tensor)) throw typeError(fn, 'V', 'a Tensor', V);
  if (V.dtype !== like.dtype) throw new TypeError(`${fn}: expected a ${like.dtype} tensor for 'V' but received ${V.dtype}`);
  if (V.rank === 1 && V.shape[0] === n) return one(V);
  if (V.rank !== 2 || V.shape[0] !== n) throw new RangeError(`${fn}: expected shape [${n}] or [${n}, b] for 'V' but received ${fmt(V.shape)}`);
  const b = V.shape[1]!;
  if (b === 0) return zeros([n, 0], { dtype: V.dtype, backend: V.backend });
  // One column: the plain pass, whose rules fuse more (biases into products) than the block pass.
  if (b === 1) return tidy(() => reshape(one(reshape(V, [n])), [n, 1]));
  return tidy(() => {
    const probes = contiguous(transpose(V));
    const out: Tensor[] = [];
    if (rows) {
      for (let j = 0; j < b; j += PROBES_PER_PASS) {
        const c = Math.min(PROBES_PER_PASS, b - j);
        out.push(rows(c === b ? probes : slice(probes, [j, 0], [c, n])));
      }
      // The columns as a view of the rows: a caller that wants rows again reads them in place.
      return transpose(out.length === 1 ? out[0]! : concat(out, 0));
    }
    for (let j = 0; j < b; j++) out.push(one(reshape(slice(probes, [j, 0], [1, n]), [n])));
    return contiguous(transpose(stack(out, 0)));
  });
}
