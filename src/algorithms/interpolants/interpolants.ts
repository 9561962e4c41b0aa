// Stochastic interpolants (Albergo, Boffi & Vanden-Eijnden, "Stochastic Interpolants: A Unifying
// Framework for Flows and Diffusions", arXiv 2303.08797; PAPERS.md §15).
//
// x_t = I(t, x0, x1) + γ(t) z with I = α(t) x0 + β(t) x1 (α(0) = β(1) = 1, α(1) = β(0) = 0) and
// z ~ N(0, I). The velocity b(t, x) = E[∂_t I + γ̇ z | x_t = x] and the denoiser
// η(t, x) = E[z | x_t = x] (score s = −η/γ) are the unique minimisers of the quadratic losses
// L_b and L_η, estimated here on antithetic pairs x_t^± = I ± γ z (paper §2.2; the authors'
// interflow/stochastic_interpolant.py, whose loss_per_sample_b refers to undefined names and
// whose η has the opposite sign: this file follows the paper's equations). Models are
// functions (x [B, d], t [B, 1]) → [B, d] built from tensor ops, so the losses differentiate
// through any model; samplers integrate the ODE dX = b dt (Heun or Euler) and the SDE
// dX = (b ± ε s) dt + √(2ε) dW forward or backward on a time grid.

import {
  Tensor, add, checkFinite, concat, mul, odeSolve, rangeError, sdeSolve, slice, stream, sub, sum, tensor, tidy, typeError,
} from '../../engine.js';

/** A model of a time-dependent vector field: (x [B, d], t [B, 1]) → [B, d]. */
export type TimeField = (x: Tensor, t: Tensor) => Tensor;

/** The deterministic path I(t, x0, x1) = α(t) x0 + β(t) x1. */
export type InterpolantPath = 'linear' | 'trig';
/** The latent noise scale γ(t) (times √a). */
export type GammaKind = 'brownian' | 'bsquared' | 'sinesquared' | 'zero';

/** The coefficients of an interpolant as functions of t ∈ [0, 1] (host numbers). */
export interface Interpolant {
  path: InterpolantPath;
  gammaKind: GammaKind;
  a: number;
  alpha(t: number): number;
  beta(t: number): number;
  dAlpha(t: number): number;
  dBeta(t: number): number;
  gamma(t: number): number;
  dGamma(t: number): number;
}

/** The Philox stream of paper 15's noise number k: stream('paper15', k). */
export function interpolantStream(k = 0): number {
  return stream('paper15', k);
}

/**
 * An interpolant (paper Table 1; authors' fabrics.py): path 'linear' I = (1−t)x0 + t x1 or
 * 'trig' I = cos(πt/2)x0 + sin(πt/2)x1; γ 'brownian' √(a t(1−t)) (default), 'bsquared'
 * a t(1−t), 'sinesquared' a sin²(πt), or 'zero'.
 */
export function makeInterpolant(opts: { path?: InterpolantPath; gamma?: GammaKind; a?: number } = {}): Interpolant {
  const fn = 'makeInterpolant';
  const path = opts.path ?? 'linear', gammaKind = opts.gamma ?? 'brownian', a = opts.a ?? 1;
  if (path !== 'linear' && path !== 'trig') throw rangeError(fn, 'opts.path', "'linear' or 'trig'", path);
  if (!['brownian', 'bsquared', 'sinesquared', 'zero'].includes(gammaKind)) throw rangeError(fn, 'opts.gamma', "'brownian', 'bsquared', 'sinesquared' or 'zero'", gammaKind);
  checkFinite(fn, 'opts.a', a);
  if (a < 0) throw rangeError(fn, 'opts.a', 'a number ≥ 0', a);
  const h = Math.PI / 2;
  const [alpha, beta, dAlpha, dBeta] = path === 'linear'
    ? [(t: number) => 1 - t, (t: number) => t, () => -1, () => 1]
    : [(t: number) => Math.cos(h * t), (t: number) => Math.sin(h * t), (t: number) => -h * Math.sin(h * t), (t: number) => h * Math.cos(h * t)];
  const g: Record<GammaKind, [(t: number) => number, (t: number) => number]> = {
    brownian: [(t) => Math.sqrt(a * t * (1 - t)), (t) => (t <= 0 || t >= 1 ? 0 : (a * (1 - 2 * t)) / (2 * Math.sqrt(a * t * (1 - t))))],
    bsquared: [(t) => a * t * (1 - t), (t) => a * (1 - 2 * t)],
    sinesquared: [(t) => a * Math.sin(Math.PI * t) ** 2, (t) => a * Math.PI * Math.sin(2 * Math.PI * t)],
    zero: [() => 0, () => 0],
  };
  const [gamma, dGamma] = g[gammaKind];
  return { path, gammaKind, a, alpha, beta, dAlpha, dBeta, gamma, dGamma };
}

/** One antithetic minibatch of an interpolant (all [B, d] but t [B, 1]). */
export interface InterpolantBatch {
  t: Tensor;
  /** x_t^+ = I + γ z and x_t^− = I − γ z. */
  xPlus: Tensor;
  xMinus: Tensor;
  /** ∂_t I = α̇ x0 + β̇ x1. */
  dI: Tensor;
  /** γ̇(t) z. */
  dGammaZ: Tensor;
  z: Tensor;
}

function column(values: ArrayLike<number>, like: Tensor): Tensor {
  return tensor(Float32Array.from(values), [values.length, 1], { dtype: like.dtype, backend: like.backend });
}

/**
 * The antithetic pair x_t^± = α(t)x0 + β(t)x1 ± γ(t)z for rows x0, x1, z [B, d] and times t
 * (B host numbers in [0, 1]).
 */
export function interpolantBatch(interp: Interpolant, x0: Tensor, x1: Tensor, t: ArrayLike<number>, z: Tensor): InterpolantBatch {
  const fn = 'interpolantBatch';
  for (const [name, x] of [['x0', x0], ['x1', x1], ['z', z]] as const) {
    if (!(x instanceof Tensor) || x.rank !== 2) throw typeError(fn, name, 'a Tensor [B, d]', x);
  }
  const b = x0.shape[0]!;
  if (t.length !== b || x1.shape[0] !== b || z.shape[0] !== b) throw rangeError(fn, 't', `${b} times and rows (x0 has ${b})`, `${t.length} times, ${x1.shape[0]} rows of x1, ${z.shape[0]} of z`);
  const col = (f: (s: number) => number) => column(Array.from(t, f), x0);
  return tidy(() => {
    const i = add(mul(x0, col(interp.alpha)), mul(x1, col(interp.beta)));
    const gz = mul(z, col(interp.gamma));
    return {
      t: col((s) => s),
      xPlus: add(i, gz),
      xMinus: sub(i, gz),
      dI: add(mul(x0, col(interp.dAlpha)), mul(x1, col(interp.dBeta))),
      dGammaZ: mul(z, col(interp.dGamma)),
      z,
    };
  });
}

function rowDot(a: Tensor, b: Tensor): Tensor {
  return sum(mul(a, b), 1);
}

/**
 * The velocity loss L_b on an antithetic batch (paper eq. (2.13) with antithetic pairs):
 * mean over rows of ½[½‖b̂(x⁺)‖² − (∂_t I + γ̇z)·b̂(x⁺)] + ½[½‖b̂(x⁻)‖² − (∂_t I − γ̇z)·b̂(x⁻)].
 * Its minimiser is b = E[∂_t I + γ̇ z | x_t]; the antithetic pair keeps the γ̇ z term (whose
 * variance is not integrable at t → 0, 1 for the Brownian γ) bounded.
 */
export function velocityLoss(b: TimeField, batch: InterpolantBatch): Tensor {
  return tidy(() => {
    const bp = b(batch.xPlus, batch.t), bm = b(batch.xMinus, batch.t);
    const lp = sub(mul(rowDot(bp, bp), 0.5), rowDot(add(batch.dI, batch.dGammaZ), bp));
    const lm = sub(mul(rowDot(bm, bm), 0.5), rowDot(sub(batch.dI, batch.dGammaZ), bm));
    return mul(sum(add(lp, lm)), 0.5 / batch.t.shape[0]!);
  });
}

/**
 * The denoiser loss L_η on an antithetic batch: mean of ½[½‖η̂(x⁺)‖² − z·η̂(x⁺)] +
 * ½[½‖η̂(x⁻)‖² + z·η̂(x⁻)]; minimiser η = E[z | x_t], score s = −η/γ (paper's sign convention).
 */
export function denoiserLoss(eta: TimeField, batch: InterpolantBatch): Tensor {
  return tidy(() => {
    const ep = eta(batch.xPlus, batch.t), em = eta(batch.xMinus, batch.t);
    const lp = sub(mul(rowDot(ep, ep), 0.5), rowDot(batch.z, ep));
    const lm = add(mul(rowDot(em, em), 0.5), rowDot(batch.z, em));
    return mul(sum(add(lp, lm)), 0.5 / batch.t.shape[0]!);
  });
}

/**
 * L_b + L_η with one forward pass: `joint` maps (x [2B, d], t [2B, 1]) to [2B, 2d] = (b̂, η̂), and
 * is applied once to the stacked antithetic pair [x⁺; x⁻] (the same losses as velocityLoss plus
 * denoiserLoss, for a model that predicts both fields).
 */
export function jointInterpolantLoss(joint: TimeField, batch: InterpolantBatch): Tensor {
  const b = batch.t.shape[0]!, d = batch.z.shape[1]!;
  return tidy(() => {
    const out = joint(concat([batch.xPlus, batch.xMinus], 0), concat([batch.t, batch.t], 0));
    const part = (row: number, col: number) => slice(out, [row, col], [b, d]);
    const bp = part(0, 0), bm = part(b, 0), ep = part(0, d), em = part(b, d);
    const lb = add(
      sub(mul(rowDot(bp, bp), 0.5), rowDot(add(batch.dI, batch.dGammaZ), bp)),
      sub(mul(rowDot(bm, bm), 0.5), rowDot(sub(batch.dI, batch.dGammaZ), bm)));
    const le = add(sub(mul(rowDot(ep, ep), 0.5), rowDot(batch.z, ep)), add(mul(rowDot(em, em), 0.5), rowDot(batch.z, em)));
    return mul(sum(add(lb, le)), 0.5 / b);
  });
}

function timeColumn(t: number, like: Tensor): Tensor {
  return tensor(new Float32Array(like.shape[0]!).fill(t), [like.shape[0]!, 1], { dtype: like.dtype, backend: like.backend });
}

/**
 * Integrates the probability-flow ODE dX/dt = b(t, X) over `grid` (increasing: x0 → x1;
 * decreasing: backwards) with Heun's method (default) or Euler. X is [B, d].
 */
export function sampleODE(b: TimeField, x: Tensor, opts: { grid: readonly number[]; method?: 'heun' | 'euler' }): Tensor {
  const fn = 'sampleODE';
  if (!(x instanceof Tensor) || x.rank !== 2) throw typeError(fn, 'x', 'a Tensor [B, d]', x);
  const grid = opts.grid, method = opts.method ?? 'heun';
  if (!Array.isArray(grid) || grid.length < 2) throw typeError(fn, 'opts.grid', 'an array of at least two times', grid);
  if (method !== 'heun' && method !== 'euler') throw rangeError(fn, 'opts.method', "'heun' or 'euler'", method);
  return odeSolve({ method, x0: x, grid, drift: (y, t) => b(y, timeColumn(t, y)) });
}

/**
 * Euler–Maruyama for the interpolant SDEs (paper §2.4): forward (increasing grid)
 * dX = (b + ε s) dt + √(2ε) dW, backward (decreasing grid) dX = (b − ε s) dt + √(2ε) dW̄, with
 * s = −η/γ(t). Every ε ≥ 0 has the interpolant's marginals. γ vanishes at t = 0 and 1, so keep
 * the grid inside (0, 1) when ε > 0. Noise of step k from (seed, stream, offset k·B·d).
 */
export function sampleSDE(
  b: TimeField, eta: TimeField, interp: Interpolant, x: Tensor,
  opts: { grid: readonly number[]; eps: number; seed: number; stream?: number },
): Tensor {
  const fn = 'sampleSDE';
  if (!(x instanceof Tensor) || x.rank !== 2) throw typeError(fn, 'x', 'a Tensor [B, d]', x);
  const grid = opts.grid;
  if (!Array.isArray(grid) || grid.length < 2) throw typeError(fn, 'opts.grid', 'an array of at least two times', grid);
  checkFinite(fn, 'opts.eps', opts.eps);
  if (opts.eps < 0) throw rangeError(fn, 'opts.eps', 'ε ≥ 0', opts.eps);
  const eps = opts.eps, dir = Math.sign(grid[1]! - grid[0]!);
  return sdeSolve({
    method: 'euler-maruyama', x0: x, grid, seed: opts.seed, stream: opts.stream ?? interpolantStream(0),
    drift: (y, t) => {
      const tc = timeColumn(t, y);
      if (eps === 0) return b(y, tc);
      const g = interp.gamma(t);
      if (!(g > 0)) throw rangeError(fn, 'opts.grid', `times where γ(t) > 0 when ε > 0 (γ(${t}) = ${g})`, t);
      return sub(b(y, tc), mul(eta(y, tc), (dir * eps) / g)); // ± ε s = ∓ ε η/γ
    },
    diffusion: () => Math.sqrt(2 * eps),
  });
}

/**
 * The closed-form velocity of the Gaussian-to-Gaussian linear interpolant [derived]:
 * x0 ~ N(0, I), x1 ~ N(m, s²I), I = (1−t)x0 + t x1, γ = √(a t(1−t)) give x_t ~ N(t m, V(t) I) with
 * V = (1−t)² + t²s² + a t(1−t) and b(t, x) = m + (V̇/(2V))(x − t m). Returns [B, d].
 */
export function gaussianVelocity(x: Tensor, t: number, m: readonly number[], s: number, a: number): Tensor {
  const v = (1 - t) ** 2 + t * t * s * s + a * t * (1 - t);
  const dv = -2 * (1 - t) + 2 * t * s * s + a * (1 - 2 * t);
  const k = dv / (2 * v);
  return tidy(() => add(mul(x, k), tensor(m.map((mi) => mi * (1 - k * t)), [1, m.length], { dtype: x.dtype, backend: x.backend })));
}
