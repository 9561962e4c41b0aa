// Special functions in float64 on the host: lgamma, digamma, erf/erfc, and the regularized
// incomplete gamma functions P(a, x), Q(a, x) with ∂P/∂a (Markov-approximate fBM's optimal
// weights need P and its derivative in a: PAPERS.md §19).
//
// Methods. lgamma: Lanczos (g = 7, 9 terms) on [0.5, 10), Stirling's series beyond, the
// reflection formula below ½. digamma: the recurrence ψ(x) = ψ(x + 1) − 1/x up to x ≥ 10,
// then the asymptotic series. P and Q: the power series for x < a + 1 and the continued
// fraction for Q (modified Lentz) otherwise (Numerical Recipes §6.2). The prefactor
// xᵃe⁻ˣ/Γ(a + 1) is formed as exp(a·(log(1+t) − t) − ½log(2πa) − stirlerr(a)), t = (x − a)/a,
// for a ≥ 10, which keeps its relative error at a few ulps for large a and x ≈ a (the naive
// a·log x − x − lgamma(a + 1) cancels catastrophically there). ∂P/∂a is the forward-mode
// derivative in a carried through the same series or continued fraction (dual numbers), with
// ∂/∂a log prefactor = log x − ψ(a + 1). erf(x) = P(½, x²) and erfc(x) = Q(½, x²) for x ≥ 0.

import { DescentError } from '../errors.js';

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];
const EPS = 2 ** -53;

function checkNumber(fn: string, arg: string, v: unknown): number {
  if (typeof v !== 'number' || Number.isNaN(v)) throw new TypeError(`${fn}: expected a number for '${arg}' but received ${typeof v === 'number' ? 'NaN' : typeof v}`);
  return v;
}

/** Stirling's series remainder lgamma(a + 1) − [(a + ½)log a − a + ½log 2π] for a ≥ 10. */
function stirlingTail(a: number): number {
  const r = 1 / a, r2 = r * r;
  return r * (1 / 12 - r2 * (1 / 360 - r2 * (1 / 1260 - r2 * (1 / 1680 - r2 * (1 / 1188 - r2 * (691 / 360360))))));
}

/** lgamma(a + 1) − [(a + ½)log a − a + ½log 2π] (Stirling's error), for a > 0. */
function stirlerr(a: number): number {
  return a >= 10 ? stirlingTail(a) : lgamma(a + 1) - ((a + 0.5) * Math.log(a) - a + HALF_LOG_2PI);
}

/**
 * log|Γ(x)| for real x (Infinity at the poles 0, −1, −2, ...).
 * @example
 * lgamma(0.5) // log √π ≈ 0.5723649429247001
 */
export function lgamma(x: number): number {
  checkNumber('lgamma', 'x', x);
  if (x === Infinity) return Infinity;
  if (x <= 0 && Number.isInteger(x)) return Infinity;
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lgamma(1 - x);
  if (x >= 10) return (x - 0.5) * Math.log(x) - x + HALF_LOG_2PI + stirlingTail(x);
  const z = x - 1;
  let s = LANCZOS[0]!;
  for (let i = 1; i < 9; i++) s += LANCZOS[i]! / (z + i);
  const t = z + 7.5;
  return HALF_LOG_2PI + (z + 0.5) * Math.log(t) - t + Math.log(s);
}

/**
 * The digamma function ψ(x) = d/dx log Γ(x) for real x (NaN at the poles).
 * @example
 * digamma(1) // −γ ≈ −0.5772156649015329
 */
export function digamma(x: number): number {
  checkNumber('digamma', 'x', x);
  if (x <= 0 && Number.isInteger(x)) return NaN;
  if (x < 0) return digamma(1 - x) - Math.PI / Math.tan(Math.PI * x);
  let acc = 0;
  while (x < 10) { acc -= 1 / x; x += 1; }
  const r2 = 1 / (x * x);
  return acc + Math.log(x) - 0.5 / x - r2 * (1 / 12 - r2 * (1 / 120 - r2 * (1 / 252 - r2 * (1 / 240 - r2 * (1 / 132 - r2 * (691 / 32760 - r2 / 12))))));
}

/** log(1 + t) − t, accurate for small |t| (t > −1). */
function log1pmx(t: number): number {
  if (Math.abs(t) > 0.3) return Math.log1p(t) - t;
  // −t²/2 + t³/3 − t⁴/4 + ...
  let term = t, sum = 0;
  for (let k = 2; k < 200; k++) {
    term *= -t;
    const d = term / k;
    sum += d;
    if (Math.abs(d) <= EPS * Math.abs(sum)) break;
  }
  return sum;
}

/** log of xᵃe⁻ˣ/Γ(a + 1), a > 0, x > 0. */
function logPrefactor(a: number, x: number): number {
  if (a < 10) return a * Math.log(x) - x - lgamma(a + 1);
  return a * log1pmx((x - a) / a) - 0.5 * Math.log(2 * Math.PI * a) - stirlerr(a);
}

/** The regularized incomplete gamma functions at (a, x) and ∂P/∂a. */
export interface IncompleteGamma {
  /** P(a, x) = γ(a, x)/Γ(a) (lower). */
  readonly p: number;
  /** Q(a, x) = 1 − P(a, x) (upper), computed directly where it is the small one. */
  readonly q: number;
  /** ∂P/∂a. */
  readonly dpda: number;
}

const MAX_TERMS = 100000;

function checkGammaArgs(fn: string, a: number, x: number): void {
  checkNumber(fn, 'a', a);
  checkNumber(fn, 'x', x);
  if (!(a > 0) || !Number.isFinite(a)) throw new RangeError(`${fn}: expected a finite a > 0 for 'a' but received ${a}`);
  if (!(x >= 0)) throw new RangeError(`${fn}: expected x ≥ 0 for 'x' but received ${x}`);
}

/**
 * P(a, x), Q(a, x) and ∂P/∂a in float64 (a > 0, x ≥ 0).
 * @example
 * incompleteGamma(1, 2) // { p: 1 − e⁻², q: e⁻², dpda: ... }
 */
export function incompleteGamma(a: number, x: number): IncompleteGamma {
  const fn = 'incompleteGamma';
  checkGammaArgs(fn, a, x);
  if (x === 0) return { p: 0, q: 1, dpda: 0 };
  if (x === Infinity) return { p: 1, q: 0, dpda: 0 };
  if (x < a + 1) {
    // P = D·Σ_n T_n, T_0 = 1, T_n = T_{n−1}·x/(a + n); D = xᵃe⁻ˣ/Γ(a + 1).
    let t = 1, dt = 0, s = 1, ds = 0;
    for (let n = 1; n < MAX_TERMS; n++) {
      const r = x / (a + n);
      dt = dt * r - t * r / (a + n);
      t *= r;
      s += t;
      ds += dt;
      if (t <= EPS * s && Math.abs(dt) <= EPS * Math.abs(ds)) {
        const D = Math.exp(logPrefactor(a, x)), dlogD = Math.log(x) - digamma(a + 1);
        const p = D * s;
        return { p, q: 1 - p, dpda: D * (dlogD * s + ds) };
      }
    }
    throw new DescentError(`${fn}: the series did not converge in ${MAX_TERMS} terms for a = ${a}, x = ${x}`);
  }
  // Q = e⁻ˣxᵃ/Γ(a)·F, F = 1/(b₀ − 1·(1−a)/(b₁ − 2·(2−a)/(b₂ − ...))), b_n = x + 2n + 1 − a,
  // by modified Lentz, with the derivative of every quantity in a carried along.
  const TINY = 1e-300;
  let b = x + 1 - a, db = -1;
  let c = 1 / TINY, dc = 0;
  let d = 1 / b, dd = -db / (b * b);
  let h = d, dh = dd;
  for (let n = 1; n < MAX_TERMS; n++) {
    const an = -n * (n - a), dan = n;
    b += 2;
    // d = 1/(b + an·d)
    let den = b + an * d;
    let dden = db + dan * d + an * dd;
    if (Math.abs(den) < TINY) den = TINY;
    d = 1 / den;
    dd = -dden * d * d;
    // c = b + an/c
    const cPrev = c, dcPrev = dc;
    c = b + an / cPrev;
    dc = db + dan / cPrev - an * dcPrev / (cPrev * cPrev);
    if (Math.abs(c) < TINY) c = TINY;
    const del = d * c, ddel = dd * c + d * dc;
    const hPrev = h;
    h = hPrev * del;
    dh = dh * del + hPrev * ddel;
    if (Math.abs(del - 1) <= EPS && Math.abs(dh - dh / del) <= EPS * Math.abs(dh) + Number.MIN_VALUE) {
      // e⁻ˣxᵃ/Γ(a) = a·D; ∂/∂a log(a·D) = log x − ψ(a).
      const pre = a * Math.exp(logPrefactor(a, x)), dlog = Math.log(x) - digamma(a);
      const q = pre * h;
      return { p: 1 - q, q, dpda: -(pre * (dlog * h + dh)) };
    }
  }
  throw new DescentError(`${fn}: the continued fraction did not converge in ${MAX_TERMS} terms for a = ${a}, x = ${x}`);
}

/**
 * The regularized lower incomplete gamma function P(a, x) = γ(a, x)/Γ(a), a > 0, x ≥ 0.
 * @example
 * gammaP(1, x) // 1 − e⁻ˣ
 */
export function gammaP(a: number, x: number): number {
  return incompleteGamma(a, x).p;
}

/** The regularized upper incomplete gamma function Q(a, x) = 1 − P(a, x). */
export function gammaQ(a: number, x: number): number {
  return incompleteGamma(a, x).q;
}

/** ∂P(a, x)/∂a. */
export function gammaPDerivA(a: number, x: number): number {
  return incompleteGamma(a, x).dpda;
}

/**
 * The error function erf(x) = (2/√π)∫₀ˣ e^{−t²} dt.
 * @example
 * erf(1) // ≈ 0.8427007929497149
 */
export function erf(x: number): number {
  checkNumber('erf', 'x', x);
  if (x < 0) return -erf(-x);
  if (x < 1e-10) return x * (2 / Math.sqrt(Math.PI));
  if (x > 6) return 1;
  return gammaP(0.5, x * x);
}

/**
 * The complementary error function erfc(x) = 1 − erf(x), accurate in the tail.
 * @example
 * erfc(5) // ≈ 1.5374597944280349e-12
 */
export function erfc(x: number): number {
  checkNumber('erfc', 'x', x);
  if (x < 0) return 2 - erfc(-x);
  if (x < 1e-10) return 1 - x * (2 / Math.sqrt(Math.PI));
  if (x > 27.3) return 0;
  return gammaQ(0.5, x * x);
}
