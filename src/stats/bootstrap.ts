// Seeded nonparametric bootstrap (Efron & Tibshirani, An Introduction to the Bootstrap, 1993):
// resample indices 0 … n−1 with replacement from a Philox stream, evaluate a statistic on each
// resample, and report the percentile confidence interval (ch. 13) and the bootstrap standard
// error (the standard deviation of the resampled statistics, ch. 6).

import { checkFinite, checkInt, rangeError, typeError } from '../errors.js';
import { stream as streamOf, words } from '../random.js';
import { checkSample, quantileSorted } from './summary.js';

export interface BootstrapOptions {
  /** Number of resamples B (default 2000). */
  resamples?: number;
  /** Confidence level of the percentile interval (default 0.95). */
  level?: number;
  /** Philox seed (default 0). */
  seed?: number;
  /** Philox stream (default stream('stats', 0)). */
  stream?: number;
}

export interface BootstrapResult {
  /** The statistic on the original sample (indices 0 … n−1 in order). */
  estimate: number;
  /** Percentile interval: the (1 − level)/2 and (1 + level)/2 quantiles of the B resampled statistics. */
  lo: number;
  hi: number;
  /** Bootstrap standard error: the sample standard deviation of the B resampled statistics. */
  se: number;
}

/**
 * Bootstrap of any statistic of n items: `statistic(idx)` receives the indices of one resample
 * (an Int32Array of n indices in [0, n)); the first call gets 0 … n−1 (the estimate). Resample b
 * takes words [b·n, (b+1)·n) of the stream; index = ⌊word·n/2^32⌋ (bias below n/2^32).
 * Quantiles interpolate linearly (numpy's default). Deterministic in (seed, stream).
 * @example
 * const r = bootstrap(xs.length, (idx) => { let s = 0; for (const i of idx) s += xs[i]; return s / idx.length; });
 */
export function bootstrap(n: number, statistic: (idx: Int32Array) => number, opts: BootstrapOptions = {}): BootstrapResult {
  checkInt('bootstrap', 'n', n, 1, 2 ** 31 - 1);
  if (typeof statistic !== 'function') throw typeError('bootstrap', 'statistic', 'a function (idx: Int32Array) => number', statistic);
  const B = checkInt('bootstrap', 'opts.resamples', opts.resamples ?? 2000, 2);
  const level = checkFinite('bootstrap', 'opts.level', opts.level ?? 0.95);
  if (!(level > 0 && level < 1)) throw rangeError('bootstrap', 'opts.level', 'a number in (0, 1)', level);
  const seed = opts.seed ?? 0;
  const s = opts.stream ?? streamOf('stats', 0);
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  const estimate = statistic(idx);
  if (typeof estimate !== 'number') throw typeError('bootstrap', 'statistic', 'a function returning a number', estimate);
  const stats = new Float64Array(B);
  // Words for a few resamples at a time keep memory at O(n) for large n.
  const per = Math.max(1, Math.floor(2 ** 20 / n));
  for (let b0 = 0; b0 < B; b0 += per) {
    const nb = Math.min(per, B - b0);
    const w = words(seed, nb * n, b0 * n, s);
    for (let b = 0; b < nb; b++) {
      for (let i = 0; i < n; i++) idx[i] = Math.floor((w[b * n + i]! * n) / 2 ** 32);
      const v = statistic(idx);
      if (typeof v !== 'number' || Number.isNaN(v)) {
        throw new RangeError(`bootstrap: expected 'statistic' to return a number but resample ${b0 + b} gave ${String(v)}`);
      }
      stats[b0 + b] = v;
    }
  }
  let mean = 0;
  for (let b = 0; b < B; b++) mean += stats[b]!;
  mean /= B;
  let ss = 0;
  for (let b = 0; b < B; b++) ss += (stats[b]! - mean) ** 2;
  stats.sort();
  return {
    estimate,
    lo: quantileSorted(stats, (1 - level) / 2),
    hi: quantileSorted(stats, (1 + level) / 2),
    se: Math.sqrt(ss / (B - 1)),
  };
}

/** The arithmetic mean of the items of `xs` at `idx`. */
function meanAt(xs: ArrayLike<number>, idx: Int32Array): number {
  let s = 0;
  for (let i = 0; i < idx.length; i++) s += xs[idx[i]!]!;
  return s / idx.length;
}

/**
 * Bootstrap of a statistic of a sample of numbers (the mean by default): the statistic receives
 * the resampled values (a Float64Array). Same options and result as bootstrap().
 * @example
 * const { lo, hi } = bootstrapCI(losses);                         // 95% CI of the mean
 * const med = bootstrapCI(xs, (v) => median(v), { level: 0.9 });  // 90% CI of a median
 */
export function bootstrapCI(xs: ArrayLike<number>, stat?: (values: Float64Array) => number, opts: BootstrapOptions = {}): BootstrapResult {
  const n = checkSample('bootstrapCI', 'xs', xs);
  if (stat !== undefined && typeof stat !== 'function') throw typeError('bootstrapCI', 'stat', 'a function (values: Float64Array) => number', stat);
  if (stat === undefined) return bootstrap(n, (idx) => meanAt(xs, idx), opts);
  const buf = new Float64Array(n);
  return bootstrap(n, (idx) => {
    for (let i = 0; i < n; i++) buf[i] = xs[idx[i]!]!;
    return stat(buf);
  }, opts);
}
