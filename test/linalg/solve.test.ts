// Dense f64 solvers against backward-error bounds, numpy/LAPACK fixtures
// (test/fixtures/linalg/make-solve.py) and the pseudo-inverse built from symEig.

import test from 'ava';
import type { ExecutionContext } from 'ava';
import { readFileSync } from 'node:fs';
import { cholesky, choleskySolve, solve, inverse, lstsq, cond, svd, symEig, randomOrthogonal } from '../../src/linalg/index.js';
import { normal } from '../../src/random.js';

const fx = JSON.parse(readFileSync(new URL('../fixtures/linalg/solve.json', import.meta.url), 'utf8'));
const u = 2 ** -53;

function matmul(a: ArrayLike<number>, b: ArrayLike<number>, m: number, k: number, n: number): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let l = 0; l < k; l++) for (let j = 0; j < n; j++) c[i * n + j] += a[i * k + l]! * b[l * n + j]!;
  return c;
}
function transpose(a: ArrayLike<number>, m: number, n: number): Float64Array {
  const t = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) t[j * m + i] = a[i * n + j]!;
  return t;
}
const maxAbs = (a: ArrayLike<number>): number => { let s = 0; for (let i = 0; i < a.length; i++) s = Math.max(s, Math.abs(a[i]!)); return s; };
const rand = (seed: number, n: number): Float64Array => Float64Array.from(normal(seed, n));

function within(t: ExecutionContext, a: ArrayLike<number>, e: ArrayLike<number>, bound: number, label: string): void {
  let worst = 0;
  for (let i = 0; i < e.length; i++) worst = Math.max(worst, Math.abs(a[i]! - e[i]!));
  t.true(a.length === e.length && worst <= bound, `${label}: max |Δ| = ${worst} > ${bound}`);
}

/** |A·x − b| ≤ c·n·u·(|A|·|x| + |b|) elementwise: the backward-stable residual (Higham, Thm 9.4). */
function assertResidual(t: ExecutionContext, a: Float64Array, x: Float64Array, b: Float64Array, n: number, nrhs: number, c: number, label: string): void {
  let fails = 0, worst = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < nrhs; j++) {
    let r = -b[i * nrhs + j]!, s = Math.abs(b[i * nrhs + j]!);
    for (let k = 0; k < n; k++) { r += a[i * n + k]! * x[k * nrhs + j]!; s += Math.abs(a[i * n + k]! * x[k * nrhs + j]!); }
    const ratio = Math.abs(r) / (c * n * u * s);
    worst = Math.max(worst, ratio);
    if (ratio > 1) fails++;
  }
  t.is(fails, 0, `${label}: residual ${worst.toFixed(2)}× the bound`);
}

/** A = Q1·diag(σ)·Q2ᵀ with σ geometric from 1 to 1/κ. */
function withCondition(n: number, kappa: number, seed: number): Float64Array {
  const q1 = randomOrthogonal(n, seed, 0), q2 = randomOrthogonal(n, seed, 1);
  const d = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) d[i * n + j] = q1[i * n + j]! * kappa ** (-j / (n - 1));
  return matmul(d, transpose(q2, n, n), n, n, n);
}

test('solve: numpy fixture, and backward-stable residuals on well- and ill-conditioned matrices', (t) => {
  const f = fx.solve;
  const x = solve(Float64Array.from(f.a), Float64Array.from(f.b), f.n, 2);
  // Forward error ≤ κ·(backward error) for each of the two solvers.
  within(t, x, f.x, 2 * 4 * f.n * u * f.cond * maxAbs(f.x), 'x vs numpy');
  within(t, inverse(f.a, f.n), f.inv, 2 * 4 * f.n * u * f.cond * maxAbs(f.inv), 'inverse vs numpy');
  for (const [n, kappa] of [[20, 10], [50, 1e3], [40, 1e12]] as const) {
    const a = withCondition(n, kappa, n);
    const b = rand(n + 1, n * 3);
    const xs = solve(a, b, n, 3);
    // Partial pivoting's growth factor on these matrices is below n; the residual bound carries it.
    assertResidual(t, a, xs, b, n, 3, 4 * n, `n=${n} κ=${kappa}`);
    // Against a known solution: error ≤ κ·n·u·(growth) relative.
    const xt = rand(n + 2, n);
    const bt = matmul(a, xt, n, n, 1);
    within(t, solve(a, bt, n), xt, kappa * 4 * n * n * u * maxAbs(xt), `known x, κ=${kappa}`);
    const inv = inverse(a, n);
    const eye = matmul(a, inv, n, n, n);
    for (let i = 0; i < n; i++) eye[i * n + i] -= 1;
    t.true(maxAbs(eye) <= kappa * 4 * n * n * u, `A·A⁻¹ − I: ${maxAbs(eye)} (κ=${kappa})`);
  }
  t.deepEqual(Array.from(solve([2, 1, 1, 3], [3, 5], 2)).map((v) => +v.toFixed(12)), [0.8, 1.4]);
  t.throws(() => solve([1, 2, 2, 4], [1, 1], 2), { instanceOf: RangeError, message: /solve: expected a nonsingular matrix for 'a' but it is singular to working precision \(column 1/ });
  t.throws(() => inverse(new Float64Array(9), 3), { instanceOf: RangeError, message: /inverse: expected a nonsingular matrix for 'a'/ });
  t.throws(() => solve([1, 2, 3], [1, 1], 2), { instanceOf: RangeError, message: /solve: expected a Float64Array of length 4 \(2×2, row-major\) for 'a' but received an array of length 3/ });
  t.throws(() => solve([1, 0, 0, 1], [1, NaN], 2), { instanceOf: RangeError, message: /'b' but element 1 is NaN/ });
});

test('cholesky: numpy fixture, L·Lᵀ = A to rounding, solves, jitter, and a named error when not positive definite', (t) => {
  const f = fx.cholesky, n = f.n;
  const L = cholesky(f.a, n);
  // Higham Thm 10.3: |L·Lᵀ − A| ≤ γ_{n+1}|L||Lᵀ|; the factor of a PD matrix is well conditioned relative to √κ.
  const llt = matmul(L, transpose(L, n, n), n, n, n);
  within(t, llt, f.a, 2 * (n + 1) * u * maxAbs(f.a), 'L·Lᵀ');
  within(t, L, f.L, 8 * (n + 1) * u * cond(f.a, n) * maxAbs(f.L), 'L vs numpy');
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) t.is(L[i * n + j], 0);
  const b = rand(3, n * 2);
  const x = choleskySolve(L, b, n, 2);
  assertResidual(t, Float64Array.from(f.a), x, b, n, 2, 4 * n, 'choleskySolve');
  const m = 30, big = withCondition(m, 1e6, 9);
  const spd = matmul(big, transpose(big, m, m), m, m, m); // κ = 1e12
  const bb = rand(4, m);
  assertResidual(t, spd, choleskySolve(cholesky(spd, m), bb, m), bb, m, 1, 4 * m, 'κ=1e12');
  // A positive semi-definite matrix of rank 1: fails without jitter, factorises with it.
  const psd = Float64Array.of(1, 1, 1, 1);
  t.throws(() => cholesky(psd, 2), { instanceOf: RangeError, message: /cholesky: expected a symmetric positive definite matrix for 'a' but pivot 1 is 0 \(not positive\); opts.jitter/ });
  const Lj = cholesky(psd, 2, { jitter: 1e-6 });
  within(t, matmul(Lj, transpose(Lj, 2, 2), 2, 2, 2), [1 + 1e-6, 1, 1, 1 + 1e-6], 8 * u, 'jitter');
  t.throws(() => cholesky([1, 2, 2, 1], 2), { instanceOf: RangeError, message: /pivot 1 is -3/ });
  t.throws(() => cholesky([1, 0, 0, 1], 2, { jitter: -1 }), { instanceOf: RangeError, message: /'opts.jitter'/ });
});

test('svd and cond: reconstruction, orthogonality, numpy condition number', (t) => {
  for (const [m, n] of [[7, 4], [4, 7], [5, 5]] as const) {
    const a = rand(m * 10 + n, m * n);
    const { u: U, s, v } = svd(a, m, n);
    const k = Math.min(m, n);
    const us = new Float64Array(m * k);
    for (let i = 0; i < m; i++) for (let j = 0; j < k; j++) us[i * k + j] = U[i * k + j]! * s[j]!;
    within(t, matmul(us, transpose(v, n, k), m, k, n), a, 8 * Math.max(m, n) * u * s[0]!, `U·S·Vᵀ ${m}×${n}`);
    const utu = matmul(transpose(U, m, k), U, k, m, k), vtv = matmul(transpose(v, n, k), v, k, n, k);
    for (let i = 0; i < k; i++) { utu[i * k + i] -= 1; vtv[i * k + i] -= 1; }
    t.true(maxAbs(utu) <= 8 * Math.max(m, n) * u && maxAbs(vtv) <= 8 * Math.max(m, n) * u, `orthogonality ${maxAbs(utu)} ${maxAbs(vtv)}`);
    for (let i = 1; i < k; i++) t.true(s[i - 1]! >= s[i]!);
  }
  const f = fx.solve;
  const c = cond(f.a, f.n);
  t.true(Math.abs(c - f.cond) <= 8 * f.n * u * f.cond * f.cond, `cond ${c} vs ${f.cond}`);
  const k2 = cond(withCondition(20, 1e8, 3), 20);
  t.true(Math.abs(k2 - 1e8) <= 1e8 * 20 * 8 * u * 1e8, `cond ${k2} vs 1e8`);
  t.is(cond([1, 2, 2, 4], 2), Infinity);
});

test('lstsq: minimum-norm solutions of rank-deficient and wide systems match numpy and the symEig pseudo-inverse', (t) => {
  const f = fx.lstsqDeficient, m = f.m, n = f.n;
  const r = lstsq(f.a, f.b, m, n, 2);
  t.is(r.rank, f.rank);
  const kappa = f.s[0] / f.s[f.rank - 1];
  within(t, r.x, f.x, 8 * Math.max(m, n) * u * kappa * maxAbs(f.x), 'x vs numpy lstsq');
  within(t, r.s.subarray(0, f.rank), f.s.slice(0, f.rank), 8 * Math.max(m, n) * u * f.s[0], 'singular values');
  // Pseudo-inverse from symEig: A⁺ = (AᵀA)⁺Aᵀ, (AᵀA)⁺ = Σ_{λᵢ > tol} qᵢqᵢᵀ/λᵢ.
  const at = transpose(f.a, m, n);
  const ata = matmul(at, f.a, n, m, n);
  const { values, vectors } = symEig(ata, n);
  const pinvAtA = new Float64Array(n * n);
  const tol = Math.max(m, n) * u * 4 * values[n - 1]!;
  let rank = 0;
  for (let j = 0; j < n; j++) {
    if (values[j]! <= tol) continue;
    rank++;
    for (let i = 0; i < n; i++) for (let l = 0; l < n; l++) pinvAtA[i * n + l] += vectors[i * n + j]! * vectors[l * n + j]! / values[j]!;
  }
  t.is(rank, f.rank);
  const pinvX = matmul(matmul(pinvAtA, at, n, n, m), f.b, n, m, 2);
  // The normal-equations route loses κ²·u.
  within(t, r.x, pinvX, 8 * Math.max(m, n) * u * kappa * kappa * maxAbs(pinvX), 'x vs symEig pseudo-inverse');
  within(t, pinvX, f.pinvX, 8 * Math.max(m, n) * u * kappa * kappa * maxAbs(pinvX), 'symEig pinv vs numpy pinv');
  // Optimality: Aᵀ(A·x − b) = 0; minimality: x has no component in the null space.
  const res = matmul(f.a, r.x, m, n, 2);
  for (let i = 0; i < m * 2; i++) res[i] -= f.b[i];
  t.true(maxAbs(matmul(at, res, n, m, 2)) <= 8 * Math.max(m, n) * u * kappa * f.s[0] * f.s[0] * maxAbs(r.x), 'normal equations');
  for (let j = 0; j < n; j++) {
    if (values[j]! > tol) continue;
    for (let c = 0; c < 2; c++) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += vectors[i * n + j]! * r.x[i * 2 + c]!;
      t.true(Math.abs(dot) <= 8 * Math.max(m, n) * u * kappa * maxAbs(r.x), `null-space component ${dot}`);
    }
  }
  for (let c = 0; c < 2; c++) {
    let ss = 0;
    for (let i = 0; i < m; i++) ss += res[i * 2 + c]! ** 2;
    t.true(Math.abs(r.residual[c]! - Math.sqrt(ss)) <= 1e-12 * Math.sqrt(ss));
  }
  const w = fx.lstsqWide;
  const rw = lstsq(w.a, w.b, w.m, w.n);
  t.is(rw.rank, 3);
  within(t, rw.x, w.x, 1e3 * u * maxAbs(w.x), 'wide x vs numpy');
  t.true(rw.residual[0]! <= 1e3 * u * maxAbs(w.b));
  t.deepEqual(Array.from(lstsq([1, 1], [2], 1, 2).x).map((v) => +v.toFixed(12)), [1, 1]);
  const zero = lstsq(new Float64Array(6), Float64Array.of(1, 2), 2, 3);
  t.is(zero.rank, 0);
  t.deepEqual(Array.from(zero.x), [0, 0, 0]);
  t.throws(() => lstsq([1, 2], [1, 2], 2, 2), { instanceOf: RangeError, message: /lstsq: expected a Float64Array of length 4 \(2×2, row-major\) for 'a'/ });
});
