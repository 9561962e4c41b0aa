// Tapes: the record of the differentiable ops that depend on a watched tensor.
//
// Contract. A Tape watches one leaf tensor (optionally only a range [begin, end) of a 1-D
// leaf: then slices of the leaf outside the range count as constants). While a tape is on
// the active stack, every differentiable op whose inputs include a tensor the tape tracks
// is appended as an Entry, and its output becomes tracked. Tapes nest: an outer tape keeps
// recording while an inner tape records and while the inner tape's backward or tangent
// pass runs, which is how derivatives of derivatives are taken.
//
// An entry holds its own views of its inputs and output (kept out of every tidy() scope), so
// a tape stays usable even if the traced function disposed its intermediates; dispose() on
// the tape releases them.

import { DescentError } from '../errors.js';
import { keep, Tensor } from '../tensor.js';
import { setTracer } from '../trace.js';
import type { RecordedOp, RecordedOps, Tracer } from '../trace.js';
import { isNonDifferentiable, ruleFor } from './rules/index.js';
import type { Rule } from './rules/index.js';

/** One recorded application of op K, its attributes typed by RecordedOps[K]. */
export interface EntryOf<K extends RecordedOp> {
  readonly op: K;
  readonly rule: Rule;
  readonly attrs: RecordedOps[K];
  /** The inputs as recorded (views owned by the tape). */
  readonly inputs: readonly Tensor[];
  /** The tape's variable id of each input, or -1 for an input that does not depend on the leaf. */
  readonly inIds: readonly number[];
  readonly output: Tensor;
  readonly outId: number;
}

/** An entry of any op, for code that reads only its inputs and output. */
export type AnyEntry = EntryOf<RecordedOp>;

/** A recorded entry: a union over the ops, so testing `e.op` narrows `e.attrs`. */
export type Entry = { [K in RecordedOp]: EntryOf<K> }[RecordedOp];

export interface LeafRange {
  readonly begin: number;
  readonly end: number;
}

/** The leaf's variable id. */
export const LEAF = 0;

export class Tape implements Tracer {
  readonly entries: Entry[] = [];
  readonly leaf: Tensor;
  readonly range: LeafRange | null;
  private readonly ids = new Map<Tensor, number>();
  private readonly owned: Tensor[] = [];
  private disposed = false;

  constructor(leaf: Tensor, range: LeafRange | null = null) {
    this.leaf = leaf;
    this.range = range;
    this.ids.set(leaf, LEAF);
  }

  /** The variable id of a tensor this tape tracks, or -1. */
  idOf(t: Tensor): number {
    return this.ids.get(t) ?? -1;
  }

  get numVars(): number {
    return this.entries.length + 1;
  }

  record<K extends RecordedOp>(op: K, inputs: readonly Tensor[], output: Tensor, attrs: RecordedOps[K]): void {
    if (this.disposed || isNonDifferentiable(op, inputs, output)) return;
    const inIds = inputs.map((t) => this.ids.get(t) ?? -1);
    if (this.range && op === 'slice' && inIds[0] === LEAF) {
      const { begin, size } = attrs as RecordedOps['slice'];
      const b = begin[0]!, s = size[0]!;
      if (b + s <= this.range.begin || b >= this.range.end) inIds[0] = -1;
    }
    if (inIds.every((id) => id < 0)) return;
    const rule = ruleFor(op, inputs);
    if (!rule) throw new DescentError(`autodiff: no derivative rule for op '${op}' (it was applied to a tensor being differentiated)`);
    const outId = this.entries.length + 1;
    // op and attrs arrive together from record<K>(), so the pair is an EntryOf<K>.
    this.entries.push({ op, rule, attrs, inputs: inputs.map((t) => this.own(t)), inIds, output: this.own(output), outId } as EntryOf<K> as Entry);
    this.ids.set(output, outId);
  }

  private own(t: Tensor): Tensor {
    const v = keep(alias(t));
    this.owned.push(v);
    return v;
  }

  /** Makes `view` the same variable as `of` (when this tape tracks `of`). */
  sameAs(view: Tensor, of: Tensor): void {
    const id = this.ids.get(of);
    if (id !== undefined) this.ids.set(view, id);
  }

  /** Drops the entries whose output is not among `needed` ids (the tape no longer holds them). */
  retainOnly(needed: (e: Entry) => boolean): void {
    const kept = this.entries.filter(needed);
    const alive = new Set<Tensor>();
    for (const e of kept) {
      for (const t of e.inputs) alive.add(t);
      alive.add(e.output);
    }
    for (const t of this.owned) if (!alive.has(t)) t.dispose();
    this.owned.splice(0, this.owned.length, ...this.owned.filter((t) => alive.has(t)));
    this.entries.splice(0, this.entries.length, ...kept);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const t of this.owned) t.dispose();
    this.owned.length = 0;
    this.entries.length = 0;
    this.ids.clear();
  }
}

const active: Tape[] = [];
let previous: Tracer | null = null;

const dispatcher: Tracer = {
  record(op, inputs, output, attrs) {
    for (const tape of active) tape.record(op, inputs, output, attrs);
  },
};

/**
 * A new tensor object over t's storage (freeing one leaves the other) that every recording
 * tape treats as t itself: rules run on a tape's own copies of its tensors, and an outer
 * tape must see through them to differentiate the rules.
 */
export function alias(t: Tensor): Tensor {
  const v = t.view(t.shape, t.strides, t.offset);
  for (const tape of active) tape.sameAs(v, t);
  return v;
}

/**
 * Runs `fn` with `tape` recording (on top of any tapes already recording) and returns its
 * result; the tape stops recording when fn returns or throws.
 */
export function recording<T>(tape: Tape, fn: () => T): T {
  if (active.length === 0) previous = setTracer(dispatcher);
  active.push(tape);
  try {
    return fn();
  } finally {
    const at = active.lastIndexOf(tape);
    if (at >= 0) active.splice(at, 1);
    if (active.length === 0) setTracer(previous);
  }
}
