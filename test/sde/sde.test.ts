// ODE/SDE integrators against closed forms: exact Euler/Heun amplification factors on linear
// ODEs (forward and backward grids), strong order ½ and weak order 1 of Euler–Maruyama measured on
// geometric Brownian motion and weak order 1 on Ornstein–Uhlenbeck (log-log slopes within 4 of
// their standard errors), the log-space scheme exact in law on GBM and positive, the exact OU
// step's moments, and bit-identical resumes.

import test from 'ava';
import { odeSolve, sdeSolve, ouStep, timeGrid } from '../../src/sde/index.js';
import { add, mul, ones, tensor, full, randomNormal, reference, cpu, Tensor } from '../../src/index.js';
import type { Backend } from '../../src/index.js';
import { normal } from '../../src/random.js';
import { logLogSlope, meanSE } from '../../src/stats/index.js';
import { testBackends } from '../helpers/backends.js';

const U64 = 2 ** -53, U32 = 2 ** -24;

test('timeGrid: forward, backward (dt < 0, the forward grid reversed), shifted; named errors', (t) => {
  t.deepEqual(timeGrid(0, 1, 4), [0, 0.25, 0.5, 0.75, 1]);
  const f = timeGrid(0.2, 1.7, 7), b = timeGrid(1.7, 0.2, 7);
  t.is(f[7], 1.7); t.is(b[7], 0.2);
  for (let k = 0; k <= 7; k++) t.true(Math.abs(b[k]! - f[7 - k]!) <= 2 * 1.7 * U64, `point ${k}`);
  for (let k = 0; k < 7; k++) t.true(b[k + 1]! < b[k]!);
  t.deepEqual(timeGrid(1, 0, 4, { shift: 3 }).map((v) => +v.toFixed(14)), [1, 0.9, 0.75, 0.5, 0]);
  const s = timeGrid(0, 1, 16, { shift: 0.5 });
  for (let k = 0; k < 16; k++) t.true(s[k + 1]! > s[k]!);
  t.throws(() => timeGrid(0, 0, 4), { instanceOf: RangeError, message: /timeGrid: expected a time different from t0 = 0 for 't1'/ });
  t.throws(() => timeGrid(0, 2, 4, { shift: 3 }), { instanceOf: RangeError, message: /'t1'/ });
  t.throws(() => timeGrid(0, 1, 0), { instanceOf: RangeError, message: /'steps'/ });
  t.throws(() => timeGrid(0, 1, 2, { shift: -1 }), { instanceOf: RangeError, message: /'opts.shift'/ });
});

test('odeSolve: Euler and Heun give exactly (1 + ah)^N and (1 + ah + (ah)²/2)^N on dx/dt = ax, forward and backward', async (t) => {
  const a = [-1.3, 0.7, 2], N = 40;
  const x0 = [[1, -2, 0.5], [3, 1, -1]];
  for (const [t0, t1] of [[0, 1], [1, 0], [0.5, -0.25]] as const) {
    const grid = timeGrid(t0, t1, N), h = (t1 - t0) / N;
    for (const method of ['euler', 'heun'] as const) {
      const av = tensor([a], undefined, { dtype: 'float64', backend: reference });
      const out = odeSolve({ method, drift: (x) => mul(x, av), x0: tensor(x0, undefined, { dtype: 'float64', backend: reference }), grid });
      const got = await out.data();
      for (let i = 0; i < 6; i++) {
        const ah = a[i % 3]! * h;
        const factor = method === 'euler' ? 1 + ah : 1 + ah + (ah * ah) / 2;
        const want = x0[Math.floor(i / 3)]![i % 3]! * factor ** N;
        // N steps, each a few correctly rounded float64 operations.
        t.true(Math.abs(got[i]! - want) <= 8 * N * U64 * Math.abs(want), `${method} [${t0}→${t1}] ${i}: ${got[i]} vs ${want}`);
      }
    }
  }
  // Heun's trapezoid is exact for a drift linear in t: x(t1) = x0 + (t1² − t0²)/2, also backward.
  const x0t = full([2, 2], 1, { dtype: 'float64', backend: reference });
  for (const [t0, t1] of [[0, 1], [1, 0]] as const) {
    const out = await odeSolve({ method: 'heun', drift: (x, s) => full(x.shape, s, { dtype: 'float64', backend: reference }), x0: x0t, grid: timeGrid(t0, t1, 10) }).data();
    for (const v of out) t.true(Math.abs(v - (1 + (t1 * t1 - t0 * t0) / 2)) <= 32 * U64);
  }
  // Round trip: forward then backward on the same grid returns x0·(1 + (ah)⁴/4)^N under Heun.
  const fwd = odeSolve({ drift: (x) => mul(x, -1.5), x0: x0t, grid: timeGrid(0, 1, 20) });
  const back = await odeSolve({ drift: (x) => mul(x, -1.5), x0: fwd, grid: timeGrid(1, 0, 20) }).data();
  const rt = (1 + (1.5 / 20) ** 4 / 4) ** 20;
  for (const v of back) t.true(Math.abs(v - rt) <= 8 * 40 * U64 * rt, `round trip ${v} vs ${rt}`);
  t.throws(() => odeSolve({ method: 'rk4' as never, drift: (x) => x, x0: x0t, grid: [0, 1] }), { instanceOf: TypeError, message: /odeSolve: expected 'euler' or 'heun' for 'opts.method'/ });
  t.throws(() => odeSolve({ drift: (x) => x, x0: x0t, grid: [0, 1, 0.5] }), { instanceOf: RangeError, message: /odeSolve: expected a strictly monotone 'opts.grid'/ });
  t.throws(() => odeSolve({ drift: (x) => x, x0: [1] as never, grid: [0, 1] }), { instanceOf: TypeError, message: /'opts.x0'/ });
});

test('sdeSolve (Euler–Maruyama on GBM): strong order ½ and weak order 1, log-log slopes within 4 SE', (t) => {
  // dX = μX dt + σX dW, X0 = 1, T = 1: X_T = exp((μ − σ²/2) + σW_T) on the solver's own Brownian
  // path W_T = Σ √h ξ_k (ξ_k regenerated from the documented noise layout). Column 0 (σ = 0.5)
  // measures the strong error E|X_h − X_T|; column 1 (σ = 0.2, less noise: E[X] does not depend on
  // σ) the weak error |E[X_h − X_T]| = |(1 + μh)^N − e^μ|, estimated on the same paths. The weak
  // error's next term is (2μ/3 + μ²/4)·h relative to its leading one, so a small μ keeps the
  // measured range h ∈ [1/256, 1/8] asymptotic (at μ = 0.5 the fitted slope carries a −0.025 bias);
  // float64 keeps rounding (N·u) far below the smallest weak error (≈ 2e-5).
  const R = 5000, mu = 0.1, sig = [0.5, 0.04], seed = 3, stream0 = 5;
  const sigma = tensor([sig], undefined, { dtype: 'float64', backend: cpu });
  const hs: number[] = [], strong: number[] = [], weak: number[] = [];
  // Each step size takes its own stream, so the points' Monte Carlo errors are independent, as the
  // regression's standard error assumes.
  for (const [j, N] of [8, 16, 32, 64, 128, 256].entries()) {
    const h = 1 / N, stream = stream0 + j;
    const x = sdeSolve({
      method: 'euler-maruyama', drift: (x) => mul(x, mu), diffusion: (x) => mul(x, sigma),
      x0: ones([R, 2], { dtype: 'float64', backend: cpu }), grid: timeGrid(0, 1, N), seed, stream,
    }).dataSync();
    const W = new Float64Array(2 * R);
    for (let k = 0; k < N; k++) {
      const z = normal(seed, 2 * R, k * 2 * R, stream);
      for (let i = 0; i < 2 * R; i++) W[i] += Math.sqrt(h) * z[i]!;
    }
    const abs: number[] = [], diff: number[] = [];
    for (let r = 0; r < R; r++) {
      abs.push(Math.abs(x[2 * r]! - Math.exp(mu - sig[0]! ** 2 / 2 + sig[0]! * W[2 * r]!)));
      diff.push(x[2 * r + 1]! - Math.exp(mu - sig[1]! ** 2 / 2 + sig[1]! * W[2 * r + 1]!));
    }
    const w = meanSE(diff);
    // The estimate agrees with the exact weak error of the scheme, within 4 SE.
    const exactWeak = (1 + mu * h) ** N - Math.exp(mu);
    t.true(Math.abs(w.mean - exactWeak) <= 4 * w.se, `N=${N}: weak ${w.mean} ± ${w.se} vs ${exactWeak}`);
    hs.push(h); strong.push(meanSE(abs).mean); weak.push(Math.abs(w.mean));
  }
  const s = logLogSlope(hs, strong), wk = logLogSlope(hs, weak);
  t.log(`strong slope ${s.slope.toFixed(4)} ± ${s.seSlope.toFixed(4)}, weak slope ${wk.slope.toFixed(4)} ± ${wk.seSlope.toFixed(4)}`);
  t.true(Math.abs(s.slope - 0.5) <= 4 * s.seSlope, `strong order ${s.slope} ± ${s.seSlope}`);
  t.true(Math.abs(wk.slope - 1) <= 4 * wk.seSlope, `weak order ${wk.slope} ± ${wk.seSlope}`);
});

test('sdeSolve (Euler–Maruyama on OU): weak order 1 in E[X_T²] against the exact OU law, log-log slope within 4 SE', (t) => {
  // dX = θ(μ − X)dt + σdW, X0 = 0, T = 1. The reference paths are exact OU transitions (ouStep)
  // driven by the same ξ_k as the scheme, so each is exact in law and E[X_EM² − X_OU²] is the weak
  // error of the second moment, estimated with little variance (both are linear in the same ξ).
  // The scheme's own E[X_T²] follows a recursion (m' = (1 − θh)m + θμh, s' = (1 − θh)²s +
  // 2(1 − θh)θμh·m + (θμh)² + σ²h); each estimate must match it within 4 SE. θ = 1/4 keeps the
  // range asymptotic: the exact weak errors' own fitted slope over h = 1/8 … 1/256 is 1.006.
  const R = 2000, theta = 0.25, mu = 0, sigma = 1, seed = 5;
  const hs: number[] = [], weak: number[] = [];
  for (const [j, N] of [8, 16, 32, 64, 128, 256].entries()) {
    const h = 1 / N, stream = 40 + j;
    const x0 = full([R, 1], 0, { dtype: 'float64', backend: cpu });
    const em = sdeSolve({ drift: (x) => mul(add(mul(x, -1), mu), theta), diffusion: () => sigma, x0, grid: timeGrid(0, 1, N), seed, stream }).dataSync();
    let y = x0;
    for (let k = 0; k < N; k++) {
      const next = ouStep(y, { theta, mu, sigma, dt: h, noise: randomNormal([R, 1], { seed, stream, offset: k * R, dtype: 'float64', backend: cpu }) });
      if (y !== x0) y.dispose();
      y = next;
    }
    const ou = y.dataSync();
    const w = meanSE(Array.from(em, (v, i) => v * v - ou[i]! * ou[i]!));
    let m = 0, s2 = 0;
    for (let k = 0; k < N; k++) {
      const a = 1 - theta * h;
      s2 = a * a * s2 + 2 * a * theta * mu * h * m + (theta * mu * h) ** 2 + sigma * sigma * h;
      m = a * m + theta * mu * h;
    }
    const exact = s2 - (sigma ** 2 * (1 - Math.exp(-2 * theta))) / (2 * theta);
    t.true(Math.abs(w.mean - exact) <= 4 * w.se, `N=${N}: weak ${w.mean} ± ${w.se} vs ${exact}`);
    hs.push(h); weak.push(Math.abs(w.mean));
  }
  const wk = logLogSlope(hs, weak);
  t.log(`OU weak slope ${wk.slope.toFixed(4)} ± ${wk.seSlope.toFixed(4)}`);
  t.true(Math.abs(wk.slope - 1) <= 4 * wk.seSlope, `weak order ${wk.slope} ± ${wk.seSlope}`);
});

test('sdeSolve (log-Euler–Maruyama): exact in law on GBM (the closed form on its own path) and always positive', async (t) => {
  const R = 64, N = 16, mu = 0.3, sigma = 3, seed = 8, stream = 2;
  const grid = timeGrid(0, 1, N), h = 1 / N;
  const opts = { drift: (x: Tensor) => mul(x, mu), diffusion: (x: Tensor) => mul(x, sigma), grid, seed, stream };
  const x0 = ones([R, 1], { dtype: 'float64', backend: reference });
  const logEM = await sdeSolve({ ...opts, method: 'log-euler-maruyama', x0 }).data();
  const W = new Float64Array(R);
  for (let k = 0; k < N; k++) { const z = normal(seed, R, k * R, stream); for (let i = 0; i < R; i++) W[i] += Math.sqrt(h) * z[i]!; }
  for (let i = 0; i < R; i++) {
    const want = Math.exp(mu - sigma * sigma / 2 + sigma * W[i]!);
    t.true(logEM[i]! > 0);
    // N log/exp round trips, each a few ulps of the exponent's size.
    t.true(Math.abs(logEM[i]! - want) <= 16 * N * U64 * (1 + Math.abs(Math.log(want))) * want, `path ${i}: ${logEM[i]} vs ${want}`);
  }
  // Plain Euler–Maruyama leaves the positive half-line at this σ and step; the log-space scheme cannot.
  const em = await sdeSolve({ ...opts, method: 'euler-maruyama', x0 }).data();
  t.true(em.some((v) => v < 0), 'EM goes negative');
});

test('sdeSolve: a backward grid steps with √|dt| (drift-free X = x0 + c·Σ√|h|ξ_k), onStep sees every step', async (t) => {
  const R = 5, N = 6, c = 0.7, grid = timeGrid(1, 0, N);
  const seen: Array<[number, number]> = [];
  const out = await sdeSolve({
    drift: (x) => mul(x, 0), diffusion: () => c, x0: full([R, 1], 2, { dtype: 'float64', backend: reference }), grid, seed: 4, stream: 9,
    onStep: (x, s, k) => { seen.push([k, s]); t.deepEqual(x.shape, [R, 1]); },
  }).data();
  const want = new Float64Array(R).fill(2);
  for (let k = 0; k < N; k++) { const z = normal(4, R, k * R, 9); for (let i = 0; i < R; i++) want[i] += c * Math.sqrt(1 / N) * z[i]!; }
  for (let i = 0; i < R; i++) t.true(Math.abs(out[i]! - want[i]!) <= 4 * N * U64 * 4);
  t.deepEqual(seen.map(([k]) => k), [1, 2, 3, 4, 5, 6]);
  t.deepEqual(seen.map(([, s]) => s), grid.slice(1));
  t.throws(() => sdeSolve({ drift: (x) => x, diffusion: () => 1, x0: seenTensor(), grid: [0, 1], seed: 'a' as never }), { instanceOf: TypeError, message: /sdeSolve: expected a seed number for 'opts.seed'/ });
  t.throws(() => sdeSolve({ method: 'milstein' as never, drift: (x) => x, diffusion: () => 1, x0: seenTensor(), grid: [0, 1], seed: 1 }), { instanceOf: TypeError, message: /'opts.method'/ });
});

function seenTensor(): Tensor { return ones([1], { backend: reference }); }

test('ouStep: exact OU transition — zero noise gives the mean path exactly; moments within 4 SE; n steps of dt equal one of n·dt in law', async (t) => {
  const theta = 1.7, mu = 0.4, sigma = 0.9, dt = 0.3;
  const x = tensor([[2, -1, 0.4]], undefined, { dtype: 'float64', backend: reference });
  const zero = await ouStep(x, { theta, mu, sigma, dt, noise: full([1, 3], 0, { dtype: 'float64', backend: reference }) }).data();
  [2, -1, 0.4].forEach((v, i) => t.true(Math.abs(zero[i]! - (mu + (v - mu) * Math.exp(-theta * dt))) <= 4 * U64 * 2));
  // Many replicas: 10 steps of dt from x = 2 against the closed-form law at T = 10·dt.
  const R = 20000, T = 10 * dt;
  let y = full([R, 1], 2, { backend: cpu });
  for (let k = 0; k < 10; k++) {
    const next = ouStep(y, { theta, mu, sigma, dt, noise: randomNormal([R, 1], { seed: 1, stream: 3, offset: k * R, backend: cpu }) });
    y.dispose(); y = next;
  }
  const v = await y.data();
  const m = mu + (2 - mu) * Math.exp(-theta * T), varT = (sigma ** 2 * (1 - Math.exp(-2 * theta * T))) / (2 * theta);
  const s = meanSE(v);
  t.true(Math.abs(s.mean - m) <= 4 * Math.sqrt(varT / R), `mean ${s.mean} vs ${m}`);
  t.true(Math.abs(s.sd ** 2 - varT) <= 4 * varT * Math.sqrt(2 / R), `variance ${s.sd ** 2} vs ${varT}`);
  // θ = 0 is Brownian motion: variance σ²dt; tensor parameters agree with numbers.
  const noise = tensor([[0.5, -1.2, 2]], undefined, { dtype: 'float64', backend: reference });
  const bm = await ouStep(x, { theta: 0, mu, sigma, dt, noise }).data();
  [2, -1, 0.4].forEach((v0, i) => t.true(Math.abs(bm[i]! - (v0 + sigma * Math.sqrt(dt) * [0.5, -1.2, 2][i]!)) <= 8 * U64 * 4));
  const thetaT = tensor([[0, theta, 3]], undefined, { dtype: 'float64', backend: reference });
  const withT = await ouStep(x, { theta: thetaT, mu, sigma, dt, noise }).data();
  for (const [i, th] of [[0, 0], [1, theta], [2, 3]] as const) {
    const one = await ouStep(tensor([[[2, -1, 0.4][i]!]], undefined, { dtype: 'float64', backend: reference }), {
      theta: th, mu, sigma, dt, noise: tensor([[[0.5, -1.2, 2][i]!]], undefined, { dtype: 'float64', backend: reference }),
    }).data();
    t.true(Math.abs(withT[i]! - one[0]!) <= 16 * U64 * 4, `θ=${th}: ${withT[i]} vs ${one[0]}`);
  }
  t.throws(() => ouStep(x, { theta: -1, mu, sigma, dt, noise }), { instanceOf: RangeError, message: /ouStep: expected a finite number ≥ 0 for 'opts.theta' but received -1/ });
  t.throws(() => ouStep(x, { theta, mu, sigma, dt: -0.1, noise }), { instanceOf: RangeError, message: /'opts.dt'/ });
});

test('resume: a run continued from step k is bit-identical to the uninterrupted run, on every backend', async (t) => {
  const backends: Array<{ name: string; backend: Backend }> = [{ name: 'reference', backend: reference }];
  for (const b of await testBackends()) if (b.backend) backends.push({ name: b.name, backend: b.backend });
  const grid = timeGrid(0, 1, 12), k = 5;
  let referenceOut: Float32Array | null = null;
  for (const { name, backend } of backends) {
    for (const method of ['euler-maruyama', 'log-euler-maruyama'] as const) {
      const base = {
        method, drift: (x: Tensor) => mul(x, -0.8), diffusion: (x: Tensor) => add(mul(x, 0.3), 0.1),
        x0: full([4, 3], 1.5, { backend }), grid, seed: 11, stream: 6,
      };
      const whole = await sdeSolve(base).data();
      const head = sdeSolve({ ...base, to: k });
      const resumed = await sdeSolve({ ...base, x0: head, from: k }).data();
      t.deepEqual(Array.from(resumed), Array.from(whole), `${name} ${method}`);
      if (method === 'euler-maruyama') {
        if (!referenceOut) referenceOut = Float32Array.from(whole);
        // Backends differ by the float32 rounding of their ops only: N steps of a few ops.
        else for (let i = 0; i < whole.length; i++) t.true(Math.abs(whole[i]! - referenceOut[i]!) <= 12 * 8 * U32 * 4, `${name} vs reference`);
      }
    }
  }
});
