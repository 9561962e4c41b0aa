// The optimistic online Newton step (PAPERS.md §5, α-exp-concave case; Chen et al. 2023):
// optimistic OMD with the time-varying regularizer ψ_t(x) = ½‖x‖²_{A_t},
// A_t = δI + (β/2) Σ_{s≤t} v_s v_sᵀ (v_s = ∇_s, or ∇_s − M_s with `curvature: 'deviation'`):
//
//     x_t     = Π^{A_{t−1}}_X(x̂_t − A_{t−1}^{-1} M_t)
//     x̂_{t+1} = Π^{A_t}_X(x̂_t − A_t^{-1} ∇_t)
//
// with Π^A the projection in the A-norm onto the ball {‖x‖ ≤ r}. Host float64, one learner
// (d small): the linear algebra is the engine's f64 `solve`. [recon] the exact form of A_t in
// the paper's optimistic variant (gradients or gradient deviations) was not checked.

import { solve } from '../../engine.js';

/**
 * The A-norm projection onto the ball of radius r: argmin_{‖z‖≤r} (z − y)ᵀA(z − y). Inside the
 * ball it is y; outside, z(μ) = (A + μI)^{-1}Ay with μ > 0 such that ‖z(μ)‖ = r (bisection; ‖z(μ)‖
 * decreases in μ).
 */
export function projectBallInNorm(y: Float64Array, a: Float64Array, radius: number): Float64Array {
  const d = y.length;
  if (Math.hypot(...y) <= radius) return Float64Array.from(y);
  const ay = new Float64Array(d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) ay[i] += a[i * d + j]! * y[j]!;
  const z = (mu: number) => {
    const m = Float64Array.from(a);
    for (let i = 0; i < d; i++) m[i * d + i] += mu;
    return solve(m, ay, d);
  };
  let lo = 0, hi = 1;
  while (Math.hypot(...z(hi)) > radius) hi *= 2;
  for (let k = 0; k < 200 && hi - lo > 1e-15 * hi; k++) {
    const mid = (lo + hi) / 2;
    if (Math.hypot(...z(mid)) > radius) lo = mid; else hi = mid;
  }
  return z(hi);
}

export interface ONSOptions {
  d: number;
  radius: number;
  /** δ > 0 of A_0 = δI. */
  delta: number;
  /** β > 0 (β ≈ ½ min(1/(4GD), α) for α-exp-concave losses). */
  beta: number;
  curvature?: 'gradient' | 'deviation';
}

/** Optimistic online Newton step over a ball (PAPERS.md §5). */
export class OptimisticONS {
  readonly d: number;
  readonly radius: number;
  readonly beta: number;
  readonly curvature: 'gradient' | 'deviation';
  /** A_t (row-major d×d). */
  readonly A: Float64Array;
  private xhat: Float64Array;
  private hint: Float64Array;
  private last: Float64Array | null = null;

  constructor(o: ONSOptions) {
    if (!Number.isInteger(o.d) || o.d < 1) throw new RangeError(`OptimisticONS: expected an integer ≥ 1 for 'd' but received ${String(o.d)}`);
    if (!(o.delta > 0)) throw new RangeError(`OptimisticONS: expected a number > 0 for 'delta' but received ${String(o.delta)}`);
    if (!(o.beta > 0)) throw new RangeError(`OptimisticONS: expected a number > 0 for 'beta' but received ${String(o.beta)}`);
    if (!(o.radius > 0)) throw new RangeError(`OptimisticONS: expected a number > 0 for 'radius' but received ${String(o.radius)}`);
    this.d = o.d;
    this.radius = o.radius;
    this.beta = o.beta;
    this.curvature = o.curvature ?? 'gradient';
    this.A = new Float64Array(o.d * o.d);
    for (let i = 0; i < o.d; i++) this.A[i * o.d + i] = o.delta;
    this.xhat = new Float64Array(o.d);
    this.hint = new Float64Array(o.d);
  }

  /** x_t from the hint M_t (default: the last gradient; zero in round 1). */
  play(hint?: ArrayLike<number>): Float64Array {
    this.hint = Float64Array.from(hint ?? this.last ?? new Float64Array(this.d));
    const step = solve(this.A, this.hint, this.d);
    return projectBallInNorm(this.xhat.map((v, i) => v - step[i]!), this.A, this.radius);
  }

  /** Receives ∇_t: A_t = A_{t−1} + (β/2)v vᵀ, then x̂_{t+1} = Π^{A_t}(x̂_t − A_t^{-1}∇_t). */
  update(grad: ArrayLike<number>): void {
    const d = this.d;
    const v = Float64Array.from({ length: d }, (_, i) => grad[i]! - (this.curvature === 'deviation' ? this.hint[i]! : 0));
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) this.A[i * d + j] += (this.beta / 2) * v[i]! * v[j]!;
    const step = solve(this.A, Float64Array.from(grad), d);
    this.xhat = projectBallInNorm(this.xhat.map((x, i) => x - step[i]!), this.A, this.radius);
    this.last = Float64Array.from(grad);
  }
}
