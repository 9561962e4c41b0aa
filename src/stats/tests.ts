// Two-sample and goodness-of-fit statistics: kernel MMD², ROC AUC, one-sample Kolmogorov–Smirnov.

import { checkFinite, checkInt, rangeError, typeError } from '../errors.js';
import { checkSample, quantileSorted } from './summary.js';

export interface MMDOptions {
  /**
   * RBF bandwidth σ in k(a, b) = exp(−‖a − b‖²/(2σ²)). Default: the median heuristic, the
   * median Euclidean distance between distinct points of the pooled sample (Gretton et al.,
   * JMLR 13, 2012, §8), taken over at most 1000 pooled points (evenly strided) when there are more.
   */
  bandwidth?: number;
}

function sqdist(a: ArrayLike<number>, i: number, b: ArrayLike<number>, j: number, d: number): number {
  let s = 0;
  for (let k = 0; k < d; k++) { const t = a[i * d + k]! - b[j * d + k]!; s += t * t; }
  return s;
}

/**
 * The unbiased estimate of the squared maximum mean discrepancy with an RBF kernel between the
 * rows of x ([m, d], row-major) and y ([n, d]) (Gretton et al., JMLR 13, 2012, Lemma 6):
 * MMD²_u = Σ_{i≠j} k(x_i, x_j)/(m(m−1)) + Σ_{i≠j} k(y_i, y_j)/(n(n−1)) − 2 Σ_{i,j} k(x_i, y_j)/(mn).
 * It can be slightly negative when the distributions agree. m, n ≥ 2. O((m + n)²·d).
 */
export function mmd2(x: ArrayLike<number>, y: ArrayLike<number>, d: number, opts: MMDOptions = {}): number {
  checkInt('mmd2', 'd', d, 1);
  checkSample('mmd2', 'x', x, 2 * d);
  checkSample('mmd2', 'y', y, 2 * d);
  if (x.length % d !== 0) throw rangeError('mmd2', 'x', `a multiple of d = ${d} numbers (rows of d)`, x);
  if (y.length % d !== 0) throw rangeError('mmd2', 'y', `a multiple of d = ${d} numbers (rows of d)`, y);
  const m = x.length / d, n = y.length / d;
  let sigma: number;
  if (opts.bandwidth !== undefined) {
    sigma = checkFinite('mmd2', 'opts.bandwidth', opts.bandwidth);
    if (!(sigma > 0)) throw rangeError('mmd2', 'opts.bandwidth', 'a positive number', sigma);
  } else {
    const total = m + n, take = Math.min(total, 1000);
    const row = (t: number): [ArrayLike<number>, number] => {
      const r = Math.floor((t * total) / take);
      return r < m ? [x, r] : [y, r - m];
    };
    const ds: number[] = [];
    for (let a = 0; a < take; a++) {
      const [pa, ia] = row(a);
      for (let b = a + 1; b < take; b++) {
        const [pb, ib] = row(b);
        const s = sqdist(pa, ia, pb, ib, d);
        if (s > 0) ds.push(Math.sqrt(s));
      }
    }
    if (ds.length === 0) throw rangeError('mmd2', 'x', 'samples with at least two distinct points (for the median bandwidth)', x);
    ds.sort((a, b) => a - b);
    sigma = quantileSorted(ds, 0.5);
  }
  const g = 1 / (2 * sigma * sigma);
  let kxx = 0, kyy = 0, kxy = 0;
  for (let i = 0; i < m; i++) for (let j = i + 1; j < m; j++) kxx += Math.exp(-g * sqdist(x, i, x, j, d));
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) kyy += Math.exp(-g * sqdist(y, i, y, j, d));
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) kxy += Math.exp(-g * sqdist(x, i, y, j, d));
  return (2 * kxx) / (m * (m - 1)) + (2 * kyy) / (n * (n - 1)) - (2 * kxy) / (m * n);
}

/**
 * Area under the ROC curve: the probability that a random positive scores above a random
 * negative, ties counting ½ (the Mann–Whitney U statistic / (n₊n₋); Hanley & McNeil, Radiology
 * 1982). Labels are booleans or 0/1; both classes must occur. O(n log n).
 */
export function auc(scores: ArrayLike<number>, labels: ArrayLike<number | boolean>): number {
  const n = checkSample('auc', 'scores', scores, 2);
  if (labels === null || typeof labels !== 'object' || labels.length !== n) {
    throw typeError('auc', 'labels', `${n} labels (booleans or 0/1, one per score)`, labels);
  }
  const pos = new Uint8Array(n);
  let np = 0;
  for (let i = 0; i < n; i++) {
    const l = labels[i];
    if (l === true || l === 1) { pos[i] = 1; np++; } else if (!(l === false || l === 0)) {
      throw new RangeError(`auc: expected booleans or 0/1 in 'labels' but element ${i} is ${String(l)}`);
    }
  }
  const nn = n - np;
  if (np === 0 || nn === 0) throw rangeError('auc', 'labels', 'both classes (some positives and some negatives)', labels);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  // Sum of the positives' mid-ranks (1-based) over the sorted scores.
  let rankSum = 0;
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]!] === scores[order[i]!]) j++;
    const mid = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (pos[order[k]!]) rankSum += mid;
    i = j + 1;
  }
  return (rankSum - (np * (np + 1)) / 2) / (np * nn);
}

/** ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9; about 15 digits). */
export function lgamma(x: number): number {
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
    -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lgamma(1 - x);
  x -= 1;
  let a = c[0]!;
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/**
 * The regularised lower incomplete gamma function P(a, x) = γ(a, x)/Γ(a), the CDF of Gamma(a, 1)
 * at x: its series for x < a + 1, else 1 − the continued fraction of Q (Numerical Recipes, 3rd
 * ed., §6.2, modified Lentz); about 14 digits. Internal to the statistics (the KS tests of the
 * distributions); the public special functions are in src/special/.
 */
export function gammaP(a: number, x: number): number {
  if (!(a > 0)) throw rangeError('gammaP', 'a', 'a positive number', a);
  if (Number.isNaN(x)) throw rangeError('gammaP', 'x', 'a number', x);
  if (x <= 0) return 0;
  if (x === Infinity) return 1;
  const lead = a * Math.log(x) - x - lgamma(a);
  if (x < a + 1) {
    let term = 1 / a, sum = term;
    for (let n = 1; n < 10000; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-16) break;
    }
    return Math.min(1, sum * Math.exp(lead));
  }
  const tiny = 1e-300;
  let b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d;
  for (let i = 1; i < 10000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b; if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c; if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-16) break;
  }
  return Math.max(0, 1 - Math.exp(lead) * h);
}

/**
 * P(D_n < d) for the one-sample Kolmogorov statistic, exactly, by Durbin's matrix formula as
 * computed by Marsaglia, Tsang & Wang ("Evaluating Kolmogorov's distribution", J. Stat. Softw.
 * 8(18), 2003): the (k, k) entry of Hⁿ times n!/nⁿ, with k = ⌊nd⌋ + 1, H of order 2k − 1.
 * The matrix power keeps a separate base-2 exponent so nothing overflows.
 */
function kolmogorovExact(n: number, d: number): number {
  const k = Math.floor(n * d) + 1, m = 2 * k - 1, h = k - n * d;
  const H = new Float64Array(m * m);
  for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) H[i * m + j] = i - j + 1 < 0 ? 0 : 1;
  for (let i = 0; i < m; i++) {
    H[i * m] -= h ** (i + 1);
    H[(m - 1) * m + i] -= h ** (m - i);
  }
  H[(m - 1) * m] += 2 * h - 1 > 0 ? (2 * h - 1) ** m : 0;
  for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) {
    if (i - j + 1 > 0) for (let g = 1; g <= i - j + 1; g++) H[i * m + j] /= g;
  }
  const mul = (a: Float64Array, b: Float64Array): Float64Array => {
    const c = new Float64Array(m * m);
    for (let i = 0; i < m; i++) for (let l = 0; l < m; l++) {
      const v = a[i * m + l]!;
      if (v === 0) continue;
      for (let j = 0; j < m; j++) c[i * m + j] += v * b[l * m + j]!;
    }
    return c;
  };
  // Hⁿ by squaring, with exponents: value = V·2^e.
  const pow = (p: number): [Float64Array, number] => {
    if (p === 1) return [H, 0];
    const [half, eh] = pow(Math.floor(p / 2));
    let v = mul(half, half), e = 2 * eh;
    if (p % 2 === 1) v = mul(H, v);
    const mid = v[(k - 1) * m + (k - 1)]!;
    if (mid > 2 ** 300 || (mid < 2 ** -300 && mid > 0)) {
      const s = Math.floor(Math.log2(mid));
      for (let i = 0; i < v.length; i++) v[i] *= 2 ** -s;
      e += s;
    }
    return [v, e];
  };
  const [V, e] = pow(n);
  // n!/nⁿ in logs.
  const logScale = lgamma(n + 1) - n * Math.log(n);
  const s = V[(k - 1) * m + (k - 1)]!;
  if (!(s > 0)) return 0;
  return Math.exp(Math.log(s) + e * Math.LN2 + logScale);
}

/** Kolmogorov's limiting survival function Q(λ) = 2 Σ_{j≥1} (−1)^{j−1} e^{−2j²λ²} (= scipy's kstwobign.sf). */
export function kolmogorovSF(lambda: number): number {
  if (lambda <= 0) return 1;
  if (lambda < 0.3) {
    // The alternating series converges slowly here; use the dual form 1 − √(2π)/λ Σ e^{−(2j−1)²π²/(8λ²)}.
    let s = 0;
    for (let j = 1; j < 20; j++) s += Math.exp(-((2 * j - 1) ** 2) * Math.PI ** 2 / (8 * lambda * lambda));
    return 1 - (Math.sqrt(2 * Math.PI) / lambda) * s;
  }
  let s = 0;
  for (let j = 1; j < 100; j++) {
    const t = Math.exp(-2 * j * j * lambda * lambda);
    s += (j % 2 === 1 ? 1 : -1) * t;
    if (t < 1e-17) break;
  }
  return Math.min(1, Math.max(0, 2 * s));
}

export interface KSResult {
  /** D_n = sup_x |F_n(x) − F(x)|. */
  d: number;
  /** Two-sided p-value P(D_n ≥ d) under H0 (see ksTest for how it is computed). */
  p: number;
}

/**
 * One-sample two-sided Kolmogorov–Smirnov test of xs against a continuous CDF:
 * D_n = max_i max(i/n − F(x_(i)), F(x_(i)) − (i−1)/n). The p-value is exact (Durbin's matrix,
 * Marsaglia–Tsang–Wang 2003; absolute error about 1e-13) when n ≤ 10⁴ and ⌊nD⌋ < 60 and
 * nD² ≤ 7.24; Marsaglia–Tsang–Wang's tail formula 2e^{−(2.000071 + 0.331/√n + 1.409/n)nD²}
 * when n ≤ 10⁴ and nD² > 7.24 (p < 1e-6); otherwise Kolmogorov's limit Q(√n·D) (as
 * scipy.stats.kstest's 'asymp' mode; relative error O(1/√n)).
 * @example
 * ksTest(draws, (x) => 1 - Math.exp(-x)); // against Exp(1)
 */
export function ksTest(xs: ArrayLike<number>, cdf: (x: number) => number): KSResult {
  const n = checkSample('ksTest', 'xs', xs);
  if (typeof cdf !== 'function') throw typeError('ksTest', 'cdf', 'a function (x: number) => number in [0, 1]', cdf);
  const sorted = Float64Array.from(xs).sort();
  let d = 0;
  for (let i = 0; i < n; i++) {
    const f = cdf(sorted[i]!);
    if (!(f >= 0 && f <= 1)) throw new RangeError(`ksTest: expected 'cdf' to return a number in [0, 1] but cdf(${sorted[i]}) = ${f}`);
    d = Math.max(d, (i + 1) / n - f, f - i / n);
  }
  const s = n * d * d;
  let p: number;
  if (n <= 10000 && s > 7.24) p = 2 * Math.exp(-(2.000071 + 0.331 / Math.sqrt(n) + 1.409 / n) * s);
  else if (n <= 10000 && Math.floor(n * d) < 60) p = 1 - kolmogorovExact(n, d);
  else p = kolmogorovSF(Math.sqrt(n) * d);
  return { d, p: Math.min(1, Math.max(0, p)) };
}
