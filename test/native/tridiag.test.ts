// The native tridiagonal eigensolver against known spectra and a dense Jacobi eigensolver.
//
// Bounds are LAPACK's tests for the symmetric tridiagonal drivers (xSTT21): with ε = 2^-52
// and ‖T‖ the 1-norm, a backward-stable solver gives ‖T·v_j − λ_j·v_j‖ ≤ r·k·ε·‖T‖,
// |VᵀV − I| ≤ r·k·ε and |λ̂_j − λ_j| ≤ r·k·ε·‖T‖, with LAPACK's pass threshold r = 30.

import test from 'ava';
import type { ExecutionContext } from 'ava';
import { tridiagEig, tridiagEigSync } from '../../src/backend/cpu/index.js';
import type { EigResult } from '../../src/backend/cpu/index.js';
import { randn } from '../helpers/gen.js';

const EPS = 2 ** -52;
const R = 30;

function norm1(alpha: Float64Array, beta: Float64Array): number {
  let best = 0;
  for (let i = 0; i < alpha.length; i++) {
    best = Math.max(best, Math.abs(alpha[i]!) + (i > 0 ? Math.abs(beta[i - 1]!) : 0) + (i < beta.length ? Math.abs(beta[i]!) : 0));
  }
  return best;
}

/** Residuals, orthogonality and ordering of a decomposition, against LAPACK's thresholds. */
function checkDecomposition(t: ExecutionContext, alpha: Float64Array, beta: Float64Array, { values, vectors }: EigResult, what: string): void {
  const k = alpha.length, tn = Math.max(norm1(alpha, beta), Number.MIN_VALUE);
  t.is(values.length, k);
  t.is(vectors.length, k * k);
  let resid = 0, orth = 0, sorted = true;
  for (let j = 0; j < k; j++) {
    if (j > 0 && values[j]! < values[j - 1]!) sorted = false;
    for (let i = 0; i < k; i++) {
      let tv = alpha[i]! * vectors[i * k + j]!;
      if (i > 0) tv += beta[i - 1]! * vectors[(i - 1) * k + j]!;
      if (i < k - 1) tv += beta[i]! * vectors[(i + 1) * k + j]!;
      resid = Math.max(resid, Math.abs(tv - values[j]! * vectors[i * k + j]!));
    }
    for (let l = 0; l <= j; l++) {
      let dot = 0;
      for (let i = 0; i < k; i++) dot += vectors[i * k + j]! * vectors[i * k + l]!;
      orth = Math.max(orth, Math.abs(dot - (l === j ? 1 : 0)));
    }
  }
  t.true(sorted, `${what}: eigenvalues ascending`);
  t.true(resid <= R * k * EPS * tn, `${what}: residual ${resid} > ${R}·k·ε·‖T‖ = ${R * k * EPS * tn}`);
  t.true(orth <= R * k * EPS, `${what}: |VᵀV − I| = ${orth} > ${R}·k·ε = ${R * k * EPS}`);
}

/** Cyclic Jacobi on the dense matrix: eigenvalues ascending. */
function jacobiEigenvalues(alpha: Float64Array, beta: Float64Array): number[] {
  const k = alpha.length;
  const a = Array.from({ length: k }, (_, i) => Array.from({ length: k }, (_, j) => (i === j ? alpha[i]! : Math.abs(i - j) === 1 ? beta[Math.min(i, j)]! : 0)));
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < k; p++) for (let q = p + 1; q < k; q++) off += a[p]![q]! ** 2;
    if (off < 1e-300) break;
    for (let p = 0; p < k; p++) {
      for (let q = p + 1; q < k; q++) {
        const apq = a[p]![q]!;
        if (apq === 0) continue;
        const theta = (a[q]![q]! - a[p]![p]!) / (2 * apq);
        const tt = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(tt * tt + 1), s = tt * c;
        for (let r = 0; r < k; r++) {
          const arp = a[r]![p]!, arq = a[r]![q]!;
          a[r]![p] = c * arp - s * arq;
          a[r]![q] = s * arp + c * arq;
        }
        for (let r = 0; r < k; r++) {
          const apr = a[p]![r]!, aqr = a[q]![r]!;
          a[p]![r] = c * apr - s * aqr;
          a[q]![r] = s * apr + c * aqr;
        }
      }
    }
  }
  return a.map((row, i) => row[i]!).sort((x, y) => x - y);
}

test('tridiag · 1-D Laplacian tridiag(−1, 2, −1): λ_j = 2 − 2cos(jπ/(k+1)), v_j(i) ∝ sin(ijπ/(k+1))', async (t) => {
  for (const k of [1, 2, 3, 10, 101, 400]) {
    const alpha = new Float64Array(k).fill(2), beta = new Float64Array(k - 1).fill(-1);
    const res = await tridiagEig(alpha, beta);
    checkDecomposition(t, alpha, beta, res, `k=${k}`);
    for (let j = 0; j < k; j++) {
      const want = 2 - 2 * Math.cos(((j + 1) * Math.PI) / (k + 1));
      t.true(Math.abs(res.values[j]! - want) <= R * k * EPS * 4, `k=${k} λ_${j} = ${res.values[j]} vs ${want}`);
      // The analytic vector, up to sign.
      const scale = Math.sqrt(2 / (k + 1));
      let dot = 0;
      for (let i = 0; i < k; i++) dot += res.vectors[i * k + j]! * scale * Math.sin(((i + 1) * (j + 1) * Math.PI) / (k + 1));
      // Eigenvalues are at least ~π²/(k+1)³·3 apart, so the vectors are well determined.
      t.true(Math.abs(Math.abs(dot) - 1) <= 1e-9, `k=${k} v_${j}: |⟨v, analytic⟩| = ${Math.abs(dot)}`);
    }
  }
});

test('tridiag · k = 1 and k = 2 in closed form', (t) => {
  const one = tridiagEigSync(new Float64Array([-3.5]), new Float64Array(0));
  t.deepEqual(Array.from(one.values), [-3.5]);
  t.deepEqual(Array.from(one.vectors), [1]);
  // [[a, b], [b, c]]: λ = (a+c)/2 ∓ √(((a−c)/2)² + b²)
  const [a, b, c] = [1, 2, -1];
  const two = tridiagEigSync(new Float64Array([a, c]), new Float64Array([b]));
  const mid = (a + c) / 2, rad = Math.hypot((a - c) / 2, b);
  t.true(Math.abs(two.values[0]! - (mid - rad)) <= R * 2 * EPS * 4 && Math.abs(two.values[1]! - (mid + rad)) <= R * 2 * EPS * 4, `${two.values}`);
  checkDecomposition(t, new Float64Array([a, c]), new Float64Array([b]), two, 'k=2');
  const empty = tridiagEigSync(new Float64Array(0), new Float64Array(0));
  t.is(empty.values.length, 0);
});

test('tridiag · random matrices against a dense Jacobi eigensolver, sync and async agree', async (t) => {
  for (const k of [3, 17, 64]) {
    const alpha = new Float64Array(randn(k, k)), beta = new Float64Array(randn(k - 1, k + 1));
    const sync = tridiagEigSync(alpha, beta);
    const res = await tridiagEig(alpha, beta);
    t.deepEqual(Array.from(res.values), Array.from(sync.values), 'same algorithm, same numbers');
    checkDecomposition(t, alpha, beta, res, `random k=${k}`);
    const jac = jacobiEigenvalues(alpha, beta), tn = norm1(alpha, beta);
    for (let j = 0; j < k; j++) t.true(Math.abs(res.values[j]! - jac[j]!) <= 2 * R * k * EPS * tn, `k=${k} λ_${j}: ${res.values[j]} vs Jacobi ${jac[j]}`);
  }
});

test('tridiag · repeated and clustered eigenvalues', async (t) => {
  // Decoupled blocks with equal diagonals: exactly repeated eigenvalues.
  const alpha = new Float64Array([1, 1, 1, 2, 2, 5]), beta = new Float64Array([0, 0, 0, 0, 0]);
  const rep = await tridiagEig(alpha, beta);
  t.deepEqual(Array.from(rep.values), [1, 1, 1, 2, 2, 5]);
  checkDecomposition(t, alpha, beta, rep, 'diagonal with repeats');
  // Wilkinson's W21+: pairs of eigenvalues agreeing to ~1e-13 (clusters).
  const w = new Float64Array(21).map((_, i) => Math.abs(10 - i)), ones = new Float64Array(20).fill(1);
  const wr = await tridiagEig(w, ones);
  checkDecomposition(t, w, ones, wr, 'W21+');
  t.true(Math.abs(wr.values[20]! - 10.746194182903393) <= R * 21 * EPS * 12, `largest of W21+ = ${wr.values[20]}`);
  t.true(Math.abs(wr.values[20]! - wr.values[19]!) < 1e-12, 'the top pair is clustered');
  // A 2×2-block structure repeated along the diagonal with a tiny coupling.
  const k = 40, a2 = new Float64Array(k).fill(3), b2 = new Float64Array(k - 1).map((_, i) => (i % 2 === 0 ? 1 : 1e-9));
  checkDecomposition(t, a2, b2, await tridiagEig(a2, b2), 'near-decoupled 2×2 blocks');
  // Scaled far from 1 both ways.
  for (const s of [1e-150, 1e150]) {
    const as = new Float64Array(randn(30, 5)).map((v) => v * s), bs = new Float64Array(randn(29, 6)).map((v) => v * s);
    checkDecomposition(t, as, bs, await tridiagEig(as, bs), `scaled by ${s}`);
  }
});

test('tridiag · bad input rejects with the argument named', async (t) => {
  await t.throwsAsync(async () => tridiagEig(new Float64Array([1, 2]), new Float64Array([1, 2])), { instanceOf: RangeError, message: /tridiagEig: expected Float64Array of length 1 \(one less than 'alpha'\) for 'beta'/ });
  t.throws(() => tridiagEigSync(new Float64Array([1, NaN]), new Float64Array([1])), { instanceOf: RangeError, message: "tridiagEigSync: expected finite values for 'alpha' but received NaN at position 1" });
  t.throws(() => tridiagEigSync(new Float32Array([1]) as unknown as Float64Array, new Float64Array(0)), { instanceOf: TypeError, message: "tridiagEigSync: expected Float64Array for 'alpha' but received Float32Array of length 1" });
});

// Issue 18 item 11: with only the first and last rows of V (what Lanczos and SLQ need) the
// solve is O(k²): k = 8192, documented as valid, took over 30 s when every row was carried.
test('ends mode: the first and last rows of V equal the full solve’s, and k = 8192 solves', async (t) => {
  for (const k of [1, 2, 7, 200]) {
    const alpha = Float64Array.from(randn(k, 11 + k)), beta = Float64Array.from(randn(Math.max(k - 1, 0), 12 + k));
    const full = tridiagEigSync(alpha, beta);
    const ends = tridiagEigSync(alpha, beta, true);
    t.is(ends.vectors.length, 2 * k);
    // The same rotations act on each row independently: equal up to the order of rounding (FMA contraction).
    const tn = norm1(alpha, beta);
    for (let j = 0; j < k; j++) {
      t.true(Math.abs(ends.values[j]! - full.values[j]!) <= R * k * EPS * tn, `k=${k} λ_${j}`);
      t.true(Math.abs(ends.vectors[j]! - full.vectors[j]!) <= R * k * EPS, `k=${k} first row, column ${j}`);
      t.true(Math.abs(ends.vectors[k + j]! - full.vectors[(k - 1) * k + j]!) <= R * k * EPS, `k=${k} last row, column ${j}`);
    }
  }
  const k = 8192;
  const alpha = Float64Array.from(randn(k, 5)), beta = Float64Array.from(randn(k - 1, 6));
  const { values, vectors } = await tridiagEig(alpha, beta, true);
  t.is(values.length, k);
  // Rows 0 and k−1 of an orthogonal V have unit norm.
  let s0 = 0, s1 = 0;
  for (let j = 0; j < k; j++) { s0 += vectors[j]! ** 2; s1 += vectors[k + j]! ** 2; }
  t.true(Math.abs(s0 - 1) <= R * k * EPS && Math.abs(s1 - 1) <= R * k * EPS, `row norms² ${s0}, ${s1}`);
  t.throws(() => tridiagEigSync(alpha, beta, 1 as unknown as boolean), { instanceOf: TypeError, message: /'ends'/ });
});
