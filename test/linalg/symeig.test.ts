// The dense symmetric eigensolver (symEig, symEigenvalues in src/linalg/dense.ts) against
// matrices of known spectrum, including many exactly repeated and zero eigenvalues, and a
// float64 ReLU-net Hessian with exact zero rows (on which the previous QL deflation test
// never fired: "no convergence after 60 QL sweeps").
//
// Bounds are LAPACK's (xSYT21 / xSTT21): with ε = 2^-52 and ‖A‖ the 1-norm, a backward-stable
// solver gives |λ̂_j − λ_j| ≤ r·n·ε·‖A‖, ‖A·v_j − λ_j·v_j‖∞ ≤ r·n·ε·‖A‖ and |VᵀV − I| ≤ r·n·ε,
// with LAPACK's pass threshold r = 30.

import test from 'ava';
import type { ExecutionContext } from 'ava';
import * as d from '../../src/index.js';
import { symEig, symEigenvalues } from '../../src/linalg/dense.js';
import { denseMatrix } from '../../src/algorithms/curvature/index.js';

const EPS = 2 ** -52;
const R = 30;

function norm1(a: Float64Array, n: number): number {
  let best = 0;
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += Math.abs(a[i * n + j]!);
    best = Math.max(best, s);
  }
  return best;
}

/** A = HΛH with H = I − 2uuᵀ/uᵀu (a dense matrix with spectrum exactly Λ), built in O(n²). */
function reflected(lambda: Float64Array, seed: number): Float64Array {
  const n = lambda.length;
  const u = Float64Array.from(new d.Rng(seed).normal(n));
  let uu = 0;
  for (const x of u) uu += x * x;
  // HΛH = Λ − (2/uu)(Λu uᵀ + u uᵀΛ) + (4/uu²)(uᵀΛu) u uᵀ.
  let ulu = 0;
  for (let i = 0; i < n; i++) ulu += u[i]! * lambda[i]! * u[i]!;
  const a = new Float64Array(n * n);
  const c = 2 / uu, c2 = (4 * ulu) / (uu * uu);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      a[i * n + j] = (i === j ? lambda[i]! : 0) - c * (lambda[i]! * u[i]! * u[j]! + u[i]! * u[j]! * lambda[j]!) + c2 * u[i]! * u[j]!;
    }
  }
  return a;
}

function checkValues(t: ExecutionContext, got: Float64Array, lambda: Float64Array, an: number, what: string): void {
  const want = Float64Array.from(lambda).sort();
  const n = want.length;
  let err = 0;
  for (let i = 0; i < n; i++) err = Math.max(err, Math.abs(got[i]! - want[i]!));
  t.true(err <= R * n * EPS * an, `${what}: max |λ̂ − λ| = ${err} > ${R}·n·ε·‖A‖ = ${R * n * EPS * an}`);
}

function checkPairs(t: ExecutionContext, a: Float64Array, n: number, values: Float64Array, vectors: Float64Array, what: string): void {
  const an = norm1(a, n);
  let resid = 0, orth = 0, sorted = true;
  const col = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    if (j > 0 && values[j]! < values[j - 1]!) sorted = false;
    for (let i = 0; i < n; i++) col[i] = vectors[i * n + j]!;
    for (let i = 0; i < n; i++) {
      let s = 0;
      const row = i * n;
      for (let k = 0; k < n; k++) s += a[row + k]! * col[k]!;
      resid = Math.max(resid, Math.abs(s - values[j]! * col[i]!));
    }
  }
  const vt = new Float64Array(n * n); // Vᵀ, so that column dot products are contiguous
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) vt[j * n + i] = vectors[i * n + j]!;
  for (let j = 0; j < n; j++) {
    for (let l = 0; l <= j; l++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += vt[j * n + i]! * vt[l * n + i]!;
      orth = Math.max(orth, Math.abs(s - (l === j ? 1 : 0)));
    }
  }
  t.true(sorted, `${what}: eigenvalues ascending`);
  t.true(resid <= R * n * EPS * an, `${what}: ‖Av − λv‖∞ = ${resid} > ${R}·n·ε·‖A‖ = ${R * n * EPS * an}`);
  t.true(orth <= R * n * EPS, `${what}: |VᵀV − I| = ${orth} > ${R}·n·ε = ${R * n * EPS}`);
}

test('symEig · known spectrum with repeated and zero eigenvalues: values, residuals, orthogonality', (t) => {
  const n = 150;
  // 60 exact zeros, a 40-fold eigenvalue 2, a 20-fold −1, and 30 distinct values of mixed scale.
  const lambda = Float64Array.from({ length: n }, (_, i) => (i < 60 ? 0 : i < 100 ? 2 : i < 120 ? -1 : Math.sin(i) * 10 ** ((i % 4) - 2)));
  const a = reflected(lambda, 11);
  const an = norm1(a, n);
  const { values, vectors } = symEig(a, n);
  checkValues(t, values, lambda, an, 'symEig');
  checkPairs(t, a, n, values, vectors, 'symEig');
  checkValues(t, symEigenvalues(a, n), lambda, an, 'symEigenvalues');
});

test('symEig · a random symmetric matrix; a zero matrix; n = 1 and 2', (t) => {
  const n = 120;
  const r = new d.Rng(5).normal(n * n);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) { a[i * n + j] = r[i * n + j]!; a[j * n + i] = r[i * n + j]!; }
  const { values, vectors } = symEig(a, n);
  checkPairs(t, a, n, values, vectors, 'random');
  const v2 = symEigenvalues(a, n);
  for (let i = 0; i < n; i++) t.true(Math.abs(v2[i]! - values[i]!) <= R * n * EPS * norm1(a, n));
  const z = symEig(new Float64Array(25), 5);
  t.deepEqual(Array.from(z.values), [0, 0, 0, 0, 0]);
  checkPairs(t, new Float64Array(25), 5, z.values, z.vectors, 'zero');
  t.deepEqual(Array.from(symEig(new Float64Array([-3]), 1).values), [-3]);
  const two = symEig(new Float64Array([2, 1, 1, 2]), 2);
  checkValues(t, two.values, new Float64Array([1, 3]), 3, '2×2');
  checkPairs(t, new Float64Array([2, 1, 1, 2]), 2, two.values, two.vectors, '2×2');
});

test('symEig · errors name the function and the argument', (t) => {
  t.throws(() => symEig(new Float64Array(3), 2), { instanceOf: RangeError, message: /symEig.*'a'/ });
  t.throws(() => symEigenvalues(new Float64Array([1, NaN, NaN, 1]), 2), { instanceOf: RangeError, message: /symEigenvalues: expected finite numbers in 'a' but received NaN/ });
});

test('symEig · float64 ReLU-net Hessian with exact zero rows (used to throw "no convergence after 60 QL sweeps")', async (t) => {
  // MLP 6-16-3 (ReLU) on 16 examples: dead units give exact zero rows, so many exact zero
  // eigenvalues, and Householder leaves roundoff-sized blocks in T.
  const N = 16;
  const net = new d.MLP([6, 16, 3], { activation: 'relu' });
  const data = d.gaussianMixture({ n: N, classes: 3, features: 6, seed: 7, separation: 2 });
  const X = d.tensor(Float64Array.from(data.x), [N, 6], { dtype: 'float64', backend: 'cpu' });
  const Y = d.tensor(data.y, [N], { dtype: 'int32', backend: 'cpu' });
  const P = net.init({ seed: 1, dtype: 'float64', backend: 'cpu' });
  const H = d.modelHessian(net, d.softmaxCrossEntropy, P, { x: X, y: Y });
  const n = net.size;
  const a = await denseMatrix(H, n);
  H.dispose();
  let zeroRows = 0;
  for (let i = 0; i < n; i++) if (a.subarray(i * n, (i + 1) * n).every((x) => x === 0)) zeroRows++;
  t.true(zeroRows >= 2, `zero rows: ${zeroRows}`);
  const { values, vectors } = symEig(a, n);
  checkPairs(t, a, n, values, vectors, 'ReLU Hessian');
  const an = norm1(a, n);
  // Each exact zero row is an exact eigenvector with eigenvalue 0: at least that many |λ| ≤ bound.
  t.true(values.filter((v) => Math.abs(v) <= R * n * EPS * an).length >= zeroRows);
  const v2 = symEigenvalues(a, n);
  for (let i = 0; i < n; i++) t.true(Math.abs(v2[i]! - values[i]!) <= R * n * EPS * an);
  // Trace and Frobenius norm are preserved exactly by the orthogonal similarity.
  let tr = 0, fro = 0, st = 0, sf = 0;
  for (let i = 0; i < n; i++) { tr += a[i * n + i]!; for (let j = 0; j < n; j++) fro += a[i * n + j]! ** 2; st += values[i]!; sf += values[i]! ** 2; }
  t.true(Math.abs(tr - st) <= R * n * EPS * an, `trace ${tr} vs Σλ ${st}`);
  t.true(Math.abs(fro - sf) <= R * n * EPS * an * an, `‖A‖F² ${fro} vs Σλ² ${sf}`);
});

test('symEigenvalues · n = 2000, known spectrum (HΛH) with 500 zeros and a 300-fold eigenvalue', (t) => {
  const n = 2000;
  const lambda = Float64Array.from({ length: n }, (_, i) => (i < 500 ? 0 : i < 800 ? 0.5 : Math.cos(i) * 3));
  const a = reflected(lambda, 3);
  const t0 = performance.now();
  const got = symEigenvalues(a, n);
  t.log(`symEigenvalues n = ${n}: ${((performance.now() - t0) / 1000).toFixed(2)} s`);
  checkValues(t, got, lambda, norm1(a, n), 'n = 2000');
});
