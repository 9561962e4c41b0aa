// Effective sample sizes: of a correlated chain (from its autocorrelations) and of a weighted
// sample (from its weights).

import { rangeError } from '../errors.js';
import { checkSample } from './summary.js';

/**
 * Effective sample size of one stationary chain, n/τ with the integrated autocorrelation time
 * τ = −1 + 2·Σ_{k≥0} Γ_k, Γ_k = ρ_{2k} + ρ_{2k+1}, summed by Geyer's initial monotone sequence
 * estimator (Geyer, "Practical Markov chain Monte Carlo", Statist. Sci. 1992, §3.3): the sum stops
 * at the first Γ_k ≤ 0 and each Γ_k is clipped to the one before it. ρ_k are the sample
 * autocorrelations with the biased (1/n) autocovariance. IID draws give ≈ n; an AR(1) chain with
 * coefficient φ gives ≈ n(1 − φ)/(1 + φ). A constant chain returns n. The result is capped at
 * n·log₁₀n (as Stan caps it). Cost O(n·L), L the truncation lag (direct autocovariances, no FFT).
 */
export function effectiveSampleSize(chain: ArrayLike<number>): number {
  const n = checkSample('effectiveSampleSize', 'chain', chain, 4);
  let mean = 0;
  for (let i = 0; i < n; i++) mean += chain[i]!;
  mean /= n;
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) x[i] = chain[i]! - mean;
  const acov = (k: number): number => {
    let s = 0;
    for (let i = 0; i + k < n; i++) s += x[i]! * x[i + k]!;
    return s / n;
  };
  const c0 = acov(0);
  if (!(c0 > 0)) return n;
  let tau = -1, prev = Infinity;
  for (let k = 0; 2 * k + 1 < n; k++) {
    let g = (acov(2 * k) + acov(2 * k + 1)) / c0;
    if (!(g > 0)) break;
    if (g > prev) g = prev;
    tau += 2 * g;
    prev = g;
  }
  return n / Math.max(tau, 1 / Math.log10(Math.max(n, 10)));
}

/**
 * Kish's effective sample size of importance weights, (Σw)²/Σw² ∈ [1, n] (Kish, Survey Sampling,
 * 1965; Liu, Monte Carlo Strategies, §2.5.3). Weights must be ≥ 0 and not all 0; they need not
 * be normalised.
 */
export function weightsESS(w: ArrayLike<number>): number {
  const n = checkSample('weightsESS', 'w', w);
  let s = 0, s2 = 0, max = 0;
  for (let i = 0; i < n; i++) {
    const v = w[i]!;
    if (v < 0) throw new RangeError(`weightsESS: expected non-negative weights in 'w' but element ${i} is ${v}`);
    if (v > max) max = v;
  }
  if (max === 0) throw rangeError('weightsESS', 'w', 'weights that are not all 0', w);
  // Scale by the largest weight so Σw² cannot overflow.
  for (let i = 0; i < n; i++) { const v = w[i]! / max; s += v; s2 += v * v; }
  return (s * s) / s2;
}
