// Lanczos, top-k / bottom-k eigenpairs and ghosts, on dense symmetric matrices with known
// spectra (A = Q·diag(λ)·Qᵀ, Q Haar-random, assembled in float64).
//
// Bounds.
// - float64 (reference backend): the target, 1e-5 relative; the rounding floor is
//   ~n·u64·‖A‖, twelve orders below.
// - float32: A is rounded once to float32, a perturbation ΔA with ‖ΔA‖₂ ≤ ‖ΔA‖_F ≤ u·‖A‖_F
//   ≤ √n·u·‖A‖₂, and each product A·V rounds every element once more (reference) or
//   accumulates a length-n dot product in float32 (cpu: ~√n·u·‖A‖ for independent
//   roundings, Higham §2.8). By Weyl's theorem each eigenvalue moves by at most the size of
//   the perturbation, so |θ − λ| ≤ 2·√n·u·‖A‖₂ (both sources) once the Ritz value has
//   converged. For these spectra that is also below 1e-5 relative.
// - Basis orthogonality: |qᵢᵀqⱼ − δᵢⱼ| ≤ n·u, the bound of the length-n dot products that
//   measure it (Higham γ_n); without reorthogonalisation it is O(1).

import test from 'ava';
import type { ExecutionContext } from 'ava';
import * as d from '../../src/index.js';
import type { Backend } from '../../src/index.js';
import { eigsh, explicitResiduals, keptResiduals, ritzPairs } from '../../src/linalg/eigsh.js';
import { Lanczos, lanczos } from '../../src/linalg/lanczos.js';
import { matrixOperator, symmetricWithSpectrum, testSpectra } from '../../src/linalg/operators.js';
import { tridiagEigReference } from '../../src/linalg/tridiag.js';
import { eachBackend } from '../helpers/cases.js';
import { U } from '../helpers/close.js';

const N = 400;
const SPECTRA = ['wellSeparated', 'clustered', 'repeated', 'indefinite'] as const;
type SpectrumName = (typeof SPECTRA)[number];

const cache = new Map<string, ReturnType<typeof symmetricWithSpectrum>>();
function matrix(name: SpectrumName, dtype: 'float32' | 'float64', backend: Backend | 'reference' = 'reference') {
  const key = `${name}/${dtype}/${typeof backend === 'string' ? backend : backend.name}`;
  let m = cache.get(key);
  if (!m) cache.set(key, (m = symmetricWithSpectrum(testSpectra[name](N), { seed: 3, dtype, backend })));
  return m;
}

/** The distinct eigenvalues, descending (a single start vector sees each eigenspace once). */
function distinct(values: Float64Array): number[] {
  return [...new Set(Array.from(values))].sort((a, b) => b - a);
}

function expected(name: SpectrumName, which: 'largest' | 'smallest', k: number): number[] {
  const all = distinct(matrix(name, 'float64').eigenvalues);
  return which === 'largest' ? all.slice(0, k) : all.slice(-k).reverse();
}

/**
 * Checks Ritz values against the true spectrum: each lies within `bound(λ)` of an
 * eigenvalue λ, no eigenvalue is matched more often than its multiplicity (rounding can
 * reveal a second direction of a repeated eigenspace, legitimately), and the matched
 * eigenvalues are the extreme distinct ones, in order, with none skipped.
 */
function assertExtreme(t: ExecutionContext, values: Float64Array, name: SpectrumName, which: 'largest' | 'smallest', bound: (lam: number) => number): void {
  const all = Array.from(matrix(name, 'float64').eigenvalues);
  const mult = new Map<number, number>();
  for (const v of all) mult.set(v, (mult.get(v) ?? 0) + 1);
  const order = distinct(matrix(name, 'float64').eigenvalues);
  if (which === 'smallest') order.reverse();
  const used = new Map<number, number>();
  let next = 0;
  values.forEach((theta, i) => {
    const lam = order.reduce((b, v) => (Math.abs(v - theta) < Math.abs(b - theta) ? v : b), order[0]!);
    t.true(Math.abs(theta - lam) <= bound(lam), `θ${i} = ${theta}: nearest λ = ${lam}, |θ − λ| = ${Math.abs(theta - lam)} > ${bound(lam)}`);
    const c = (used.get(lam) ?? 0) + 1;
    used.set(lam, c);
    t.true(c <= mult.get(lam)!, `λ = ${lam} matched ${c} times (multiplicity ${mult.get(lam)})`);
    if (c === 1) {
      t.is(lam, order[next], `θ${i} = ${theta} skips the eigenvalue ${order[next]}`);
      next++;
    }
  });
}

for (const name of SPECTRA) {
  for (const which of name === 'indefinite' ? (['largest', 'smallest'] as const) : (['largest'] as const)) {
    test(`eigsh · reference float64 · ${name} · ${which} 5 within 1e-5 relative, residuals verified`, async (t) => {
      const m = matrix(name, 'float64');
      const r = await eigsh(m.op, N, { k: 5, which, tol: 1e-9, maxSteps: 300, seed: 1, dtype: 'float64', backend: 'reference' });
      t.true(r.converged, `converged in ${r.steps} steps`);
      assertExtreme(t, r.values, name, which, (lam) => 1e-5 * Math.abs(lam));
      const want = expected(name, which, 5);
      // The explicit residual is as small as the estimate promised and bounds the error.
      r.residuals.forEach((res, i) => {
        t.true(res <= 1e-9 * Math.abs(r.values[i]!) + N * U.float64 * 100, `residual ${res}`);
        t.true(Math.abs(r.values[i]! - want[i]!) <= res + N * U.float64 * 100);
      });
      t.is(r.vectors!.shape.join(), `${N},5`);
      t.is(r.matvecs, r.steps + 5);
    });
  }
}

for (const name of SPECTRA) {
  test(`eigsh · reference float32 · ${name} · top 5 within 2√n·u·‖A‖ (and 1e-5 relative)`, async (t) => {
    const m = matrix(name, 'float32');
    const normA = Math.max(...Array.from(m.eigenvalues, Math.abs));
    const bound = 2 * Math.sqrt(N) * U.float32 * normA;
    const r = await eigsh(m.op, N, { k: 5, tol: 1e-6, maxSteps: 300, seed: 1, backend: 'reference' });
    t.is(r.values.length, 5);
    assertExtreme(t, r.values, name, 'largest', (lam) => Math.min(bound, 1e-5 * Math.abs(lam)));
  });
}

eachBackend('eigsh · float32 · indefinite top and bottom 5 within 2√n·u·‖A‖', async (t, b) => {
  const m = matrix('indefinite', 'float32', b);
  const normA = 25, bound = 2 * Math.sqrt(N) * U.float32 * normA;
  for (const which of ['largest', 'smallest'] as const) {
    const r = await eigsh(m.op, N, { k: 5, which, tol: 1e-6, maxSteps: 300, seed: 1, backend: b });
    assertExtreme(t, r.values, 'indefinite', which, () => bound);
  }
});

/** Converged Ritz values (residual ≤ tol·‖A‖) grouped by the nearest true eigenvalue. */
function ritzCopies(run: Lanczos, values: Float64Array, tol: number): { copies: Map<number, number>; multiplicity: Map<number, number>; worstError: number } {
  const { diag, off } = run.tridiagonal(0);
  const e = tridiagEigReference(diag, off);
  const beta = run.residualNorm(0);
  const normA = Math.max(...Array.from(values, Math.abs));
  const multiplicity = new Map<number, number>();
  for (const v of values) multiplicity.set(v, (multiplicity.get(v) ?? 0) + 1);
  const keys = [...multiplicity.keys()];
  const copies = new Map<number, number>();
  let worstError = 0;
  e.values.forEach((theta, i) => {
    const res = Math.abs(beta * e.last[i]!);
    if (res > tol * normA) return;
    let best = keys[0]!;
    for (const k of keys) if (Math.abs(k - theta) < Math.abs(best - theta)) best = k;
    copies.set(best, (copies.get(best) ?? 0) + 1);
    worstError = Math.max(worstError, Math.abs(best - theta) - res);
  });
  return { copies, multiplicity, worstError };
}

for (const name of SPECTRA) {
  for (const dtype of ['float64', 'float32'] as const) {
    test(`lanczos · reference ${dtype} · ${name} · no ghosts after 300 steps, basis orthonormal to n·u`, async (t) => {
      const m = matrix(name, dtype);
      const run = await lanczos(m.op, N, { steps: 300, seed: 1, dtype, backend: 'reference' });
      t.is(run.steps[0], 300);
      // A ghost is a second converged copy of an eigenvalue beyond its multiplicity.
      const { copies, multiplicity } = ritzCopies(run, m.eigenvalues, 1e-6);
      t.true(copies.size > 20, `${copies.size} eigenvalues converged`);
      for (const [lam, c] of copies) t.true(c <= multiplicity.get(lam)!, `λ = ${lam}: ${c} copies, multiplicity ${multiplicity.get(lam)}`);
      const q = await run.basisRows(0).data();
      let worst = 0;
      for (let i = 0; i < 300; i += 7) {
        for (let j = 0; j <= i; j++) {
          let s = 0;
          for (let r = 0; r < N; r++) s += q[i * N + r]! * q[j * N + r]!;
          worst = Math.max(worst, Math.abs(s - (i === j ? 1 : 0)));
        }
      }
      t.true(worst <= N * U[dtype], `max |QᵀQ − I| = ${worst} > n·u = ${N * U[dtype]}`);
      run.dispose();
    });
  }
}

test('lanczos · without reorthogonalisation ghosts appear (the check above detects them)', async (t) => {
  const m = matrix('wellSeparated', 'float64');
  const run = await lanczos(m.op, N, { steps: 300, seed: 1, dtype: 'float64', reorthogonalize: false, backend: 'reference' });
  const { copies } = ritzCopies(run, m.eigenvalues, 1e-6);
  t.true(copies.get(100)! > 1, `λ = 100 appears ${copies.get(100)} times`);
});

test('lanczos · probes in lockstep give exactly the runs of each probe alone (reference)', async (t) => {
  const m = matrix('indefinite', 'float64');
  const start = d.randomNormal([N, 3], { seed: 4, dtype: 'float64', backend: 'reference' });
  const block = await lanczos(m.op, N, { steps: 25, start });
  for (let p = 0; p < 3; p++) {
    const col = d.contiguous(d.slice(start, [0, p], [N, 1]));
    const alone = await lanczos(m.op, N, { steps: 25, start: col });
    t.deepEqual(block.alpha[p], alone.alpha[0]);
    t.deepEqual(block.beta[p], alone.beta[0]);
  }
  t.is(block.matvecs, 75);
});

test('lanczos · snapshot and restore continue the run exactly', async (t) => {
  const m = matrix('clustered', 'float32');
  const full = await lanczos(m.op, N, { steps: 30, probes: 2, seed: 9, backend: 'reference' });
  const first = Lanczos.create(m.op, N, { steps: 30, probes: 2, seed: 9, backend: 'reference' });
  for (let i = 0; i < 12; i++) await first.step();
  const snap = JSON.parse(JSON.stringify(first.snapshot()));
  const rows = [await first.hostRows(0, 0, 13), await first.hostRows(1, 0, 13)];
  first.dispose();
  const resumed = await Lanczos.restore(m.op, snap, rows, 'reference').run();
  t.deepEqual(resumed.alpha, full.alpha);
  t.deepEqual(resumed.beta, full.beta);
  t.deepEqual(Array.from(await resumed.nextVector(1).data()), Array.from(await full.nextVector(1).data()));
});

test('lanczos · breakdown on an invariant subspace stops the probe with exact Ritz values', async (t) => {
  // A diagonal matrix with 6 distinct values, each 10 times: the Krylov space has dimension 6.
  const n = 60;
  const lam = Array.from({ length: n }, (_, i) => [7, 3, 1, -2, -4, 0.5][i % 6]!);
  const a = new Float64Array(n * n);
  lam.forEach((v, i) => { a[i * n + i] = v; });
  const run = await lanczos(matrixOperator(d.tensor(a, [n, n], { backend: 'reference' })), n, { steps: 20, seed: 2, dtype: 'float64', backend: 'reference' });
  t.is(run.steps[0], 6);
  t.true(run.brokeDown(0));
  const { diag, off } = run.tridiagonal(0);
  const vals = tridiagEigReference(diag, off).values;
  t.deepEqual(Array.from(vals, (v) => Math.round(v * 1e9) / 1e9), [-4, -2, 0.5, 1, 3, 7]);
  t.is(await run.step(), null);
});

test('explicitResiduals · matches ‖A y − θ y‖ computed on the host', async (t) => {
  const m = matrix('wellSeparated', 'float64');
  const y = d.randomNormal([N, 2], { seed: 5, dtype: 'float64', backend: 'reference' });
  const res = await explicitResiduals(m.op, y, [1, 2]);
  const yv = await y.data();
  for (let c = 0; c < 2; c++) {
    let rr = 0, yy = 0;
    for (let i = 0; i < N; i++) {
      let s = 0;
      for (let j = 0; j < N; j++) s += m.dense[i * N + j]! * yv[j * 2 + c]!;
      rr += (s - (c + 1) * yv[i * 2 + c]!) ** 2;
      yy += yv[i * 2 + c]! ** 2;
    }
    t.true(Math.abs(res[c]! - Math.sqrt(rr / yy)) <= 1e-12 * Math.sqrt(rr / yy));
  }
});

test('lanczos · kept products are the operator outputs A q_j and survive snapshot/restore', async (t) => {
  const m = matrix('indefinite', 'float64');
  const run = Lanczos.create(m.op, N, { steps: 20, probes: 2, seed: 6, dtype: 'float64', backend: 'reference', keepProducts: [1] });
  for (let i = 0; i < 8; i++) await run.step();
  t.is(run.products[0], null);
  t.throws(() => run.productRows(0), { instanceOf: RangeError, message: /probe 0 does not keep its products/ });
  // Each kept row equals A applied to the basis row it came from (float64: one rounding per dot).
  const q = await run.basisRows(1, 8).data(), w = await run.productRows(1).data();
  let worst = 0;
  for (let r = 0; r < 8; r++) {
    for (let i = 0; i < N; i++) {
      let s = 0;
      for (let j = 0; j < N; j++) s += m.dense[i * N + j]! * q[r * N + j]!;
      worst = Math.max(worst, Math.abs(s - w[r * N + i]!));
    }
  }
  const normA = Math.max(...Array.from(m.eigenvalues, Math.abs));
  t.true(worst <= N * U.float64 * normA, `max |A q − w| = ${worst}`);
  const snap = JSON.parse(JSON.stringify(run.snapshot()));
  t.deepEqual(snap.keepProducts, [1]);
  const rows = [await run.hostRows(0, 0, 9), await run.hostRows(1, 0, 9)];
  const kept = [null, await run.productRows(1).data()];
  for (let i = 0; i < 12; i++) await run.step();
  const resumed = Lanczos.restore(m.op, snap, rows, 'reference', kept);
  while (await resumed.step()) {}
  t.deepEqual(Array.from(await resumed.productRows(1).data()), Array.from(await run.productRows(1).data()));
  t.throws(() => Lanczos.restore(m.op, snap, rows, 'reference', []), { instanceOf: RangeError, message: /Lanczos.restore: expected an array of length 3200 for 'products\[1\]'/ });
  run.dispose();
  resumed.dispose();
});

test('keptResiduals · equal the explicit residuals of the Ritz pairs, with no operator call', async (t) => {
  const m = matrix('clustered', 'float64');
  let calls = 0;
  const op = (v: d.Tensor) => { calls++; return m.op(v); };
  const run = Lanczos.create(op, N, { steps: 40, seed: 2, dtype: 'float64', backend: 'reference', keepProducts: [0] });
  while (await run.step()) {}
  const before = calls;
  const kept = await keptResiduals(run, 0, 4);
  t.is(calls, before);
  const pairs = await ritzPairs(run, 0, 4, 'largest', { vectors: true });
  const explicit = await explicitResiduals(m.op, pairs.vectors!, pairs.values);
  t.deepEqual(Array.from(kept.values), Array.from(pairs.values));
  // Both are ‖A y − θ y‖ up to float64 rounding of length-N and length-40 dot products.
  const normA = Math.max(...Array.from(m.eigenvalues, Math.abs));
  kept.residuals.forEach((r, i) => t.true(Math.abs(r - explicit[i]!) <= 2 * N * U.float64 * normA, `pair ${i}: ${r} vs ${explicit[i]}`));
  pairs.vectors!.dispose();
  await t.throwsAsync(() => keptResiduals(Lanczos.create(m.op, N, { steps: 3, backend: 'reference' }), 0, 2), {
    instanceOf: RangeError, message: /keptResiduals: expected a probe whose products the run keeps/,
  });
  run.dispose();
});

test('reportProducts · each step hands back A q_j without keeping it; keptResiduals from those rows read back in blocks equals the kept-products residuals', async (t) => {
  const m = matrix('clustered', 'float64');
  const steps = 19; // four full blocks of PRODUCT_BLOCK = 4 and a partial one
  const kept = Lanczos.create(m.op, N, { steps, probes: 2, seed: 2, dtype: 'float64', backend: 'reference', keepProducts: [0] });
  const told = Lanczos.create(m.op, N, { steps, probes: 2, seed: 2, dtype: 'float64', backend: 'reference', reportProducts: [0] });
  const rows: Float64Array[] = [];
  for (let info = await told.step(); info; info = await told.step()) {
    t.deepEqual(info.products!.probes, [0]);
    rows.push(Float64Array.from(await info.products!.rows.data()));
  }
  while (await kept.step()) {}
  t.is(told.products[0], null, 'no copy in the run');
  t.deepEqual(JSON.parse(JSON.stringify(told.snapshot())).reportProducts, [0]);
  // The reported rows are the operator's outputs, the same as the kept ones bit for bit.
  t.deepEqual(rows.flatMap((r) => Array.from(r)), Array.from(await kept.productRows(0).data()));
  const asked: [number, number][] = [];
  const source = (from: number, count: number) => {
    asked.push([from, count]);
    return d.tensor(Float64Array.from(rows.slice(from, from + count).flatMap((r) => Array.from(r))), [count, N], { dtype: 'float64', backend: 'reference' });
  };
  const a = await keptResiduals(kept, 0, 4);
  const b = await keptResiduals(told, 0, 4, 'largest', source);
  t.deepEqual(asked, [[0, 4], [4, 4], [8, 4], [12, 4], [16, 3]]);
  t.deepEqual(Array.from(b.values), Array.from(a.values));
  // The same sums in blocks: equal up to float64 rounding of length-19 sums of products of size ‖A‖.
  const normA = Math.max(...Array.from(m.eigenvalues, Math.abs));
  b.residuals.forEach((r, i) => t.true(Math.abs(r - a.residuals[i]!) <= 4 * steps * U.float64 * normA, `pair ${i}: ${r} vs ${a.residuals[i]}`));
  await t.throwsAsync(() => keptResiduals(told, 0, 2, 'largest', () => d.zeros([2, N], { backend: 'reference' })), {
    instanceOf: RangeError, message: /keptResiduals: expected a tensor \[4, 400\] for rows 0..3 for 'products'/,
  });
  kept.dispose();
  told.dispose();
});

test('lanczos · argument errors name the function and the argument', async (t) => {
  const m = matrix('wellSeparated', 'float64');
  t.throws(() => Lanczos.create(42 as never, N, { steps: 3 }), { instanceOf: TypeError, message: "lanczos: expected a function V => A·V for 'op' but received 42" });
  t.throws(() => Lanczos.create(m.op, N, { steps: N + 1 }), { instanceOf: RangeError, message: `lanczos: expected an integer in [1, ${N}] for 'opts.steps' but received ${N + 1}` });
  t.throws(() => Lanczos.create(m.op, N, { steps: 3, start: d.zeros([N - 1, 2], { backend: 'reference' }) }), { instanceOf: RangeError, message: /'opts.start'/ });
  const bad = Lanczos.create(() => d.zeros([N, 2], { dtype: 'float64', backend: 'reference' }), N, { steps: 3, dtype: 'float64', backend: 'reference' });
  await t.throwsAsync(() => bad.step(), { instanceOf: RangeError, message: `lanczos: expected a tensor of shape [${N}, 1] for 'op(V)' but received 'shape [${N}, 2]'` });
  await t.throwsAsync(() => eigsh(m.op, N, { k: 0 }), { instanceOf: RangeError, message: /'opts.k'/ });
});
