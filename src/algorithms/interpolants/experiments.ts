// The `interpolants` experiment (PAPERS.md §15): (a) the velocity learned by L_b for a
// Gaussian-to-Gaussian interpolant against its closed form, and the ODE's push-forward;
// (b) the 2-D checkerboard from N(0, I) with an MLP for b and η, sampled by the ODE (Heun) and
// the SDE (ε > 0), compared with held-out target samples by MMD.

import { MLP, Tensor, add, concat, keep, meanSE, mmd2, mul, randomNormal, randomUniform, slice, solve, stream, tensor, tidy } from '../../engine.js';
import { check, defineExperiment } from '../experiment.js';
import type { Check, Series } from '../experiment.js';
import { checkerboard, onCheckerboard, timeEmbedding, trainArena } from '../toy-data/index.js';
import { gaussianVelocity, interpolantBatch, interpolantStream, jointInterpolantLoss, makeInterpolant, sampleODE, sampleSDE } from './interpolants.js';
import type { Interpolant, TimeField } from './interpolants.js';

/** Legendre polynomials P_0..P_{K−1} at 2t − 1. */
function legendre(t: number, k: number): number[] {
  const x = 2 * t - 1, p = [1, x];
  for (let n = 1; n + 1 < k; n++) p.push(((2 * n + 1) * x * p[n]! - n * p[n - 1]!) / (n + 1));
  return p.slice(0, k);
}

/**
 * The exact minimiser of the empirical antithetic L_b over velocity fields linear in x with
 * polynomial time coefficients, b̂_j(t, x) = A(t) x_j + B_j(t), A and B_j of degree < K in t
 * (L_b is quadratic in the coefficients, so its minimiser solves the normal equations, in
 * float64). Samples: x0, x1, z [n, d] host arrays and t [n].
 */
export function fitLinearVelocity(interp: Interpolant, x0: ArrayLike<number>, x1: ArrayLike<number>, z: ArrayLike<number>, t: ArrayLike<number>, d: number, k = 8): { field: TimeField; coefficients: Float64Array } {
  const n = t.length, p = k * (1 + d);
  const g = new Float64Array(p * p), h = new Float64Array(p);
  const psi = new Float64Array(p);
  for (let i = 0; i < n; i++) {
    const ti = t[i]!, phi = legendre(ti, k);
    const al = interp.alpha(ti), be = interp.beta(ti), ga = interp.gamma(ti), da = interp.dAlpha(ti), db = interp.dBeta(ti), dg = interp.dGamma(ti);
    for (const sgn of [1, -1]) {
      for (let j = 0; j < d; j++) {
        const o = i * d + j;
        const x = al * x0[o]! + be * x1[o]! + sgn * ga * z[o]!;
        const y = da * x0[o]! + db * x1[o]! + sgn * dg * z[o]!;
        psi.fill(0);
        for (let q = 0; q < k; q++) { psi[q] = phi[q]! * x; psi[k * (1 + j) + q] = phi[q]!; }
        for (let a = 0; a < p; a++) {
          if (psi[a] === 0) continue;
          h[a] += psi[a]! * y;
          for (let c = 0; c < p; c++) g[a * p + c] += psi[a]! * psi[c]!;
        }
      }
    }
  }
  const theta = solve(g, h, p);
  const field: TimeField = (x, tt) => {
    const tv = tt.dataSync(), b = x.shape[0]!;
    const A = new Float32Array(b), B = new Float32Array(b * d);
    for (let i = 0; i < b; i++) {
      const phi = legendre(tv[i]!, k);
      for (let q = 0; q < k; q++) {
        A[i] += theta[q]! * phi[q]!;
        for (let j = 0; j < d; j++) B[i * d + j] += theta[k * (1 + j) + q]! * phi[q]!;
      }
    }
    return tidy(() => add(mul(x, tensor(A, [b, 1])), tensor(B, [b, d])));
  };
  return { field, coefficients: theta };
}

/** The relative L² error √(E‖b̂ − b‖²/E‖b‖²) over x ~ ρ_t = N(t m, V(t) I), per time of `grid`. */
export function gaussianVelocityErrors(field: TimeField, grid: readonly number[], m: readonly number[], s: number, a: number, samples: number, seed: number): number[] {
  const d = m.length;
  return grid.map((t, k) => tidy(() => {
    const v = (1 - t) ** 2 + t * t * s * s + a * t * (1 - t);
    const x = add(mul(randomNormal([samples, d], { seed, stream: interpolantStream(20), offset: k * samples * d }), Math.sqrt(v)), tensor(m.map((mi) => mi * t), [1, d]));
    const want = gaussianVelocity(x, t, m, s, a).dataSync();
    const got = field(x, tensor(new Float32Array(samples).fill(t), [samples, 1])).dataSync();
    let num = 0, den = 0;
    for (let i = 0; i < want.length; i++) { num += (got[i]! - want[i]!) ** 2; den += want[i]! ** 2; }
    return Math.sqrt(num / den);
  }));
}

/**
 * An MLP of (x, time embedding) whose 2d outputs are (b̂, η̂): the joint model of part (b), as
 * the joint field and as the two fields. `cached` makes η reuse the forward pass b just made at
 * the same (x, t) (the SDE sampler asks for both at every step).
 */
export function jointFields(model: MLP, params: Tensor, d: number, frequencies: number): { joint: TimeField; b: TimeField; eta: TimeField } {
  const joint: TimeField = (x, t) => model.apply(params, concat([x, timeEmbedding(t, frequencies)], 1));
  let last: { x: Tensor; t: Tensor; out: Tensor } | null = null;
  const both = (x: Tensor, t: Tensor) => {
    if (last && last.x === x && last.t === t && !last.out.isDisposed) return last.out;
    last?.out.dispose();
    const out = keep(joint(x, t));
    last = { x, t, out };
    return out;
  };
  return {
    joint,
    b: (x, t) => tidy(() => slice(both(x, t), [0, 0], [x.shape[0]!, d])),
    eta: (x, t) => tidy(() => slice(both(x, t), [0, d], [x.shape[0]!, d])),
  };
}

function msd(xs: number[]): { mean: number; sd: number } {
  const q = meanSE(xs);
  return { mean: q.mean, sd: q.sd };
}

function uniformTimes(n: number, seed: number, offset: number): Float32Array {
  const u = randomUniform([n], { seed, stream: interpolantStream(2), offset });
  const out = Float32Array.from(u.dataSync());
  u.dispose();
  return out;
}

export const interpolantsExperiment = defineExperiment({
  name: 'interpolants',
  paper: { number: 15, title: 'Stochastic Interpolants: A Unifying Framework for Flows and Diffusions', arxiv: '2303.08797' },
  shows: 'The quadratic loss L_b recovers the closed-form velocity of a Gaussian-to-Gaussian interpolant; an MLP velocity/denoiser pair carries N(0, I) to the checkerboard with ODE and SDE samplers alike.',
  settings: {
    seed: 0,
    // (a) Gaussian → Gaussian, linear I, γ = √(a t(1−t))
    gaussMean: [2, 1], gaussStd: 0.5, gaussA: 1, gaussSamples: 200000, gaussDegree: 6, gaussEvalSamples: 4000, odeSamples: 4000, odeSteps: 100,
    // (b) checkerboard
    hidden: [128, 128, 128], frequencies: 4, trainSteps: 5000, batch: 512, lr: 1e-3, gammaA: 1,
    samples: 2000, sampleSteps: 100, eps: 0.5, tMin: 0.001, floorPairs: 5,
  },
  quick: { trainSteps: 200, samples: 400, sampleSteps: 40, floorPairs: 3 },
  seconds: { full: 115, quick: 17 },
  async run(s, ctx) {
    const seed = ctx.seed, d = 2;
    const m = s.gaussMean as number[];
    // (a)
    const gauss = await ctx.stage('gaussian', () => {
      const interp = makeInterpolant({ path: 'linear', gamma: 'brownian', a: s.gaussA });
      const n = s.gaussSamples;
      const x0 = randomNormal([n, d], { seed, stream: interpolantStream(10) }).dataSync();
      const e1 = randomNormal([n, d], { seed, stream: interpolantStream(11) }).dataSync();
      const x1 = Float64Array.from(e1, (e, i) => m[i % d]! + s.gaussStd * e);
      const z = randomNormal([n, d], { seed, stream: interpolantStream(12) }).dataSync();
      const t = uniformTimes(n, seed, 0);
      const { field } = fitLinearVelocity(interp, x0, x1, z, t, d, s.gaussDegree);
      const grid = Array.from({ length: 21 }, (_, k) => k / 20);
      const errors = gaussianVelocityErrors(field, grid, m, s.gaussStd, s.gaussA, s.gaussEvalSamples, seed);
      const start = randomNormal([s.odeSamples, d], { seed, stream: interpolantStream(13) });
      const end = sampleODE(field, start, { grid: Array.from({ length: s.odeSteps + 1 }, (_, k) => k / s.odeSteps) });
      const ev = end.dataSync();
      const moments = Array.from({ length: d }, (_, j) => meanSE(Array.from({ length: s.odeSamples }, (_, i) => ev[i * d + j]!)));
      start.dispose(); end.dispose();
      return { grid, errors, maxError: Math.max(...errors), means: moments.map((q) => q.mean), meanSE: moments.map((q) => q.se), vars: moments.map((q) => q.sd * q.sd), n: s.odeSamples };
    });
    ctx.progress(1, 3, 'gaussian');

    // (b)
    const interp = makeInterpolant({ path: 'linear', gamma: 'brownian', a: s.gammaA });
    const hidden = s.hidden as number[];
    const emb = 1 + 2 * s.frequencies;
    const model = new MLP([d + emb, ...hidden, 2 * d], { activation: 'relu' });
    const trained = await ctx.stage('train', () => {
      const params = model.init({ seed: seed + 15 });
      const B = s.batch;
      const history = trainArena(params, (p, k) => {
        const f = jointFields(model, p, d, s.frequencies);
        const x0 = randomNormal([B, d], { seed, stream: interpolantStream(30), offset: k * B * d });
        const x1 = checkerboard(B, { seed, stream: stream('data', 15), offset: 3 * k * B });
        const z = randomNormal([B, d], { seed, stream: interpolantStream(31), offset: k * B * d });
        const batch = interpolantBatch(interp, x0, x1, uniformTimes(B, seed, (k + 1) * 1_000_003), z);
        return jointInterpolantLoss(f.joint, batch);
      }, { steps: s.trainSteps, lr: s.lr, every: 100, onLog: (k) => ctx.progress(k, s.trainSteps, 'train') });
      return { params: Array.from(params.dataSync()), history };
    });
    ctx.progress(2, 3, 'trained');
    const sampled = await ctx.stage('sample', () => {
      const params = tensor(Float32Array.from(trained.params), [model.size]);
      const f = jointFields(model, params, d, s.frequencies);
      const n = s.samples, steps = s.sampleSteps;
      const x0 = randomNormal([n, d], { seed, stream: interpolantStream(40) });
      const ode = sampleODE(f.b, x0, { grid: Array.from({ length: steps + 1 }, (_, k) => k / steps) });
      const lo = s.tMin, hi = 1 - s.tMin;
      const mid = sampleSDE(f.b, f.eta, interp, x0, { grid: Array.from({ length: steps + 1 }, (_, k) => lo + ((hi - lo) * k) / steps), eps: s.eps, seed, stream: interpolantStream(41) });
      const sde = sampleODE(f.b, mid, { grid: [hi, 1] });
      const target = (k: number) => checkerboard(n, { seed, stream: stream('data', 16), offset: 3 * n * k }).dataSync();
      const held = target(0);
      const floors = Array.from({ length: s.floorPairs }, (_, k) => mmd2(target(2 * k + 1), target(2 * k + 2), d));
      const bw = { bandwidth: 0.5 };
      const floorsBw = Array.from({ length: s.floorPairs }, (_, k) => mmd2(target(2 * k + 1), target(2 * k + 2), d, bw));
      const odeV = ode.dataSync(), sdeV = sde.dataSync();
      const inside = (v: ArrayLike<number>) => onCheckerboard(v).filter(Boolean).length / n;
      const out = {
        mmdMedian: { ode: mmd2(odeV, held, d), sde: mmd2(sdeV, held, d) },
        mmd: { ode: mmd2(odeV, held, d, bw), sde: mmd2(sdeV, held, d, bw) },
        floorMedian: msd(floors), floor: msd(floorsBw),
        inside: { ode: inside(odeV), sde: inside(sdeV), target: inside(held) },
        odeSample: Array.from(odeV.slice(0, 1000)), sdeSample: Array.from(sdeV.slice(0, 1000)),
      };
      params.dispose(); x0.dispose(); ode.dispose(); mid.dispose(); sde.dispose();
      return out;
    });
    ctx.progress(3, 3, 'sampled');

    const gm = gauss.means, gv = gauss.vars, n = gauss.n, sd2 = s.gaussStd ** 2;
    const meanZ = gm.map((v, j) => Math.abs(v - m[j]!) / gauss.meanSE[j]!);
    const varZ = gv.map((v) => Math.abs(v - sd2) / (sd2 * Math.sqrt(2 / (n - 1))));
    const floorTop = sampled.floor.mean + 4 * sampled.floor.sd;
    const checks: Check[] = [
      check('gaussian-velocity',
        'The minimiser of the empirical antithetic L_b (linear in x, degree-5 polynomial in t, 2·10⁵ samples) matches the closed form b = m + (V̇/2V)(x − t m) with relative L² error < 2% at every t of a 21-point grid [derived; PAPERS.md §15 (a)]',
        { maxError: gauss.maxError, errors: gauss.errors }, gauss.maxError < 0.02),
      check('gaussian-ode-pushforward',
        'Heun (100 steps) with the fitted b carries N(0, I) to N(m, s²I): each coordinate’s sample mean within 4 SE (s/√n) of m and sample variance within 4 SE (s²√(2/(n−1))) of s² [derived]',
        { means: gm, vars: gv, meanInSE: meanZ, varInSE: varZ }, meanZ.every((z) => z <= 4) && varZ.every((z) => z <= 4)),
      check('checkerboard-inside',
        '≥ 95% of ODE and of SDE (ε = 0.5) samples lie on the checkerboard’s black squares [PAPERS.md §15 (b)]',
        sampled.inside, sampled.inside.ode >= 0.95 && sampled.inside.sde >= 0.95),
      check('checkerboard-mmd',
        'ODE and SDE samples are as close to held-out target samples as a second target sample is: MMD² (RBF, bandwidth 0.5, half a square; the median bandwidth ≈ 2 cannot see the squares) ≤ noise floor mean + 4 sd over independent target pairs [paper: same marginals for every ε]',
        { mmd: sampled.mmd, floorMean: sampled.floor.mean, floorSd: sampled.floor.sd, threshold: floorTop }, sampled.mmd.ode <= floorTop && sampled.mmd.sde <= floorTop),
    ];
    const pts = (v: number[], group: string) => Array.from({ length: v.length / 2 }, (_, i) => ({ x: v[2 * i]!, y: v[2 * i + 1]!, group }));
    const series: Series[] = [
      { name: 'Gaussian velocity error', x: 't', y: 'relative L² error of b̂', logY: true, points: gauss.grid.map((t, k) => ({ x: t, y: Math.max(gauss.errors[k]!, 1e-8) })) },
      { name: 'checkerboard samples', x: 'x₁', y: 'x₂', mark: 'point', points: [...pts(sampled.odeSample, 'ODE (Heun)'), ...pts(sampled.sdeSample, `SDE ε = ${s.eps}`)] },
      { name: 'training loss', x: 'step', y: 'L_b + L_η', points: trained.history.map((v, k) => ({ x: Math.min(k * 100, s.trainSteps - 1), y: v })) },
    ];
    return {
      metrics: {
        gaussianVelocityError: gauss.maxError,
        mmd: { ode: sampled.mmd.ode, sde: sampled.mmd.sde, noiseFloor: sampled.floor.mean, noiseFloorSd: sampled.floor.sd },
        mmdMedianBandwidth: { ...sampled.mmdMedian, noiseFloor: sampled.floorMedian.mean, noiseFloorSd: sampled.floorMedian.sd },
        insideSquares: sampled.inside,
        gaussianOde: { means: gm, vars: gv },
      },
      series,
      checks,
    };
  },
});
