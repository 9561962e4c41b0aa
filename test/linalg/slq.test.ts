// Stochastic Lanczos quadrature and the broadened density, against exact spectra.
//
// The Wasserstein bound. For a unit probe v let μ_v = Σ_i (u_iᵀv)² δ(λ_i) and GQ_v the
// m-node Gauss rule of its Lanczos run, with nodes inside [λ_min, λ_max] (width R). Gauss
// quadrature is exact for polynomials of degree 2m−1, and by Jackson's theorem a 1-Lipschitz
// f on an interval of width R is within πR/(4(d+1)) of a polynomial of degree d; so for every
// 1-Lipschitz f, |∫f dμ_v − ∫f dGQ_v| ≤ 2·πR/(4·2m) = πR/(4m), and by Kantorovich–Rubinstein
// W1(μ_v, GQ_v) ≤ πR/(4m), also for the average over probes (W1 is jointly convex).
// For normalised Gaussian probes, F_v(t) = vᵀP_t v ~ Beta(r/2, (n−r)/2) with variance at most
// 1/(2(n+2)), so with b probes E|F̄(t) − F(t)| ≤ 1/√(2b(n+2)) and E W1(μ̄, μ) ≤ R/√(2b(n+2)).
// Together: E W1(SLQ, spectrum) ≤ R·(π/(4m) + 1/√(2b(n+2))).

import test from 'ava';
import { bulkEdge, mergeRules, outliers, spectralDensity, wasserstein1 } from '../../src/linalg/density.js';
import { symmetricWithSpectrum, testSpectra } from '../../src/linalg/operators.js';
import { meanAndError, quadratureRules, slq, traceFromRules } from '../../src/linalg/slq.js';
import { U } from '../helpers/close.js';

const N = 300;

for (const name of ['wellSeparated', 'repeated', 'indefinite', 'decaying'] as const) {
  for (const [probes, steps] of [[8, 30], [8, 60]] as const) {
    test(`slq · reference float64 · ${name} · b=${probes} m=${steps} · W1 to the exact spectrum within R(π/(4m) + 1/√(2b(n+2)))`, async (t) => {
      const m = symmetricWithSpectrum(testSpectra[name](N), { seed: 3, dtype: 'float64', backend: 'reference' });
      const { rules, run } = await slq(m.op, N, { probes, steps, seed: 5, dtype: 'float64', distribution: 'gaussian' });
      t.is(rules.length, probes);
      for (const r of rules) {
        let s = 0;
        for (const w of r.weights) s += w;
        t.true(Math.abs(s - 1) <= steps * U.float64 * 4, `weights sum to ${s}`);
      }
      const exact = { nodes: Float64Array.from(m.eigenvalues), weights: new Float64Array(N).fill(1 / N) };
      const R = m.eigenvalues[0]! - m.eigenvalues[N - 1]!;
      const w1 = wasserstein1(mergeRules(rules), exact);
      const bound = R * (Math.PI / (4 * steps) + 1 / Math.sqrt(2 * probes * (N + 2)));
      t.true(w1 <= bound, `W1 = ${w1} > ${bound}`);
      // Σ τ_i θ_i = e₁ᵀ T e₁ = α₁: true only with the FIRST components as weights.
      const tr = traceFromRules(rules, N);
      tr.samples.forEach((s, p) => t.true(Math.abs(s - N * run.alpha[p]![0]!) <= N * steps * U.float64 * R, `probe ${p}`));
      run.dispose();
    });
  }
}

test('slq · Rademacher probes give unbiased traces n·α₁ with a standard error', async (t) => {
  const m = symmetricWithSpectrum(testSpectra.indefinite(200), { seed: 2, dtype: 'float64', backend: 'reference' });
  const { rules, run } = await slq(m.op, 200, { probes: 30, steps: 10, seed: 1, dtype: 'float64' });
  const est = traceFromRules(await quadratureRules(run), 200);
  t.deepEqual(est, traceFromRules(rules, 200));
  const exact = m.eigenvalues.reduce((a, b) => a + b, 0);
  t.true(est.stdError > 0);
  t.true(Math.abs(est.trace - exact) <= 4 * est.stdError, `${est.trace} vs ${exact} ± ${est.stdError}`);
});

test('spectralDensity · sigma is the standard deviation of each Gaussian, the density integrates to 1', (t) => {
  const sigma = 0.25;
  const d = spectralDensity([{ nodes: new Float64Array([1]), weights: new Float64Array([1]) }], { sigma, points: 2001 });
  const h = d.grid[1]! - d.grid[0]!;
  let mass = 0, mean = 0, second = 0;
  d.density.forEach((v, i) => { mass += v * h; mean += v * d.grid[i]! * h; });
  d.density.forEach((v, i) => { second += v * (d.grid[i]! - mean) ** 2 * h; });
  // The grid covers ±5σ: the mass beyond is erfc(5/√2) ≈ 5.7e-7.
  t.true(Math.abs(mass - 1) < 1e-6, `mass ${mass}`);
  t.true(Math.abs(Math.sqrt(second) - sigma) < 1e-5, `std ${Math.sqrt(second)}`);
  const peak = Math.max(...d.density);
  t.true(Math.abs(peak - 1 / (sigma * Math.sqrt(2 * Math.PI))) < 1e-9);
  // Two rules are averaged: each contributes half the mass.
  const two = spectralDensity([
    { nodes: new Float64Array([0]), weights: new Float64Array([1]) },
    { nodes: new Float64Array([10]), weights: new Float64Array([1]) },
  ], { sigma: 0.5, points: 4001 });
  const h2 = two.grid[1]! - two.grid[0]!;
  let left = 0;
  two.density.forEach((v, i) => { if (two.grid[i]! < 5) left += v * h2; });
  t.true(Math.abs(left - 0.5) < 1e-6);
  t.throws(() => spectralDensity([], {}), { instanceOf: TypeError, message: /'rules'/ });
  t.throws(() => spectralDensity([{ nodes: new Float64Array([0]), weights: new Float64Array([1]) }], { sigma: -1 }), { instanceOf: RangeError, message: "spectralDensity: expected a positive standard deviation for 'opts.sigma' but received -1" });
});

test('wasserstein1 · closed forms', (t) => {
  const a = { nodes: new Float64Array([0]), weights: new Float64Array([1]) };
  const b = { nodes: new Float64Array([3]), weights: new Float64Array([2]) };
  t.is(wasserstein1(a, b), 3);
  const c = { nodes: new Float64Array([0, 1]), weights: new Float64Array([0.5, 0.5]) };
  t.is(wasserstein1(a, c), 0.5);
  t.is(wasserstein1(c, c), 0);
});

test('bulkEdge · separates the bulk from isolated eigenvalues', (t) => {
  const n = 1000;
  // A bulk of n − 2 eigenvalues spread on [0, 1] and two outliers at 3 and 5.
  const nodes = [...Array.from({ length: 200 }, (_, i) => i / 199), 3, 5];
  const weights = [...new Array(200).fill((n - 2) / n / 200), 1 / n, 1 / n];
  const d = spectralDensity([{ nodes: Float64Array.from(nodes), weights: Float64Array.from(weights) }], { sigma: 0.05, points: 2000 });
  const { edge } = bulkEdge(d, n);
  t.true(edge > 1 && edge < 1.5, `edge ${edge}`);
  // Converged Ritz values above the edge are outliers; an unconverged one (residual 50%) is not.
  t.deepEqual(outliers([0.2, 2.9, 3, 5], [1e-9, 1.5, 1e-6, 1e-8], edge), [5, 3]);
});

test('meanAndError · sample mean and standard error', (t) => {
  const r = meanAndError([1, 2, 3, 4]);
  t.is(r.trace, 2.5);
  t.true(Math.abs(r.stdError - Math.sqrt(5 / 3 / 4)) < 1e-15);
  t.deepEqual(meanAndError([7]), { trace: 7, stdError: 0 });
});
