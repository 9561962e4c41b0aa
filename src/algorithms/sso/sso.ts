// SSO: stochastic surrogate optimization in target space (Lavington, Vaswani, Babanezhad,
// Schmidt, Le Roux, "Target-based Surrogates for Stochastic Optimization", ICML 2023,
// arXiv 2302.02607; PAPERS.md §4).
//
// Contract. One outer step takes ONE expensive gradient in target space, z_t = f_θt(X_S) and
// G_t = ∇_z L(z_t, y_S) (L the mean loss over the batch, so G_t holds ∇ℓ_i/|S| per example),
// then minimises the surrogate
//
//     g̃_t(θ) = ⟨G_t, f_θ(X_S)⟩ + (1/(2 η_t |S|)) ‖f_θ(X_S) − z_t‖²
//            = (1/|S|) Σ_i [ ⟨∇ℓ_i(z_t,i), f_θ(x_i)⟩ + (1/(2η_t)) ‖f_θ(x_i) − z_t,i‖² ]   (paper, §3)
//
// from θ_t with m inner steps of a deterministic optimizer (Armijo line search with initial
// step 10, reset every outer step, as in the authors' `LSOpt`; or plain GD with a fixed step).
// ∇g̃_t(θ_t) = ∇_θ L(f_θt(X_S)), so m = 1 with one plain GD step of size α is SGD with lr α.
// The model is any `Model` (apply(params, x) → outputs); only its outputs are used.

import { add, dot, keep, mul, reshape, sub, sumSquares, tidy, valueAndGrad, vjp, Tensor } from '../../engine.js';
import type { Model } from '../../engine.js';

/** A batch loss: the mean over the batch of the per-example losses ℓ_i(z_i, y_i) (a scalar). */
export type TargetLoss = (outputs: Tensor, targets: Tensor) => Tensor;

/**
 * The target-space step size schedule η_t (t = 1, 2, …): 'constant' η_t = η; 'sqrt'
 * η_t = η/√t (the code's `stochastic` schedule, `update_stoch_lr`); 'exponential'
 * η_t = η·(1/T)^{t/T} with T = `totalSteps` (the code's `update_exp_lr`).
 */
export type SSOEtaSchedule = 'constant' | 'sqrt' | 'exponential';

export interface ArmijoOptions {
  /** First trial step of every inner solve (default 10, reset each outer step). */
  initialStep?: number;
  /** Sufficient-decrease constant c: accept α when g̃(θ − α∇) ≤ g̃(θ) − c·α‖∇‖² (default 0.5). */
  c?: number;
  /** Backtracking factor (default 0.5). */
  shrink?: number;
  /** Backtracks before giving up on a step (default 60). */
  maxBacktracks?: number;
}

export interface SSOOptions {
  model: Model;
  loss: TargetLoss;
  /** Target-space step size η (> 0). */
  eta: number;
  etaSchedule?: SSOEtaSchedule;
  /** T for the 'exponential' schedule. */
  totalSteps?: number;
  /** Inner steps m per outer step (≥ 1). */
  innerSteps: number;
  /** Inner optimizer: Armijo line search (default) or plain GD with `innerLr`. */
  inner?: 'armijo' | 'gd';
  innerLr?: number;
  armijo?: ArmijoOptions;
}

/** The expensive part of an outer step: targets, their loss gradient and the loss. */
export interface TargetGradient {
  /** z_t = f_θt(X_S) (detached). */
  z: Tensor;
  /** G_t = ∇_z L(z_t, y_S) (detached). */
  g: Tensor;
  /** L(z_t, y_S). */
  loss: number;
}

export interface SSOStepInfo {
  /** The batch loss at θ_t (before the step). */
  loss: number;
  /** η_t used. */
  eta: number;
  /** Surrogate value at θ_t and at θ_{t+1}. */
  surrogateStart: number;
  surrogateEnd: number;
  /** Inner steps that moved (a line search that found no decrease stops the inner loop). */
  innerSteps: number;
}

function fail(arg: string, expected: string, got: unknown): never {
  throw new RangeError(`SSO: expected ${expected} for '${arg}' but received ${String(got)}`);
}

/**
 * SSO (PAPERS.md §4): an outer/inner optimizer over a flat parameter arena.
 * @example
 * const sso = new SSO({ model: net, loss: (z, y) => logisticLoss(z, y), eta: 1, innerSteps: 10 });
 * params = sso.step(params, xBatch, yBatch).params; // one expensive gradient, 10 surrogate steps
 */
export class SSO {
  readonly model: Model;
  readonly loss: TargetLoss;
  readonly eta: number;
  readonly etaSchedule: SSOEtaSchedule;
  readonly totalSteps: number;
  readonly innerSteps: number;
  readonly inner: 'armijo' | 'gd';
  readonly innerLr: number;
  readonly armijo: Required<ArmijoOptions>;
  private t = 0;

  constructor(opts: SSOOptions) {
    if (opts === null || typeof opts !== 'object') fail('opts', 'an options object', opts);
    if (!opts.model || typeof opts.model.apply !== 'function') fail('opts.model', 'a Model with apply(params, x)', opts.model);
    if (typeof opts.loss !== 'function') fail('opts.loss', 'a function (outputs, targets) → scalar', opts.loss);
    if (!(opts.eta > 0) || !Number.isFinite(opts.eta)) fail('opts.eta', 'a finite number > 0', opts.eta);
    if (!Number.isInteger(opts.innerSteps) || opts.innerSteps < 1) fail('opts.innerSteps', 'an integer ≥ 1', opts.innerSteps);
    const sched = opts.etaSchedule ?? 'constant';
    if (!['constant', 'sqrt', 'exponential'].includes(sched)) fail('opts.etaSchedule', "'constant', 'sqrt' or 'exponential'", sched);
    if (sched === 'exponential' && !(Number.isInteger(opts.totalSteps) && opts.totalSteps! >= 1)) fail('opts.totalSteps', 'an integer ≥ 1 with the exponential schedule', opts.totalSteps);
    const inner = opts.inner ?? 'armijo';
    if (inner !== 'armijo' && inner !== 'gd') fail('opts.inner', "'armijo' or 'gd'", inner);
    if (inner === 'gd' && !(opts.innerLr! > 0)) fail('opts.innerLr', 'a number > 0 with inner GD', opts.innerLr);
    const a = opts.armijo ?? {};
    this.armijo = { initialStep: a.initialStep ?? 10, c: a.c ?? 0.5, shrink: a.shrink ?? 0.5, maxBacktracks: a.maxBacktracks ?? 60 };
    if (!(this.armijo.initialStep > 0)) fail('opts.armijo.initialStep', 'a number > 0', this.armijo.initialStep);
    if (!(this.armijo.c > 0 && this.armijo.c < 1)) fail('opts.armijo.c', 'a number in (0, 1)', this.armijo.c);
    if (!(this.armijo.shrink > 0 && this.armijo.shrink < 1)) fail('opts.armijo.shrink', 'a number in (0, 1)', this.armijo.shrink);
    this.model = opts.model;
    this.loss = opts.loss;
    this.eta = opts.eta;
    this.etaSchedule = sched;
    this.totalSteps = opts.totalSteps ?? 1;
    this.innerSteps = opts.innerSteps;
    this.inner = inner;
    this.innerLr = opts.innerLr ?? 0;
  }

  /** Outer steps taken. */
  get stepCount(): number {
    return this.t;
  }

  /** η_t for outer step t ≥ 1. */
  etaAt(t: number): number {
    if (this.etaSchedule === 'sqrt') return this.eta / Math.sqrt(t);
    if (this.etaSchedule === 'exponential') return this.eta * (1 / this.totalSteps) ** (t / this.totalSteps);
    return this.eta;
  }

  /** The expensive gradient: z_t = f_θ(X), G_t = ∇_z L(z_t, y) (one forward and one loss VJP). */
  targetGradient(params: Tensor, x: Tensor, y: Tensor): TargetGradient {
    return tidy(() => {
      const z = this.model.apply(params, x);
      const { value, grad } = valueAndGrad((zz: Tensor) => this.loss(zz, y))(z);
      return { z, g: grad, loss: value.dataSync()[0]! };
    });
  }

  /** g̃(θ) for the targets z and target gradient g of an outer step with step size eta (PAPERS.md §4, step 2). */
  surrogate(params: Tensor, x: Tensor, z: Tensor, g: Tensor, eta: number): Tensor {
    const f = this.model.apply(params, x);
    const n = z.shape[0]!;
    return add(dot(reshape(g, [g.size]), reshape(f, [f.size])), mul(sumSquares(sub(f, z)), 1 / (2 * eta * n)));
  }

  /**
   * One outer step from `params` on the batch (x, y): returns the new parameters (a new
   * tensor; `params` is left as it is) and what happened.
   */
  step(params: Tensor, x: Tensor, y: Tensor): { params: Tensor; info: SSOStepInfo } {
    this.t += 1;
    const eta = this.etaAt(this.t);
    const tg = this.targetGradient(params, x, y);
    const sg = valueAndGrad((p: Tensor) => this.surrogate(p, x, tg.z, tg.g, eta));
    let theta = params;
    let start = NaN, moved = 0;
    for (let k = 0; k < this.innerSteps; k++) {
      const next: Tensor | null = tidy(() => {
        const { value: v, grad } = sg(theta);
        const fv = v.dataSync()[0]!;
        if (k === 0) start = fv;
        if (this.inner === 'gd') return sub(theta, mul(grad, this.innerLr));
        const g2 = sumSquares(grad).dataSync()[0]!;
        if (g2 === 0) return null;
        let alpha = this.armijo.initialStep;
        for (let b = 0; b <= this.armijo.maxBacktracks; b++) {
          const cand = sub(theta, mul(grad, alpha));
          const cv = this.surrogate(cand, x, tg.z, tg.g, eta).dataSync()[0]!;
          if (cv <= fv - this.armijo.c * alpha * g2) return cand;
          cand.dispose();
          alpha *= this.armijo.shrink;
        }
        return null;
      });
      if (next === null) break;
      if (theta !== params) theta.dispose();
      theta = keep(next);
      moved += 1;
    }
    const value = tidy(() => this.surrogate(theta, x, tg.z, tg.g, eta).dataSync()[0]!);
    tg.z.dispose();
    tg.g.dispose();
    if (theta === params) theta = tidy(() => add(params, 0));
    return { params: theta, info: { loss: tg.loss, eta, surrogateStart: start, surrogateEnd: value, innerSteps: moved } };
  }
}

/**
 * The per-example targets z − η∇ℓ_i(z) (= z − η·n·G) that the surrogate's minimiser in
 * output space reaches: SSO is projected GD in target space, θ_{t+1} = argmin_θ
 * ‖f_θ(X) − (z_t − η∇ℓ(z_t))‖² when the inner problem is solved exactly (PAPERS.md §4 (b)).
 */
export function targetStep(tg: TargetGradient, eta: number): Tensor {
  const n = tg.z.shape[0]!;
  return sub(tg.z, mul(tg.g, eta * n));
}

/** The vector-Jacobian product Jᵀ G of the model outputs at params (the SGD direction ∇_θ L). */
export function outputVjp(model: Model, params: Tensor, x: Tensor, g: Tensor): Tensor {
  return tidy(() => {
    const { value, vjp: out } = vjp((p: Tensor) => model.apply(p, x), params, g);
    value.dispose();
    return out;
  });
}
