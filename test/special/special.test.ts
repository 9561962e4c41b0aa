// Special functions against values computed once with Debian's python3-scipy 1.10.1 (lgamma,
// digamma, erf, erfc) and python3-mpmath 1.2.1 at 40 digits (P, Q, ∂P/∂a; scipy's P and Q are
// stored beside them: its gammaincc(0.5, 0.8) is off by 18 ulps), stored in test/fixtures/special/special.json with the script
// that made them (make-special.py), including the hard regions: large a (up to 1e5), x ≈ a,
// tiny x and tiny a; plus closed forms.
//
// Tolerances (u = 2⁻⁵³). A value formed as exp(L) carries a relative error of about
// (roundings in L)·u·|L| with |L| ≈ |log w|; the series and continued fractions add a few u
// per converged digit. So for P, Q, ∂P/∂a, erf and erfc: |err| ≤ 32u·(1 + |log|w||)·|w| + 4u
// (the absolute 4u covers Q = 1 − P, which the series region forms by subtraction). ∂P/∂a
// is D·(∂log D/∂a·S + ∂S/∂a), a difference of terms of size ≲ 1: 16u absolute instead of 4u.
// lgamma and digamma are sums of O(1)·|w| terms: |err| ≤ 16u·max(1, |w|); below ½, lgamma's
// reflection log(π/|sin πx|) − lgamma(1 − x) adds 16u times the sizes of its two terms.

import test from 'ava';
import { readFileSync } from 'node:fs';
import * as d from '../../src/index.js';

const U = 2 ** -53;
const F = JSON.parse(readFileSync(new URL('../fixtures/special/special.json', import.meta.url), 'utf8')) as {
  source: string; lgamma: number[][]; digamma: number[][]; erf: number[][]; erfc: number[][]; gamma: number[][];
};
const expTol = (w: number) => 32 * U * (1 + (w === 0 ? 0 : Math.abs(Math.log(Math.abs(w))))) * Math.abs(w) + 4 * U;
const derivTol = (w: number) => expTol(w) + 12 * U;
const sumTol = (w: number) => 16 * U * Math.max(1, Math.abs(w));
const lgammaTol = (x: number, w: number) => sumTol(w) + (x < 0.5 ? 16 * U * (Math.abs(d.lgamma(1 - x)) + Math.abs(Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))))) : 0);

test('fixtures name their source', (t) => {
  t.regex(F.source, /python3-scipy 1\.10\.1.*make-special\.py/);
});

for (const [name, fn] of [['lgamma', d.lgamma], ['digamma', d.digamma], ['erf', d.erf], ['erfc', d.erfc]] as const) {
  test(`${name} against scipy.special`, (t) => {
    for (const [x, w] of F[name]) {
      const got = fn(x!);
      const tl = name === 'lgamma' ? lgammaTol(x!, w!) : name === 'digamma' ? sumTol(w!) : expTol(w!);
      t.true(Math.abs(got - w!) <= tl, `${name}(${x}) = ${got}, scipy ${w}, error ${Math.abs(got - w!)} > ${tl}`);
    }
  });
}

test('P(a, x), Q(a, x) and ∂P/∂a against mpmath (and scipy.special.gammainc/gammaincc within their error)', (t) => {
  for (const [a, x, p, q, dp, sp, sq] of F.gamma) {
    const r = d.incompleteGamma(a!, x!);
    // scipy agrees with the mpmath values to its own accuracy (a looser 1e-12 relative).
    t.true(Math.abs(sp! - p!) <= 1e-12 * p! + 1e-15 && Math.abs(sq! - q!) <= 1e-12 * q! + 1e-15, `scipy vs mpmath at (${a}, ${x})`);
    t.true(Math.abs(r.p - p!) <= expTol(p!), `P(${a}, ${x}) = ${r.p}, mpmath ${p}`);
    t.true(Math.abs(r.q - q!) <= expTol(q!), `Q(${a}, ${x}) = ${r.q}, mpmath ${q}`);
    t.true(Math.abs(r.dpda - dp!) <= derivTol(dp!), `∂P/∂a(${a}, ${x}) = ${r.dpda}, mpmath ${dp}`);
    t.is(d.gammaP(a!, x!), r.p);
    t.is(d.gammaQ(a!, x!), r.q);
    t.is(d.gammaPDerivA(a!, x!), r.dpda);
  }
});

test('closed forms: P(1, x) = 1 − e⁻ˣ, P(½, x²) = erf x, Γ(n) = (n − 1)!, ψ(1) = −γ, erf(−x) = −erf(x)', (t) => {
  for (const x of [1e-8, 0.3, 1, 2.5, 9, 30]) {
    t.true(Math.abs(d.gammaP(1, x) - -Math.expm1(-x)) <= expTol(-Math.expm1(-x)), `P(1, ${x})`);
    t.true(Math.abs(d.gammaQ(1, x) - Math.exp(-x)) <= expTol(Math.exp(-x)), `Q(1, ${x})`);
  }
  let fact = 1;
  for (let n = 1; n < 20; n++) {
    t.true(Math.abs(d.lgamma(n) - Math.log(fact)) <= sumTol(Math.log(fact)), `lgamma(${n})`);
    fact *= n;
  }
  t.true(Math.abs(d.digamma(1) + 0.5772156649015329) <= 16 * U);
  for (const x of [0.2, 1.3]) t.is(d.erf(-x), -d.erf(x));
  t.true(Math.abs(d.erf(0.7) + d.erfc(0.7) - 1) <= 4 * U);
  // ∂P/∂a against a central difference
  // (step h = 1e-4: truncation h²·|P‴|/6 ≲ 1e-9, rounding u/h ≈ 1e-12).
  for (const [a, x] of [[0.6, 0.4], [1.9, 3.1], [1.2, 20]] as const) {
    const h = 1e-4, fd = (d.gammaP(a + h, x) - d.gammaP(a - h, x)) / (2 * h);
    t.true(Math.abs(d.gammaPDerivA(a, x) - fd) <= 1e-8, `∂P/∂a(${a}, ${x}) ${d.gammaPDerivA(a, x)} vs ${fd}`);
  }
});

test('edges and argument errors', (t) => {
  t.deepEqual(d.incompleteGamma(2, 0), { p: 0, q: 1, dpda: 0 });
  t.is(d.gammaP(2, Infinity), 1);
  t.is(d.lgamma(0), Infinity);
  t.is(d.lgamma(-3), Infinity);
  t.is(d.erfc(40), 0);
  t.is(d.erf(7), 1);
  t.throws(() => d.gammaP(0, 1), { message: /incompleteGamma: expected a finite a > 0 for 'a' but received 0/ });
  t.throws(() => d.gammaP(1, -1), { message: /incompleteGamma: expected x ≥ 0 for 'x' but received -1/ });
  t.throws(() => d.erf(NaN), { message: /erf: expected a number for 'x' but received NaN/ });
});
