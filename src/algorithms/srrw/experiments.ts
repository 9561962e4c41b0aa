// The experiment of PAPERS.md §2 (Hu, Doshi & Eun, SA-SRRW): `srrw`.

import { bootstrap, logLogSlope, philox4x32, stream } from '../../engine.js';
import { check, defineExperiment } from '../experiment.js';
import type { Check, Json, SeriesPoint } from '../experiment.js';
import { erdosRenyiGraph, metropolisHastings, torusGraph } from './graph.js';
import { RidgeObjective, SRRWPopulation } from './walk.js';

const PAPER2 = { number: 2, title: 'Accelerating Distributed Stochastic Optimization via Self-Repellent Random Walks', arxiv: '2401.09665' };

/** Standard normals from Philox (seed, stream), Box–Muller over word pairs. */
function normals(seed: number, st: number, n: number): Float64Array {
  const out = new Float64Array(n), w = new Uint32Array(4);
  for (let b = 0; 4 * b < 2 * n; b++) {
    philox4x32(seed % 2 ** 32, Math.floor(seed / 2 ** 32), b, 0, st, 0, w);
    for (let j = 0; j < 4; j += 2) {
      const i = 2 * b + j / 2;
      if (i >= n) break;
      const u1 = (w[j]! + 0.5) * 2 ** -32, u2 = (w[j + 1]! + 0.5) * 2 ** -32;
      out[i] = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }
  }
  return out;
}

/** tr Cov over walkers of z_r = (θ_r − θ*)/√β, for the walkers at `idx`. */
function traceCov(theta: ArrayLike<number>, opt: ArrayLike<number>, d: number, beta: number, idx: ArrayLike<number>): number {
  const n = idx.length;
  let tr = 0;
  for (let k = 0; k < d; k++) {
    let s = 0, ss = 0;
    for (let q = 0; q < n; q++) { const z = (theta[idx[q]! * d + k]! - opt[k]!) / Math.sqrt(beta); s += z; ss += z * z; }
    tr += (ss - (s * s) / n) / (n - 1);
  }
  return tr;
}

const CASES = [
  { name: 'i-wide', a: 0.55, b: 0.95 },
  { name: 'i-mild', a: 0.8, b: 0.9 },
  { name: 'ii', a: 0.8, b: 0.8 },
  { name: 'iii', a: 0.9, b: 0.8 },
] as const;

export const srrwExperiment = defineExperiment({
  name: 'srrw',
  paper: PAPER2,
  shows: 'Ridge regression sampled by 200 self-repellent walkers on a lazy 10×10 torus: the scaled error covariance tr Cov[(θ_n − θ*)/√β_n] falls with the repellence α, fastest when θ runs on the slower time scale.',
  settings: {
    seed: 0, graph: 'torus', side: 10, erNodes: 100, erMeanDegree: 6, lazy: 0.5, dim: 3, lambda: 0.1, noise: 1,
    walkers: 200, steps: 50000, alphas: [0, 1, 2, 5, 10, 20], level: 0.95,
  },
  quick: { walkers: 100, steps: 2000 },
  seconds: { full: 247, quick: 10 },
  async run(s, ctx) {
    const g = s.graph === 'er' ? erdosRenyiGraph(s.erNodes, s.erMeanDegree, s.seed, stream('paper2', 0)) : torusGraph(s.side, s.side);
    const chain = metropolisHastings(g, { lazy: s.lazy });
    const N = g.nodes, d = s.dim;
    // Ridge data: a_i ~ N(0, I_d), b_i = a_iᵀθ₀ + noise·N(0, 1) with θ₀ ~ N(0, I_d).
    const z = normals(s.seed, stream('paper2', 1), N * d + d + N);
    const feats = z.slice(0, N * d), theta0 = z.slice(N * d, N * d + d);
    const targets = Float64Array.from({ length: N }, (_, i) => {
      let v = s.noise * z[N * d + d + i]!;
      for (let k = 0; k < d; k++) v += feats[i * d + k]! * theta0[k]!;
      return v;
    });
    const objective = new RidgeObjective(feats, targets, s.lambda);
    const opt = objective.optimum();
    const runs: Record<string, Record<string, { theta: number[]; beta: number; visitErr: number[]; visitErrEarly: number[] }>> = {};
    let done = 0;
    const total = CASES.length * s.alphas.length;
    for (const c of CASES) {
      runs[c.name] = {};
      for (const alpha of s.alphas) {
        runs[c.name]![String(alpha)] = await ctx.stage(`${c.name}/alpha${alpha}`, () => {
          const pop = new SRRWPopulation({ chain, alpha, walkers: s.walkers, a: c.a, b: c.b, objective, seed: s.seed, stream: stream('paper2', 2) });
          const err = () => Array.from({ length: s.walkers }, (_, r) => { const x = pop.visits(r); let e = 0; for (let k = 0; k < N; k++) e += (x[k]! - chain.mu[k]!) ** 2; return Math.sqrt(e); });
          pop.step(Math.floor(s.steps / 10));
          const visitErrEarly = err();
          pop.step(s.steps - Math.floor(s.steps / 10));
          return { theta: Array.from(pop.theta), beta: pop.beta(), visitErr: err(), visitErrEarly };
        });
        ctx.progress(++done, total, `${c.name} α=${alpha}`);
      }
    }
    const bootOpts = { seed: s.seed, stream: stream('paper2', 3), level: s.level, resamples: 1000 };
    const R = s.walkers;
    const traceCovOut: Record<string, Json> = {}, slope2to10: Record<string, Json> = {}, visitError: Record<string, Json> = {};
    const C: Record<string, number[]> = {};
    const CI: Record<string, { lo: number; hi: number }[]> = {};
    const points: SeriesPoint[] = [];
    const all = Int32Array.from({ length: R }, (_, i) => i);
    for (const c of CASES) {
      const perAlpha: Record<string, Json> = {}, ve: Record<string, Json> = {};
      C[c.name] = []; CI[c.name] = [];
      for (const alpha of s.alphas) {
        const run = runs[c.name]![String(alpha)]!;
        const b = bootstrap(R, (idx) => traceCov(run.theta, opt, d, run.beta, idx), bootOpts);
        const value = traceCov(run.theta, opt, d, run.beta, all);
        perAlpha[String(alpha)] = { value, ciLow: b.lo, ciHigh: b.hi };
        C[c.name]!.push(value); CI[c.name]!.push({ lo: b.lo, hi: b.hi });
        ve[String(alpha)] = run.visitErr.reduce((a, v) => a + v, 0) / R;
        if (alpha > 0) points.push({ x: alpha, y: value, lo: b.lo, hi: b.hi, group: c.name });
      }
      traceCovOut[c.name] = perAlpha;
      visitError[c.name] = ve;
      // log-log slope of C over α ∈ {2, 5, 10}, bootstrap over walkers (same resample for each α).
      const sel = [2, 5, 10].filter((a) => s.alphas.includes(a));
      if (sel.length >= 2) {
        const thetas = sel.map((a) => runs[c.name]![String(a)]!);
        const sb = bootstrap(R, (idx) => logLogSlope(sel, thetas.map((r) => traceCov(r.theta, opt, d, r.beta, idx))).slope, bootOpts);
        slope2to10[c.name] = { value: sb.estimate, ciLow: sb.lo, ciHigh: sb.hi };
      }
    }
    const checks: Check[] = [];
    const mono = Object.fromEntries(CASES.map((c) => [c.name, C[c.name]!.every((v, i) => i === 0 || v < C[c.name]![i - 1]!)]));
    checks.push(check('trace-cov-falls-with-alpha',
      'C(α) = tr Cov_R[(θ_n − θ*)/√β_n] at the final n decreases monotonically in α ∈ {0, 1, 2, 5, 10, 20} in every step-size case (point estimates over the walkers; their 95% bootstrap CIs are reported)',
      { monotone: mono, C }, Object.values(mono).every(Boolean)));
    {
      const lows = CASES.map((c) => CI[c.name]![0]!.lo), highs = CASES.map((c) => CI[c.name]![0]!.hi);
      checks.push(check('alpha-zero-comparable',
        'At α = 0 every case runs the same base chain, so C is comparable across cases: the four 95% bootstrap CIs of C(0) share a common point (max lower bound ≤ min upper bound)',
        { C0: CASES.map((c) => C[c.name]![0]!), ciLow: lows, ciHigh: highs }, Math.max(...lows) <= Math.min(...highs)));
    }
    {
      const rows = s.alphas.map((alpha, i) => ({ alpha, C: CASES.map((c) => C[c.name]![i]!) })).filter((r) => r.alpha > 0);
      const ok = rows.every((r) => r.C.every((v, k) => k === 0 || v > r.C[k - 1]!));
      checks.push(check('time-scale-ordering',
        'For every α > 0 the gain is largest with well-separated time scales and smallest in case (iii): C(i, a=0.55 b=0.95) < C(i, 0.8/0.9) < C(ii, 0.8/0.8) < C(iii, 0.9/0.8) (point estimates)',
        { rows }, ok));
    }
    {
      const sw = slope2to10['i-wide'] as { value: number; ciLow: number; ciHigh: number } | undefined;
      checks.push(check('faster-than-inverse-alpha-when-separated',
        'With well-separated time scales (a = 0.55, b = 0.95) C falls faster than 1/α between α = 2 and 10: the 95% bootstrap CI (over walkers) of the log-log slope of C on α ∈ {2, 5, 10} lies below −1 (the asymptotic rate is 1/α²) [recon: which regime gives 1/α²]',
        sw ?? null, sw !== undefined && sw.ciHigh < -1));
      const s2 = slope2to10['ii'] as { value: number; ciLow: number; ciHigh: number } | undefined;
      checks.push(check('inverse-alpha-with-equal-steps',
        'With equal step sizes (case ii, a = b = 0.8) C follows ≈ 1/α: the 95% bootstrap CI of the log-log slope on α ∈ {2, 5, 10} contains −1 [recon]',
        s2 ?? null, s2 !== undefined && s2.ciLow <= -1 && s2.ciHigh >= -1));
    }
    {
      const rows = CASES.flatMap((c) => s.alphas.map((alpha) => {
        const run = runs[c.name]![String(alpha)]!;
        const diff = bootstrap(R, (idx) => { let a = 0; for (const i of idx) a += run.visitErr[i]! - run.visitErrEarly[i]!; return a / idx.length; }, bootOpts);
        return { case: c.name, alpha, early: run.visitErrEarly.reduce((a, v) => a + v, 0) / R, final: run.visitErr.reduce((a, v) => a + v, 0) / R, diffHi: diff.hi };
      }));
      checks.push(check('visits-converge-to-mu',
        'Sanity: x_n → μ: the mean over walkers of ‖x_n − μ‖₂ at the final n is below its value at n/10, for every case and α (95% bootstrap CI of the paired difference below 0)',
        { rows }, rows.every((r) => r.diffHi < 0)));
    }
    return {
      metrics: { traceCov: traceCovOut, slope2to10, visitError, optimum: Array.from(opt), nodes: N },
      series: [{ name: 'scaled error covariance vs repellence', x: 'α', y: 'tr Cov[(θ_n − θ*)/√β_n]', logX: true, logY: true, mark: 'point', points }],
      checks,
    };
  },
});

export const SRRW_EXPERIMENTS = [srrwExperiment];
