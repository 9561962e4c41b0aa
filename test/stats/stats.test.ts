// Statistics against closed forms and scipy fixtures (test/fixtures/stats/make-stats.py).

import test from 'ava';
import { readFileSync } from 'node:fs';
import {
  meanSE, fitLinear, logLogSlope, pearson, bootstrap, bootstrapCI, effectiveSampleSize, weightsESS,
  mmd2, auc, ksTest, kolmogorovSF,
} from '../../src/stats/index.js';
import { lgamma, gammaP } from '../../src/stats/tests.js';
import { normal, uniform } from '../../src/random.js';

const fx = JSON.parse(readFileSync(new URL('../fixtures/stats/stats.json', import.meta.url), 'utf8'));
const U64 = 2 ** -53;

/** |a − e| ≤ k·u·scale: a float64 computation of a few passes over n terms. */
function near(t: import('ava').ExecutionContext, a: number, e: number, bound: number, label: string): void {
  t.true(Math.abs(a - e) <= bound, `${label}: ${a} vs ${e} (|Δ| = ${Math.abs(a - e)} > ${bound})`);
}

test('meanSE matches numpy/scipy.stats.sem and the closed form on a small sample', (t) => {
  const f = fx.meanSE;
  const r = meanSE(f.xs);
  const n = f.xs.length, scale = Math.max(...f.xs.map(Math.abs));
  near(t, r.mean, f.mean, 4 * n * U64 * scale, 'mean');
  near(t, r.sd, f.sd, 8 * n * U64 * scale, 'sd');
  near(t, r.se, f.se, 8 * n * U64 * scale, 'se');
  t.is(r.n, n);
  const s = meanSE([1, 2, 3, 4]);
  t.is(s.mean, 2.5);
  near(t, s.sd, Math.sqrt(5 / 3), 4 * U64, 'sd small');
  near(t, s.se, Math.sqrt(5 / 3) / 2, 4 * U64, 'se small');
  const one = meanSE([7]);
  t.is(one.mean, 7); t.true(Number.isNaN(one.se));
  t.throws(() => meanSE([]), { instanceOf: RangeError, message: /meanSE: expected at least 1 number for 'xs'/ });
  t.throws(() => meanSE([1, NaN]), { instanceOf: RangeError, message: /element 1 is NaN/ });
  t.throws(() => meanSE(3 as never), { instanceOf: TypeError, message: /'xs'/ });
});

test('fitLinear and logLogSlope match scipy.stats.linregress', (t) => {
  for (const [name, fn] of [['fitLinear', fitLinear], ['logLogSlope', logLogSlope]] as const) {
    const f = fx[name];
    const r = fn(f.x, f.y);
    for (const k of ['slope', 'intercept', 'seSlope', 'seIntercept', 'r2'] as const) {
      near(t, r[k], f[k], 1e3 * f.x.length * U64 * Math.max(1, Math.abs(f[k])), `${name}.${k}`);
    }
  }
  const exact = fitLinear([0, 1, 2, 3], [1, 3, 5, 7]);
  t.is(exact.slope, 2); t.is(exact.intercept, 1); t.is(exact.seSlope, 0); t.is(exact.r2, 1);
  near(t, logLogSlope([1, 2, 4, 8], [3, 1.5, 0.75, 0.375]).slope, -1, 16 * U64, 'slope −1');
  t.throws(() => fitLinear([1, 1, 1], [1, 2, 3]), { instanceOf: RangeError, message: /fitLinear: expected at least two distinct values for 'x'/ });
  t.throws(() => fitLinear([1, 2], [1, 2, 3]), { instanceOf: RangeError, message: /'y'/ });
  t.throws(() => logLogSlope([1, 0], [1, 2]), { instanceOf: RangeError, message: /logLogSlope: expected positive numbers in 'x' but element 1 is 0/ });
});

test('pearson matches scipy.stats.pearsonr', (t) => {
  const f = fx.pearson;
  near(t, pearson(f.x, f.y), f.r, 100 * f.x.length * U64, 'r');
  t.is(pearson([1, 2, 3], [2, 4, 6]), 1);
  t.is(pearson([1, 2, 3], [3, 2, 1]), -1);
  t.throws(() => pearson([1, 2, 3], [1, 1, 1]), { instanceOf: RangeError, message: /pearson: .* 'y'/ });
});

test('auc equals Mann–Whitney U/(n₊n₋) from scipy, ties counted ½', (t) => {
  const f = fx.auc;
  near(t, auc(f.scores, f.labels), f.auc, 1e3 * U64, 'auc');
  t.is(auc([1, 2, 3, 4], [0, 0, 1, 1]), 1);
  t.is(auc([1, 2, 3, 4], [true, true, false, false]), 0);
  t.is(auc([1, 1, 1, 1], [0, 1, 0, 1]), 0.5);
  t.throws(() => auc([1, 2], [1, 1]), { instanceOf: RangeError, message: /auc: expected both classes/ });
  t.throws(() => auc([1, 2], [1, 2]), { instanceOf: RangeError, message: /element 1 is 2/ });
});

test('lgamma, gammaP and the Kolmogorov distribution match scipy (gammaln, gammainc, kstwo.sf, kstwobign.sf)', (t) => {
  for (const { x, y } of fx.lgamma) near(t, lgamma(x), y, 1e-13 * Math.max(1, Math.abs(y)), `lgamma(${x})`);
  for (const { a, x, p } of fx.gammaP) near(t, gammaP(a, x), p, 1e-13, `gammaP(${a}, ${x})`);
  for (const { lam, p } of fx.kstwobign) near(t, kolmogorovSF(lam), p, 1e-14, `Q(${lam})`);
  // Points 0 … n−1 with F(i) = (i + ½)/n, except F(0) = d: then D = d (every d here is ≥ ½/n).
  for (const { n, d, p, pExact } of fx.kstwo) {
    const xs = Array.from({ length: n }, (_, i) => i);
    const cdf = (x: number): number => (x === 0 ? d : (x + 0.5) / n);
    const r = ksTest(xs, cdf);
    near(t, r.d, d, 1e-12, `D(n=${n})`);
    const s = n * d * d;
    // Exact (Durbin matrix) where ksTest uses it; Marsaglia–Tsang–Wang's tail formula is stated to 1e-7 relative there.
    if (s <= 7.24 && Math.floor(n * d) < 60) near(t, r.p, pExact, 1e-10, `p(n=${n}, d=${d})`);
    else t.fail(`fixture (n=${n}, d=${d}) is outside the exact region`);
    // scipy's kstwo.sf itself (Pelz–Good above n = 140, stated to about 1e-6).
    near(t, r.p, p, 1e-6, `kstwo.sf(n=${n}, d=${d})`);
  }
});

test('ksTest matches scipy.stats.kstest (exact) on a normal sample', (t) => {
  const f = fx.ksTest;
  const phi = (x: number): number => 0.5 * (1 + erf(x / Math.SQRT2));
  const r = ksTest(f.xs, phi);
  near(t, r.d, f.d, 1e-7, 'd'); // erf below is accurate to ~1e-7
  near(t, r.p, f.p, 1e-4, 'p');
  t.throws(() => ksTest([1], () => 2), { instanceOf: RangeError, message: /ksTest: expected 'cdf' to return a number in \[0, 1\]/ });
});

/** erf to about 1.2e-7 (Numerical Recipes' erfc Chebyshev fit, §6.2). */
function erf(x: number): number {
  const z = Math.abs(x), u = 1 / (1 + 0.5 * z);
  const r = u * Math.exp(-z * z - 1.26551223 + u * (1.00002368 + u * (0.37409196 + u * (0.09678418 + u * (-0.18628806
    + u * (0.27886807 + u * (-1.13520398 + u * (1.48851587 + u * (-0.82215223 + u * 0.17087277)))))))));
  return x >= 0 ? 1 - r : r - 1;
}

test('ksTest: uniform draws from the Philox stream give a p-value that is not extreme', (t) => {
  const u = uniform(3, 100000);
  const r = ksTest(u, (x) => Math.min(1, Math.max(0, x)));
  t.true(r.p > 1e-3, `p = ${r.p}, D = ${r.d}`);
  const shifted = ksTest(Array.from(u.subarray(0, 2000), (v) => v * 0.9), (x) => Math.min(1, Math.max(0, x)));
  t.true(shifted.p < 1e-6, `p = ${shifted.p}`);
});

test('mmd2 matches the numpy U-statistic (fixed and median bandwidth) and the Gaussian closed form', (t) => {
  const f = fx.mmd2;
  near(t, mmd2(f.x, f.y, f.d, { bandwidth: f.bandwidth }), f.value, 1e4 * U64, 'fixed σ');
  near(t, mmd2(f.x, f.y, f.d), f.valueMedian, 1e4 * U64, 'median σ');
  // Population MMD² between N(0, I) and N(Δ, I) in d dims with bandwidth σ:
  // 2(σ²/(σ² + 2))^{d/2}(1 − exp(−‖Δ‖²/(2(σ² + 2)))). The estimate is unbiased: average 20
  // replicates, within 4 SE of their mean.
  const d = 2, m = 100, sigma = 1.5, delta = 0.8;
  const truth = 2 * (sigma ** 2 / (sigma ** 2 + 2)) ** (d / 2) * (1 - Math.exp(-(delta ** 2) / (2 * (sigma ** 2 + 2))));
  const est: number[] = [];
  for (let r = 0; r < 20; r++) {
    const x = Float64Array.from(normal(1, m * d, 0, r));
    const y = Float64Array.from(normal(2, m * d, 0, r), (v, i) => v + (i % d === 0 ? delta : 0));
    est.push(mmd2(x, y, d, { bandwidth: sigma }));
  }
  const s = meanSE(est);
  t.true(Math.abs(s.mean - truth) <= 4 * s.se, `mean ${s.mean} ± ${s.se} vs ${truth}`);
  t.throws(() => mmd2([1, 2, 3], [1, 2], 2), { instanceOf: RangeError, message: /mmd2: .* 'x'/ });
  t.throws(() => mmd2([1, 2, 3, 4], [1, 2, 3, 4], 2, { bandwidth: 0 }), { instanceOf: RangeError, message: /'opts.bandwidth'/ });
});

test('bootstrap: the SE of the mean matches the ideal bootstrap SE within its own sampling error', (t) => {
  const xs = Array.from(normal(11, 200), (v) => 2 + 3 * v);
  const B = 4000;
  const r = bootstrapCI(xs, undefined, { resamples: B, seed: 5 });
  const s = meanSE(xs);
  t.is(r.estimate, s.mean);
  // Ideal bootstrap SE of the mean: √(Σ(x − x̄)²)/n; a B-resample estimate of an SE has relative
  // sampling error ≈ 1/√(2B) (normal statistic): allow 4 of those.
  const ideal = s.sd * Math.sqrt((xs.length - 1) / xs.length) / Math.sqrt(xs.length);
  t.true(Math.abs(r.se - ideal) <= (4 / Math.sqrt(2 * B)) * ideal, `se ${r.se} vs ${ideal}`);
  // The percentile 95% interval of a mean is ≈ x̄ ± 1.96·SE: each end within 4 × the quantile's SE
  // (√(q(1−q)/B)/φ(1.96) in SE units).
  const qse = (Math.sqrt(0.025 * 0.975 / B) / 0.0584) * ideal;
  t.true(Math.abs(r.lo - (s.mean - 1.96 * ideal)) <= 4 * qse + 0.1 * ideal, `lo ${r.lo}`);
  t.true(Math.abs(r.hi - (s.mean + 1.96 * ideal)) <= 4 * qse + 0.1 * ideal, `hi ${r.hi}`);
  // Deterministic in the seed, different across seeds.
  t.deepEqual(bootstrapCI(xs, undefined, { resamples: 50, seed: 5 }), bootstrapCI(xs, undefined, { resamples: 50, seed: 5 }));
  t.notDeepEqual(bootstrapCI(xs, undefined, { resamples: 50, seed: 5 }), bootstrapCI(xs, undefined, { resamples: 50, seed: 6 }));
  // Indices are uniform on [0, n): each count over B·n draws within 5 SE of B.
  const n = 7, counts = new Float64Array(n);
  bootstrap(n, (idx) => { for (const i of idx) counts[i]++; return 0; }, { resamples: 20000 });
  // The first call (the estimate) counted each index once.
  const draws = 20000;
  for (let i = 0; i < n; i++) {
    const c = counts[i]! - 1, p = 1 / n;
    t.true(Math.abs(c - draws * n * p) <= 5 * Math.sqrt(draws * n * p * (1 - p)), `index ${i}: ${c}`);
  }
  const cst = bootstrap(10, () => 3);
  t.deepEqual(cst, { estimate: 3, lo: 3, hi: 3, se: 0 });
  t.throws(() => bootstrap(0, () => 0), { instanceOf: RangeError, message: /bootstrap: .* 'n'/ });
  t.throws(() => bootstrap(3, () => 0, { level: 1 }), { instanceOf: RangeError, message: /'opts.level'/ });
});

test('effectiveSampleSize: ≈ n for IID draws and n(1 − φ)/(1 + φ) for AR(1), within the spread across chains', (t) => {
  const n = 4000, chains = 16;
  for (const phi of [0, 0.5, 0.8]) {
    const ratios: number[] = [];
    for (let c = 0; c < chains; c++) {
      const e = normal(21, n, 0, c);
      const x = new Float64Array(n);
      x[0] = e[0]! / Math.sqrt(1 - phi * phi);
      for (let i = 1; i < n; i++) x[i] = phi * x[i - 1]! + e[i]!;
      ratios.push(effectiveSampleSize(x) / n);
    }
    const s = meanSE(ratios), truth = (1 - phi) / (1 + phi);
    // Geyer's truncation biases the estimate by O(τ·K/n) (K the truncation lag): allow 2% of it on top of 4 SE.
    t.true(Math.abs(s.mean - truth) <= 4 * s.se + 0.02 * truth, `φ=${phi}: ${s.mean} ± ${s.se} vs ${truth}`);
  }
  t.is(effectiveSampleSize([1, 1, 1, 1, 1]), 5);
  t.throws(() => effectiveSampleSize([1, 2]), { instanceOf: RangeError, message: /effectiveSampleSize: expected at least 4 numbers for 'chain'/ });
});

test('weightsESS = (Σw)²/Σw²', (t) => {
  t.is(weightsESS([1, 1, 1, 1]), 4);
  t.is(weightsESS([0, 0, 5, 0]), 1);
  near(t, weightsESS([1, 2, 3]), 36 / 14, 4 * U64 * 3, '1,2,3');
  t.is(weightsESS([1e300, 1e300]), 2);
  t.throws(() => weightsESS([1, -1]), { instanceOf: RangeError, message: /weightsESS: expected non-negative weights in 'w' but element 1 is -1/ });
  t.throws(() => weightsESS([0, 0]), { instanceOf: RangeError, message: /not all 0/ });
});
