// Projections and proximal maps against float64 closed forms and a brute-force simplex
// projection; the projected / proximal wrappers against the same maps composed by hand.
//
// Tolerances: float64 results within a few ulps of the host formula (|error| ≤ 8·2⁻⁵³·scale);
// float32 results within the float32 rounding of a handful of operations on values of the
// row's scale plus the norm's accumulated rounding (n·2⁻²⁴·scale, n the row length).

import test from 'ava';
import type { ExecutionContext } from 'ava';
import * as d from '../../src/index.js';
import type { Backend, Tensor } from '../../src/index.js';
import {
  projectBall, projectFrobeniusBall, projectSimplex, proximal, SGD, Adam, softThreshold, withProjection,
} from '../../src/optim/index.js';
import { normal } from '../../src/random.js';
import { eachBackend } from '../helpers/cases.js';

const R = 4, N = 7;

function rows(seed: number, r: number, n: number, scale = 1): Float64Array {
  return Float64Array.from(normal(seed, r * n, 0, 0), (v) => v * scale);
}

function within(t: ExecutionContext, got: ArrayLike<number>, want: ArrayLike<number>, tol: (i: number) => number, what: string): void {
  t.is(got.length, want.length);
  let worst = 0, at = -1;
  for (let i = 0; i < want.length; i++) {
    const e = Math.abs(got[i]! - want[i]!) / tol(i);
    if (!(e <= 1) && !(e <= worst)) { worst = e; at = i; }
  }
  t.is(at, -1, `${what}: element ${at} is ${got[at]} but should be ${want[at]} (error ${worst}× the tolerance)`);
}

/** Tolerance per element for dtype, given the scale of the element's row. */
const tolFor = (dtype: 'float32' | 'float64', n: number, scale: number) => (dtype === 'float64' ? 8 * 2 ** -53 : (n + 8) * 2 ** -24) * scale;

/** The simplex projection by enumerating every support (n ≤ 10): the feasible candidate nearest x. */
function simplexBrute(x: ArrayLike<number>, z: number): Float64Array {
  const n = x.length;
  let best: Float64Array | null = null, bestD = Infinity;
  for (let mask = 1; mask < 1 << n; mask++) {
    let s = 0, k = 0;
    for (let i = 0; i < n; i++) if (mask & (1 << i)) { s += x[i]!; k++; }
    const theta = (s - z) / k;
    const y = new Float64Array(n);
    let ok = true;
    for (let i = 0; i < n; i++) {
      if (mask & (1 << i)) { y[i] = x[i]! - theta; if (y[i]! < -1e-12) ok = false; }
    }
    if (!ok) continue;
    let dist = 0;
    for (let i = 0; i < n; i++) dist += (y[i]! - x[i]!) ** 2;
    if (dist < bestD) { bestD = dist; best = y; }
  }
  return best!;
}

const DTYPES = ['float32', 'float64'] as const;

async function ballCase(t: ExecutionContext, b: Backend, dtype: 'float32' | 'float64'): Promise<void> {
  const x = rows(1, R, N, 2), c = rows(2, 1, N, 0.5);
  const radius = [0.5, 100, 1, 3];
  const xt = d.tensor(x, [R, N], { backend: b, dtype }), ct = d.tensor(c, [N], { backend: b, dtype });
  const got = await projectBall(xt, radius, { center: ct }).data();
  const want = new Float64Array(R * N);
  for (let r = 0; r < R; r++) {
    let s = 0;
    for (let i = 0; i < N; i++) s += (x[r * N + i]! - c[i]!) ** 2;
    const f = Math.min(1, radius[r]! / Math.sqrt(s));
    for (let i = 0; i < N; i++) want[r * N + i] = c[i]! + (x[r * N + i]! - c[i]!) * f;
  }
  within(t, got, want, () => tolFor(dtype, N, 8), `projectBall ${dtype}`);
  // Row 1 lies inside its ball (radius 100): unchanged up to the re-centring x − c + c.
  // A scalar radius, no centre, rank 3 (rows = the two leading axes).
  const x3 = d.tensor(x, [2, 2, N], { backend: b, dtype });
  const got3 = await projectBall(x3, 1).data();
  for (let r = 0; r < R; r++) {
    let s = 0;
    for (let i = 0; i < N; i++) s += got3[r * N + i]! ** 2;
    t.true(Math.abs(Math.sqrt(s) - 1) <= tolFor(dtype, N, 4), `row ${r} should lie on the unit sphere: ${Math.sqrt(s)}`);
  }
}

async function frobCase(t: ExecutionContext, b: Backend, dtype: 'float32' | 'float64'): Promise<void> {
  const x = rows(3, 3, 12, 1.5);
  const got = await projectFrobeniusBall(d.tensor(x, [3, 3, 4], { backend: b, dtype }), [1, 50, 2]).data();
  const want = new Float64Array(36);
  for (let r = 0; r < 3; r++) {
    let s = 0;
    for (let i = 0; i < 12; i++) s += x[r * 12 + i]! ** 2;
    const f = Math.min(1, [1, 50, 2][r]! / Math.sqrt(s));
    for (let i = 0; i < 12; i++) want[r * 12 + i] = x[r * 12 + i]! * f;
  }
  within(t, got, want, () => tolFor(dtype, 12, 6), `projectFrobeniusBall ${dtype}`);
}

async function softCase(t: ExecutionContext, b: Backend, dtype: 'float32' | 'float64'): Promise<void> {
  const x = rows(4, R, N);
  const lambda = [0, 0.3, 1, 10];
  const got = await softThreshold(d.tensor(x, [R, N], { backend: b, dtype }), lambda).data();
  const want = x.map((v, i) => Math.sign(v) * Math.max(Math.abs(v) - lambda[Math.floor(i / N)]!, 0));
  within(t, got, want, () => (dtype === 'float64' ? 2 ** -52 : 2 ** -23) * 4, `softThreshold ${dtype}`);
  t.true(Array.from(got.slice(3 * N)).every((v) => v === 0), 'λ = 10 zeroes the row');
}

async function simplexCase(t: ExecutionContext, b: Backend, dtype: 'float32' | 'float64', method: 'auto' | 'sort' | 'pairwise'): Promise<void> {
  const n = 6, RR = 6;
  const x = rows(5, RR, n, 1.5);
  // Row 3: ties; row 4: all negative; row 5: already on the simplex.
  x.set([0.4, 0.4, 0.4, -1, 0.4, 2], 3 * n);
  x.set([-3, -1, -2, -1, -5, -4], 4 * n);
  x.set([0.5, 0.25, 0, 0.125, 0.125, 0], 5 * n);
  for (const total of [1, 2.5]) {
    const got = await projectSimplex(d.tensor(x, [RR, n], { backend: b, dtype }), { total, method }).data();
    const want = new Float64Array(RR * n);
    for (let r = 0; r < RR; r++) want.set(simplexBrute(x.subarray(r * n, (r + 1) * n), total), r * n);
    within(t, got, want, () => tolFor(dtype, n, 4 * total), `projectSimplex ${dtype} ${method} total ${total}`);
    for (let r = 0; r < RR; r++) {
      let s = 0;
      for (let i = 0; i < n; i++) { s += got[r * n + i]!; t.true(got[r * n + i]! >= 0); }
      t.true(Math.abs(s - total) <= tolFor(dtype, n, 4 * total), `row ${r} sums to ${s}`);
    }
  }
}

for (const dtype of DTYPES) {
  test(`prox · reference · ${dtype} · projectBall, per-row radii and a centre`, (t) => ballCase(t, d.reference, dtype));
  test(`prox · reference · ${dtype} · projectFrobeniusBall per replica`, (t) => frobCase(t, d.reference, dtype));
  test(`prox · reference · ${dtype} · softThreshold per row`, (t) => softCase(t, d.reference, dtype));
  for (const m of ['sort', 'pairwise'] as const) {
    test(`prox · reference · ${dtype} · projectSimplex (${m}) = brute force over supports`, (t) => simplexCase(t, d.reference, dtype, m));
  }
}
eachBackend('prox · projectBall, projectFrobeniusBall, softThreshold (float32)', async (t, b) => {
  await ballCase(t, b, 'float32');
  await frobCase(t, b, 'float32');
  await softCase(t, b, 'float32');
});
eachBackend('prox · projectSimplex (auto) = brute force over supports (float32)', (t, b) => simplexCase(t, b, 'float32', 'auto'));

test('prox · cpu · projectSimplex pairwise on a long row matches the sort (several blocks)', async (t) => {
  const b = await d.initBackend('cpu');
  const n = 3000, RR = 2;
  const x = rows(6, RR, n, 0.05);
  const xt = d.tensor(x, [RR, n], { backend: b, dtype: 'float64' });
  const a = await projectSimplex(xt, { method: 'sort' }).data();
  const p = await projectSimplex(xt, { method: 'pairwise' }).data();
  within(t, p, a, () => n * 2 ** -53 * 4, 'pairwise vs sort');
});

test('prox · bad arguments are named errors', (t) => {
  const x = d.zeros([2, 3], { backend: d.reference });
  t.throws(() => projectBall(x, -1), { instanceOf: RangeError, message: "projectBall: expected a finite number ≥ 0 for 'radius' but received -1" });
  t.throws(() => projectBall(x, [1, 2, 3]), { instanceOf: RangeError, message: /one value per row \(2\)/ });
  t.throws(() => softThreshold(x, Number.NaN), { instanceOf: RangeError, message: /'lambda'/ });
  t.throws(() => projectSimplex(x, { total: 0 }), { instanceOf: RangeError, message: /'opts.total'/ });
  t.throws(() => projectSimplex(d.zeros([2, 0], { backend: d.reference })), { instanceOf: RangeError, message: /at least one element/ });
  t.throws(() => projectFrobeniusBall(d.tensor([1, 2], [2], { backend: d.reference, dtype: 'int32' }), 1), { instanceOf: TypeError, message: /int32/ });
  t.throws(() => projectBall(x, 1, { center: 'a' as never }), { instanceOf: TypeError, message: /'opts.center'/ });
});

/** The same step composed by hand: plain SGD, then the map written into the active rows. */
async function wrappersCase(t: ExecutionContext, b: Backend): Promise<void> {
  const P = 9, RR = 3, STEPS = 4;
  const p0 = Float32Array.from(rows(7, RR, P, 3));
  const grads = Array.from({ length: STEPS }, (_, k) => Float32Array.from(rows(20 + k, RR, P)));
  const masks = [[0, 1, 2], [1], [0, 2], [2, 1]];
  const lr = [0.1, 0.2, 0.05];
  const sched = { kind: 'inverseTime', gamma: 0.5 } as const;
  const lambda = 0.4;

  const pa = d.tensor(p0, [RR, P], { backend: b });
  const projected = withProjection(new SGD(pa, { lr, momentum: 0.5 }), (p) => projectBall(p, 1.5));
  const pb = d.tensor(p0, [RR, P], { backend: b });
  const prox = proximal(new SGD(pb, { lr, schedule: sched }), (p, eta) => softThreshold(p, eta * lambda));
  const pc = d.tensor(p0, [RR, P], { backend: b }), pd = d.tensor(p0, [RR, P], { backend: b });
  const plainA = new SGD(pc, { lr, momentum: 0.5 }), plainB = new SGD(pd, { lr, schedule: sched });
  const count = [0, 0, 0];
  for (let k = 0; k < STEPS; k++) {
    const g = d.tensor(grads[k]!, [RR, P], { backend: b });
    const before = Float32Array.from(await pa.data());
    projected.step(g, { active: masks[k] });
    prox.step(g, { active: masks[k] });
    plainA.step(g, { active: masks[k] });
    plainB.step(g, { active: masks[k] });
    for (const r of masks[k]!) count[r]!++;
    // By hand: the projection / the prox with η = lr_r / (1 + γ(t_r − 1)), active rows only.
    const hostA = Float32Array.from(await pc.data()), ballA = await projectBall(pc, 1.5).data();
    const hostB = Float32Array.from(await pd.data());
    for (const r of masks[k]!) {
      hostA.set(ballA.subarray(r * P, (r + 1) * P), r * P);
      const eta = lr[r]! / (1 + 0.5 * (count[r]! - 1));
      const sb = await softThreshold(d.tensor(hostB.subarray(r * P, (r + 1) * P), [P], { backend: b }), eta * lambda).data();
      hostB.set(sb, r * P);
    }
    const nc = d.tensor(hostA, [RR, P], { backend: b }), nd = d.tensor(hostB, [RR, P], { backend: b });
    b.ops.copyInto(nc.strided, pc.strided);
    b.ops.copyInto(nd.strided, pd.strided);
    d.dispose([nc, nd]);
    t.deepEqual(await pa.data(), await plainA.params.data(), `projected SGD, step ${k}`);
    t.deepEqual(await pb.data(), await plainB.params.data(), `proximal SGD, step ${k}`);
    const after = await pa.data();
    for (let r = 0; r < RR; r++) {
      if (!masks[k]!.includes(r)) t.deepEqual(after.slice(r * P, (r + 1) * P), before.slice(r * P, (r + 1) * P), `inactive replica ${r} changed`);
    }
    g.dispose();
  }
  // detach() stops projecting.
  projected.detach();
  const g = d.tensor(new Float32Array(RR * P).fill(-100), [RR, P], { backend: b });
  projected.step(g);
  const far = await pa.data();
  t.true(far.some((v) => Math.abs(v) > 1.5));
}

eachBackend('prox-wrappers · projected and proximal SGD = the maps composed by hand, masks respected', wrappersCase);
test('prox-wrappers · reference · projected and proximal SGD = the maps composed by hand, masks respected', (t) => wrappersCase(t, d.reference));

test('prox-wrappers · a map returning the wrong shape, and per-group step sizes, are named errors', (t) => {
  const p = d.zeros([2, 4], { backend: d.reference });
  const g = d.ones([2, 4], { backend: d.reference });
  const bad = withProjection(new SGD(p, { lr: 0.1 }), (x: Tensor) => d.reshape(x, [8]));
  t.throws(() => bad.step(g), { instanceOf: TypeError, message: /withProjection: expected the map to return a float32 tensor of shape \[2, 4\]/ });
  const q = d.zeros([2, 4], { backend: d.reference });
  const px = proximal(new Adam(q, { groups: [{ end: 2 }, { end: 4, lr: 0.5 }] }), (x) => x);
  t.throws(() => px.step(g), { instanceOf: RangeError, message: /proximal: expected one learning rate per replica but replica 0/ });
});
