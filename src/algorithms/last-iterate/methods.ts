// Composite stochastic mirror descent and its last iterate (Liu & Zhou, "Revisiting the
// Last-Iterate Convergence of Stochastic Gradient Methods", ICLR 2024, arXiv 2312.08531;
// PAPERS.md §17):
//
//     x_{t+1} = argmin_{x∈X} η_t(⟨g_t, x⟩ + h(x)) + B_ψ(x, x_t),   E[g_t | x_t] ∈ ∂f(x_t)
//
// Euclidean ψ: prox-SGD, x_{t+1} = prox_{η_t h}(x_t − η_t g_t) — the engine's SGD with the
// `proximal` wrapper (src/optim/prox.ts). Negative entropy on the simplex: exponentiated
// gradient; with the composite term h(x) = τ Σ x_i log x_i the step has the closed form
// x_{t+1} ∝ x_t^{1/(1+η_tτ)} · exp(−η_t g_t/(1 + η_tτ)). Rows are replicas (seeds).

import {
  SGD, add, div, exp, keep, log, max, mul, proximal, randomNormal, randomStudentT, softThreshold, sub, sum, tidy,
} from '../../engine.js';
import type { ScheduleSpec, Tensor } from '../../engine.js';

/** The step-size rules of PAPERS.md §17. */
export type LastIterateRule =
  | { kind: 'sqrt-t'; eta: number }
  | { kind: 'sqrt-T'; eta: number; horizon: number }
  | { kind: 'strongly-convex'; mu: number; t0?: number };

/** η_t of a rule: η/√t, η/√T (constant), or 1/(μ(t + t0)). */
export function lastIterateStep(rule: LastIterateRule, t: number): number {
  if (rule.kind === 'sqrt-t') return rule.eta / Math.sqrt(t);
  if (rule.kind === 'sqrt-T') return rule.eta / Math.sqrt(rule.horizon);
  return 1 / (rule.mu * (t + (rule.t0 ?? 0)));
}

/** The optimizer lr and schedule that realise a rule (η_t = lr · factor(t)). */
export function lastIterateSchedule(rule: LastIterateRule): { lr: number; schedule: ScheduleSpec } {
  switch (rule.kind) {
    case 'sqrt-t': return { lr: rule.eta, schedule: { kind: 'poly', power: 0.5 } };
    case 'sqrt-T': return { lr: rule.eta / Math.sqrt(rule.horizon), schedule: { kind: 'constant' } };
    case 'strongly-convex': return { lr: 1 / rule.mu, schedule: { kind: 'poly', power: 1, t0: rule.t0 ?? 0 } };
    default: throw new RangeError(`lastIterateSchedule: expected kind 'sqrt-t', 'sqrt-T' or 'strongly-convex' for 'rule.kind' but received ${String((rule as { kind: unknown }).kind)}`);
  }
}

/**
 * Prox-SGD over params [size] or [replicas, size]: the engine's SGD with a prox applied after
 * each step with that step's η_t (default prox: the ℓ1 soft-threshold with weight λ, i.e.
 * h = λ‖x‖₁, prox_{ηh}(v) = sign(v)·max(|v| − ηλ, 0)).
 * @example
 * const opt = proxSGD(x, { rule: { kind: 'sqrt-t', eta: 0.5 }, lambda: 0.1 });
 * opt.step(stochasticGradient); // x ← softThreshold(x − η_t g, η_t λ)
 */
export function proxSGD(params: Tensor, opts: { rule: LastIterateRule; lambda?: number; prox?: (p: Tensor, lr: number) => Tensor }): SGD {
  const { lr, schedule } = lastIterateSchedule(opts.rule);
  const lambda = opts.lambda ?? 0;
  if (!(lambda >= 0)) throw new RangeError(`proxSGD: expected a number ≥ 0 for 'opts.lambda' but received ${String(lambda)}`);
  const prox = opts.prox ?? ((p: Tensor, eta: number) => softThreshold(p, eta * lambda));
  return proximal(new SGD(params, { lr, schedule }), prox);
}

/**
 * Entropic mirror descent (exponentiated gradient) on the probability simplex, rows =
 * replicas, with the composite entropy term h(x) = τ Σ x log x (τ = 0: plain EG). Computed in
 * log space: log x⁺ = (log x − ηg)/(1 + ητ) − logsumexp(·).
 */
export class EntropicMirrorDescent {
  private t = 0;
  x: Tensor;
  constructor(x0: Tensor, readonly rule: LastIterateRule, readonly tau = 0) {
    if (x0.rank !== 2) throw new RangeError(`EntropicMirrorDescent: expected 'x0' of shape [replicas, d] but received [${x0.shape.join(', ')}]`);
    if (!(tau >= 0)) throw new RangeError(`EntropicMirrorDescent: expected a number ≥ 0 for 'tau' but received ${String(tau)}`);
    this.x = keep(add(x0, 0));
  }

  get stepCount(): number {
    return this.t;
  }

  /** One step with the stochastic gradients g [replicas, d]. */
  step(g: Tensor): void {
    this.t += 1;
    const eta = lastIterateStep(this.rule, this.t);
    const next = tidy(() => {
      const z = mul(sub(log(this.x), mul(g, eta)), 1 / (1 + eta * this.tau));
      const e = exp(sub(z, max(z, -1, true)));
      return div(e, sum(e, -1, true));
    });
    this.x.dispose();
    this.x = keep(next);
  }

  dispose(): void {
    this.x.dispose();
  }
}

/** Gradient noise [replicas, d] for step t: Gaussian N(0, σ²) or σ·Student-t(ν) (unbounded; ν ≤ 2: infinite variance). */
export function gradientNoise(kind: 'gaussian' | 'student-t', shape: [number, number], o: { sigma: number; nu?: number; seed: number; stream: number; step: number; dtype?: 'float32' | 'float64' }): Tensor {
  const n = shape[0] * shape[1];
  const offset = o.step * Math.ceil(n / 4) * 4;
  const opts = { seed: o.seed, stream: o.stream, offset, dtype: o.dtype ?? 'float64' } as const;
  return tidy(() => mul(kind === 'gaussian' ? randomNormal(shape, opts) : randomStudentT(shape, o.nu ?? 1.5, opts), o.sigma));
}

/**
 * FISTA (Beck & Teboulle 2009) in host float64 for F* of a composite problem f + h: smooth
 * gradient `grad`, prox of h, Lipschitz constant L; returns the final iterate.
 */
export function fista(grad: (x: Float64Array) => Float64Array, prox: (v: Float64Array, step: number) => Float64Array, L: number, x0: Float64Array, iters: number): Float64Array {
  let x: Float64Array = Float64Array.from(x0), y: Float64Array = Float64Array.from(x0), tk = 1;
  for (let k = 0; k < iters; k++) {
    const g = grad(y);
    const xn = prox(y.map((v, i) => v - g[i]! / L), 1 / L);
    const tn = (1 + Math.sqrt(1 + 4 * tk * tk)) / 2;
    y = xn.map((v, i) => v + ((tk - 1) / tn) * (v - x[i]!));
    x = xn;
    tk = tn;
  }
  return x;
}
