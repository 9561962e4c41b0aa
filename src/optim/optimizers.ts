// The optimizers: each maps its options to the records of one fused step op.
//
// Every class takes (params, options) where params is [size] or [replicas, size] and every
// hyperparameter may be per replica (an array) and per group (`groups[j].name`). The maths
// of each step is in src/backend/reference/optim.ts; here are only the defaults (those of
// torch.optim where it has the method, else the paper's), the checks, the step-dependent
// factors (bias corrections, lr decay, the schedule) and the state each needs. Decoupled
// weight decay λ (`decoupledWeightDecay`; AdamW's `weightDecay`) enters as keep = 1 − lr_t·λ.

import { RMSPROP_VARIANT } from '../backend/ops.js';
import type { Contig } from '../backend/ops.js';
import { rangeError, typeError } from '../errors.js';
import { add, div, mul, neg, relu } from '../ops/elementwise.js';
import { sum } from '../ops/reduce.js';
import { empty } from '../ops/creation.js';
import { matmul } from '../ops/matmul.js';
import { broadcastTo, contiguous, reshape, slice, transpose } from '../ops/views.js';
import { contiguousCopy, keep, Tensor, tidy } from '../tensor.js';
import { Optimizer } from './optimizer.js';
import type { HyperDef, HyperValue, OptimizerOptions } from './optimizer.js';

const nonNeg = (d: number): HyperDef => ({ default: d, min: 0 });
const unit = (d: number): HyperDef => ({ default: d, min: 0, max: 1, maxOpen: true });
const flag = (d: boolean): HyperDef => ({ default: d ? 1 : 0, bool: true });

type Opts<K extends string> = OptimizerOptions & { [P in K]?: HyperValue };

function positiveTotal(fn: string, arg: string, v: unknown): number | null {
  if (v === undefined) return null;
  if (typeof v !== 'number') throw typeError(fn, arg, 'a positive finite number', v);
  if (!(v > 0 && Number.isFinite(v))) throw rangeError(fn, arg, 'a positive finite number', v);
  return v;
}

function checkBool(fn: string, arg: string, v: unknown): boolean {
  if (v === undefined) return false;
  if (typeof v !== 'boolean') throw typeError(fn, arg, 'a boolean', v);
  return v;
}

/**
 * Rescales, in place, each (replica r ∈ runs, group j ∈ groups) slice of every tensor in
 * `targets` by total / Σ(slices of `sources`): the normalisation of entropic mirror steps
 * onto the simplex {x ≥ 0, Σ x = total}. A few small launches per group and run.
 */
function rescaleGroups(opt: Optimizer, groups: readonly number[], total: number, sources: readonly Tensor[], targets: readonly Tensor[],
  runs: readonly (readonly [number, number])[]): void {
  tidy(() => {
    const rows = (t: Tensor) => (t.rank === 2 ? t : reshape(t, [1, t.size]));
    for (const [r0, r1] of runs) {
      for (const j of groups) {
        const b0 = opt.bounds[j]!, len = opt.bounds[j + 1]! - b0;
        if (len === 0) continue;
        const z = sources.map((t) => sum(slice(rows(t), [r0, b0], [r1 - r0, len]), 1, true)).reduce((a, b) => add(a, b));
        const c = div(total, z);
        for (const t of targets) {
          const view = slice(rows(t), [r0, b0], [r1 - r0, len]);
          t.backend.ops.copyInto(mul(view, c).strided, view.strided);
        }
      }
    }
  });
}

/** The groups where flag `name` is set for every replica (throws if it is set for only some). */
function groupsWith(opt: Optimizer, name: string, fn: string): number[] {
  const out: number[] = [];
  for (let j = 0; j < opt.groups; j++) {
    const on = Array.from({ length: opt.replicas }, (_, r) => opt.hyper(name, r, j) !== 0);
    if (on.every(Boolean)) out.push(j);
    else if (on.some(Boolean)) throw new RangeError(`${fn}: expected '${name}' to be the same for every replica of group ${j} when projecting onto the simplex`);
  }
  return out;
}

// ─── SGD ───

export type SGDOptions = Opts<'lr' | 'momentum' | 'dampening' | 'nesterov' | 'weightDecay' | 'decoupledWeightDecay'>;

/**
 * Stochastic gradient descent with momentum, dampening, Nesterov momentum and weight decay
 * (torch.optim.SGD semantics). A momentum buffer exists when any momentum is non-zero.
 * @example
 * const opt = new SGD(params, { lr: 0.1, momentum: 0.9, nesterov: true });
 * opt.step(grads);
 */
export class SGD extends Optimizer {
  constructor(params: Tensor, options: SGDOptions = {}) {
    super('SGD', 'sgdStep', params, options, {
      lr: nonNeg(1e-2), momentum: unit(0), dampening: { default: 0, min: 0, max: 1 }, nesterov: flag(false),
      weightDecay: nonNeg(0), decoupledWeightDecay: nonNeg(0),
    });
    this.checkNesterov('SGD');
    if (this.anyNonZero('momentum')) this.addState('momentum', this.zerosLikeParams());
  }

  protected override checkHyper(fn: string): void {
    this.checkNesterov(fn);
    // A momentum buffer exists only if some momentum was non-zero at construction.
    if (this.state.length === 0 && this.anyNonZero('momentum')) {
      throw new RangeError(`${fn}: expected momentum 0 (this SGD was built without momentum, so it has no momentum buffer; build it with a non-zero momentum to change it later)`);
    }
  }

  private checkNesterov(fn: string): void {
    for (let r = 0; r < this.replicas; r++) {
      for (let j = 0; j < this.groups; j++) {
        if (this.hyper('nesterov', r, j) && (this.hyper('momentum', r, j) <= 0 || this.hyper('dampening', r, j) !== 0)) {
          throw new RangeError(`${fn}: expected momentum > 0 and dampening = 0 with 'nesterov' but replica ${r}, group ${j} has momentum ${this.hyper('momentum', r, j)} and dampening ${this.hyper('dampening', r, j)}`);
        }
      }
    }
  }

  /**
   * One step whose gradient is a product per replica: the parameters [R, m·n] read as matrices
   * W_r [m, n] step by G_r = A_rᵀ·B_r for A [R, k, m] and B [R, k, n] — the bits of
   * `step(reshape(matmul(transpose(A), B), [R, m·n]))`. With `from` ([m, n] or [1, m, n]) every
   * replica steps from that one matrix instead of its parameters' values (not read then). With
   * `next` X [R, rows, m] it returns X_r·W_r of the stepped weights (the bits of
   * `matmul(X, reshape(params, [R, m, n]))`), else null. Where the backend has the fused op
   * (cpu, float32) and the step is plain (one group, no momentum, no clipping) this is one launch
   * that never writes G and computes the next product while the weights are in cache; elsewhere
   * the separate ops.
   * @example
   * const W1 = new SGD(w1, { lr: 0.05 });                  // w1 [R, 784·128]
   * const xw = W1.stepProduct(x, dz, { next: xNext });     // x [R, 32, 784], dz [R, 32, 128]
   */
  stepProduct(a: Tensor, b: Tensor, o: { from?: Tensor; next?: Tensor } = {}): Tensor | null {
    const fn = 'SGD.stepProduct';
    const R = this.replicas;
    for (const [name, x] of [['a', a], ['b', b], ['o.from', o.from], ['o.next', o.next]] as const) {
      if (x !== undefined && !(x instanceof Tensor)) throw typeError(fn, name, 'a Tensor', x);
    }
    if (a.rank !== 3 || a.shape[0] !== R) throw rangeError(fn, 'a', `a tensor [${R}, k, m]`, `[${a.shape.join(', ')}]`);
    const k = a.shape[1]!, m = a.shape[2]!;
    if (b.rank !== 3 || b.shape[0] !== R || b.shape[1] !== k) throw rangeError(fn, 'b', `a tensor [${R}, ${k}, n]`, `[${b.shape.join(', ')}]`);
    const n = b.shape[2]!;
    if (m * n !== this.size) throw rangeError(fn, 'b', `a last dimension n with m·n = ${this.size} (the parameters' size; m = ${m} from 'a')`, `[${b.shape.join(', ')}]`);
    if (o.from && o.from.size !== m * n) throw rangeError(fn, 'o.from', `a tensor of ${m}·${n} values`, `[${o.from.shape.join(', ')}]`);
    const nx = o.next;
    if (nx && (nx.rank !== 3 || nx.shape[0] !== R || nx.shape[2] !== m)) throw rangeError(fn, 'o.next', `a tensor [${R}, rows, ${m}]`, `[${nx.shape.join(', ')}]`);
    const ops = this.backend.ops;
    const all = [a, b, this.params, ...(o.from ? [o.from] : []), ...(nx ? [nx] : [])];
    if (ops.sgdProductStep && this.groups === 1 && this.state.length === 0 && this.normFree
      && all.every((t) => t.dtype === 'float32' && t.backend === this.backend)) {
      return tidy(() => {
        const [ac, strideA] = batchBlocks(a), [bc, strideB] = batchBlocks(b);
        const from = o.from ? contiguous(o.from) : null;
        const rows = nx?.shape[1] ?? 0;
        const out = nx ? empty([R, rows, n], { backend: this.backend }) : null; // the native call writes all of it
        const [xc, strideX] = nx ? batchBlocks(nx) : [null, 0];
        this.stepWith(fn, (hyper) => ops.sgdProductStep!({
          a: ac, strideA, transA: true, b: bc, strideB, transB: false,
          w: (from ?? this.params).contig, strideW: from ? 0 : m * n, out: this.params.contig,
          batch: R, m, n, k, hyper,
          ...(out && xc ? { next: { a: xc, strideA: strideX, rows, out: out.contig } } : {}),
        }));
        return out ? keep(out) : null;
      });
    }
    if (o.from) tidy(() => this.backend.ops.copyInto(contiguous(broadcastTo(reshape(o.from!, [1, m * n]), [R, m * n])).strided, this.params.strided));
    tidy(() => this.step(reshape(matmul(transpose(a), b), [R, m * n])));
    return nx ? matmul(nx, reshape(this.params, [R, m, n])) : null;
  }

  protected fields(h: (n: string) => number, t: number, f: number): number[] {
    const lr = h('lr') * f;
    return [lr, h('weightDecay'), 1 - lr * h('decoupledWeightDecay'), h('momentum'),
      t === 1 || h('momentum') === 0 ? 0 : h('dampening'), h('nesterov')];
  }
}

/**
 * A [R, r, c] tensor as the batched operand of a fused product: its storage at the first
 * block and the stride between blocks, read in place when each block is contiguous (a slice
 * of a wider arena, as the first layer's z̄1 out of the gradient of [z1 | head]), else a copy.
 */
function batchBlocks(t: Tensor): [Contig, number] {
  const [R, r, c] = t.shape as [number, number, number];
  const [s0, s1, s2] = t.strides as [number, number, number];
  if ((s2 === 1 || c === 1) && (s1 === c || r === 1) && s0 >= 0) return [t.contig, R === 1 ? r * c : s0];
  const copy = contiguous(t);
  return [copy.contig, r * c];
}

// ─── Adam, AdamW, AMSGrad ───

export type AdamOptions = Opts<'lr' | 'beta1' | 'beta2' | 'eps' | 'weightDecay' | 'decoupledWeightDecay'> & { amsgrad?: boolean };

const ADAM_DEFS = {
  lr: nonNeg(1e-3), beta1: unit(0.9), beta2: unit(0.999), eps: nonNeg(1e-8),
  weightDecay: nonNeg(0), decoupledWeightDecay: nonNeg(0),
};

/**
 * Adam (Kingma & Ba 2015) with L2 (`weightDecay`) or decoupled (`decoupledWeightDecay`)
 * weight decay, and AMSGrad's running maximum of v when `amsgrad` is set.
 * @example
 * const opt = new Adam(params, { lr: 1e-3, groups: [{ end: 1000 }, { end: size, weightDecay: 0 }] });
 */
export class Adam extends Optimizer {
  constructor(params: Tensor, options: AdamOptions = {}, kind = 'Adam', defs: Record<string, HyperDef> = ADAM_DEFS) {
    super(kind, 'adamStep', params, options, defs, ['amsgrad']);
    const amsgrad = checkBool(kind, 'amsgrad', options.amsgrad);
    this.addState('m', this.zerosLikeParams());
    this.addState('v', this.zerosLikeParams());
    if (amsgrad) this.addState('vmax', this.zerosLikeParams());
  }

  protected fields(h: (n: string) => number, t: number, f: number): number[] {
    const lr = h('lr') * f, b1 = h('beta1'), b2 = h('beta2');
    return [lr / (1 - b1 ** t), h('weightDecay'), 1 - lr * h('decoupledWeightDecay'), b1, b2, h('eps'), 1 / Math.sqrt(1 - b2 ** t)];
  }
}

export type AdamWOptions = Opts<'lr' | 'beta1' | 'beta2' | 'eps' | 'weightDecay'> & { amsgrad?: boolean };

/** AdamW (Loshchilov & Hutter 2019): Adam whose `weightDecay` (default 0.01) is decoupled. */
export class AdamW extends Adam {
  constructor(params: Tensor, options: AdamWOptions = {}) {
    super(params, options, 'AdamW', {
      lr: nonNeg(1e-3), beta1: unit(0.9), beta2: unit(0.999), eps: nonNeg(1e-8), weightDecay: nonNeg(1e-2),
    });
  }

  protected override fields(h: (n: string) => number, t: number, f: number): number[] {
    return super.fields((n) => (n === 'decoupledWeightDecay' ? h('weightDecay') : n === 'weightDecay' ? 0 : h(n)), t, f);
  }
}

/** AMSGrad (Reddi, Kale & Kumar 2018): Adam with the running maximum of v. */
export class AMSGrad extends Adam {
  constructor(params: Tensor, options: Omit<AdamOptions, 'amsgrad'> = {}) {
    super(params, { ...options, amsgrad: true }, 'AMSGrad');
  }
}

// ─── AdaGrad, AdaGradNorm ───

export type AdaGradOptions = Opts<'lr' | 'lrDecay' | 'eps' | 'weightDecay' | 'decoupledWeightDecay' | 'initialAccumulator'>;

/** AdaGrad (Duchi, Hazan & Singer 2011) with torch's lr decay lr/(1 + (t − 1)·lrDecay). */
export class AdaGrad extends Optimizer {
  constructor(params: Tensor, options: AdaGradOptions = {}) {
    super('AdaGrad', 'adagradStep', params, options, {
      lr: nonNeg(1e-2), lrDecay: nonNeg(0), eps: nonNeg(1e-10), weightDecay: nonNeg(0),
      decoupledWeightDecay: nonNeg(0), initialAccumulator: { ...nonNeg(0), fixed: true },
    });
    const init = this.anyNonZero('initialAccumulator');
    this.addState('sum', init ? this.fillPerGroup((r, j) => this.hyper('initialAccumulator', r, j)) : this.zerosLikeParams());
  }

  /** A params-shaped buffer holding value(r, j) in group j of replica r. */
  private fillPerGroup(value: (r: number, j: number) => number): Tensor {
    const R = this.replicas, P = this.size;
    const host = this.params.dtype === 'float64' ? new Float64Array(R * P) : new Float32Array(R * P);
    for (let r = 0; r < R; r++) for (let j = 0; j < this.groups; j++) host.fill(value(r, j), r * P + this.bounds[j]!, r * P + this.bounds[j + 1]!);
    return Tensor.fromStorage(this.backend, this.backend.upload(host), this.params.shape);
  }

  protected fields(h: (n: string) => number, t: number, f: number): number[] {
    const lr = h('lr') * f / (1 + (t - 1) * h('lrDecay'));
    return [lr, h('weightDecay'), 1 - lr * h('decoupledWeightDecay'), h('eps')];
  }
}

export type AdaGradNormOptions = Opts<'lr' | 'eps' | 'b0' | 'decoupledWeightDecay'>;

/**
 * AdaGradNorm (Ward, Wu & Bottou 2019): one adaptive step size per replica and group,
 * b² ← b² + ‖g‖², p ← p − lr·g/(b + ε), with b starting at `b0`.
 */
export class AdaGradNorm extends Optimizer {
  constructor(params: Tensor, options: AdaGradNormOptions = {}) {
    super('AdaGradNorm', 'adagradNormStep', params, options, {
      lr: nonNeg(1e-2), eps: nonNeg(1e-10), b0: { ...nonNeg(0), fixed: true }, decoupledWeightDecay: nonNeg(0),
    });
    this.needsNorms = true;
    this.addState('b2', this.perGroupState((r, j) => this.hyper('b0', r, j) ** 2));
  }

  protected fields(h: (n: string) => number, _t: number, f: number): number[] {
    const lr = h('lr') * f;
    return [lr, 1 - lr * h('decoupledWeightDecay'), h('eps')];
  }
}

// ─── RMSProp ───

export type RMSPropOptions = Opts<'lr' | 'alpha' | 'eps' | 'weightDecay' | 'decoupledWeightDecay' | 'momentum'> & { centered?: boolean };

/** RMSProp (Hinton 2012; centred as Graves 2013), torch.optim.RMSprop semantics. */
export class RMSProp extends Optimizer {
  constructor(params: Tensor, options: RMSPropOptions = {}) {
    super('RMSProp', 'rmspropStep', params, options, {
      lr: nonNeg(1e-2), alpha: unit(0.99), eps: nonNeg(1e-8), weightDecay: nonNeg(0),
      decoupledWeightDecay: nonNeg(0), momentum: unit(0),
    }, ['centered']);
    const centered = checkBool('RMSProp', 'centered', options.centered);
    const momentum = this.anyNonZero('momentum');
    this.variant = (centered ? RMSPROP_VARIANT.centered : 0) | (momentum ? RMSPROP_VARIANT.momentum : 0);
    this.addState('v', this.zerosLikeParams());
    if (centered) this.addState('gAvg', this.zerosLikeParams());
    if (momentum) this.addState('momentum', this.zerosLikeParams());
  }

  protected override checkHyper(fn: string): void {
    if (!(this.variant & RMSPROP_VARIANT.momentum) && this.anyNonZero('momentum')) {
      throw new RangeError(`${fn}: expected momentum 0 (this RMSProp was built without momentum, so it has no momentum buffer; build it with a non-zero momentum to change it later)`);
    }
  }

  protected fields(h: (n: string) => number, _t: number, f: number): number[] {
    const lr = h('lr') * f;
    return [lr, h('weightDecay'), 1 - lr * h('decoupledWeightDecay'), h('alpha'), h('eps'), h('momentum')];
  }
}

// ─── diffGrad ───

export type DiffGradOptions = Opts<'lr' | 'beta1' | 'beta2' | 'eps' | 'weightDecay' | 'decoupledWeightDecay'> & { legacyConstantFriction?: boolean };

/**
 * diffGrad (Dubey et al. 2019), the corrected v2: friction ξ = sigmoid(|g_{t−1} − g_t|).
 * `legacyConstantFriction` reproduces the published runs' ξ ≡ ½ from step 2 on.
 */
export class DiffGrad extends Optimizer {
  private readonly legacy: boolean;
  constructor(params: Tensor, options: DiffGradOptions = {}) {
    super('DiffGrad', 'diffgradStep', params, options, ADAM_DEFS, ['legacyConstantFriction']);
    this.legacy = checkBool('DiffGrad', 'legacyConstantFriction', options.legacyConstantFriction);
    this.addState('m', this.zerosLikeParams());
    this.addState('v', this.zerosLikeParams());
    this.addState('prevGrad', this.zerosLikeParams());
  }

  protected fields(h: (n: string) => number, t: number, f: number): number[] {
    const lr = h('lr') * f, b1 = h('beta1'), b2 = h('beta2');
    return [lr * Math.sqrt(1 - b2 ** t) / (1 - b1 ** t), h('weightDecay'), 1 - lr * h('decoupledWeightDecay'),
      b1, b2, h('eps'), this.legacy && t >= 2 ? 1 : 0];
  }
}

// ─── Exponentiated gradient ───

export type EGOptions = Opts<'lr' | 'weightDecay'> & {
  /** 'signed' (default): p ← p·e^{−lr·sign(p)·g}, no state; 'pm': EGU± with p = u − v. */
  form?: 'signed' | 'pm';
  /** For 'pm': u = max(p, 0) + offset, v = max(−p, 0) + offset (default 0.01; 0 keeps signs). */
  offset?: number;
  /** For 'pm': normalise Σ(u + v) to `total` in every replica and group after each step (EG±_U). */
  total?: number;
};

/**
 * Exponentiated gradient with positive and negative weights: EGU± (Kivinen & Warmuth 1997)
 * or its sign-preserving form for Dale's-law networks (Cornford et al. 2024).
 */
export class EGPlusMinus extends Optimizer {
  private readonly total: number | null;
  constructor(params: Tensor, options: EGOptions = {}) {
    super('EGPlusMinus', 'egStep', params, options, { lr: nonNeg(1e-2), weightDecay: nonNeg(0) }, ['form', 'offset', 'total']);
    const form = options.form ?? 'signed';
    if (form !== 'signed' && form !== 'pm') throw rangeError('EGPlusMinus', 'form', '\'signed\' or \'pm\'', form);
    this.total = positiveTotal('EGPlusMinus', 'total', options.total);
    if (this.total !== null && form !== 'pm') throw new RangeError('EGPlusMinus: expected form \'pm\' with \'total\' (the signed form has no u, v to normalise)');
    if (form === 'pm') {
      const c = options.offset ?? 0.01;
      if (typeof c !== 'number') throw typeError('EGPlusMinus', 'offset', 'a finite number ≥ 0', c);
      if (!(c >= 0 && Number.isFinite(c))) throw rangeError('EGPlusMinus', 'offset', 'a finite number ≥ 0', c);
      const p = this.params;
      this.addState('u', tidy(() => add(relu(p), c)));
      this.addState('v', tidy(() => add(relu(neg(p)), c)));
    }
  }

  protected fields(h: (n: string) => number, _t: number, f: number): number[] {
    return [h('lr') * f, h('weightDecay')];
  }

  protected override afterStep(runs: readonly (readonly [number, number])[]): void {
    if (this.total === null) return;
    const [u, v] = this.state.map((s) => s.tensor) as [Tensor, Tensor];
    rescaleGroups(this, Array.from({ length: this.groups }, (_, j) => j), this.total, [u, v], [u, v, this.params], runs);
  }
}

// ─── Optimistic mirror descent ───

export type OptimisticOptions = Opts<'lr' | 'weightDecay' | 'entropic'> & {
  /** Project the entropic groups onto the simplex {x ≥ 0, Σ x = simplex} after each step. */
  simplex?: number;
};

/**
 * Optimistic gradient / optimistic mirror descent with the last gradient as the hint
 * (Rakhlin & Sridharan 2013; Chen et al. 2023): Euclidean, or entropic on the positive
 * orthant where `entropic` is set (per group; those parameters must be positive).
 */
export class Optimistic extends Optimizer {
  private readonly simplex: number | null;
  private readonly entropicGroups: number[];
  constructor(params: Tensor, options: OptimisticOptions = {}) {
    super('Optimistic', 'optimisticStep', params, options, { lr: nonNeg(1e-2), weightDecay: nonNeg(0), entropic: { ...flag(false), fixed: true } }, ['simplex']);
    this.simplex = positiveTotal('Optimistic', 'simplex', options.simplex);
    this.entropicGroups = this.simplex === null ? [] : groupsWith(this, 'entropic', 'Optimistic');
    if (this.simplex !== null && this.entropicGroups.length === 0) throw new RangeError('Optimistic: expected \'entropic\' groups with \'simplex\' (only entropic steps are projected onto the simplex)');
    this.addState('xhat', contiguousCopy(this.params));
  }

  protected fields(h: (n: string) => number, _t: number, f: number): number[] {
    return [h('lr') * f, h('weightDecay'), h('entropic')];
  }

  protected override afterStep(runs: readonly (readonly [number, number])[]): void {
    if (this.simplex === null) return;
    // NOTE: the entropic step is scale-invariant, so normalising x̂ and p each by its own sum
    // gives exactly the simplex-constrained iterates (x̂ e^{−ηg}/Z).
    const xhat = this.state[0]!.tensor;
    rescaleGroups(this, this.entropicGroups, this.simplex, [xhat], [xhat], runs);
    rescaleGroups(this, this.entropicGroups, this.simplex, [this.params], [this.params], runs);
  }
}

// ─── Registry ───

type Ctor = new (params: Tensor, options?: never) => Optimizer;

/** Optimizer classes by kind, for the CLI and for restoring saved state. */
export const OPTIMIZERS: Readonly<Record<string, Ctor>> = {
  SGD, Adam, AdamW, AMSGrad, AdaGrad, AdaGradNorm, RMSProp, DiffGrad, EGPlusMinus, Optimistic,
} as unknown as Record<string, Ctor>;

/** Creates an optimizer by kind name (as saved in OptimizerMeta.kind). */
export function createOptimizer(kind: string, params: Tensor, options: Record<string, unknown> = {}): Optimizer {
  const C = OPTIMIZERS[kind];
  if (!C) throw rangeError('createOptimizer', 'kind', `one of ${Object.keys(OPTIMIZERS).join(', ')}`, kind);
  return new C(params, options as never);
}
