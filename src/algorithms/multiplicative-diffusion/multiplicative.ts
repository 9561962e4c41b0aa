// Multiplicative denoising diffusion (Shetty, Prasath & Seelamantula, "Dale meets Langevin: A
// Multiplicative Denoising Diffusion Model", arXiv 2510.02730; PAPERS.md §8).
//
// Forward process: geometric Brownian motion, element-wise, dX = μ X dt + σ X dW, so that
// Y = log X is additive: dY = (μ − σ²/2) dt + σ dW, and log X_t | X_0 ~ N(log X_0 + m_t, v_t I)
// with m_t = ∫(μ − σ²/2), v_t = ∫σ². Reverse sampler (exponentiated, sign preserving), a step of
// length h backwards from t:
//     X ← X ⊙ exp([σ² s_H(X, t) + 3σ²/2 − μ] h + σ √h z),   z ~ N(0, I),
// with the "Hyvärinen score" s_H(x) = x ⊙ ∇_x log p_t(x) = ∇_y log q_t(y) − 1. This is
// Euler–Maruyama for the reverse-time SDE of Y, exponentiated, so every sample stays > 0.
// Multiplicative denoising score matching (M-DSM): with log X_t = log X_0 + m_t + √v_t ε,
//     L(θ) = E_{t, X_0, ε} λ(t) ‖s_θ(X_t, t) + 1 + ε/√v_t‖².
// [recon] The paper states these ingredients; the reverse SDE, the sampler and the loss above are
// derived from them (PAPERS.md §8), and the schedules are not known: μ(t) = c·σ²(t) (c = ½ makes
// log X driftless) and a geometric σ(t) are this module's choices, behind `MultiplicativeSchedule`.

import { Tensor, add, checkFinite, exp, log, mul, rangeError, sdeSolve, stream, sub, sum, tensor, tidy, typeError } from '../../engine.js';

/** The Philox stream of paper 8's noise number k: stream('paper8', k). */
export function multiplicativeStream(k = 0): number {
  return stream('paper8', k);
}

/** The GBM noise schedule: σ²(t), μ(t), and their integrals v_t = ∫σ², m_t = ∫(μ − σ²/2). */
export interface MultiplicativeSchedule {
  sigma2(t: number): number;
  mu(t: number): number;
  v(t: number): number;
  m(t: number): number;
}

/**
 * A geometric schedule [recon]: v_t = σ_min²((σ_max/σ_min)^{2t} − 1) (so σ²(t) = v′(t) grows
 * geometrically and v_1 ≈ σ_max²) and μ(t) = c·σ²(t), hence m_t = (c − ½) v_t. c = ½ (default)
 * makes log X a driftless Brownian motion.
 */
export function geometricSchedule(opts: { sigmaMin?: number; sigmaMax?: number; c?: number } = {}): MultiplicativeSchedule {
  const fn = 'geometricSchedule';
  const lo = opts.sigmaMin ?? 0.01, hi = opts.sigmaMax ?? 1, c = opts.c ?? 0.5;
  checkFinite(fn, 'opts.sigmaMin', lo);
  checkFinite(fn, 'opts.sigmaMax', hi);
  checkFinite(fn, 'opts.c', c);
  if (!(lo > 0 && hi > lo)) throw rangeError(fn, 'opts.sigmaMax', `σ_max > σ_min > 0 (σ_min = ${lo})`, hi);
  const r = Math.log(hi / lo);
  const v = (t: number) => lo * lo * (Math.exp(2 * r * t) - 1);
  const sigma2 = (t: number) => 2 * r * lo * lo * Math.exp(2 * r * t);
  return { sigma2, mu: (t) => c * sigma2(t), v, m: (t) => (c - 0.5) * v(t) };
}

/**
 * The forward GBM in closed form: X_t = X_0 ⊙ exp(m_t + √v_t ε) for rows x0 [B, d], times t
 * (B host numbers) and noise ε [B, d].
 */
export function gbmForward(x0: Tensor, t: ArrayLike<number>, eps: Tensor, schedule: MultiplicativeSchedule): Tensor {
  if (!(x0 instanceof Tensor) || x0.rank !== 2) throw typeError('gbmForward', 'x0', 'a Tensor [B, d]', x0);
  const b = x0.shape[0]!;
  if (t.length !== b) throw rangeError('gbmForward', 't', `${b} times`, t.length);
  return tidy(() => {
    const mt = tensor(Float32Array.from(t, (s) => schedule.m(s)), [b, 1]);
    const sv = tensor(Float32Array.from(t, (s) => Math.sqrt(schedule.v(s))), [b, 1]);
    return mul(x0, exp(add(mt, mul(eps, sv))));
  });
}

/** A model of the Hyvärinen score: (x [B, d] > 0, t [B, 1]) → s_H [B, d]. */
export type HyvarinenScore = (x: Tensor, t: Tensor) => Tensor;

/**
 * The M-DSM loss [recon] on a batch: mean over rows of λ(t)‖s_θ(X_t, t) + 1 + ε/√v_t‖² with
 * λ(t) = v_t (the weighting that makes every t count alike), i.e. mean ‖√v_t (s_θ + 1) + ε‖².
 * x0 [B, d] > 0, ε [B, d], t B host numbers in (0, 1].
 */
export function multiplicativeDSMLoss(score: HyvarinenScore, x0: Tensor, t: ArrayLike<number>, eps: Tensor, schedule: MultiplicativeSchedule): Tensor {
  const b = x0.shape[0]!;
  return tidy(() => {
    const xt = gbmForward(x0, t, eps, schedule);
    const tt = tensor(Float32Array.from(t), [b, 1]);
    const sv = tensor(Float32Array.from(t, (s) => Math.sqrt(schedule.v(s))), [b, 1]);
    const r = add(mul(add(score(xt, tt), 1), sv), eps);
    return mul(sum(mul(r, r)), 1 / b);
  });
}

/**
 * The multiplicative (exponentiated) reverse sampler: from X at grid[0] down to grid[last]
 * (decreasing times), X ← X ⊙ exp([σ² s + 3σ²/2 − μ] h + σ √h z) with σ², μ at the step's start
 * time and h = t_k − t_{k+1} > 0: the engine's sdeSolve 'log-euler-maruyama' on the reverse-time
 * SDE. Noise of step k from (seed, stream, offset k·B·d). Every sample stays positive (up to
 * float32 under/overflow of exp).
 */
export function multiplicativeSample(score: HyvarinenScore, x: Tensor, opts: { grid: readonly number[]; schedule: MultiplicativeSchedule; seed: number; stream?: number }): Tensor {
  const fn = 'multiplicativeSample';
  if (!(x instanceof Tensor) || x.rank !== 2) throw typeError(fn, 'x', 'a Tensor [B, d] of positive values', x);
  const grid = opts.grid;
  if (!Array.isArray(grid) || grid.length < 2) throw typeError(fn, 'opts.grid', 'an array of at least two decreasing times', grid);
  for (let k = 0; k + 1 < grid.length; k++) {
    if (!(grid[k + 1]! < grid[k]!)) throw rangeError(fn, 'opts.grid', 'strictly decreasing times', `${grid[k]} then ${grid[k + 1]}`);
  }
  const n = x.shape[0]!;
  const sch = opts.schedule;
  // The reverse-time SDE in X: dX = X ⊙ (μ − σ²(2 + s_H)) dt + σ X dW̄ on the decreasing grid;
  // sdeSolve's log-space scheme steps log X with Itô's correction −½σ²|dt|, which gives exactly
  // log X ← log X + [σ² s_H + 3σ²/2 − μ] h + σ √h z with h = −dt.
  return sdeSolve({
    method: 'log-euler-maruyama', x0: x, grid, seed: opts.seed, stream: opts.stream ?? multiplicativeStream(0),
    drift: (y, t) => {
      const s2 = sch.sigma2(t);
      const sH = score(y, tensor(new Float32Array(n).fill(t), [n, 1], { dtype: y.dtype, backend: y.backend }));
      return mul(y, sub(sch.mu(t) - 2 * s2, mul(sH, s2)));
    },
    diffusion: (y, t) => mul(y, Math.sqrt(sch.sigma2(t))),
  });
}

/**
 * The exact Hyvärinen score along the GBM flow of a log-normal target log X_0 ~ N(mean, s² I)
 * [derived]: log X_t ~ N(mean + m_t, (s² + v_t) I), so s_H(x, t) = −(log x − mean − m_t)/(s² + v_t) − 1.
 */
export function logNormalScore(mean: readonly number[], s: number, schedule: MultiplicativeSchedule): HyvarinenScore {
  return (x, tt) => tidy(() => {
    const t = tt.dataSync()[0]!;
    const shift = tensor(mean.map((mi) => mi + schedule.m(t)), [1, mean.length]);
    return sub(mul(sub(log(x), shift), -1 / (s * s + schedule.v(t))), 1);
  });
}
