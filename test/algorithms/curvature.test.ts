// The curvature-study library against float64 oracles: the dense eigenvalue solver against
// matrices of known spectrum and the engine's symEig; dense Hessians against products;
// Lanczos top-k and the SLQ density against the dense eigendecomposition (Wasserstein bound of
// Chen, Trogdon & Ubaru 2021); the GGN + residual split; the sampler's determinism on every
// backend; the warm-started sharpness tracker; the loss along a line.

import test from 'ava';
import * as d from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import {
  curvatureOperator, denseMatrix, gapOutliers, lossAlongLine, minibatchSpectra, minibatchSubsets, nearZeroCount,
  SharpnessTracker, symEigenvalues, topEigenvalues,
} from '../../src/algorithms/curvature/index.js';
import { testBackends } from '../helpers/backends.js';

const U = Number.EPSILON;

function randomSymmetric(n: number, seed: number): Float64Array {
  const r = new d.Rng(seed).normal(n * n);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) { a[i * n + j] = r[i * n + j]!; a[j * n + i] = r[i * n + j]!; }
  return a;
}

test('symEigenvalues · known spectrum (QΛQᵀ) and the engine symEig to a few u·‖A‖', (t) => {
  const n = 60;
  const lambda = Float64Array.from({ length: n }, (_, i) => (i % 7 === 0 ? 0 : Math.sin(i) * 10 ** ((i % 5) - 2)));
  const q = d.randomOrthogonal(n, 3);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let k = 0; k < n; k++) s += q[i * n + k]! * lambda[k]! * q[j * n + k]!;
    a[i * n + j] = s;
  }
  const got = symEigenvalues(a, n);
  const want = Float64Array.from(lambda).sort();
  const scale = Math.max(...want.map(Math.abs));
  // Backward-stable reduction + bisection: |error| ≤ c·n·u·‖A‖ (c small); 4n·u·‖A‖ here.
  for (let i = 0; i < n; i++) t.true(Math.abs(got[i]! - want[i]!) <= 4 * n * U * scale, `λ_${i}: ${got[i]} vs ${want[i]}`);
  const b = randomSymmetric(40, 5);
  const e = d.symEig(b, 40).values;
  const g = symEigenvalues(b, 40);
  const bs = Math.max(Math.abs(e[0]!), Math.abs(e[39]!));
  for (let i = 0; i < 40; i++) t.true(Math.abs(g[i]! - e[i]!) <= 4 * 40 * U * bs);
  t.deepEqual(Array.from(symEigenvalues(new Float64Array([2, -1, -1, 2]), 2)).map((v) => Math.round(v * 1e12) / 1e12), [1, 3]);
});

// A tiny classification problem: MLP 4-6-3 (tanh), 24 examples, float64.
const N = 24;
const net = new d.MLP([4, 6, 3], { activation: 'tanh' });
const data = d.gaussianMixture({ n: N, classes: 3, features: 4, seed: 7, separation: 2 });
const X = d.tensor(Float64Array.from(data.x), [N, 4], { dtype: 'float64', backend: 'cpu' });
const Y = d.tensor(data.y, [N], { dtype: 'int32', backend: 'cpu' });
const P0 = net.init({ seed: 2, dtype: 'float64', backend: 'cpu' });
const n = net.size;

test('denseMatrix · column j is H·e_j; Lanczos top-k agrees with the float64 dense eigenvalues', async (t) => {
  const H = d.modelHessian(net, d.softmaxCrossEntropy, P0, { x: X, y: Y });
  const M = await denseMatrix(H, n, { dtype: 'float64', block: 7 });
  const v = Float64Array.from(new d.Rng(9).normal(n));
  const hv = await H.apply(d.tensor(v, [n], { dtype: 'float64', backend: 'cpu' })).data();
  let err = 0, scale = 0;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += M[i * n + j]! * v[j]!;
    err = Math.max(err, Math.abs(s - hv[i]!));
    scale = Math.max(scale, Math.abs(hv[i]!));
  }
  t.true(err <= 1e-12 * Math.max(1, scale), `M·v vs H·v: ${err}`);
  const dense = symEigenvalues(M, n);
  const top = Array.from(dense).reverse().slice(0, 5);
  const r = await d.eigsh(H.apply, n, { k: 5, tol: 1e-10, dtype: 'float64', backend: 'cpu', seed: 1 });
  // Converged Ritz values of a symmetric matrix lie within their residual of an eigenvalue;
  // with tol 1e-10 relative, and the dense values exact to ~n·u·‖H‖.
  for (let i = 0; i < 5; i++) {
    t.true(Math.abs(r.values[i]! - top[i]!) <= 1e-9 * Math.abs(top[0]!), `λ_${i + 1}: Lanczos ${r.values[i]} vs dense ${top[i]}`);
  }
  r.run.dispose();
  const mine = await topEigenvalues(net, d.softmaxCrossEntropy, P0, { x: X, y: Y }, { k: 3, tol: 1e-10, maxSteps: n });
  for (let i = 0; i < 3; i++) t.true(Math.abs(mine.values[i]! - top[i]!) <= 1e-9 * Math.abs(top[0]!));
  H.dispose();
});

test('SLQ density · within the Chen–Trogdon–Ubaru Wasserstein bound of the dense spectrum; Gauss moments exact', async (t) => {
  const H = d.modelHessian(net, d.softmaxCrossEntropy, P0, { x: X, y: Y });
  const M = await denseMatrix(H, n);
  const ev = symEigenvalues(M, n);
  const exact = { nodes: ev, weights: new Float64Array(n).fill(1 / n) };
  const m = 20, b = 30, eta = 1e-3;
  const { rules, run } = await d.slq(H.apply, n, { probes: b, steps: m, seed: 4, dtype: 'float64', backend: 'cpu', distribution: 'gaussian' });
  const w = d.wasserstein1(d.mergeRules(rules), exact);
  // Chen, Trogdon & Ubaru (ICML 2021, Thm 1): W1 ≤ t·(λmax − λmin) w.p. ≥ 1 − η with
  // ⌈12/t + ½⌉ Lanczos steps and ⌈4 ln(2n/η)/((n+2) t²)⌉ sphere-uniform probes; the two parts' t
  // are added here (the Gaussian probes are normalised, i.e. uniform on the sphere).
  const tGauss = 12 / (m - 0.5), tProbes = Math.sqrt((4 * Math.log(2 * n / eta)) / ((n + 2) * b));
  const bound = (tGauss + tProbes) * (ev[n - 1]! - ev[0]!);
  t.true(w <= bound, `W1 = ${w} vs bound ${bound}`);
  // Exactness of Gauss quadrature: the rule of probe p reproduces vᵀH^j v for j ≤ 2m − 1.
  const v = Float64Array.from(await run.basisRows(0, 1).data());
  let hv = v, moment = 0;
  for (let j = 1; j <= 3; j++) {
    const next = new Float64Array(n);
    for (let i = 0; i < n; i++) { let s = 0; for (let k = 0; k < n; k++) s += M[i * n + k]! * hv[k]!; next[i] = s; }
    hv = next;
    moment = 0;
    for (let i = 0; i < n; i++) moment += v[i]! * hv[i]!;
    const r = rules[0]!;
    let q = 0;
    for (let i = 0; i < r.nodes.length; i++) q += r.weights[i]! * r.nodes[i]! ** j;
    t.true(Math.abs(q - moment) <= 1e-10 * Math.max(1, Math.abs(ev[n - 1]!) ** j), `moment ${j}: ${q} vs ${moment}`);
  }
  run.dispose();
  H.dispose();
});

test('GGN + residual · H = G + R exactly (dense); G is positive semi-definite', async (t) => {
  const mats = await Promise.all((['hessian', 'ggn', 'residual'] as const).map(async (k) => {
    const op = curvatureOperator(k, net, d.softmaxCrossEntropy, P0, { x: X, y: Y });
    const m = await denseMatrix(op, n);
    op.dispose();
    return m;
  }));
  const [H, G, R] = mats as [Float64Array, Float64Array, Float64Array];
  let err = 0, scale = 0;
  for (let i = 0; i < n * n; i++) { err = Math.max(err, Math.abs(H[i]! - G[i]! - R[i]!)); scale = Math.max(scale, Math.abs(H[i]!)); }
  t.true(err <= 1e-13 * scale, `‖H − G − R‖max = ${err}`);
  const ge = symEigenvalues(G, n);
  t.true(ge[0]! >= -1e-12 * ge[n - 1]!, `λ_min(G) = ${ge[0]}`);
  // softmax cross-entropy with 3 classes: G = (1/N)Σ J_iᵀ A_i J_i has rank ≤ N·(3 − 1) = 48 ≥ n here,
  // but the output layer's bias block alone has rank ≤ 2: at least one zero direction.
  t.true(nearZeroCount(ge, 1e-9) >= 1);
});

test('sampler · same seeds give the same subsets and the same λ_max on cpu, reference (and webgpu)', async (t) => {
  const a = minibatchSubsets(100, 10, 3, 5), b = minibatchSubsets(100, 10, 3, 5);
  t.deepEqual(a.map((x) => Array.from(x)), b.map((x) => Array.from(x)));
  t.notDeepEqual(Array.from(a[0]!), Array.from(a[1]!));
  t.true(a.every((s) => new Set(s).size === 10 && s.every((i) => i >= 0 && i < 100)));
  const host = { x: data.x, y: data.y, n: N, features: 4 };
  const results: number[][][] = [];
  const backends = ['reference', ...(await testBackends()).filter((x) => x.backend).map((x) => x.name)];
  for (const be of backends) {
    const p = net.init({ seed: 2, dtype: 'float32', backend: be as d.BackendName });
    d.useBackend(be as d.BackendName);
    try {
      // 12 Lanczos steps: the same Krylov space on every backend (lavapipe's webgpu is slow).
      const r = await minibatchSpectra(net, d.softmaxCrossEntropy, p, host, { batchSizes: [8, N], subsets: 2, seed: 3, maxSteps: 12, tol: 1e-6, backend: be as d.BackendName });
      results.push(r.results.map((x) => x.values.map((v) => v[0]!)));
    } finally {
      d.useBackend('cpu');
      p.dispose();
    }
  }
  // float32 products, one Krylov space: the top Ritz value agrees across backends to ~1e-4 relative
  // (12 steps of float32 rounding, ~100u, amplified by the Ritz value's sensitivity).
  for (let i = 1; i < results.length; i++) {
    results[i]!.flat().forEach((v, j) => t.true(Math.abs(v - results[0]!.flat()[j]!) <= 1e-4 * Math.abs(results[0]!.flat()[j]!), `${backends[i]}: ${v} vs ${results[0]!.flat()[j]}`));
  }
  t.is(results[0]![1]!.length, 1, 'B = n: one subset');
});

test('sharpness tracker · warm start converges in fewer products to the dense λ_max', async (t) => {
  const M = await denseMatrix(d.modelHessian(net, d.softmaxCrossEntropy, P0, { x: X, y: Y }), n);
  const top = symEigenvalues(M, n)[n - 1]!;
  const tr = new SharpnessTracker({ every: 5, maxSteps: n, tol: 1e-8, seed: 1 });
  t.true(tr.due(10) && !tr.due(11));
  const cold = await tr.measure(d.modelHessian(net, d.softmaxCrossEntropy, P0, { x: X, y: Y }), 0);
  const warm = await tr.measure(d.modelHessian(net, d.softmaxCrossEntropy, P0, { x: X, y: Y }), 5);
  t.true(Math.abs(cold.value - top) <= 1e-7 * Math.abs(top), `${cold.value} vs ${top}`);
  t.true(Math.abs(warm.value - top) <= 1e-7 * Math.abs(top));
  t.true(warm.matvecs < cold.matvecs, `warm ${warm.matvecs} vs cold ${cold.matvecs} products`);
  tr.dispose();
});

test('lossAlongLine · endpoints equal the losses at a and b; the midpoint equals the loss at (a+b)/2', async (t) => {
  const b = net.init({ seed: 3, dtype: 'float64', backend: 'cpu' });
  const r = await lossAlongLine(net, d.softmaxCrossEntropy, P0, b, { x: X, y: Y }, { points: 5 });
  const at = async (p: Tensor) => (await d.softmaxCrossEntropy(net.apply(p, X), Y).data())[0]!;
  t.true(Math.abs(r.loss[0]! - (await at(P0))) <= 1e-13);
  t.true(Math.abs(r.loss[4]! - (await at(b))) <= 1e-13);
  t.true(Math.abs(r.loss[2]! - (await at(d.mul(d.add(P0, b), 0.5)))) <= 1e-13);
  t.is(r.barrier, Math.max(...r.loss) - Math.max(r.loss[0]!, r.loss[4]!));
  t.deepEqual(r.s, [0, 0.25, 0.5, 0.75, 1]);
});

test('gapOutliers and nearZeroCount', (t) => {
  t.deepEqual(gapOutliers([100, 90, 80, 2, 1.5, 1, 0.5, 0], 5), { count: 3, ratio: 40, edge: 2 });
  t.is(nearZeroCount([10, 1, 0.005, -0.001, 0]), 3);
});
