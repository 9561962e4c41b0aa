// The optimizer base class: one fused op launch per step over a whole parameter arena.
//
// Contract. `params` is a contiguous float tensor [size] (one replica) or [replicas, size]
// (a population); it is updated in place by `step(grads)`, where `grads` has the same
// shape, dtype and backend. Each replica is cut into parameter groups (slices
// [start, end) that tile [0, size)); every hyperparameter can be a number, a boolean, or
// an array with one value per replica, at the top level or per group. Per step the host
// turns them, the step number t and the schedule factor into records in the arena's
// precision (see OPTIM_HYPER in src/backend/ops.ts) in float64 arithmetic, so a step is a pure function of
// (options, t, params, grads, state): an optimizer restored by `loadState` at step t
// continues bit-identically. Gradient-norm clipping (`clipNorm`, per replica) and
// AdaGradNorm first launch one reduction (optimSumSq) for the squared group norms.
//
// Run-time control. `setHyper(name, value, {replica?, group?})` changes a hyperparameter
// between steps (validated as the constructor validates it; the changed tables are saved by
// stateDict and restored by loadState). `step(grads, {active})` steps only some replicas:
// each replica keeps its own step count t_r (bias corrections and schedules read t_r), and
// the op runs once per maximal run of consecutive active replicas, in place at that run's
// offset in the arena and in every state buffer, so the other replicas' parameters, state
// and counts are not touched at all. A population stepped with masks therefore gives the
// bits of separate optimizers each stepped only when its replica was active.

import { checkInt, DescentError, rangeError, typeError } from '../errors.js';
import type { Backend, OptimArgs, OptimOp, Storage } from '../backend/ops.js';
import { OPTIM_HYPER } from '../backend/ops.js';
import type { DType } from '../dtype.js';
import { keep, Tensor } from '../tensor.js';
import { checkSchedule, scheduleFactor } from './schedule.js';
import type { ScheduleSpec } from './schedule.js';

/** A hyperparameter: one value for every replica, or one per replica. Booleans mean 0/1. */
export type HyperValue = number | boolean | readonly (number | boolean)[];

/** A parameter group: a slice [start, end) of every replica, with its own hyperparameters. */
export interface GroupSpec {
  /** First element (default: the previous group's end, or 0). */
  start?: number;
  /** One past the last element. */
  end: number;
  [hyper: string]: HyperValue | undefined;
}

export interface OptimizerOptions {
  /** Groups tiling [0, size) in order (default: one group). */
  groups?: readonly GroupSpec[];
  /** Maximum gradient norm per replica (over all groups); 0 or absent = no clipping. */
  clipNorm?: number | readonly number[];
  /** Learning-rate schedule (default constant). */
  schedule?: ScheduleSpec;
}

/** How one hyperparameter is checked and defaulted. */
export interface HyperDef {
  default: number;
  /** Allowed interval; `open` excludes the bound. */
  min?: number;
  minOpen?: boolean;
  max?: number;
  maxOpen?: boolean;
  /** A 0/1 flag (true/false accepted). */
  bool?: boolean;
  /** Fixed at construction (it shapes the state): setHyper refuses it. */
  fixed?: boolean;
}

/** Where setHyper writes: one replica and/or one group (default: all of them). */
export interface HyperTarget {
  /** A replica index in [0, replicas). */
  replica?: number;
  /** A group index in [0, groups). */
  group?: number;
}

/** Options of Optimizer.step. */
export interface StepOptions {
  /**
   * The replicas to step: replica indices (distinct, any order), or one boolean (or 0/1)
   * per replica. The others' parameters, state and step counts are left bit for bit.
   * Default: every replica.
   */
  active?: ArrayLike<number | boolean>;
}

/** What an optimizer records to restore itself. */
export interface OptimizerMeta {
  format: 'descent-optimizer';
  version: 1;
  kind: string;
  op: OptimOp;
  step: number;
  replicas: number;
  size: number;
  bounds: number[];
  variant: number;
  dtype: DType;
  /** The constructor options, as given (JSON). */
  options: unknown;
  /** Each replica's own step count (absent in older files: every replica at `step`). */
  replicaSteps?: number[];
  /**
   * The tables of the hyperparameters changed by setHyper ([replicas·groups] each, row-major;
   * 'clipNorm' has [replicas]); absent when none was.
   */
  hyper?: Record<string, number[]>;
  /** State buffers in order, with their shapes. */
  state: { name: string; shape: number[] }[];
}

export interface OptimizerState {
  meta: OptimizerMeta;
  /** State tensors by name (host or device; copied on load). */
  tensors: Record<string, Tensor>;
}

const COMMON_KEYS = ['groups', 'clipNorm', 'schedule'];

function describeRange(d: HyperDef): string {
  if (d.bool) return 'a boolean or 0/1';
  const lo = d.min === undefined ? '' : `${d.minOpen ? '>' : '≥'} ${d.min}`;
  const hi = d.max === undefined ? '' : `${d.maxOpen ? '<' : '≤'} ${d.max}`;
  return `a finite number${lo || hi ? ' ' : ''}${[lo, hi].filter(Boolean).join(' and ')}`;
}

function checkValue(fn: string, arg: string, d: HyperDef, v: unknown): number {
  if (typeof v === 'boolean') {
    if (!d.bool) throw typeError(fn, arg, describeRange(d), v);
    return v ? 1 : 0;
  }
  if (typeof v !== 'number') throw typeError(fn, arg, describeRange(d), v);
  const ok = Number.isFinite(v)
    && (d.min === undefined || (d.minOpen ? v > d.min : v >= d.min))
    && (d.max === undefined || (d.maxOpen ? v < d.max : v <= d.max))
    && (!d.bool || v === 0 || v === 1);
  if (!ok) throw rangeError(fn, arg, describeRange(d), v);
  return v;
}

/** One value per replica from a HyperValue. */
function perReplica(fn: string, arg: string, d: HyperDef, v: HyperValue, replicas: number): Float64Array {
  const out = new Float64Array(replicas);
  if (Array.isArray(v)) {
    if (v.length !== replicas) throw rangeError(fn, arg, `one value per replica (${replicas})`, v);
    v.forEach((x, r) => { out[r] = checkValue(fn, `${arg}[${r}]`, d, x); });
  } else {
    out.fill(checkValue(fn, arg, d, v));
  }
  return out;
}

/** Validates groups and returns their boundaries (G + 1 of them). */
function groupBounds(fn: string, groups: readonly GroupSpec[] | undefined, size: number): Int32Array {
  if (groups === undefined) return Int32Array.from([0, size]);
  if (!Array.isArray(groups) || groups.length === 0) throw typeError(fn, 'groups', 'a non-empty array of { start?, end, ...hyperparameters }', groups);
  const b = new Int32Array(groups.length + 1);
  let at = 0;
  groups.forEach((g, j) => {
    if (g === null || typeof g !== 'object') throw typeError(fn, `groups[${j}]`, 'an object { start?, end, ... }', g);
    const start = g.start ?? at;
    if (start !== at) throw rangeError(fn, `groups[${j}].start`, `${at} (groups must tile [0, ${size}) in order)`, start);
    if (typeof g.end !== 'number' || !Number.isInteger(g.end) || g.end < start || g.end > size) {
      throw rangeError(fn, `groups[${j}].end`, `an integer in [${start}, ${size}]`, g.end);
    }
    at = g.end;
    b[j + 1] = at;
  });
  if (at !== size) throw rangeError(fn, `groups[${groups.length - 1}].end`, `${size} (groups must cover every parameter)`, at);
  return b;
}

export abstract class Optimizer {
  readonly params: Tensor;
  readonly replicas: number;
  readonly size: number;
  /** Group boundaries within a replica: 0 = b_0 < … < b_G = size. */
  readonly bounds: Int32Array;
  readonly schedule: ScheduleSpec;
  /** Structural variant bits passed to the op (see RMSPROP_VARIANT). */
  protected variant = 0;
  /** Whether every step needs the squared group norms even without clipping. */
  protected needsNorms = false;
  private readonly table = new Map<string, Float64Array>();
  private readonly defs: Readonly<Record<string, HyperDef>>;
  private clip: Float64Array;
  private readonly stateList: { name: string; tensor: Tensor }[] = [];
  private t = 0;
  /** Each replica's own step count t_r. */
  private readonly replicaT: Float64Array;
  /** Names changed by setHyper (saved with the state). */
  private readonly changed = new Set<string>();
  /** Callbacks run after each step (projections, proximal maps), in order. */
  private readonly hooks: ((runs: readonly (readonly [number, number])[]) => void)[] = [];
  private disposed = false;
  private readonly optionsJson: unknown;

  protected constructor(
    readonly kind: string,
    readonly op: OptimOp,
    params: Tensor,
    given: OptimizerOptions,
    defs: Readonly<Record<string, HyperDef>>,
    extraKeys: readonly string[] = [],
  ) {
    const fn = kind;
    if (!(params instanceof Tensor)) throw typeError(fn, 'params', 'a Tensor', params);
    params.storage; // throws if disposed
    if (params.dtype === 'int32') throw new TypeError(`${fn}: expected a float32 or float64 tensor for 'params' but received int32`);
    if (!params.isContiguous) throw new RangeError(`${fn}: expected a contiguous tensor for 'params' but received a strided view of shape [${params.shape.join(', ')}] (use contiguous())`);
    if (params.rank !== 1 && params.rank !== 2) throw new RangeError(`${fn}: expected 'params' of shape [size] or [replicas, size] but received shape [${params.shape.join(', ')}]`);
    if (given === null || typeof given !== 'object') throw typeError(fn, 'options', 'an options object', given);
    const options = given as OptimizerOptions & Record<string, unknown>;
    for (const k of Object.keys(options)) {
      if (!(k in defs) && !COMMON_KEYS.includes(k) && !extraKeys.includes(k)) {
        throw new RangeError(`${fn}: unknown option '${k}' (expected one of ${[...Object.keys(defs), ...COMMON_KEYS, ...extraKeys].join(', ')})`);
      }
    }
    this.params = params;
    this.defs = defs;
    this.replicas = params.rank === 2 ? params.shape[0]! : 1;
    this.replicaT = new Float64Array(this.replicas);
    this.size = params.rank === 2 ? params.shape[1]! : params.shape[0]!;
    this.bounds = groupBounds(fn, options.groups, this.size);
    this.schedule = options.schedule === undefined ? { kind: 'constant' } : checkSchedule(options.schedule);
    const R = this.replicas, G = this.bounds.length - 1;
    this.clip = options.clipNorm === undefined ? new Float64Array(R)
      : perReplica(fn, 'clipNorm', { default: 0, min: 0 }, options.clipNorm, R);
    for (const [name, def] of Object.entries(defs)) {
      const top = perReplica(fn, name, def, (options[name] as HyperValue | undefined) ?? def.default, R);
      const col = new Float64Array(R * G);
      for (let j = 0; j < G; j++) {
        const override = options.groups?.[j]?.[name];
        const vals = override === undefined ? top : perReplica(fn, `groups[${j}].${name}`, def, override, R);
        for (let r = 0; r < R; r++) col[r * G + j] = vals[r]!;
      }
      this.table.set(name, col);
    }
    for (const [j, g] of (options.groups ?? []).entries()) {
      for (const k of Object.keys(g)) {
        if (k !== 'start' && k !== 'end' && !(k in defs)) {
          throw new RangeError(`${fn}: unknown group option 'groups[${j}].${k}' (expected start, end or one of ${Object.keys(defs).join(', ')})`);
        }
      }
    }
    this.optionsJson = JSON.parse(JSON.stringify(options));
  }

  /** The number of step() calls so far (0 before the first), masked or not. */
  get stepCount(): number {
    return this.t;
  }

  /** Replica r's own step count t_r: the steps in which it was active. */
  replicaStepCount(r: number): number {
    checkInt(`${this.kind}.replicaStepCount`, 'r', r, 0, this.replicas - 1);
    return this.replicaT[r]!;
  }

  /** The names setHyper accepts: every hyperparameter not fixed at construction, and 'clipNorm'. */
  get hyperNames(): string[] {
    return [...Object.keys(this.defs).filter((n) => !this.defs[n]!.fixed), 'clipNorm'];
  }

  /**
   * Sets hyperparameter `name` from the next step on: for every replica and group, or only
   * replica `where.replica` and/or group `where.group`. `value` is checked as the
   * constructor checks that option (a number or boolean; with no `where.replica`, also one
   * value per replica). 'clipNorm' is per replica (no group). The optimizer's own invariants
   * (e.g. SGD's Nesterov needs momentum) are rechecked, and a change that breaks one is
   * undone and throws. Changed tables are saved by stateDict() and restored by loadState(),
   * so a checkpointed run continues bit-identically.
   * @example
   * opt.setHyper('lr', 0.01);                      // every replica and group
   * opt.setHyper('lr', 0.05, { replica: 3 });      // one replica
   * opt.setHyper('weightDecay', 0, { group: 1 });  // one group, every replica
   */
  setHyper(name: string, value: HyperValue, where: HyperTarget = {}): void {
    const fn = `${this.kind}.setHyper`;
    if (this.disposed) throw new DescentError(`${fn}: the optimizer was disposed`);
    if (where === null || typeof where !== 'object') throw typeError(fn, 'where', 'an object { replica?, group? }', where);
    for (const k of Object.keys(where)) if (k !== 'replica' && k !== 'group') throw new RangeError(`${fn}: unknown option '${k}' (expected replica or group)`);
    const R = this.replicas, G = this.groups;
    const r0 = where.replica === undefined ? undefined : checkInt(fn, 'where.replica', where.replica, 0, R - 1);
    const g0 = where.group === undefined ? undefined : checkInt(fn, 'where.group', where.group, 0, G - 1);
    if (typeof name !== 'string') throw typeError(fn, 'name', 'a hyperparameter name', name);
    const isClip = name === 'clipNorm';
    const def: HyperDef | undefined = isClip ? { default: 0, min: 0 } : this.defs[name];
    if (!def) throw new RangeError(`${fn}: unknown hyperparameter '${name}' (expected one of ${this.hyperNames.join(', ')})`);
    if (def.fixed) throw new RangeError(`${fn}: '${name}' is fixed at construction (it sets up the optimizer's state); build a new optimizer to change it`);
    if (isClip && g0 !== undefined) throw new RangeError(`${fn}: 'clipNorm' is one value per replica, not per group (received where.group = ${g0})`);
    let vals: Float64Array;
    if (r0 !== undefined) {
      if (Array.isArray(value)) throw typeError(fn, 'value', `${describeRange(def)} (one value, since where.replica is given)`, value);
      vals = new Float64Array(R).fill(checkValue(fn, 'value', def, value));
    } else {
      vals = perReplica(fn, 'value', def, value, R);
    }
    const old = isClip ? this.clip : this.table.get(name)!;
    const next = old.slice();
    for (let r = 0; r < R; r++) {
      if (r0 !== undefined && r !== r0) continue;
      if (isClip) next[r] = vals[r]!;
      else for (let j = 0; j < G; j++) if (g0 === undefined || j === g0) next[r * G + j] = vals[r]!;
    }
    this.putTable(name, next);
    try {
      this.checkHyper(fn);
    } catch (e) {
      this.putTable(name, old);
      throw e;
    }
    this.changed.add(name);
  }

  private putTable(name: string, values: Float64Array): void {
    if (name === 'clipNorm') this.clip = values;
    else this.table.set(name, values);
  }

  /**
   * Throws (naming `fn`) when the current hyperparameters break an invariant of this
   * optimizer; called after every setHyper and loadState. Subclasses with invariants override it.
   */
  protected checkHyper(_fn: string): void {}

  get groups(): number {
    return this.bounds.length - 1;
  }

  get backend(): Backend {
    return this.params.backend;
  }

  /** The value of hyperparameter `name` for replica r, group j. */
  hyper(name: string, r: number, j: number): number {
    const col = this.table.get(name);
    if (!col) throw new RangeError(`${this.kind}.hyper: unknown hyperparameter '${name}'`);
    return col[r * this.groups + j]!;
  }

  /** Whether hyperparameter `name` is non-zero for any replica and group. */
  protected anyNonZero(name: string): boolean {
    return this.table.get(name)!.some((v) => v !== 0);
  }

  /** The schedule's learning-rate factor at step t. */
  lrFactor(t: number): number {
    return scheduleFactor(this.schedule, t);
  }

  /**
   * The fields of one record after `clip` (in OPTIM_HYPER[op] order) for step t, given the
   * hyperparameters of one (replica, group) and the schedule factor f.
   */
  protected abstract fields(h: (name: string) => number, t: number, f: number): number[];

  /**
   * The hyperparameter records [to − from, groups, K] of replicas [from, to) at step t (one
   * step number for all, or t[r] for replica r), in the arena's precision: float32 records
   * for float32 parameters, float64 ones for float64 parameters.
   */
  records(t: number | ArrayLike<number>, from = 0, to = this.replicas): Float32Array | Float64Array {
    const K = OPTIM_HYPER[this.op].length, G = this.groups;
    const wide = this.params.dtype === 'float64';
    const out = wide ? new Float64Array((to - from) * G * K) : new Float32Array((to - from) * G * K);
    const stored = wide ? (v: number) => v : Math.fround;
    for (let r = from; r < to; r++) {
      const tr = typeof t === 'number' ? t : t[r]!, f = this.lrFactor(tr);
      for (let j = 0; j < G; j++) {
        // NOTE: fields are derived from the values the kernels use (β as stored, not as given),
        // so bias corrections match the moving averages they correct.
        const rest = this.fields((name) => stored(this.hyper(name, r, j)), tr, f);
        if (rest.length !== K - 1) throw new DescentError(`${this.kind}: record has ${rest.length + 1} fields but ${this.op} takes ${K}`);
        const at = ((r - from) * G + j) * K;
        out[at] = this.clip[r]!;
        for (let k = 0; k < rest.length; k++) out[at + 1 + k] = rest[k]!;
      }
    }
    return out;
  }

  /** Registers a state buffer (kept out of tidy scopes; freed by dispose()). */
  protected addState(name: string, tensor: Tensor): void {
    this.stateList.push({ name, tensor: keep(tensor) });
  }

  /** A zero state buffer shaped like params. */
  protected zerosLikeParams(): Tensor {
    const b = this.backend;
    return Tensor.fromStorage(b, b.ops.fill(this.replicas * this.size, 0, this.params.dtype), this.params.shape);
  }

  /** A [replicas, groups] state buffer with value(r, j). */
  protected perGroupState(value: (r: number, j: number) => number): Tensor {
    const R = this.replicas, G = this.groups;
    const host = this.params.dtype === 'float64' ? new Float64Array(R * G) : new Float32Array(R * G);
    for (let r = 0; r < R; r++) for (let j = 0; j < G; j++) host[r * G + j] = value(r, j);
    return Tensor.fromStorage(this.backend, this.backend.upload(host), [R, G]);
  }

  /** The state buffers, in the order the op takes them. */
  get state(): readonly { readonly name: string; readonly tensor: Tensor }[] {
    return this.stateList;
  }

  /** Whether a step launches the norm reduction first. */
  get usesNorms(): boolean {
    return this.needsNorms || this.clip.some((c) => c !== 0);
  }

  /** The active replicas as maximal runs [start, end) of consecutive indices, in order. */
  private activeRuns(fn: string, active: ArrayLike<number | boolean> | undefined): [number, number][] {
    const R = this.replicas;
    if (active === undefined) return [[0, R]];
    if (active === null || typeof active !== 'object' || typeof active.length !== 'number') {
      throw typeError(fn, 'options.active', 'an array of replica indices or one boolean per replica', active);
    }
    const on = new Uint8Array(R);
    const n = active.length;
    const flags = n > 0 && typeof active[0] === 'boolean';
    if (flags) {
      if (n !== R) throw rangeError(fn, 'options.active', `one boolean per replica (${R})`, active);
      for (let r = 0; r < R; r++) {
        const v = active[r];
        if (typeof v !== 'boolean') throw typeError(fn, `options.active[${r}]`, 'a boolean (the array holds booleans)', v);
        on[r] = v ? 1 : 0;
      }
    } else {
      for (let i = 0; i < n; i++) {
        const r = checkInt(fn, `options.active[${i}]`, active[i], 0, R - 1);
        if (on[r]) throw new RangeError(`${fn}: expected distinct replica indices in 'options.active' but ${r} appears twice`);
        on[r] = 1;
      }
    }
    const runs: [number, number][] = [];
    for (let r = 0; r < R; r++) {
      if (!on[r]) continue;
      if (runs.length > 0 && runs[runs.length - 1]![1] === r) runs[runs.length - 1]![1] = r + 1;
      else runs.push([r, r + 1]);
    }
    return runs;
  }

  /**
   * Post-step work over the replica runs just stepped (e.g. a simplex normalisation); the
   * default does nothing. It must touch only rows in `runs`.
   */
  protected afterStep(_runs: readonly (readonly [number, number])[]): void {}

  /**
   * Runs `fn` after every step (after the optimizer's own post-step work) with the runs
   * [start, end) of the replicas that stepped; returns a function that removes it. The
   * hook may change only those rows of `params` (withProjection and proximal use this).
   */
  afterEachStep(fn: (runs: readonly (readonly [number, number])[]) => void): () => void {
    if (typeof fn !== 'function') throw typeError(`${this.kind}.afterEachStep`, 'fn', 'a function', fn);
    this.hooks.push(fn);
    return () => {
      const i = this.hooks.indexOf(fn);
      if (i >= 0) this.hooks.splice(i, 1);
    };
  }

  /**
   * Takes one step: params ← update(params, grads, state) in one fused launch (two when
   * clipping or AdaGradNorm need the gradient norms). With `options.active`, only those
   * replicas step (one launch per run of consecutive active replicas); the rows of `grads`
   * of the others are not read.
   * @example
   * opt.step(grads);                          // every replica
   * opt.step(grads, { active: [0, 5, 6] });   // replicas 0, 5 and 6 only
   */
  step(grads: Tensor, options: StepOptions = {}): void {
    const fn = `${this.kind}.step`;
    if (this.disposed) throw new DescentError(`${fn}: the optimizer was disposed`);
    if (!(grads instanceof Tensor)) throw typeError(fn, 'grads', 'a Tensor', grads);
    grads.storage;
    this.params.storage;
    if (grads.backend !== this.backend) throw new TypeError(`${fn}: expected 'grads' on the '${this.backend.name}' backend of the parameters but received '${grads.backend.name}'`);
    if (grads.dtype !== this.params.dtype) throw new TypeError(`${fn}: expected ${this.params.dtype} for 'grads' but received ${grads.dtype}`);
    if (grads.size !== this.params.size || grads.rank !== this.params.rank || grads.shape.some((d, i) => d !== this.params.shape[i])) {
      throw new RangeError(`${fn}: expected 'grads' of shape [${this.params.shape.join(', ')}] but received [${grads.shape.join(', ')}]`);
    }
    if (!grads.isContiguous) throw new RangeError(`${fn}: expected a contiguous tensor for 'grads' but received a strided view (use contiguous())`);
    if (options === null || typeof options !== 'object') throw typeError(fn, 'options', 'an options object { active? }', options);
    const runs = this.activeRuns(fn, options.active);
    const R = this.replicas, P = this.size;
    const next = this.replicaT.map((t) => t + 1);
    const b = this.backend;
    const p = this.params.contig, g = grads.contig;
    const state = this.stateList.map((s) => ({ c: s.tensor.contig, row: s.tensor.size / R }));
    for (const [a, e] of runs) {
      const n = e - a;
      const hyper = this.records(next, a, e);
      let norms: Storage | undefined;
      if (this.needsNorms || this.clip.subarray(a, e).some((c) => c !== 0)) {
        norms = b.ops.optimSumSq({ s: g.s, offset: g.offset + a * P }, n, P, this.bounds);
      }
      const args: OptimArgs = {
        p: { s: p.s, offset: p.offset + a * P }, g: { s: g.s, offset: g.offset + a * P },
        state: state.map(({ c, row }) => ({ s: c.s, offset: c.offset + a * row })),
        replicas: n, size: P, bounds: this.bounds, hyper,
        norms: norms ? { s: norms, offset: 0 } : undefined, variant: this.variant,
      };
      try {
        b.ops[this.op](args);
      } finally {
        if (norms) b.free(norms);
      }
      for (let r = a; r < e; r++) this.replicaT[r] = next[r]!;
    }
    this.stepped(runs);
  }

  /** After a step of the replicas in `runs` (their counters already advanced): the step count, post-step work and hooks. */
  private stepped(runs: readonly (readonly [number, number])[]): void {
    this.t += 1;
    this.afterStep(runs);
    for (const h of this.hooks) h(runs);
  }

  /**
   * Whether a step needs no gradient norms (no clipping, no norm-based rule): what a fused op
   * that computes the gradient itself (stepWith) requires.
   */
  protected get normFree(): boolean {
    return !this.needsNorms && this.clip.every((c) => c === 0);
  }

  /**
   * Steps every replica through `launch`, given the step's records, in place of the step op
   * (a fused op that computes the gradient itself), with step()'s bookkeeping: step counters,
   * post-step work and hooks. Only when `normFree`.
   */
  protected stepWith(fn: string, launch: (hyper: Float32Array | Float64Array) => void): void {
    if (this.disposed) throw new DescentError(`${fn}: the optimizer was disposed`);
    if (!this.normFree) throw new RangeError(`${fn}: expected a step without clipping or gradient norms`);
    const R = this.replicas;
    const next = this.replicaT.map((t) => t + 1);
    launch(this.records(next, 0, R));
    this.replicaT.set(next);
    this.stepped([[0, R]]);
  }

  /** The state to save: metadata (JSON) and the state tensors (views, not copies). */
  stateDict(): OptimizerState {
    const tensors: Record<string, Tensor> = {};
    for (const s of this.stateList) tensors[s.name] = s.tensor;
    return {
      meta: {
        format: 'descent-optimizer', version: 1, kind: this.kind, op: this.op, step: this.t,
        replicas: this.replicas, size: this.size, bounds: Array.from(this.bounds), variant: this.variant,
        dtype: this.params.dtype, options: this.optionsJson,
        state: this.stateList.map((s) => ({ name: s.name, shape: s.tensor.shape.slice() })),
        replicaSteps: Array.from(this.replicaT),
        ...(this.changed.size > 0
          ? { hyper: Object.fromEntries([...this.changed].map((n) => [n, Array.from(n === 'clipNorm' ? this.clip : this.table.get(n)!)])) }
          : {}),
      },
      tensors,
    };
  }

  /** Throws unless `m` is the metadata of a state this optimizer can load (kind, layout, buffers). */
  checkCompatible(m: OptimizerMeta, fn = `${this.kind}.loadState`): void {
    if (!m || m.format !== 'descent-optimizer') throw typeError(fn, 'saved.meta', 'descent optimizer metadata', m);
    const expect = (what: string, want: unknown, got: unknown) => {
      if (JSON.stringify(want) !== JSON.stringify(got)) throw new RangeError(`${fn}: expected ${what} ${JSON.stringify(want)} but the saved state has ${JSON.stringify(got)}`);
    };
    expect('kind', this.kind, m.kind);
    expect('replicas', this.replicas, m.replicas);
    expect('size', this.size, m.size);
    expect('group bounds', Array.from(this.bounds), m.bounds);
    expect('variant', this.variant, m.variant);
    expect('state buffers', this.stateList.map((s) => ({ name: s.name, shape: s.tensor.shape })), m.state);
    if (!Number.isInteger(m.step) || m.step < 0) throw rangeError(fn, 'saved.meta.step', 'a non-negative integer', m.step);
    if (m.replicaSteps !== undefined) {
      if (!Array.isArray(m.replicaSteps) || m.replicaSteps.length !== this.replicas) {
        throw rangeError(fn, 'saved.meta.replicaSteps', `one step count per replica (${this.replicas})`, m.replicaSteps);
      }
      m.replicaSteps.forEach((v, r) => checkInt(fn, `saved.meta.replicaSteps[${r}]`, v, 0, m.step));
    }
    if (m.hyper !== undefined) {
      if (m.hyper === null || typeof m.hyper !== 'object') throw typeError(fn, 'saved.meta.hyper', 'an object of hyperparameter tables', m.hyper);
      for (const [name, vals] of Object.entries(m.hyper)) {
        const isClip = name === 'clipNorm';
        const def = isClip ? { default: 0, min: 0 } : this.defs[name];
        if (!def || def.fixed) throw new RangeError(`${fn}: the saved state changes '${name}', which ${this.kind} cannot change at run time`);
        const n = isClip ? this.replicas : this.replicas * this.groups;
        if (!Array.isArray(vals) || vals.length !== n) throw rangeError(fn, `saved.meta.hyper.${name}`, `${n} values`, vals);
        vals.forEach((v, i) => checkValue(fn, `saved.meta.hyper.${name}[${i}]`, def, v));
      }
    }
  }

  /**
   * Restores the step count and state buffers saved by stateDict() (of an optimizer of the
   * same kind, layout and groups). Tensors are copied into this optimizer's buffers.
   */
  loadState(saved: OptimizerState): void {
    const fn = `${this.kind}.loadState`;
    const m = saved?.meta;
    this.checkCompatible(m, fn);
    for (const s of this.stateList) {
      const src = saved.tensors[s.name];
      if (!(src instanceof Tensor)) throw typeError(fn, `saved.tensors.${s.name}`, 'a Tensor', src);
      if (src.size !== s.tensor.size) throw rangeError(fn, `saved.tensors.${s.name}`, `a tensor of ${s.tensor.size} elements`, src.size);
      if (src.backend !== this.backend) throw new TypeError(`${fn}: expected 'saved.tensors.${s.name}' on the '${this.backend.name}' backend but received '${src.backend.name}'`);
      if (src.dtype !== s.tensor.dtype) throw new TypeError(`${fn}: expected ${s.tensor.dtype} for 'saved.tensors.${s.name}' but received ${src.dtype}`);
      if (!src.isContiguous) throw new RangeError(`${fn}: expected a contiguous tensor for 'saved.tensors.${s.name}'`);
    }
    // The saved run-time hyperparameters first (undone if they break an invariant), then the buffers.
    const before = [...Object.keys(m.hyper ?? {})].map((n) => [n, n === 'clipNorm' ? this.clip : this.table.get(n)!] as const);
    for (const [name, vals] of Object.entries(m.hyper ?? {})) this.putTable(name, Float64Array.from(vals));
    try {
      this.checkHyper(fn);
    } catch (e) {
      for (const [name, vals] of before) this.putTable(name, vals);
      throw e;
    }
    for (const name of Object.keys(m.hyper ?? {})) this.changed.add(name);
    for (const s of this.stateList) {
      const src = saved.tensors[s.name]!;
      const view = src.view(s.tensor.shape, s.tensor.strides, src.offset);
      this.backend.ops.copyInto(view.strided, s.tensor.strided);
      view.dispose();
    }
    this.t = m.step;
    this.replicaT.set(m.replicaSteps ?? new Array<number>(this.replicas).fill(m.step));
  }

  /** Frees the state buffers (the parameters belong to the caller). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const s of this.stateList) s.tensor.dispose();
  }
}
