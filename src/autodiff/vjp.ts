// Reverse mode: the backward pass over a tape, and the vector-Jacobian product API.
//
// backward() walks a tape's entries last to first, handing each the summed cotangent of its
// output and collecting the cotangents of its tracked inputs. Slices' cotangents are joined
// per tensor with one concat. Each cotangent is freed as soon as it has been consumed, so
// the peak holds only the live frontier. The rules run in public tensor ops, so a tape that
// is recording around the pass records it (that is how second derivatives are taken).

import { DisposedError, ShapeError, typeError } from '../errors.js';
import { zeros } from '../ops/creation.js';
import { add } from '../ops/elementwise.js';
import { concat, contiguous, slice } from '../ops/views.js';
import { fmt, sameShape } from '../shape.js';
import { keep, Tensor, tidy } from '../tensor.js';
import { cachingMemo, oneShotMemo } from './memo.js';
import type { MemoStore } from './memo.js';
import { isPiece } from './rules/index.js';
import type { Cotangent, Piece } from './rules/index.js';
import { alias, LEAF, recording, Tape } from './tape.js';
import type { LeafRange } from './tape.js';

function zerosOf(shape: readonly number[], like: Tensor): Tensor {
  return zeros(shape, { dtype: like.dtype, backend: like.backend });
}

/** Pads a piece with zeros to its full shape, one axis at a time. */
function pad(p: Piece): Tensor {
  let cur = p.value;
  for (let a = 0; a < p.inShape.length; a++) {
    const before = p.begin[a]!, after = p.inShape[a]! - before - p.size[a]!;
    if (before === 0 && after === 0) continue;
    const side = (n: number) => zerosOf(cur.shape.map((d, i) => (i === a ? n : d)), cur);
    const next = concat([...(before > 0 ? [side(before)] : []), cur, ...(after > 0 ? [side(after)] : [])], a);
    if (cur !== p.value) cur.dispose();
    cur = next;
  }
  return cur === p.value ? alias(cur) : cur;
}

/**
 * Joins slice cotangents into one tensor of `shape`: a single concat (zeros in the gaps)
 * when the pieces split one axis without overlapping, else padding each and adding.
 */
function join(pieces: readonly Piece[], shape: readonly number[]): Tensor {
  const axes = new Set<number>();
  for (const p of pieces) shape.forEach((d, a) => { if (p.size[a] !== d) axes.add(a); });
  const [axis] = axes;
  const sorted = [...pieces].sort((p, q) => (p.begin[axis ?? 0]! - q.begin[axis ?? 0]!));
  const disjoint = axis !== undefined && axes.size === 1
    && sorted.every((p, i) => i === 0 || sorted[i - 1]!.begin[axis]! + sorted[i - 1]!.size[axis]! <= p.begin[axis]!);
  if (!disjoint) {
    let acc: Tensor | null = null;
    for (const p of pieces) {
      const full = pad(p);
      if (acc) { const next = add(acc, full); acc.dispose(); full.dispose(); acc = next; } else acc = full;
    }
    return acc!;
  }
  const like = sorted[0]!.value;
  const parts: Tensor[] = [];
  const fresh: Tensor[] = [];
  let at = 0;
  const gap = (n: number) => { const z = zerosOf(shape.map((d, i) => (i === axis ? n : d)), like); fresh.push(z); parts.push(z); };
  for (const p of sorted) {
    if (p.begin[axis]! > at) gap(p.begin[axis]! - at);
    parts.push(p.value);
    at = p.begin[axis]! + p.size[axis]!;
  }
  if (at < shape[axis]!) gap(shape[axis]! - at);
  if (parts.length === 1) return alias(parts[0]!);
  const out = concat(parts, axis);
  for (const z of fresh) z.dispose();
  return out;
}

/** Sums the cotangents of one tensor of `shape` and frees them. */
function combine(cs: readonly Cotangent[], shape: readonly number[]): Tensor {
  const pieces = cs.filter(isPiece);
  const dense = cs.filter((c): c is Tensor => !isPiece(c));
  let acc: Tensor | null = null;
  if (pieces.length > 0) {
    const whole = pieces.filter((p) => sameShape(p.size, shape));
    const parts = pieces.filter((p) => !sameShape(p.size, shape));
    dense.push(...whole.map((p) => p.value));
    if (parts.length > 0) {
      acc = join(parts, shape);
      for (const p of parts) p.value.dispose();
    }
  }
  for (const d of dense) {
    if (acc) { const next = add(acc, d); acc.dispose(); d.dispose(); acc = next; } else acc = d;
  }
  return acc!;
}

/** The cotangents of a 1-D leaf, restricted to `range`, as pieces in the range's coordinates. */
function restrict(cs: readonly Cotangent[], range: LeafRange): Piece[] {
  const size = range.end - range.begin;
  return cs.map((c) => {
    const p: Piece = isPiece(c) ? c : { kind: 'piece', value: c, begin: [0], size: c.shape, inShape: c.shape };
    const lo = Math.max(p.begin[0]!, range.begin), hi = Math.min(p.begin[0]! + p.size[0]!, range.end);
    const inside = lo === p.begin[0] && hi === p.begin[0]! + p.size[0]!;
    const value = inside ? p.value : slice(p.value, [lo - p.begin[0]!], [hi - lo]);
    if (!inside) p.value.dispose();
    return { kind: 'piece', value, begin: [lo - range.begin], size: [hi - lo], inShape: [size] };
  });
}

/**
 * The cotangent of the tape's leaf (or of its range) for cotangent `ct` of the tracked
 * output `out`. The result is a new tensor, contiguous, of the leaf's (or range's) shape.
 */
export function backward(tape: Tape, out: Tensor, ct: Tensor, memos: MemoStore): Tensor {
  const leafShape = tape.range ? [tape.range.end - tape.range.begin] : tape.leaf.shape;
  const outId = tape.idOf(out);
  if (outId < 0) return zerosOf(leafShape, tape.leaf);
  const pending = new Map<number, Cotangent[]>([[outId, [alias(ct)]]]);
  for (let i = tape.entries.length - 1; i >= 0; i--) {
    const e = tape.entries[i]!;
    const cs = pending.get(e.outId);
    if (!cs) continue;
    pending.delete(e.outId);
    const g = combine(cs, e.output.shape);
    const needs = e.inIds.map((id) => id >= 0);
    const results = e.rule.vjp(e, g, needs, memos.for(e));
    memos.done();
    const seen = new Set<Tensor>([g]);
    results.forEach((r, k) => {
      if (!r || !needs[k]) return;
      // Every holder gets its own tensor object, so freeing one never frees another's.
      const own = (t: Tensor) => { if (seen.has(t)) return alias(t); seen.add(t); return t; };
      const c: Cotangent = isPiece(r) ? { ...r, value: own(r.value) } : own(r);
      const id = e.inIds[k]!;
      const list = pending.get(id);
      if (list) list.push(c); else pending.set(id, [c]);
    });
    g.dispose();
  }
  const leaf = pending.get(LEAF);
  for (const [id, cs] of pending) if (id !== LEAF) for (const c of cs) (isPiece(c) ? c.value : c).dispose();
  if (!leaf) return zerosOf(leafShape, tape.leaf);
  const total = tape.range ? combine(restrict(leaf, tape.range), leafShape) : combine(leaf, leafShape);
  if (total.isContiguous) return total;
  const c = contiguous(total);
  total.dispose();
  return c;
}

/** Checks that `x` is a float tensor that can be differentiated against. */
export function checkPrimal(fn: string, arg: string, x: unknown): Tensor {
  if (!(x instanceof Tensor)) throw typeError(fn, arg, 'a Tensor', x);
  x.storage;
  if (x.dtype === 'int32') throw new TypeError(`${fn}: expected a float32 or float64 tensor for '${arg}' but received int32`);
  return x;
}

/** Checks that a tangent or cotangent matches `like` in shape, dtype and backend. */
export function checkLike(fn: string, arg: string, v: unknown, shape: readonly number[], like: Tensor): Tensor {
  if (!(v instanceof Tensor)) throw typeError(fn, arg, 'a Tensor', v);
  v.storage;
  if (!sameShape(v.shape, shape)) throw new ShapeError(`${fn}: expected shape ${fmt(shape)} for '${arg}' but received ${fmt(v.shape)}`);
  if (v.dtype !== like.dtype) throw new TypeError(`${fn}: expected a ${like.dtype} tensor for '${arg}' but received ${v.dtype}`);
  if (v.backend !== like.backend) throw new TypeError(`${fn}: expected a tensor on the '${like.backend.name}' backend for '${arg}' but received '${v.backend.name}'`);
  return v;
}

export interface TraceOptions {
  /** Differentiate only with respect to x[begin, end) of a 1-D x (one layer of an arena). */
  range?: LeafRange;
}

export function checkRange(fn: string, x: Tensor, range: LeafRange | undefined): LeafRange | null {
  if (!range) return null;
  if (x.rank !== 1) throw new RangeError(`${fn}: expected a 1-D tensor for 'x' when a range is given but received shape ${fmt(x.shape)}`);
  const { begin, end } = range;
  if (!Number.isInteger(begin) || !Number.isInteger(end) || begin < 0 || end <= begin || end > x.size) {
    throw new RangeError(`${fn}: expected 0 ≤ begin < end ≤ ${x.size} for 'range' but received [${begin}, ${end})`);
  }
  return range;
}

/** Runs f(x) on a new tape and returns the tape and f's outputs (a tensor or an array of them). */
export function trace<T extends Tensor | readonly Tensor[]>(fn: string, f: (x: Tensor) => T, x: Tensor, range: LeafRange | null): { tape: Tape; out: T } {
  const tape = new Tape(x, range);
  try {
    const out = recording(tape, () => f(x));
    const outs = out instanceof Tensor ? [out] : out;
    if (!Array.isArray(outs) || !outs.every((o) => o instanceof Tensor)) {
      throw typeError(fn, 'f', 'a function returning a Tensor', out);
    }
    return { tape, out };
  } catch (err) {
    tape.dispose();
    throw err;
  }
}

/**
 * The vector-Jacobian product uᵀ·∂f/∂x at x, with the value f(x).
 * @example
 * const { value, vjp: g } = vjp((x) => mul(x, x), x, u); // g = 2·x·u
 */
export function vjp(f: (x: Tensor) => Tensor, x: Tensor, u: Tensor, opts: TraceOptions = {}): { value: Tensor; vjp: Tensor } {
  checkPrimal('vjp', 'x', x);
  const range = checkRange('vjp', x, opts.range);
  return tidy(() => {
    const { tape, out } = trace('vjp', f, x, range);
    try {
      checkLike('vjp', 'u', u, out.shape, out);
      return { value: out, vjp: backward(tape, out, u, oneShotMemo()) };
    } finally {
      tape.dispose();
    }
  });
}

/** A reusable reverse-mode linearisation: f(x) once, then uᵀ·∂f/∂x for many u. */
export interface Pullback {
  readonly value: Tensor;
  apply(u: Tensor): Tensor;
  /** Frees the tape, the cached values and the value. */
  dispose(): void;
}

/**
 * Records f at x once and returns `apply(u) = uᵀ·∂f/∂x` (the tape and the primal-only
 * values its rules need are kept until dispose()).
 * @example
 * const pb = pullback((p) => model.apply(p, x), params);
 * const g1 = pb.apply(u1), g2 = pb.apply(u2);
 * pb.dispose();
 */
export function pullback(f: (x: Tensor) => Tensor, x: Tensor, opts: TraceOptions = {}): Pullback {
  checkPrimal('pullback', 'x', x);
  const range = checkRange('pullback', x, opts.range);
  const { tape, out } = trace('pullback', (z) => keep(tidy(() => f(z))), x, range);
  const memos = cachingMemo();
  let disposed = false;
  return {
    value: out,
    apply: (u) => tidy(() => {
      if (disposed) throw new DisposedError('pullback.apply: the pullback was disposed');
      return backward(tape, out, checkLike('pullback.apply', 'u', u, out.shape, out), memos);
    }),
    dispose() {
      disposed = true;
      memos.dispose();
      tape.dispose();
      out.dispose();
    },
  };
}
