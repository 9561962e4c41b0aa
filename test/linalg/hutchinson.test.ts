// Trace estimators: exactness where the maths says so, Hutch++ beating Hutchinson at equal
// products, and the Krylov-deflated estimator's formula and variance reduction.
//
// Statistical checks use fixed seeds and compare with the exact trace within 4 standard
// errors (for a normal estimate the chance of a larger deviation is 6e-5).

import test from 'ava';
import * as d from '../../src/index.js';
import { deflatedTrace, hutchinson, hutchPlusPlus } from '../../src/linalg/hutchinson.js';
import { lanczos } from '../../src/linalg/lanczos.js';
import { countingOperator, matrixOperator, symmetricWithSpectrum, testSpectra } from '../../src/linalg/operators.js';
import { PROBE_STREAM, probeRows, probeValues } from '../../src/linalg/probes.js';
import { powerIteration } from '../../src/linalg/power.js';
import { U } from '../helpers/close.js';

const sum = (a: ArrayLike<number>) => Array.from(a).reduce((s, v) => s + v, 0);

test('hutchinson · Rademacher probes are exact on a diagonal matrix', async (t) => {
  const n = 50;
  const diag = Array.from({ length: n }, (_, i) => i - 20);
  const a = new Float64Array(n * n);
  diag.forEach((v, i) => { a[i * n + i] = v; });
  const r = await hutchinson(matrixOperator(d.tensor(a, [n, n], { backend: 'reference' })), n, { probes: 7, block: 3, seed: 1, dtype: 'float64', backend: 'reference' });
  t.is(r.trace, sum(diag));
  t.is(r.stdError, 0);
  t.is(r.matvecs, 7);
});

test('hutchinson · blocks do not change the probes; the estimate is within 4 standard errors', async (t) => {
  const m = symmetricWithSpectrum(testSpectra.indefinite(200), { seed: 4, dtype: 'float64', backend: 'reference' });
  const a = await hutchinson(m.op, 200, { probes: 40, block: 40, seed: 3, dtype: 'float64', backend: 'reference' });
  const counted = countingOperator(m.op);
  const b = await hutchinson(counted.op, 200, { probes: 40, block: 7, seed: 3, dtype: 'float64', backend: 'reference' });
  t.is(counted.calls, 6);
  for (let i = 0; i < 40; i++) t.true(Math.abs(a.samples[i]! - b.samples[i]!) <= 200 * U.float64 * 25 * 200);
  const exact = sum(m.eigenvalues);
  t.true(Math.abs(a.trace - exact) <= 4 * a.stdError, `${a.trace} vs ${exact} ± ${a.stdError}`);
});

test('hutchPlusPlus · lower error than Hutchinson at equal products (mean over 10 seeds, decaying spectrum)', async (t) => {
  const n = 200;
  const m = symmetricWithSpectrum(testSpectra.decaying(n), { seed: 4, dtype: 'float64', backend: 'reference' });
  const exact = sum(m.eigenvalues);
  let eh = 0, ep = 0;
  for (let seed = 0; seed < 10; seed++) {
    const counted = countingOperator(m.op);
    const h = await hutchinson(m.op, n, { probes: 30, seed, dtype: 'float64', backend: 'reference' });
    const p = await hutchPlusPlus(counted.op, n, { matvecs: 30, seed, dtype: 'float64', backend: 'reference' });
    t.is(counted.matvecs, 30);
    t.is(p.matvecs, 30);
    t.true(p.stdError > 0);
    eh += Math.abs(h.trace - exact);
    ep += Math.abs(p.trace - exact);
  }
  t.true(ep < eh, `Hutch++ mean error ${ep / 10} ≥ Hutchinson's ${eh / 10}`);
});

test('hutchPlusPlus · a matrix of rank below the sketch is captured exactly', async (t) => {
  // Rank 5: the sketch of 10 probes spans the range, so the deflated remainder is zero.
  const n = 60;
  const lam = new Float64Array(n);
  [4, 3, 2, 1, -1].forEach((v, i) => { lam[i] = v; });
  const m = symmetricWithSpectrum(lam, { seed: 8, dtype: 'float64', backend: 'reference' });
  const r = await hutchPlusPlus(m.op, n, { matvecs: 30, seed: 2, dtype: 'float64', backend: 'reference' });
  t.true(Math.abs(r.trace - 9) <= 1e-10, `${r.trace}`);
  t.true(Math.abs(r.exactPart - 9) <= 1e-10);
  t.true(r.matvecs <= 30);
});

test('deflatedTrace · the free samples equal (Pg)ᵀA(Pg) computed directly', async (t) => {
  const n = 150, probes = 4, steps = 12;
  const m = symmetricWithSpectrum(testSpectra.wellSeparated(n), { seed: 6, dtype: 'float64', backend: 'reference' });
  const run = await lanczos(m.op, n, { steps, probes, seed: 2, dtype: 'float64', backend: 'reference' });
  const g = probeRows('rademacher', n, probes, { seed: 2, stream: PROBE_STREAM.lanczos, dtype: 'float64', backend: 'reference' });
  const est = await deflatedTrace(m.op, run, { startProbes: g });
  t.is(est.samples.length, probes - 1);
  t.is(est.matvecs, 0);
  const q = await run.basisRows(0).data();
  const gv = probeValues('rademacher', n, probes, { seed: 2, stream: PROBE_STREAM.lanczos });
  for (let p = 1; p < probes; p++) {
    const pg = Float64Array.from(gv.subarray(p * n, (p + 1) * n));
    for (let pass = 0; pass < 2; pass++) {
      for (let i = 0; i < steps; i++) {
        let c = 0;
        for (let r = 0; r < n; r++) c += q[i * n + r]! * pg[r]!;
        for (let r = 0; r < n; r++) pg[r]! -= c * q[i * n + r]!;
      }
    }
    let quad = 0;
    for (let r = 0; r < n; r++) {
      let s = 0;
      for (let c = 0; c < n; c++) s += m.dense[r * n + c]! * pg[c]!;
      quad += pg[r]! * s;
    }
    // Both sides are sums of O(n²) terms of size up to ‖A‖·|g|²/n… bounded by n²·u·‖A‖·n.
    t.true(Math.abs(est.samples[p - 1]! - quad) <= n * n * U.float64 * 100 * n, `probe ${p}: ${est.samples[p - 1]} vs ${quad}`);
  }
  let trT = 0;
  for (const a of run.alpha[0]!) trT += a;
  t.is(est.exactPart, trT);
});

test('deflatedTrace · unbiased, and a smaller standard error than Hutchinson with as many samples', async (t) => {
  const n = 400;
  const m = symmetricWithSpectrum(testSpectra.wellSeparated(n), { seed: 3, dtype: 'float64', backend: 'reference' });
  const exact = sum(m.eigenvalues);
  const run = await lanczos(m.op, n, { steps: 30, probes: 8, seed: 2, dtype: 'float64', backend: 'reference' });
  const g = probeRows('rademacher', n, 8, { seed: 2, stream: PROBE_STREAM.lanczos, dtype: 'float64', backend: 'reference' });
  const counted = countingOperator(m.op);
  const est = await deflatedTrace(counted.op, run, { startProbes: g, extraProbes: 21, block: 8, seed: 1 });
  t.is(counted.matvecs, 21);
  t.is(est.samples.length, 28);
  const h = await hutchinson(m.op, n, { probes: 28, seed: 1, dtype: 'float64', backend: 'reference' });
  t.true(Math.abs(est.trace - exact) <= 4 * est.stdError, `${est.trace} vs ${exact} ± ${est.stdError}`);
  t.true(est.stdError < h.stdError / 2, `deflated ±${est.stdError} vs Hutchinson ±${h.stdError}`);
});

test('quadratic forms replace the products for the samples: same estimates, no operator calls for them', async (t) => {
  const n = 120;
  const m = symmetricWithSpectrum(testSpectra.indefinite(n), { seed: 8, dtype: 'float64', backend: 'reference' });
  const a = d.tensor(m.dense, [n, n], { dtype: 'float64', backend: 'reference' });
  let formCalls = 0;
  const quadratic = (G: d.Tensor) => { formCalls++; return d.sum(d.mul(G, d.matmul(G, a)), 1); };
  // Per sample both sides sum n² terms of size ≤ ‖A‖ (|g_i| = 1): |Δ| ≤ 2·n²·u·‖A‖.
  const normA = Math.max(...Array.from(m.eigenvalues, Math.abs));
  const close = (x: ArrayLike<number>, y: ArrayLike<number>, what: string) => {
    t.is(x.length, y.length);
    for (let i = 0; i < x.length; i++) t.true(Math.abs(x[i]! - y[i]!) <= 2 * n * n * U.float64 * normA, `${what} sample ${i}: ${x[i]} vs ${y[i]}`);
  };
  const common = { seed: 4, dtype: 'float64' as const, backend: 'reference' as const, block: 5 };
  const counted = countingOperator(m.op);
  const h1 = await hutchinson(m.op, n, { ...common, probes: 12 });
  const h2 = await hutchinson(counted.op, n, { ...common, probes: 12, quadratic });
  close(h1.samples, h2.samples, 'hutchinson');
  t.is(counted.calls, 0);
  t.is(h2.matvecs, 0);
  t.is(formCalls, 3);
  const p1 = await hutchPlusPlus(m.op, n, { ...common, matvecs: 30 });
  const p2 = await hutchPlusPlus(m.op, n, { ...common, matvecs: 30, quadratic });
  close(p1.samples, p2.samples, 'hutchPlusPlus');
  t.is(p2.matvecs, p1.matvecs - 10);
  const run = await lanczos(m.op, n, { steps: 15, seed: 2, dtype: 'float64', backend: 'reference' });
  const d1 = await deflatedTrace(m.op, run, { extraProbes: 9, block: 4, seed: 3 });
  const d2 = await deflatedTrace(counted.op, run, { extraProbes: 9, block: 4, seed: 3, quadratic });
  close(d1.samples, d2.samples, 'deflatedTrace');
  t.is(counted.calls, 0);
  t.is(d2.matvecs, 0);
});

test('powerIteration · finds the largest magnitude, which can be negative (as in PyHessian)', async (t) => {
  const m = symmetricWithSpectrum(testSpectra.wellSeparated(100), { seed: 1, dtype: 'float64', backend: 'reference' });
  const p = await powerIteration(m.op, 100, { tol: 1e-8, maxIter: 1000, seed: 1, dtype: 'float64', backend: 'reference' });
  t.true(p.converged);
  t.true(Math.abs(p.value - 100) <= 1e-8 * 100 + p.residual);
  const ind = symmetricWithSpectrum(testSpectra.indefinite(100), { seed: 1, dtype: 'float64', backend: 'reference' });
  const q = await powerIteration(ind.op, 100, { tol: 1e-8, maxIter: 2000, seed: 1, dtype: 'float64', backend: 'reference' });
  t.true(q.converged);
  t.true(Math.abs(q.value + 25) <= 1e-6, `${q.value}`);
  t.is(q.matvecs, q.iterations);
});
