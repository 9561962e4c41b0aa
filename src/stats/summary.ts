// Summaries of samples on the host in float64: mean ± standard error, least-squares lines
// (and their log-log form for convergence orders and scaling laws), Pearson correlation.
// Inputs are any ArrayLike<number> (arrays, typed arrays, a tensor's data()).

import { rangeError, typeError } from '../errors.js';

/** Checks a sample: array-like, at least `min` finite numbers. Returns its length. */
export function checkSample(fn: string, arg: string, xs: unknown, min = 1): number {
  if (xs === null || typeof xs !== 'object' || typeof (xs as ArrayLike<number>).length !== 'number') {
    throw typeError(fn, arg, 'an array-like of numbers', xs);
  }
  const a = xs as ArrayLike<number>;
  if (a.length < min) throw rangeError(fn, arg, `at least ${min} number${min === 1 ? '' : 's'}`, xs);
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new RangeError(`${fn}: expected finite numbers in '${arg}' but element ${i} is ${String(v)}`);
    }
  }
  return a.length;
}

/** Mean, sample standard deviation and standard error of a sample. */
export interface MeanSE {
  mean: number;
  /** Standard error of the mean, sd/√n (NaN when n = 1). */
  se: number;
  /** Sample standard deviation with Bessel's correction, √(Σ(x − x̄)²/(n − 1)) (NaN when n = 1). */
  sd: number;
  n: number;
}

/**
 * Mean ± standard error: x̄ = Σx/n, sd = √(Σ(x − x̄)²/(n − 1)), se = sd/√n. Two passes in
 * float64 (the second adds the first pass's rounding back, Higham, Accuracy and Stability, §1.9).
 * @example
 * meanSE([1, 2, 3, 4]); // { mean: 2.5, sd: 1.2910, se: 0.6455, n: 4 }
 */
export function meanSE(xs: ArrayLike<number>): MeanSE {
  const n = checkSample('meanSE', 'xs', xs);
  let s = 0;
  for (let i = 0; i < n; i++) s += xs[i]!;
  let mean = s / n;
  let c = 0, ss = 0;
  for (let i = 0; i < n; i++) { const d = xs[i]! - mean; c += d; ss += d * d; }
  ss -= (c * c) / n;
  mean += c / n;
  const sd = n > 1 ? Math.sqrt(Math.max(ss, 0) / (n - 1)) : NaN;
  return { mean, se: sd / Math.sqrt(n), sd, n };
}

/** An ordinary least-squares line y ≈ intercept + slope·x with its standard errors. */
export interface LinearFit {
  slope: number;
  intercept: number;
  /** Standard error of the slope, √(s²/Sxx) with s² = SSE/(n − 2) (NaN when n = 2). */
  seSlope: number;
  /** Standard error of the intercept, √(s²(1/n + x̄²/Sxx)) (NaN when n = 2). */
  seIntercept: number;
  /** Coefficient of determination 1 − SSE/SST (1 when every y is equal and fitted exactly). */
  r2: number;
  n: number;
}

/** Means and centred sums of squares and products of two checked samples of equal length (two passes). */
function pairedMoments(fn: string, x: ArrayLike<number>, y: ArrayLike<number>): { n: number; mx: number; my: number; sxx: number; sxy: number; syy: number } {
  const n = checkSample(fn, 'x', x, 2);
  checkSample(fn, 'y', y, 2);
  if (y.length !== n) throw rangeError(fn, 'y', `${n} numbers (the length of 'x')`, y);
  let mx = 0, my = 0;
  for (let i = 0; i < n; i++) { mx += x[i]!; my += y[i]!; }
  mx /= n; my /= n;
  let sxx = 0, sxy = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i]! - mx, dy = y[i]! - my;
    sxx += dx * dx; sxy += dx * dy; syy += dy * dy;
  }
  return { n, mx, my, sxx, sxy, syy };
}

/**
 * Ordinary least squares y ≈ a + b·x: b = Sxy/Sxx, a = ȳ − b·x̄, with the textbook standard
 * errors under homoscedastic noise (s² = SSE/(n − 2); e.g. Draper & Smith, Applied Regression
 * Analysis, §1.4), the same as scipy.stats.linregress's `stderr` and `intercept_stderr`.
 * @example
 * fitLinear([0, 1, 2], [1, 3, 5]); // slope 2, intercept 1, seSlope 0, r2 1
 */
export function fitLinear(x: ArrayLike<number>, y: ArrayLike<number>): LinearFit {
  const { n, mx, my, sxx, sxy, syy } = pairedMoments('fitLinear', x, y);
  if (!(sxx > 0)) throw rangeError('fitLinear', 'x', 'at least two distinct values', x);
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  let sse = 0;
  for (let i = 0; i < n; i++) { const r = y[i]! - intercept - slope * x[i]!; sse += r * r; }
  const s2 = n > 2 ? sse / (n - 2) : NaN;
  const r2 = syy > 0 ? Math.min(1, Math.max(0, 1 - sse / syy)) : 1;
  return {
    slope, intercept,
    seSlope: Math.sqrt(s2 / sxx),
    seIntercept: Math.sqrt(s2 * (1 / n + (mx * mx) / sxx)),
    r2, n,
  };
}

/**
 * The least-squares line through (ln x, ln y): slope p of y ≈ C·x^p (a convergence order, a
 * scaling exponent), with fitLinear's standard errors. Every x and y must be > 0.
 * @example
 * logLogSlope([1, 2, 4], [1, 0.5, 0.25]).slope; // −1
 */
export function logLogSlope(x: ArrayLike<number>, y: ArrayLike<number>): LinearFit {
  const n = checkSample('logLogSlope', 'x', x, 2);
  checkSample('logLogSlope', 'y', y, 2);
  if (y.length !== n) throw rangeError('logLogSlope', 'y', `${n} numbers (the length of 'x')`, y);
  const lx = new Float64Array(n), ly = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (!(x[i]! > 0)) throw new RangeError(`logLogSlope: expected positive numbers in 'x' but element ${i} is ${x[i]}`);
    if (!(y[i]! > 0)) throw new RangeError(`logLogSlope: expected positive numbers in 'y' but element ${i} is ${y[i]}`);
    lx[i] = Math.log(x[i]!); ly[i] = Math.log(y[i]!);
  }
  return fitLinear(lx, ly);
}

/**
 * Pearson's correlation r = Sxy/√(Sxx·Syy) ∈ [−1, 1]. Throws when either sample is constant
 * (r is undefined there).
 */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const { sxx, sxy, syy } = pairedMoments('pearson', x, y);
  if (!(sxx > 0)) throw rangeError('pearson', 'x', 'a sample that is not constant', x);
  if (!(syy > 0)) throw rangeError('pearson', 'y', 'a sample that is not constant', y);
  return Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
}

/** The q-quantile of sorted values by linear interpolation (numpy's default, Hyndman–Fan type 7). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  const h = (n - 1) * q;
  const lo = Math.floor(h), hi = Math.min(lo + 1, n - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}
