// The orthogonalize op (two fused classical Gram–Schmidt passes, src/backend/ops.ts) on every
// backend against the reference backend, for orthonormal and for non-orthonormal bases.

import test from 'ava';
import * as d from '../../src/index.js';
import type { Backend } from '../../src/index.js';
import { assertClose, U } from '../helpers/close.js';
import { eachBackend } from '../helpers/cases.js';
import { randu } from '../helpers/gen.js';

const ref = d.reference;

/** rows×n basis: orthonormal rows (Gram–Schmidt in float64) or raw uniform rows. */
function basis(rows: number, n: number, orthonormal: boolean, seed: number): Float32Array {
  const raw = randu(rows * n, seed, -1, 1);
  if (!orthonormal) return raw;
  const q = Float64Array.from(raw);
  for (let i = 0; i < rows; i++) {
    for (let pass = 0; pass < 2; pass++) {
      for (let r = 0; r < i; r++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += q[i * n + k]! * q[r * n + k]!;
        for (let k = 0; k < n; k++) q[i * n + k] -= s * q[r * n + k]!;
      }
    }
    let nn = 0;
    for (let k = 0; k < n; k++) nn += q[i * n + k]! ** 2;
    for (let k = 0; k < n; k++) q[i * n + k] /= Math.sqrt(nn);
  }
  return Float32Array.from(q);
}

const CASES = [
  { rows: 0, n: 5, orthonormal: true }, { rows: 1, n: 1, orthonormal: true }, { rows: 3, n: 17, orthonormal: true },
  { rows: 7, n: 5000, orthonormal: true }, { rows: 13, n: 9001, orthonormal: true }, { rows: 5, n: 4099, orthonormal: false },
];

for (const c of CASES) {
  eachBackend(`orthogonalize · rows=${c.rows} n=${c.n} ${c.orthonormal ? 'orthonormal' : 'general'} basis`, async (t, b: Backend) => {
    const q = basis(c.rows, c.n, c.orthonormal, c.rows * 31 + c.n);
    const w = randu(c.n + 3, c.n + 7, -2, 2);
    const run = async (be: Backend) => {
      const qt = d.tensor(q, [Math.max(c.rows, 0), c.n], { backend: be });
      const wt = d.tensor(w, [c.n + 3], { backend: be });
      const s = be.ops.orthogonalize(qt.strided, c.rows, c.n, { s: wt.strided.s, offset: 3 });
      // The result is the first n + rows values (the cpu backend's storage may be longer: it is reused across steps).
      t.true(s.size >= c.n + c.rows, `storage of ${s.size} values`);
      const out = await be.read(s, 0, c.n + c.rows);
      be.free(s);
      qt.dispose();
      wt.dispose();
      return out;
    };
    const want = await run(ref);
    const got = await run(b);
    t.is(got.length, c.n + c.rows);
    // Each pass is a dot of length n (error ≤ n·u·max|q|·Σ|w|) and an update summing `rows`
    // terms; two passes and the final rounding give 4(n + rows + 2)·u·scale, where scale bounds
    // the magnitudes met: max|q|·Σ|w| for the coefficients, times (1 + max|q|·n) for a
    // non-orthonormal basis whose first pass can grow w.
    let sw = 0;
    for (let k = 0; k < c.n; k++) sw += Math.abs(w[k + 3]!);
    const qmax = q.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const scale = c.orthonormal ? Math.max(1, qmax * sw) : qmax * sw * (1 + qmax * c.n);
    assertClose(t, got, want, () => 4 * (c.n + c.rows + 2) * U.float32 * scale, 'orthogonalize');
  });
}

// The cpu backend's optional orthonormalizeInto: the same passes with the result normalised
// and written into the basis's own next row (the Lanczos step's q_{j+2}).
for (const c of CASES) {
  test(`orthonormalizeInto · cpu · rows=${c.rows} n=${c.n} ${c.orthonormal ? 'orthonormal' : 'general'} basis, into row ${c.rows} of the basis`, async (t) => {
    const b = await d.initBackend('cpu');
    const q = basis(c.rows, c.n, c.orthonormal, c.rows * 31 + c.n);
    const w = randu(c.n + 3, c.n + 7, -2, 2);
    const qt = d.tensor(q, [c.rows, c.n], { backend: ref });
    const wt = d.tensor(w, [c.n + 3], { backend: ref });
    const s = ref.ops.orthogonalize(qt.strided, c.rows, c.n, { s: wt.strided.s, offset: 3 });
    const want = Float64Array.from(await ref.read(s, 0, c.n + c.rows));
    ref.free(s);
    qt.dispose();
    wt.dispose();
    let nn = 0;
    for (let k = 0; k < c.n; k++) nn += want[k]! ** 2;
    const beta = Math.sqrt(nn);

    // The basis with one more row, holding garbage the op must overwrite.
    const full = new Float32Array((c.rows + 1) * c.n).fill(7);
    full.set(q);
    const qb = d.tensor(full, [c.rows + 1, c.n], { backend: b });
    const wb = d.tensor(w, [c.n + 3], { backend: b });
    const r = b.ops.orthonormalizeInto!(qb.contig, c.rows, c.n, { s: wb.contig.s, offset: 3 }, { s: qb.contig.s, offset: c.rows * c.n });
    t.truthy(r);
    const got = await qb.data();
    qb.dispose();
    wb.dispose();
    // The rows read are untouched.
    t.deepEqual(got.subarray(0, c.rows * c.n), q);
    // Bounds as for orthogonalize (e on w2 and the coefficients); ‖w2‖ then carries √n·e
    // (relative to scale) and each normalised value (e + |w2_k|·Δβ/β)/β, plus its rounding.
    let sw = 0;
    for (let k = 0; k < c.n; k++) sw += Math.abs(w[k + 3]!);
    const qmax = q.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const scale = c.orthonormal ? Math.max(1, qmax * sw) : qmax * sw * (1 + qmax * c.n);
    const e = 4 * (c.n + c.rows + 2) * U.float32 * scale;
    const dBeta = Math.sqrt(c.n) * e + c.n * U.float32 * beta;
    t.true(Math.abs(r!.norm - beta) <= dBeta, `norm ${r!.norm} against ${beta} (bound ${dBeta})`);
    assertClose(t, r!.coeffs, want.subarray(c.n), () => e, 'coefficients');
    const row = got.subarray(c.rows * c.n);
    assertClose(t, row, Array.from(want.subarray(0, c.n), (v) => v / beta), (k) => (e + Math.abs(want[k]!) * dBeta / beta) / beta + 2 * U.float32 * Math.abs(want[k]! / beta), 'normalised row');
  });
}

// With a further row after `into` (n ≥ 64Ki values), the cpu op has an idle pool worker
// populate that row's memory in the background (native/runtime/prefault.h): its contents
// stay as they were, and threaded kernels started meanwhile still give their results.
test('orthonormalizeInto · cpu · the background population of the next row leaves it intact and threaded kernels correct', async (t) => {
  const b = await d.initBackend('cpu');
  const rows = 3, n = 70_000;
  const q = basis(rows, n, true, 99);
  const full = new Float32Array((rows + 2) * n);
  full.set(q);
  const pattern = randu(n, 5);
  full.set(pattern, (rows + 1) * n);
  const qb = d.tensor(full, [rows + 2, n], { backend: b });
  const wb = d.tensor(randu(n, 6), [n], { backend: b });
  const x = randu(256 * 300, 7), y = randu(300 * 200, 8);
  const want = await d.matmul(d.tensor(x, [256, 300], { backend: ref }), d.tensor(y, [300, 200], { backend: ref })).data();
  for (let round = 0; round < 5; round++) {
    t.truthy(b.ops.orthonormalizeInto!(qb.contig, rows, n, wb.contig, { s: qb.contig.s, offset: rows * n }));
    // Straight away, while the worker may still be populating.
    const got = await d.matmul(d.tensor(x, [256, 300], { backend: b }), d.tensor(y, [300, 200], { backend: b })).data();
    // A dot of length K = 300 with |x|, |y| ≤ 1: error ≤ K·u·Σ|x||y| ≤ K²·u.
    assertClose(t, got, want, () => 300 * 300 * U.float32, `matmul in round ${round}`);
  }
  await new Promise((r) => setTimeout(r, 20));
  const after = await qb.data();
  t.deepEqual(after.subarray((rows + 1) * n), pattern);
  qb.dispose();
  wb.dispose();
});
