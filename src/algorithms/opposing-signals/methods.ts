// §20 Rosenfeld & Risteski (2311.04163): outliers with opposing signals. Per-example loss
// changes Δℓ_i = ℓ_i(θ_{t+1}) − ℓ_i(θ_t) every step, the examples with the largest |Δℓ|,
// the loss of groups of examples, and the synthetic opposing-feature data set.

import { Rng, stream } from '../../engine.js';
import type { HostData } from '../curvature/index.js';

export interface OpposingDataOptions {
  n: number;
  /** Core features x_c (default 20). */
  features?: number;
  /** Fraction of examples carrying the opposing feature (default 0.05). */
  fraction?: number;
  /** Its magnitude α: x_o = ±α, sign independent of the label (default 20). */
  alpha?: number;
  /** Class-mean separation along one direction of the core features: x_c = (2y − 1)·margin·u + N(0, I) (default 2). */
  margin?: number;
  /** Drop the opposing feature (x_o = 0 everywhere, the rows otherwise identical). */
  removeOpposing?: boolean;
  seed: number;
}

export interface OpposingData extends HostData {
  y: Int32Array;
  classes: 2;
  /** 0: no opposing feature; 1: x_o present and y = 1; 2: x_o present and y = 0. */
  group: Int32Array;
}

/**
 * The synthetic opposing-signal data (PAPERS.md §20): x = (x_c, x_o) ∈ R^{features+1},
 * labels y ∈ {0, 1} uniform, x_c = (2y − 1)·margin·u + ε (u a seeded unit vector,
 * ε ~ N(0, I)), and for a `fraction` of the rows x_o = ±α with a sign independent of y
 * (else 0). All draws come from Philox stream ('paper20', 1) under `seed`; `removeOpposing`
 * gives the same rows with x_o = 0.
 * @example
 * const data = opposingSignalsData({ n: 2000, seed: 1 }); // data.group marks the outliers
 */
export function opposingSignalsData(opts: OpposingDataOptions): OpposingData {
  const n = opts.n, d = opts.features ?? 20, p = opts.fraction ?? 0.05, alpha = opts.alpha ?? 20, margin = opts.margin ?? 2;
  if (!Number.isInteger(n) || n < 2) throw new RangeError(`opposingSignalsData: expected an integer n ≥ 2 but received ${n}`);
  if (!(p >= 0 && p <= 1)) throw new RangeError(`opposingSignalsData: expected 'fraction' in [0, 1] but received ${p}`);
  const rng = new Rng(opts.seed, stream('paper20', 1));
  const u = rng.normal(d);
  let norm = 0;
  for (const v of u) norm += v * v;
  norm = Math.sqrt(norm);
  const labels = rng.uniform(n), present = rng.uniform(n), signs = rng.uniform(n), noise = rng.normal(n * d);
  const width = d + 1;
  const x = new Float32Array(n * width), y = new Int32Array(n), group = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = labels[i]! < 0.5 ? 1 : 0;
    const s = 2 * y[i]! - 1;
    for (let j = 0; j < d; j++) x[i * width + j] = (s * margin * u[j]!) / norm + noise[i * d + j]!;
    if (present[i]! < p) {
      group[i] = y[i] === 1 ? 1 : 2;
      if (!opts.removeOpposing) x[i * width + d] = signs[i]! < 0.5 ? alpha : -alpha;
    }
  }
  return { x, y, n, features: width, classes: 2, group };
}

/** Δℓ_i = after_i − before_i. */
export function lossChanges(before: ArrayLike<number>, after: ArrayLike<number>): Float64Array {
  if (before.length !== after.length) throw new RangeError(`lossChanges: expected two loss vectors of one length but received ${before.length} and ${after.length}`);
  return Float64Array.from(after as ArrayLike<number>, (a, i) => a - before[i]!);
}

/** The indices of the k largest |Δℓ_i| (ties: lower index first). */
export function topChanges(delta: ArrayLike<number>, k: number): number[] {
  const idx = Array.from({ length: delta.length }, (_, i) => i);
  idx.sort((a, b) => Math.abs(delta[b]!) - Math.abs(delta[a]!) || a - b);
  return idx.slice(0, Math.min(k, delta.length));
}

/** Mean of `values` over the rows whose group is g, for g = 0 … groups − 1 (NaN for an empty group). */
export function groupMeans(values: ArrayLike<number>, group: ArrayLike<number>, groups: number): number[] {
  const s = new Array<number>(groups).fill(0), c = new Array<number>(groups).fill(0);
  for (let i = 0; i < values.length; i++) { s[group[i]!]! += values[i]!; c[group[i]!]!++; }
  return s.map((v, g) => (c[g]! > 0 ? v / c[g]! : NaN));
}
