// The float64 tridiagonal eigensolver against an independent oracle (Sturm-sequence
// bisection) and against closed forms, and the dense helpers built on it.
//
// Bounds. Implicit QL is backward stable: the computed eigenvalues are exact for T + E with
// ‖E‖ ≤ p(k)·u·‖T‖, p a modest polynomial (Golub & Van Loan §8.3.6; Wilkinson's analysis
// gives p(k) = O(k)), so |θ_i − λ_i| ≤ k·u·‖T‖ by Weyl's theorem, and the computed vectors
// satisfy ‖T z − θ z‖ ≤ k·u·‖T‖ and |ZᵀZ − I| ≤ k·u entrywise to the same order.

import test from 'ava';
import { gramOrthonormaliser, householderQ, randomOrthogonal, symEig } from '../../src/linalg/dense.js';
// The native solver is injected where the backends are registered (src/backends.ts).
import '../../src/backends.js';
import { tridiagEig, tridiagEigReference, tridiagEigSync } from '../../src/linalg/tridiag.js';
import { normal } from '../../src/random.js';

const U64 = 2 ** -53;

/** Number of eigenvalues of (d, e) below x, by the LDLᵀ Sturm count. */
function sturmCount(d: Float64Array, e: Float64Array, x: number): number {
  let count = 0, q = 1;
  for (let i = 0; i < d.length; i++) {
    const off = i > 0 ? e[i - 1]! ** 2 : 0;
    q = d[i]! - x - (i > 0 ? off / (q === 0 ? U64 * (Math.abs(e[i - 1]!) + 1e-300) : q) : 0);
    if (q < 0) count++;
  }
  return count;
}

/** The i-th smallest eigenvalue by bisection on the Sturm count, to ~u·‖T‖. */
function bisect(d: Float64Array, e: Float64Array, i: number, norm: number): number {
  let lo = -norm, hi = norm;
  for (let it = 0; it < 200 && hi - lo > 2 * U64 * norm; it++) {
    const mid = 0.5 * (lo + hi);
    if (sturmCount(d, e, mid) > i) hi = mid; else lo = mid;
  }
  return 0.5 * (lo + hi);
}

function tnorm(d: Float64Array, e: Float64Array): number {
  let best = 0;
  for (let i = 0; i < d.length; i++) best = Math.max(best, Math.abs(d[i]!) + (i > 0 ? Math.abs(e[i - 1]!) : 0) + (i < e.length ? Math.abs(e[i]!) : 0));
  return best;
}

function randomTridiag(k: number, seed: number): { d: Float64Array; e: Float64Array } {
  const g = normal(seed, 2 * k);
  return { d: Float64Array.from(g.subarray(0, k)), e: Float64Array.from(g.subarray(k, 2 * k - 1)) };
}

const CASES: { name: string; make: () => { d: Float64Array; e: Float64Array } }[] = [
  { name: 'random k=1', make: () => randomTridiag(1, 1) },
  { name: 'random k=2', make: () => randomTridiag(2, 2) },
  { name: 'random k=97', make: () => randomTridiag(97, 3) },
  { name: 'random k=300', make: () => randomTridiag(300, 4) },
  // Wilkinson's W21+: pairs of eigenvalues agreeing to ~1e-14, the classic hard case.
  { name: 'wilkinson W21+', make: () => ({ d: Float64Array.from({ length: 21 }, (_, i) => Math.abs(10 - i)), e: new Float64Array(20).fill(1) }) },
  // Graded and with a zero off-diagonal (the matrix splits).
  { name: 'graded, split', make: () => ({ d: Float64Array.from({ length: 40 }, (_, i) => 10 ** (-i / 4)), e: Float64Array.from({ length: 39 }, (_, i) => (i === 20 ? 0 : 10 ** (-i / 4 - 0.5))) }) },
  { name: 'constant diagonal', make: () => ({ d: new Float64Array(30).fill(3), e: new Float64Array(29).fill(1e-3) }) },
];

for (const c of CASES) {
  test(`tridiagEigReference · ${c.name} · values vs Sturm bisection, vectors orthonormal with small residuals`, (t) => {
    const { d, e } = c.make();
    const k = d.length, nrm = tnorm(d, e);
    const bound = k * U64 * nrm;
    const r = tridiagEigReference(d, e, { vectors: true });
    for (let i = 0; i < k; i++) {
      const exact = bisect(d, e, i, nrm);
      t.true(Math.abs(r.values[i]! - exact) <= bound + 4 * U64 * nrm, `value ${i}: ${r.values[i]} vs ${exact}`);
      if (i > 0) t.true(r.values[i]! >= r.values[i - 1]!, 'ascending');
    }
    const z = r.vectors!;
    let worstRes = 0, worstOrth = 0;
    for (let j = 0; j < k; j++) {
      for (let row = 0; row < k; row++) {
        const tz = d[row]! * z[row * k + j]! + (row > 0 ? e[row - 1]! * z[(row - 1) * k + j]! : 0) + (row < k - 1 ? e[row]! * z[(row + 1) * k + j]! : 0);
        worstRes = Math.max(worstRes, Math.abs(tz - r.values[j]! * z[row * k + j]!));
      }
      for (let l = 0; l <= j; l++) {
        let s = 0;
        for (let row = 0; row < k; row++) s += z[row * k + j]! * z[row * k + l]!;
        worstOrth = Math.max(worstOrth, Math.abs(s - (l === j ? 1 : 0)));
      }
    }
    t.true(worstRes <= bound, `residual ${worstRes} > ${bound}`);
    t.true(worstOrth <= k * U64 * 4, `orthogonality ${worstOrth}`);
    // The cheap path carries rows 0 and k−1 only: the same rotations, so the same numbers.
    const cheap = tridiagEigReference(d, e);
    t.deepEqual(Array.from(cheap.values), Array.from(r.values));
    for (let j = 0; j < k; j++) {
      t.is(cheap.first[j], z[j]);
      t.is(cheap.last[j], z[(k - 1) * k + j]);
    }
  });
}

test('tridiagEigReference · 1-D Laplacian · closed form 2 − 2cos(jπ/(k+1))', (t) => {
  const k = 200;
  const r = tridiagEigReference(new Float64Array(k).fill(2), new Float64Array(k - 1).fill(-1));
  const bound = k * U64 * 4;
  for (let j = 1; j <= k; j++) {
    const exact = 2 - 2 * Math.cos((j * Math.PI) / (k + 1));
    t.true(Math.abs(r.values[j - 1]! - exact) <= bound, `j=${j}`);
    // First components of the eigenvectors: √(2/(k+1))·sin(jπ/(k+1)) up to sign; a vector's
    // error is at most the residual bound over the gap to the nearest other eigenvalue.
    const s = Math.sqrt(2 / (k + 1)) * Math.sin((j * Math.PI) / (k + 1));
    const lam = (i: number) => 2 - 2 * Math.cos((i * Math.PI) / (k + 1));
    const gap = Math.min(j > 1 ? exact - lam(j - 1) : Infinity, j < k ? lam(j + 1) - exact : Infinity);
    t.true(Math.abs(Math.abs(r.first[j - 1]!) - s) <= bound / gap, `first component ${j}`);
  }
});

test('tridiagEig · uses the TypeScript solver without a native one and validates arguments', async (t) => {
  const r = await tridiagEig(new Float64Array([2, 2]), new Float64Array([1]));
  t.true(Math.abs(r.values[0]! - 1) < 1e-15 && Math.abs(r.values[1]! - 3) < 1e-15);
  t.true(Math.abs(r.first[0]! ** 2 + r.first[1]! ** 2 - 1) < 1e-15);
  await t.throwsAsync(() => tridiagEig(new Float32Array(2) as unknown as Float64Array, new Float64Array(1)), {
    instanceOf: TypeError, message: "tridiagEig: expected a Float64Array for 'diag' but received Float32Array of length 2",
  });
  await t.throwsAsync(() => tridiagEig(new Float64Array(3), new Float64Array(1)), {
    instanceOf: RangeError, message: "tridiagEig: expected a Float64Array of length 2 (diag has 3) for 'off' but received Float64Array of length 1",
  });
  t.throws(() => tridiagEigReference(new Float64Array([1, NaN]), new Float64Array(1)), { instanceOf: RangeError, message: /'diag' but received NaN at index 1/ });
  const empty = tridiagEigReference(new Float64Array(0), new Float64Array(0));
  t.is(empty.values.length, 0);
});

test('householderQ / randomOrthogonal · orthonormal columns', (t) => {
  const n = 60;
  const q = randomOrthogonal(n, 9);
  let worst = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let r = 0; r < n; r++) s += q[r * n + i]! * q[r * n + j]!;
      worst = Math.max(worst, Math.abs(s - (i === j ? 1 : 0)));
    }
  }
  t.true(worst <= 4 * n * U64, `‖QᵀQ − I‖max = ${worst}`);
  t.throws(() => householderQ(new Float64Array(6), 2, 3), { instanceOf: RangeError, message: /'cols'/ });
});

test('symEig · A V = V Λ for a random symmetric matrix', (t) => {
  const n = 80;
  const g = normal(5, n * n);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) a[i * n + j] = (g[i * n + j]! + g[j * n + i]!) / 2;
  const { values, vectors } = symEig(a, n);
  let fro = 0;
  for (const x of a) fro += x * x;
  const bound = 2 * n * U64 * Math.sqrt(fro);
  let worst = 0;
  for (let j = 0; j < n; j++) {
    for (let r = 0; r < n; r++) {
      let s = 0;
      for (let c = 0; c < n; c++) s += a[r * n + c]! * vectors[c * n + j]!;
      worst = Math.max(worst, Math.abs(s - values[j]! * vectors[r * n + j]!));
    }
  }
  t.true(worst <= bound, `residual ${worst} > ${bound}`);
});

test('gramOrthonormaliser · drops dependent directions', (t) => {
  // Columns y1, y2, y1 + y2 in R^3: rank 2.
  const y = [[1, 0, 2], [0, 1, 1], [1, 1, 3]];
  const g = new Float64Array(9);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) g[i * 3 + j] = y[i]!.reduce((s, v, r) => s + v * y[j]![r]!, 0);
  const { x, rank } = gramOrthonormaliser(g, 3);
  t.is(rank, 2);
  // (YX)ᵀ(YX) = XᵀGX = I.
  for (let a = 0; a < rank; a++) {
    for (let b = 0; b < rank; b++) {
      let s = 0;
      for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) s += x[i * rank + a]! * g[i * 3 + j]! * x[j * rank + b]!;
      t.true(Math.abs(s - (a === b ? 1 : 0)) < 1e-12);
    }
  }
});

test('tridiagEig · the native solver (cpu addon) agrees with the TypeScript one', async (t) => {
  const { tridiagEigImplementation } = await import('../../src/linalg/tridiag.js');
  // The cpu backend is required (its build is part of `npm install`), so a missing addon fails here.
  t.is(tridiagEigImplementation(), 'native');
  for (const [k, seed] of [[1, 1], [5, 2], [80, 3], [400, 4]] as const) {
    const { d, e } = randomTridiag(k, seed);
    const nrm = tnorm(d, e), bound = 2 * k * U64 * nrm;
    const b = tridiagEigReference(d, e, { vectors: true });
    // The solver on a worker thread, and its synchronous form with and without the whole Z.
    for (const a of [await tridiagEig(d, e, { vectors: true }), tridiagEigSync(d, e, { vectors: true }), tridiagEigSync(d, e)]) {
      for (let j = 0; j < k; j++) {
        t.true(Math.abs(a.values[j]! - b.values[j]!) <= bound, `k=${k} value ${j}`);
        // Vectors agree up to sign, within the residual bound over the gap to the neighbours.
        const gap = Math.min(j > 0 ? b.values[j]! - b.values[j - 1]! : Infinity, j < k - 1 ? b.values[j + 1]! - b.values[j]! : Infinity);
        const big = Math.abs(b.first[j]!) >= Math.abs(b.last[j]!) ? 'first' : 'last';
        const sign = Math.sign(a[big][j]! * b[big][j]!) || 1;
        t.true(Math.abs(a.first[j]! - sign * b.first[j]!) <= bound / gap + k * U64, `k=${k} first ${j}`);
        t.true(Math.abs(a.last[j]! - sign * b.last[j]!) <= bound / gap + k * U64, `k=${k} last ${j}`);
      }
    }
  }
});

test('tridiagEigSync · the native solver\'s synchronous form while it is in use; the TypeScript one while setNativeTridiagEig overrides', async (t) => {
  const { setNativeTridiagEig } = await import('../../src/linalg/tridiag.js');
  const { loadNative } = await import('../../src/backend/cpu/load.js');
  const { d, e } = randomTridiag(30, 7);
  const native = loadNative().tridiagEigSync(d, e, true);
  const got = tridiagEigSync(d, e);
  t.deepEqual(got.values, native.values);
  t.deepEqual(got.last, native.vectors.slice(30, 60));
  setNativeTridiagEig(async () => { throw new Error('not this one'); });
  try {
    t.deepEqual(tridiagEigSync(d, e), tridiagEigReference(d, e));
  } finally {
    setNativeTridiagEig(undefined);
  }
  t.throws(() => tridiagEigSync(d, new Float64Array(3)), { instanceOf: RangeError, message: /tridiagEigSync: expected a Float64Array of length 29/ });
});

test('tridiagEig · the public API has one tridiagEig: linalg\'s, on the injected native solver', async (t) => {
  const d = await import('../../src/index.js');
  const { tridiagEig: linalgEig, tridiagEigImplementation, setNativeTridiagEig } = await import('../../src/linalg/tridiag.js');
  t.is(d.tridiagEig, linalgEig);
  t.false('tridiagEigSync' in d, 'the native synchronous entry point is internal');
  t.is(tridiagEigImplementation(), 'native');
  setNativeTridiagEig(null);
  t.is(tridiagEigImplementation(), 'typescript');
  setNativeTridiagEig(undefined);
  t.is(tridiagEigImplementation(), 'native');
  // Both conventions: values ascending, first/last rows of Z.
  const r = await d.tridiagEig(new Float64Array([2, 2]), new Float64Array([-1]));
  t.true(Math.abs(r.values[0]! - 1) < 1e-15 && Math.abs(r.values[1]! - 3) < 1e-15);
  t.true(Math.abs(r.first[0]! ** 2 + r.first[1]! ** 2 - 1) < 1e-15);
});
