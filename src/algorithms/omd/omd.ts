// Optimistic online mirror descent in the SEA model (Chen, Zhang, Tu, Zhao, Zhang, ICML 2023 /
// JMLR, arXiv 2302.04552; PAPERS.md §5). Rows are replicas (settings × schemes × seeds), each
// with its own step size, stepped together:
//
//     x_t     = argmin_{x∈X} η_t⟨M_t, x⟩ + B_ψ(x, x̂_t)         (play)
//     x̂_{t+1} = argmin_{x∈X} η_t⟨∇f_t(x_t), x⟩ + B_ψ(x, x̂_t)   (update)
//
// Euclidean ψ over a ball: x_t = Π(x̂_t − η_t M_t), x̂_{t+1} = Π(x̂_t − η_t g_t) (projectBall);
// entropic ψ over the simplex: multiplicative steps normalised per row. M_t defaults to the last
// gradient ∇f_{t−1}(x_{t−1}); a row with optimism off plays M_t = 0 (plain OGD / OMD).
// The engine's fused `Optimistic` optimizer is this method with the last-gradient hint, one
// step size per step and no projection; it cannot project x̂ before forming x_t (the fused kernel
// writes x_t = x̂ − η g from the unprojected x̂), so the constrained method is written here from
// tensor ops and `projectBall`.
//
// Step sizes ([recon] constants, PAPERS.md §5): 'adaptive' η_t = min{D/√(δ + Σ_{s<t}‖g_s − M_s‖²),
// 1/(4L)} per row (convex and smooth); 'strongly-convex' η_t = 1/(λt); 'constant'.

import { add, div, exp, keep, log, max, mul, projectBall, sub, sum, sumSquares, tensor, tidy } from '../../engine.js';
import type { Tensor } from '../../engine.js';

export type OMDStep =
  | { kind: 'adaptive'; D: number; L: number; delta?: number }
  | { kind: 'strongly-convex'; lambda: number }
  | { kind: 'constant'; eta: number };

export interface OMDOptions {
  /** x̂_1 [replicas, d] (inside the domain). */
  x0: Tensor;
  geometry: 'euclidean-ball' | 'entropic-simplex';
  /** Ball radius (euclidean-ball). */
  radius?: number;
  step: OMDStep;
  /** Per replica: use the optimism hint (true) or M_t = 0 (false, OGD). Default all true. */
  optimistic?: boolean | readonly boolean[];
}

/**
 * Optimistic OMD over a population of replicas.
 * @example
 * const omd = new OptimisticOMD({ x0, geometry: 'euclidean-ball', radius: 5, step: { kind: 'adaptive', D: 10, L: 1 } });
 * for (let t = 1; t <= T; t++) { const x = omd.play(); omd.update(gradAt(x)); }
 */
export class OptimisticOMD {
  readonly replicas: number;
  readonly d: number;
  readonly geometry: 'euclidean-ball' | 'entropic-simplex';
  readonly radius: number;
  readonly step: OMDStep;
  private readonly mask: Tensor;
  private readonly optimisticRows: boolean[];
  private xhat: Tensor;
  private x: Tensor | null = null;
  private hint: Tensor | null = null;
  private lastGrad: Tensor | null = null;
  /** Σ_{s<t} ‖g_s − M_s‖² per replica. */
  readonly variation: Float64Array;
  private eta: Float64Array;
  private t = 0;

  constructor(opts: OMDOptions) {
    const x0 = opts.x0;
    if (x0.rank !== 2) throw new RangeError(`OptimisticOMD: expected 'opts.x0' of shape [replicas, d] but received [${x0.shape.join(', ')}]`);
    if (opts.geometry !== 'euclidean-ball' && opts.geometry !== 'entropic-simplex') throw new RangeError(`OptimisticOMD: expected 'euclidean-ball' or 'entropic-simplex' for 'opts.geometry' but received ${String(opts.geometry)}`);
    if (opts.geometry === 'euclidean-ball' && !(opts.radius! > 0)) throw new RangeError(`OptimisticOMD: expected a number > 0 for 'opts.radius' but received ${String(opts.radius)}`);
    this.replicas = x0.shape[0]!;
    this.d = x0.shape[1]!;
    this.geometry = opts.geometry;
    this.radius = opts.radius ?? 0;
    this.step = opts.step;
    const o = opts.optimistic ?? true;
    this.optimisticRows = Array.isArray(o) ? [...o] : new Array<boolean>(this.replicas).fill(o as boolean);
    if (this.optimisticRows.length !== this.replicas) throw new RangeError(`OptimisticOMD: expected ${this.replicas} flags for 'opts.optimistic' but received ${this.optimisticRows.length}`);
    this.mask = keep(tensor(Float64Array.from(this.optimisticRows, (b) => (b ? 1 : 0)), [this.replicas, 1], { dtype: x0.dtype as 'float64' | 'float32', backend: x0.backend }));
    this.xhat = keep(add(x0, 0));
    this.variation = new Float64Array(this.replicas);
    this.eta = new Float64Array(this.replicas);
  }

  get stepCount(): number {
    return this.t;
  }

  /** η_t per replica for the coming round. */
  private stepSizes(t: number): Float64Array {
    const s = this.step;
    return Float64Array.from({ length: this.replicas }, (_, r) => {
      if (s.kind === 'constant') return s.eta;
      if (s.kind === 'strongly-convex') return 1 / (s.lambda * t);
      return Math.min(s.D / Math.sqrt((s.delta ?? 1) + this.variation[r]!), 1 / (4 * s.L));
    });
  }

  private mirrorStep(from: Tensor, g: Tensor, eta: Tensor): Tensor {
    if (this.geometry === 'euclidean-ball') return projectBall(sub(from, mul(g, eta)), this.radius);
    const z = sub(log(from), mul(g, eta));
    const e = exp(sub(z, max(z, -1, true)));
    return div(e, sum(e, -1, true));
  }

  /**
   * Plays round t: x_t from x̂_t and the hint M_t ([replicas, d]; default the last gradient,
   * zero in round 1 and in rows with optimism off). Returns x_t (owned by this object).
   */
  play(hint?: Tensor): Tensor {
    this.t += 1;
    this.eta = this.stepSizes(this.t);
    const next = tidy(() => {
      const base = hint ?? this.lastGrad;
      const m = base === null || base === undefined ? mul(this.xhat, 0) : mul(base, this.mask);
      const eta = tensor(this.eta, [this.replicas, 1], { dtype: this.xhat.dtype as 'float64' | 'float32', backend: this.xhat.backend });
      return { x: this.mirrorStep(this.xhat, m, eta), m };
    });
    this.x?.dispose();
    this.hint?.dispose();
    this.x = keep(next.x);
    this.hint = keep(next.m);
    return this.x;
  }

  /** Receives ∇f_t(x_t) [replicas, d]: x̂_{t+1} = mirror step from x̂_t; accumulates ‖g_t − M_t‖². */
  update(grad: Tensor): void {
    if (this.x === null || this.hint === null) throw new RangeError('OptimisticOMD.update: expected play() before update() in each round');
    const out = tidy(() => {
      const eta = tensor(this.eta, [this.replicas, 1], { dtype: this.xhat.dtype as 'float64' | 'float32', backend: this.xhat.backend });
      const dev = sumSquares(sub(grad, this.hint!), -1).dataSync();
      return { xhat: this.mirrorStep(this.xhat, grad, eta), dev: Float64Array.from(dev), g: add(grad, 0) };
    });
    for (let r = 0; r < this.replicas; r++) this.variation[r] += out.dev[r]!;
    this.xhat.dispose();
    this.xhat = keep(out.xhat);
    this.lastGrad?.dispose();
    this.lastGrad = keep(out.g);
  }

  dispose(): void {
    for (const v of [this.xhat, this.x, this.hint, this.lastGrad, this.mask]) v?.dispose();
  }
}

/**
 * Regret against the best fixed point in hindsight for losses f_t(x) = ½‖x − c_t‖² + ⟨ξ_t, x⟩
 * over a ball of radius r (closed form: Σf_t(x) = (T/2)‖x‖² − ⟨S, x⟩ + Σ½‖c_t‖² with
 * S = Σ(c_t − ξ_t), minimised over the ball at Π(S/T)). Rows are replicas; host f64.
 */
export class QuadraticBallRegret {
  private T = 0;
  private readonly S: Float64Array;
  private readonly lossSum: Float64Array;
  private readonly constSum: Float64Array;
  constructor(readonly replicas: number, readonly d: number, readonly radius: number) {
    this.S = new Float64Array(replicas * d);
    this.lossSum = new Float64Array(replicas);
    this.constSum = new Float64Array(replicas);
  }

  /** Adds round t: the played points x [R·d], centres c [R·d] and linear noise ξ [R·d]. */
  add(x: ArrayLike<number>, c: ArrayLike<number>, xi: ArrayLike<number>): void {
    this.T += 1;
    const d = this.d;
    for (let r = 0; r < this.replicas; r++) {
      let f = 0, cc = 0;
      for (let j = 0; j < d; j++) {
        const k = r * d + j;
        f += 0.5 * (x[k]! - c[k]!) ** 2 + xi[k]! * x[k]!;
        cc += 0.5 * c[k]! ** 2;
        this.S[k] += c[k]! - xi[k]!;
      }
      this.lossSum[r] += f;
      this.constSum[r] += cc;
    }
  }

  /** Regret_T per replica. */
  regret(): Float64Array {
    const d = this.d, T = this.T;
    return Float64Array.from({ length: this.replicas }, (_, r) => {
      let n2 = 0;
      for (let j = 0; j < d; j++) n2 += (this.S[r * d + j]! / T) ** 2;
      const scale = Math.min(1, this.radius / Math.sqrt(n2 || 1e-300));
      let best = this.constSum[r]!;
      for (let j = 0; j < d; j++) {
        const xs = (this.S[r * d + j]! / T) * scale;
        best += (T / 2) * xs * xs - this.S[r * d + j]! * xs;
      }
      return this.lossSum[r]! - best;
    });
  }

  get rounds(): number {
    return this.T;
  }
}

/**
 * Regret of linear losses ⟨g_t, x⟩ against the best fixed point of a ball (closed form:
 * −r‖Σg_t‖), rows = replicas.
 */
export function linearBallRegret(played: readonly Float64Array[], grads: readonly Float64Array[], replicas: number, d: number, radius: number): Float64Array {
  return Float64Array.from({ length: replicas }, (_, r) => {
    let loss = 0;
    const G = new Float64Array(d);
    played.forEach((x, t) => { for (let j = 0; j < d; j++) { loss += grads[t]![r * d + j]! * x[r * d + j]!; G[j] += grads[t]![r * d + j]!; } });
    return loss + radius * Math.hypot(...G);
  });
}

/**
 * The best fixed point in hindsight for any smooth cumulative loss over a ball, numerically:
 * projected gradient descent with step 1/L on F(x) = Σ_t f_t(x) (F's gradient supplied, host
 * f64), from x0. Returns the point and F there; regret = Σ f_t(x_t) − value.
 */
export function bestFixedPointBall(valueAndGrad: (x: Float64Array) => { value: number; grad: Float64Array }, x0: ArrayLike<number>, radius: number, o: { L: number; iters: number }): { x: Float64Array; value: number } {
  if (!(o.L > 0)) throw new RangeError(`bestFixedPointBall: expected a number > 0 for 'o.L' but received ${String(o.L)}`);
  const proj = (v: Float64Array) => { const n = Math.hypot(...v); return n <= radius ? v : v.map((u) => (u * radius) / n); };
  let x = proj(Float64Array.from(x0));
  for (let k = 0; k < o.iters; k++) {
    const { grad } = valueAndGrad(x);
    x = proj(x.map((v, i) => v - grad[i]! / o.L));
  }
  return { x, value: valueAndGrad(x).value };
}
