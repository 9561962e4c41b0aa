// Forward mode: the tangent pass over a recorded tape, the Jacobian-vector product and
// linearize (record once, push many tangents).
//
// forward() visits only the entries that lead to the requested output, in recording order,
// and skips every entry whose input tangents are all zero (a constant input, or a layer
// outside a restricted range, contributes no work). A tangent is freed after its last use.
// Values that depend only on the primal point (masks, softmax probabilities) come from a
// memo, which an operator keeps across products.

import { DisposedError } from '../errors.js';
import { zeros } from '../ops/creation.js';
import { concat, contiguous, slice } from '../ops/views.js';
import { keep, Tensor, tidy } from '../tensor.js';
import { cachingMemo, oneShotMemo } from './memo.js';
import type { MemoStore } from './memo.js';
import { alias, LEAF } from './tape.js';
import type { Entry, Tape } from './tape.js';
import type { Lead } from './rules/index.js';
import { checkLike, checkPrimal, checkRange, trace } from './vjp.js';
import type { TraceOptions } from './vjp.js';

export interface Plan {
  readonly entries: readonly Entry[];
  /** Index in `entries` of the last entry that reads each variable. */
  readonly lastUse: ReadonlyMap<number, number>;
}

/** Called after each rule of a tangent pass with the entry and the milliseconds its rule took. */
export type TangentProfiler = (e: Entry, ms: number) => void;

let profiler: TangentProfiler | null = null;

/**
 * Installs (or, with null, removes) a profiler that every tangent pass calls after each
 * entry's rule, with the wall-clock milliseconds of that call: a breakdown of a product by
 * entry for benchmarks (bench/hvp.bench.ts `--phases`). Meaningful on synchronous backends
 * (cpu, reference), where a rule's kernels have run when it returns; not part of the engine's
 * public API.
 */
export function profileTangentPass(fn: TangentProfiler | null): void {
  profiler = fn;
}

/** The entries on which `out` depends, in recording order. */
export function plan(tape: Tape, out: Tensor): Plan {
  const needed = new Set<number>();
  const id = tape.idOf(out);
  if (id >= 0) needed.add(id);
  const entries: Entry[] = [];
  for (let i = tape.entries.length - 1; i >= 0; i--) {
    const e = tape.entries[i]!;
    if (!needed.has(e.outId)) continue;
    entries.push(e);
    for (const j of e.inIds) if (j >= 0) needed.add(j);
  }
  entries.reverse();
  const lastUse = new Map<number, number>();
  entries.forEach((e, j) => { for (const i of e.inIds) if (i >= 0) lastUse.set(i, j); });
  return { entries, lastUse };
}

/**
 * The tangent of `out` for the leaf tangent `seed` (of the leaf's shape, or of its range's
 * length on a restricted tape); null when it is identically zero. With lead = 1 the seed is
 * a block [b, ...] of b tangents pushed together, and so is the result.
 */
export function forward(tape: Tape, p: Plan, out: Tensor, seed: Tensor, memos: MemoStore, lead: Lead = 0): Tensor | null {
  const outId = tape.idOf(out);
  if (outId === LEAF) return contiguous(alias(seed));
  const range = tape.range;
  const probes = seed.shape.slice(0, lead);
  const zerosOf = (n: number) => zeros([...probes, n], { dtype: seed.dtype, backend: seed.backend });
  /** seed[.., from : from + size] padded with `before` and `after` zeros along the parameter axis. */
  const piece = (before: number, from: number, size: number, after: number) => {
    const part = slice(seed, [...probes.map(() => 0), from], [...probes, size]);
    if (before === 0 && after === 0) return part;
    return concat([...(before > 0 ? [zerosOf(before)] : []), part, ...(after > 0 ? [zerosOf(after)] : [])], lead);
  };
  let padded: Tensor | null = null;
  // The leaf's tangent on a restricted tape: the seed, padded with zeros to the leaf's length.
  const fullLeaf = () => (padded ??= piece(range!.begin, 0, range!.end - range!.begin, tape.leaf.size - range!.end));
  const tangents = new Map<number, Tensor>();
  p.entries.forEach((e, j) => {
    let t: Tensor | null;
    if (range && e.op === 'slice' && e.inIds[0] === LEAF) {
      const b = e.attrs.begin[0] as number, s = e.attrs.size[0] as number;
      const lo = Math.max(b, range.begin), hi = Math.min(b + s, range.end);
      t = piece(lo - b, lo - range.begin, hi - lo, b + s - hi);
    } else {
      const tin = e.inIds.map((id) => (id === LEAF ? (range ? fullLeaf() : seed) : id >= 0 ? tangents.get(id) ?? null : null));
      if (tin.every((x) => x === null)) return;
      const t0 = profiler ? performance.now() : 0;
      t = e.rule.jvp(e, tin, memos.for(e), lead);
      if (profiler) profiler(e, performance.now() - t0);
      memos.done();
      // Each variable owns its tangent object, so freeing one never frees another's.
      if (t && tin.includes(t)) t = alias(t);
    }
    if (t) tangents.set(e.outId, t);
    for (const id of e.inIds) {
      if (id > LEAF && id !== outId && p.lastUse.get(id) === j) {
        tangents.get(id)?.dispose();
        tangents.delete(id);
      }
    }
  });
  (padded as Tensor | null)?.dispose();
  const result = tangents.get(outId) ?? null;
  for (const [id, t] of tangents) if (id !== outId) t.dispose();
  if (!result || result.isContiguous) return result;
  const c = contiguous(result);
  result.dispose();
  return c;
}

/**
 * The Jacobian-vector product ∂f/∂x·v at x, with the value f(x) (forward mode).
 * @example
 * const { value, jvp: t } = jvp((x) => sin(x), x, v); // t = cos(x)·v
 */
export function jvp(f: (x: Tensor) => Tensor, x: Tensor, v: Tensor, opts: TraceOptions = {}): { value: Tensor; jvp: Tensor } {
  checkPrimal('jvp', 'x', x);
  const range = checkRange('jvp', x, opts.range);
  checkLike('jvp', 'v', v, range ? [range.end - range.begin] : x.shape, x);
  return tidy(() => {
    const { tape, out } = trace('jvp', f, x, range);
    try {
      const t = forward(tape, plan(tape, out), out, v, oneShotMemo());
      return { value: out, jvp: t ?? zeros(out.shape, { dtype: out.dtype, backend: out.backend }) };
    } finally {
      tape.dispose();
    }
  });
}

/** A function recorded once at a point, whose Jacobian-vector products are then taken many times. */
export interface Linearization {
  /** f(x) (the output chosen by `pick` when f returns several). */
  readonly value: Tensor;
  /** Every output of f, as returned. */
  readonly outputs: readonly Tensor[];
  /** ∂f/∂x·v. */
  apply(v: Tensor): Tensor;
  /** ∂f/∂x applied to each row of V [b, ...x's shape] in one pass: [b, ...f's shape]. */
  applyRows(V: Tensor): Tensor;
  /** Frees the tape, the cached values and the outputs. */
  dispose(): void;
}

/** Records f at x (f may return several tensors; `pick` chooses the one to differentiate). */
export function linearizeOutputs(fn: string, f: (x: Tensor) => Tensor | readonly Tensor[], x: Tensor, opts: TraceOptions & { pick?: number } = {}): Linearization {
  checkPrimal(fn, 'x', x);
  const range = checkRange(fn, x, opts.range);
  const { tape, out } = trace(fn, (z) => tidy(() => f(z)), x, range);
  const outputs = (out instanceof Tensor ? [out] : out.slice()).map((o) => keep(o));
  const value = outputs[opts.pick ?? 0]!;
  const p = plan(tape, value);
  const used = new Set(p.entries);
  tape.retainOnly((e) => used.has(e));
  const memos = cachingMemo();
  const seedShape = range ? [range.end - range.begin] : x.shape;
  let disposed = false;
  return {
    value,
    outputs,
    apply: (v) => tidy(() => {
      if (disposed) throw new DisposedError(`${fn}.apply: the linearization was disposed`);
      checkLike(`${fn}.apply`, 'v', v, seedShape, x);
      return forward(tape, p, value, v, memos) ?? zeros(value.shape, { dtype: value.dtype, backend: value.backend });
    }),
    applyRows: (V) => tidy(() => {
      if (disposed) throw new DisposedError(`${fn}.applyRows: the linearization was disposed`);
      checkLike(`${fn}.applyRows`, 'V', V, [V.shape[0] ?? 0, ...seedShape], x);
      return forward(tape, p, value, V, memos, 1) ?? zeros([V.shape[0]!, ...value.shape], { dtype: value.dtype, backend: value.backend });
    }),
    dispose() {
      disposed = true;
      memos.dispose();
      tape.dispose();
      for (const o of outputs) o.dispose();
    },
  };
}

/**
 * Records f at x once and returns `apply(v) = ∂f/∂x·v`; the tape and the values its rules
 * need stay until dispose().
 * @example
 * const lin = linearize((p) => model.apply(p, x), params);
 * const jv = lin.apply(v);
 * lin.dispose();
 */
export function linearize(f: (x: Tensor) => Tensor, x: Tensor, opts: TraceOptions = {}): Linearization {
  return linearizeOutputs('linearize', f, x, opts);
}
