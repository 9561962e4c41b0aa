// G²RPO (Zhou et al., "G²RPO: Granular GRPO for Precise Reward in Flow Models", arXiv
// 2510.01982; PAPERS.md §10; authors' bcmi/Granular-GRPO fastvideo/train_g2rpo_hps.py): the
// flow-matching SDE step with its Gaussian log-probability, singular stochastic sampling (one
// SDE step inside an ODE trajectory), multi-granularity completion, group-normalised
// advantages and the PPO-clip loss.
//
// Conventions (rectified flow as in the authors' code): σ = 1 is noise, σ = 0 data; a velocity
// model v(x, σ) predicts ε − x0 for x_σ = (1 − σ) x0 + σ ε; sampling runs σ from 1 down to 0 on
// the shifted schedule σ = shift·s/(1 + (shift − 1)s), s = linspace(1, 0, S + 1).

import { Tensor, add, checkFinite, checkInt, exp, maximum, minimum, mul, neg, rangeError, square, stream, sub, sum, tensor, tidy, typeError } from '../../engine.js';

/** A velocity field of a rectified-flow model: (x [B, d], σ [B, 1]) → [B, d]. */
export type FlowField = (x: Tensor, sigma: Tensor) => Tensor;

/** The Philox stream of paper 10's noise number k: stream('paper10', k). */
export function g2rpoStream(k = 0): number {
  return stream('paper10', k);
}

/** The shifted sampling schedule σ_0 = 1 > … > σ_S = 0: σ = shift·s/(1 + (shift − 1)s), s = linspace(1, 0, S + 1). */
export function flowSchedule(steps: number, shift = 3): number[] {
  checkInt('flowSchedule', 'steps', steps, 1);
  checkFinite('flowSchedule', 'shift', shift);
  return Array.from({ length: steps + 1 }, (_, k) => {
    const s = 1 - k / steps;
    return (shift * s) / (1 + (shift - 1) * s);
  });
}

function column(value: number, rows: number, like: Tensor): Tensor {
  return tensor(new Float32Array(rows).fill(value), [rows, 1], { dtype: like.dtype, backend: like.backend });
}

/** One step's Gaussian: x' ~ N(mean, (std²·(−dt)) I). std = 0 is the deterministic Euler ODE step. */
export interface FlowStep {
  mean: Tensor;
  /** The step's standard deviation std·√(−dt) (a host number). */
  scale: number;
}

/**
 * The flow SDE step from σ to σ' < σ with noise level η (authors' code): dt = σ' − σ,
 * std = η √(σ/(1 − σ)) (the denominator's σ = 1 replaced by `sigmaOne`, the schedule's σ_1),
 * mean = x (1 + std²/(2σ) dt) + v (1 + std²(1 − σ)/(2σ)) dt, scale = std √(−dt).
 * η = 0 gives x + v dt exactly.
 */
export function flowStepMean(v: Tensor, x: Tensor, sigma: number, sigmaNext: number, eta: number, sigmaOne = sigma): FlowStep {
  const fn = 'flowStepMean';
  if (!(sigmaNext < sigma)) throw rangeError(fn, 'sigmaNext', `a value below sigma = ${sigma}`, sigmaNext);
  const dt = sigmaNext - sigma;
  if (eta === 0) return { mean: tidy(() => add(x, mul(v, dt))), scale: 0 };
  // the authors' code replaces σ = 1 by σ_1 in the denominator only: std = η √(σ / (1 − σ_1))
  const std = eta * Math.sqrt(sigma / (1 - (sigma >= 1 ? sigmaOne : sigma)));
  const mean = tidy(() => add(mul(x, 1 + ((std * std) / (2 * sigma)) * dt), mul(v, (1 + (std * std * (1 - sigma)) / (2 * sigma)) * dt)));
  return { mean, scale: std * Math.sqrt(-dt) };
}

/**
 * The log-density of rows x' [B, d] under N(mean, scale² I), averaged over the d dimensions
 * (the authors' per-sample log-prob): mean_j [−(x'_j − mean_j)²/(2 scale²) − log scale − ½ log 2π]. [B].
 */
export function flowLogProb(xNext: Tensor, step: FlowStep): Tensor {
  if (!(step.scale > 0)) throw rangeError('flowLogProb', 'step.scale', 'a stochastic step (η > 0)', step.scale);
  const d = xNext.shape[1]!;
  return tidy(() => add(mul(sum(square(sub(xNext, step.mean)), 1), -1 / (2 * step.scale * step.scale * d)), -Math.log(step.scale) - 0.5 * Math.log(2 * Math.PI)));
}

/**
 * Integrates the flow ODE (Euler, η = 0) from x at schedule[from] through the given later
 * schedule indices (strictly increasing, ending at the last index): x ← x + v(x, σ_i)(σ_j − σ_i).
 */
export function odeComplete(v: FlowField, x: Tensor, schedule: readonly number[], indices: readonly number[]): Tensor {
  let cur = x;
  for (let k = 0; k + 1 < indices.length; k++) {
    const s0 = schedule[indices[k]!]!, s1 = schedule[indices[k + 1]!]!;
    const next = tidy(() => add(cur, mul(v(cur, column(s0, cur.shape[0]!, cur)), s1 - s0)));
    if (cur !== x) cur.dispose();
    cur = next;
  }
  return cur;
}

/**
 * The completion indices of multi-granularity sampling (authors' code): after the SDE step into
 * index k + 1, the schedule σ_{0..k+1} is followed by every g-th remaining σ (σ_{k+2::g}), always
 * ending at σ_S = 0.
 */
export function granularIndices(k: number, g: number, steps: number): number[] {
  checkInt('granularIndices', 'g', g, 1);
  const out = [k + 1];
  for (let i = k + 2; i <= steps; i += g) out.push(i);
  if (out.at(-1) !== steps) out.push(steps);
  return out;
}

/**
 * Group-normalised advantages: for rewards [groups][G] (one row per group), A = (r − mean)/(std + 1e-8)
 * with the unbiased std of the group (torch's default), summed over the granularities / reward
 * models given as separate reward tables, then clipped to ±clip.
 */
export function groupAdvantages(tables: readonly (readonly (readonly number[])[])[], clip = 5): number[][] {
  if (!Array.isArray(tables) || tables.length === 0) throw typeError('groupAdvantages', 'tables', 'a non-empty array of reward tables [groups][G]', tables);
  const groups = tables[0]!.length;
  return Array.from({ length: groups }, (_, p) => {
    const g = tables[0]![p]!.length;
    const a = new Array<number>(g).fill(0);
    for (const table of tables) {
      const r: readonly number[] = table[p]!;
      const mean = r.reduce((x, y) => x + y, 0) / g;
      const sd = Math.sqrt(r.reduce((x, y) => x + (y - mean) ** 2, 0) / Math.max(1, g - 1));
      for (let i = 0; i < g; i++) a[i]! += (r[i]! - mean) / (sd + 1e-8);
    }
    return a.map((x) => Math.max(-clip, Math.min(clip, x)));
  });
}

/**
 * The PPO-clip loss (authors' code): mean over rows of max(−A·ρ, −A·clip(ρ, 1 − ε, 1 + ε)) with
 * ρ = exp(logp − logpOld); logp [B] carries the gradient, logpOld and A are constants.
 */
export function ppoClipLoss(logp: Tensor, logpOld: Tensor, advantages: ArrayLike<number>, clipRange: number): Tensor {
  const b = logp.size;
  if (advantages.length !== b) throw rangeError('ppoClipLoss', 'advantages', `${b} values (one per row of logp)`, advantages.length);
  return tidy(() => {
    const ratio = exp(sub(logp, logpOld));
    const a = tensor(Float32Array.from(advantages), [b], { dtype: logp.dtype, backend: logp.backend });
    const clipped = minimum(maximum(ratio, 1 - clipRange), 1 + clipRange);
    return mul(sum(maximum(neg(mul(a, ratio)), neg(mul(a, clipped)))), 1 / b);
  });
}
