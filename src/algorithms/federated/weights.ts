// Aggregation weights: the d_i of the general stochastic-weight aggregation
// x ← x + η_g Σ_{i∈S_n} d_i (x_i − x^{ρ_i(n)}) (Fraboni et al., arXiv 2206.10189, eq. (3);
// authors' FL/server.py), and FedAU's online interval weights (Wang & Ji, arXiv 2306.03401,
// Algorithm 1; authors' main.py, 'adaptive'), with their closed-form limits.

import { argError, checkInteger, checkNumber } from './host.js';
import type { Schedule } from './schedule.js';

/** The weighting of the clock-driven schemes (Fraboni et al., Table 1; code opt_scheme suffix). */
export type ClockWeighting = 'identical' | 'weight';

/**
 * d_i for a clock schedule (server.py):
 * - fedavg: p_i;
 * - async: 'identical' 1, 'weight' (Σ_j 1/τ_j)·τ_i·p_i (unbiased: i returns at rate 1/τ_i);
 * - fedbuff c: 'identical' 1/c, 'weight' p_i / f_i with f_i client i's participation frequency on
 *   this schedule;
 * - fedfix Δt ('weight'): ⌈τ_i/Δt⌉·p_i (i takes part once every ⌈τ_i/Δt⌉ aggregations).
 */
export function clockWeights(schedule: Schedule, p: ArrayLike<number>, weighting: ClockWeighting = 'weight'): Float64Array {
  const fn = 'clockWeights';
  const M = schedule.tau.length;
  if (p.length !== M) throw argError(fn, 'p', `one importance per client (${M})`, p);
  const d = new Float64Array(M);
  const s = schedule.scheme;
  if (weighting !== 'identical' && weighting !== 'weight') throw argError(fn, 'weighting', "'identical' or 'weight'", weighting);
  if (s.kind === 'fedavg') {
    for (let i = 0; i < M; i++) d[i] = p[i]!;
  } else if (s.kind === 'async') {
    let inv = 0;
    for (const t of schedule.tau) inv += 1 / t;
    for (let i = 0; i < M; i++) d[i] = weighting === 'identical' ? 1 : inv * schedule.tau[i]! * p[i]!;
  } else if (s.kind === 'fedbuff') {
    const f = new Float64Array(M);
    for (const a of schedule.aggregations) for (const i of a.clients) f[i]! += 1;
    const n = schedule.aggregations.length;
    for (let i = 0; i < M; i++) d[i] = weighting === 'identical' ? 1 / s.c : f[i]! > 0 ? p[i]! * n / f[i]! : 0;
  } else {
    if (weighting !== 'weight') throw argError(fn, 'weighting', "'weight' for FedFix (the code defines no identical FedFix)", weighting);
    for (let i = 0; i < M; i++) d[i] = fedfixPeriod(schedule.tau[i]!, s.dt) * p[i]!;
  }
  return d;
}

/**
 * ⌈τ/Δt⌉: the number of FedFix periods a client with compute time τ needs, computed with the
 * schedule's own comparison (the smallest k with τ ≤ k·Δt), so that it matches the clock exactly.
 */
export function fedfixPeriod(tau: number, dt: number): number {
  let k = Math.max(1, Math.ceil(tau / dt) - 1);
  while (!(tau <= k * dt)) k++;
  while (k > 1 && tau <= (k - 1) * dt) k--;
  return k;
}

/**
 * FedAU's online aggregation weights (Wang & Ji, arXiv 2306.03401, Alg. 1, as in the authors'
 * main.py): each client counts the rounds since its last participation; a participation records
 * the interval (count + 1), and K consecutive absences record K (the cutoff). The weight a
 * participating client gets is the mean of the intervals recorded *before* this round (1 while
 * none is recorded: the update is left unweighted). ω_n estimates E[min(I, K)], which is 1/p_n
 * for Bernoulli(p_n) participation and K = ∞.
 */
export class FedAUWeights {
  readonly clients: number;
  readonly cutoff: number;
  private readonly count: Float64Array;
  private readonly sum: Float64Array;
  private readonly recorded: Float64Array;

  /** `cutoff` K ≥ 1 (Infinity: no cutoff). */
  constructor(clients: number, cutoff = Infinity) {
    this.clients = checkInteger('FedAUWeights', 'clients', clients, 1);
    if (!(cutoff === Infinity || (Number.isInteger(cutoff) && cutoff >= 1))) throw argError('FedAUWeights', 'cutoff', 'an integer ≥ 1 or Infinity', cutoff);
    this.cutoff = cutoff;
    this.count = new Float64Array(clients);
    this.sum = new Float64Array(clients);
    this.recorded = new Float64Array(clients);
  }

  /** ω_n now: the mean recorded interval, or 1 before the first record. */
  weight(n: number): number {
    return this.recorded[n]! > 0 ? this.sum[n]! / this.recorded[n]! : 1;
  }

  /** All current weights. */
  weights(): Float64Array {
    return Float64Array.from({ length: this.clients }, (_, n) => this.weight(n));
  }

  /** The number of intervals recorded for client n. */
  intervals(n: number): number {
    return this.recorded[n]!;
  }

  /**
   * Advances one round: `participating[n]` says whether client n takes part. Returns the weights
   * the participating clients get in this round's aggregation (taken before this round's
   * interval is recorded; 0 for the others).
   */
  observe(participating: ArrayLike<boolean | number>): Float64Array {
    if (participating.length !== this.clients) throw argError('FedAUWeights.observe', 'participating', `one flag per client (${this.clients})`, participating);
    const out = new Float64Array(this.clients);
    for (let n = 0; n < this.clients; n++) {
      if (participating[n]) {
        out[n] = this.weight(n);
        this.sum[n]! += this.count[n]! + 1;
        this.recorded[n]! += 1;
        this.count[n] = 0;
      } else {
        this.count[n]! += 1;
        if (this.count[n]! >= this.cutoff) {
          this.sum[n]! += this.count[n]!;
          this.recorded[n]! += 1;
          this.count[n] = 0;
        }
      }
    }
    return out;
  }
}

/**
 * The limit of FedAU's weight under Bernoulli(p) participation with cutoff K [derived]: the
 * recorded intervals are min(I, K) with I ~ Geometric(p) on {1, 2, …}, so
 * ω → E[min(I, K)] = (1 − (1 − p)^K)/p, and 1/p for K = ∞.
 */
export function fedauWeightLimit(p: number, cutoff = Infinity): number {
  checkNumber('fedauWeightLimit', 'p', p, Number.MIN_VALUE, 1);
  if (cutoff === Infinity) return 1 / p;
  checkInteger('fedauWeightLimit', 'cutoff', cutoff, 1);
  return -Math.expm1(cutoff * Math.log1p(-p)) / p;
}

/**
 * Var[min(I, K)] for I ~ Geometric(p) on {1, 2, …} [derived], for the standard error of ω over a
 * run: E[min(I,K)²] = Σ_{k=1}^{K} (2k − 1)(1 − p)^{k−1}; (1 − p)/p² for K = ∞.
 */
export function fedauIntervalVariance(p: number, cutoff = Infinity): number {
  checkNumber('fedauIntervalVariance', 'p', p, Number.MIN_VALUE, 1);
  if (cutoff === Infinity) return (1 - p) / (p * p);
  // P(min(I,K) ≥ k) = (1−p)^{k−1} for k ≤ K; E[X²] = Σ_{k=1}^{K} (2k − 1) P(X ≥ k).
  let m2 = 0, q = 1;
  for (let k = 1; k <= cutoff; k++) { m2 += (2 * k - 1) * q; q *= 1 - p; }
  const m = fedauWeightLimit(p, cutoff);
  return m2 - m * m;
}

/** The FedAU-family aggregation schemes of the paper's comparison (authors' `weighting_method`). */
export type RoundWeighting = 'fedau' | 'known_prob' | 'average_participating' | 'average_all';

/**
 * d_n of one synchronous round of the FedAU family, x ← x + γ_g Σ_{n∈S} d_n Δ_n:
 * fedau ω_n/N (divided by all N clients, not |S|, as the authors' main.py does), known_prob
 * (1/p_n)/N, average_participating 1/|S|, average_all 1/N.
 */
export function roundWeights(kind: RoundWeighting, participating: ArrayLike<boolean | number>, opts: { omega?: ArrayLike<number>; p?: ArrayLike<number> } = {}): Float64Array {
  const fn = 'roundWeights';
  const N = participating.length;
  const d = new Float64Array(N);
  let S = 0;
  for (let n = 0; n < N; n++) if (participating[n]) S++;
  for (let n = 0; n < N; n++) {
    if (!participating[n]) continue;
    switch (kind) {
      case 'fedau':
        if (!opts.omega) throw argError(fn, 'opts.omega', 'the FedAU weights', opts.omega);
        d[n] = opts.omega[n]! / N; break;
      case 'known_prob':
        if (!opts.p) throw argError(fn, 'opts.p', 'the participation probabilities', opts.p);
        d[n] = 1 / opts.p[n]! / N; break;
      case 'average_participating': d[n] = 1 / S; break;
      case 'average_all': d[n] = 1 / N; break;
      default: throw argError(fn, 'kind', "'fedau', 'known_prob', 'average_participating' or 'average_all'", kind);
    }
  }
  return d;
}
