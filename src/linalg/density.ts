// Spectral densities from quadrature rules: Gaussian broadening on a grid, the
// 1-Wasserstein distance between two discrete spectral measures, and the bulk/outlier
// split used by the spectrum job's summary.
//
// Broadening. The density of rules r_1..r_b (each summing to 1) is
//   φ(t) = (1/b) Σ_p Σ_i τ_{p,i} · N(t; θ_{p,i}, σ²),   N(t; θ, σ²) = exp(−(t−θ)²/(2σ²)) / (σ√(2π)),
// so `sigma` is the STANDARD DEVIATION of the Gaussian kernel (not its variance, not a
// full width at half maximum, which is 2√(2 ln 2)·σ ≈ 2.355σ), and ∫φ = 1. n·φ(t) is the
// expected number of eigenvalues per unit length near t.

import { checkFinite, checkInt, rangeError, typeError } from '../errors.js';
import type { QuadratureRule } from './slq.js';

export interface DensityOptions {
  /** Kernel standard deviation (default: 1% of the span of the nodes; 1 if they coincide). */
  sigma?: number;
  /** Grid points (default 512). */
  points?: number;
  /** Grid ends (default: the nodes' span padded by 5σ on each side). */
  min?: number;
  max?: number;
}

export interface Density {
  grid: Float64Array;
  /** φ on the grid (∫φ dt = 1). */
  density: Float64Array;
  sigma: number;
}

/** The nodes' span over all rules. */
export function nodeRange(rules: readonly QuadratureRule[]): { min: number; max: number } {
  let min = Infinity, max = -Infinity;
  for (const r of rules) for (const x of r.nodes) { min = Math.min(min, x); max = Math.max(max, x); }
  return { min, max };
}

/** All rules as one measure (weights divided by the number of rules). */
export function mergeRules(rules: readonly QuadratureRule[]): QuadratureRule {
  const total = rules.reduce((s, r) => s + r.nodes.length, 0);
  const pairs: [number, number][] = [];
  for (const r of rules) for (let i = 0; i < r.nodes.length; i++) pairs.push([r.nodes[i]!, r.weights[i]! / rules.length]);
  pairs.sort((a, b) => a[0] - b[0]);
  const nodes = new Float64Array(total), weights = new Float64Array(total);
  pairs.forEach(([x, w], i) => { nodes[i] = x; weights[i] = w; });
  return { nodes, weights };
}

/** Gaussian-broadened density of the averaged rules on a grid (see the file header). */
export function spectralDensity(rules: readonly QuadratureRule[], opts: DensityOptions = {}): Density {
  if (!Array.isArray(rules) || rules.length === 0) throw typeError('spectralDensity', 'rules', 'a non-empty array of quadrature rules', rules);
  const span = nodeRange(rules);
  const width = span.max - span.min;
  const sigma = opts.sigma === undefined ? (width > 0 ? 0.01 * width : 1) : checkFinite('spectralDensity', 'opts.sigma', opts.sigma);
  if (sigma <= 0) throw rangeError('spectralDensity', 'opts.sigma', 'a positive standard deviation', sigma);
  const points = checkInt('spectralDensity', 'opts.points', opts.points ?? 512, 2);
  const lo = opts.min ?? span.min - 5 * sigma, hi = opts.max ?? span.max + 5 * sigma;
  if (!(hi > lo)) throw rangeError('spectralDensity', 'opts.max', `a number above min = ${lo}`, hi);
  const grid = Float64Array.from({ length: points }, (_, i) => lo + ((hi - lo) * i) / (points - 1));
  const density = new Float64Array(points);
  const norm = 1 / (sigma * Math.sqrt(2 * Math.PI) * rules.length);
  const inv2s2 = 1 / (2 * sigma * sigma);
  // NOTE: kernels are cut at 9σ (relative size e^{−40.5} ≈ 2.6e−18 < float64's u).
  const cut = 9 * sigma, step = (hi - lo) / (points - 1);
  for (const r of rules) {
    for (let i = 0; i < r.nodes.length; i++) {
      const x = r.nodes[i]!, w = r.weights[i]! * norm;
      if (w === 0) continue;
      const g0 = Math.max(0, Math.ceil((x - cut - lo) / step)), g1 = Math.min(points - 1, Math.floor((x + cut - lo) / step));
      for (let g = g0; g <= g1; g++) {
        const d = grid[g]! - x;
        density[g]! += w * Math.exp(-d * d * inv2s2);
      }
    }
  }
  for (let g = 0; g < points; g++) {
    if (!Number.isFinite(density[g]!)) {
      throw new RangeError(`spectralDensity: expected a kernel width whose density is finite for 'opts.sigma' but received ${sigma} (the density at ${grid[g]} is ${density[g]})`);
    }
  }
  return { grid, density, sigma };
}

/**
 * The 1-Wasserstein distance W1(μ, ν) = ∫|F_μ(t) − F_ν(t)| dt between two discrete
 * probability measures on the line (weights are normalised to sum 1 first).
 */
export function wasserstein1(a: QuadratureRule, b: QuadratureRule): number {
  const events: [number, number][] = [];
  let sa = 0, sb = 0;
  for (const w of a.weights) sa += w;
  for (const w of b.weights) sb += w;
  if (!(sa > 0) || !(sb > 0)) throw rangeError('wasserstein1', 'weights', 'positive total weight in both measures', `${sa} and ${sb}`);
  for (let i = 0; i < a.nodes.length; i++) events.push([a.nodes[i]!, a.weights[i]! / sa]);
  for (let i = 0; i < b.nodes.length; i++) events.push([b.nodes[i]!, -b.weights[i]! / sb]);
  events.sort((x, y) => x[0] - y[0]);
  let diff = 0, total = 0;
  for (let i = 0; i < events.length - 1; i++) {
    diff += events[i]![1];
    total += Math.abs(diff) * (events[i + 1]![0] - events[i]![0]);
  }
  return total;
}

export interface BulkSplit {
  /** Right edge of the bulk: the first grid point right of the density's mode where n·φ(t) falls below `threshold`. */
  edge: number;
  /** The count-density threshold used: half the peak height of a single isolated eigenvalue, 1/(2σ√(2π)). */
  threshold: number;
}

/**
 * Where the bulk of the spectrum ends. An isolated eigenvalue contributes a bump of height
 * about 1/(σ√(2π)) to n·φ (its SLQ weight is 1/n on average), while the bulk packs many
 * eigenvalues per σ, so the bulk ends where n·φ first drops below half of one such bump.
 */
export function bulkEdge(d: Density, n: number): BulkSplit {
  checkInt('bulkEdge', 'n', n, 1);
  let mode = 0;
  for (let i = 1; i < d.density.length; i++) if (d.density[i]! > d.density[mode]!) mode = i;
  const threshold = 1 / (2 * d.sigma * Math.sqrt(2 * Math.PI));
  let i = mode;
  while (i < d.density.length - 1 && n * d.density[i]! >= threshold) i++;
  return { edge: d.grid[i]!, threshold };
}

/**
 * The outliers: Ritz values above the bulk's edge that have converged to `relTol` of their
 * value (residual estimate ≤ relTol·|θ|), descending.
 */
export function outliers(values: ArrayLike<number>, residualEstimates: ArrayLike<number>, edge: number, relTol = 1e-2): number[] {
  const out: number[] = [];
  for (let i = 0; i < values.length; i++) {
    if (values[i]! > edge && residualEstimates[i]! <= relTol * Math.abs(values[i]!)) out.push(values[i]!);
  }
  return out.sort((a, b) => b - a);
}
