// The `cbo` experiment (PAPERS.md §3): the exact prox check of the Gaussian-weighted consensus
// and the paper's GrandCanyon3noisy figure (CBO, consensus hopping, GD and annealed Langevin;
// the 50 runs of each method are one population, not a loop).

import { add, full, mul, randomNormal, reshape, tensor, tidy } from '../../engine.js';
import { check, defineExperiment } from '../experiment.js';
import type { Check, Series } from '../experiment.js';
import { cboStream, consensus, evaluateParticles, grandCanyon3noisy, langevinDescent, quadraticObjective, runParticles, supNorm } from './cbo.js';

/** The median of a host array. */
export function median(xs: ArrayLike<number>): number {
  const s = Float64Array.from(xs).sort();
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
}

/**
 * The exact prox check of §3 (a) [derived]: for f(y) = (a/2)‖y‖² and samples y ~ N(x, σ²I),
 * the weighted mean with weights exp(−α f(y)) has the tilted (product-of-Gaussians) mean
 * x/(1 + ασ²a) = prox_{τf}(x), τ = ασ², for every α. Returns the Monte Carlo consensus, the
 * prediction, the weights' N_eff = (Σw)²/Σw² and the delta-method standard error of each
 * coordinate of the self-normalised estimate, √(Σ w_i² (y_i − v)²) / Σ w_i.
 */
export function proxConsensusCheck(opts: { x: readonly number[]; sigma: number; a: number; alpha: number; samples: number; seed: number; stream?: number }): {
  observed: number[]; predicted: number[]; nEff: number; se: number[];
} {
  const { x, sigma, a, alpha, samples: n, seed } = opts;
  const d = x.length;
  const ys = tidy(() => add(mul(randomNormal([1, n, d], { seed, stream: opts.stream ?? cboStream(3) }), sigma), tensor(x.slice(), [d])));
  const { point, weights } = consensus(ys, evaluateParticles(quadraticObjective(a), ys), alpha);
  const v = Array.from(point.dataSync()), w = weights.dataSync(), yv = ys.dataSync();
  let s1 = 0, s2 = 0;
  const se2 = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const wi = w[i]!;
    s1 += wi; s2 += wi * wi;
    for (let j = 0; j < d; j++) se2[j] += wi * wi * (yv[i * d + j]! - v[j]!) ** 2;
  }
  ys.dispose(); point.dispose(); weights.dispose();
  return { observed: v, predicted: x.map((xi) => xi / (1 + alpha * sigma * sigma * a)), nEff: (s1 * s1) / s2, se: Array.from(se2, (e) => Math.sqrt(e) / s1) };
}

type MethodResult = { sup: number[]; f: number[]; rate: number; medianF: number; points: number[] };

function summarise(points: Float32Array | Float64Array, r: number, success: number): MethodResult {
  const x = tensor(points, [r, 2]);
  const sup = Array.from(supNorm(x));
  const f = Array.from(grandCanyon3noisy(x).dataSync());
  x.dispose();
  return { sup, f, rate: sup.filter((s) => s < success).length / r, medianF: median(f), points: Array.from(points) };
}

export const cboExperiment = defineExperiment({
  name: 'cbo',
  paper: { number: 3, title: 'Gradient is All You Need? How Consensus-Based Optimization can be Interpreted as a Stochastic Relaxation of Gradient Descent', arxiv: '2306.09778' },
  shows: 'The Gaussian-weighted consensus is the prox point x/(1+ασ²a); on GrandCanyon3noisy CBO reaches the global minimiser where GD from the same start is trapped, and consensus hopping with constant σ rarely does.',
  settings: {
    seed: 0,
    // (a) exact prox check
    proxX: [2, -1], proxSigma: 0.5, proxA: 3, proxAlpha: 4, proxSamples: 400000,
    // (b) the paper's figure [code: CBOSchemeIntuition.m, CHSchemeIntuition.m, GDLangevinIntuition.m]
    runs: 50, particles: 200, steps: 250, dt: 0.01, lambda: 1, sigma: 1.6, alpha: 100, noise: 'isotropic',
    start: [8, 8], startStd: 0.5,
    chSigma: 0.7, chStartStd: 0.7,
    gdSteps: 10000, gdDt: 0.001, gdLearningRate: 1, langevinSigma: 10,
    success: 0.25,
  },
  quick: { gdSteps: 300 },
  seconds: { full: 77, quick: 10 },
  async run(s, ctx) {
    const seed = ctx.seed;
    const prox = await ctx.stage('prox', () => proxConsensusCheck({ x: s.proxX as number[], sigma: s.proxSigma, a: s.proxA, alpha: s.proxAlpha, samples: s.proxSamples, seed }));
    const start = s.start as number[];
    const r = s.runs, n = s.particles;
    const startPop = (std: number, k: number) => tidy(() => add(mul(randomNormal([r, n, 2], { seed, stream: cboStream(10 + k) }), std), tensor(start.slice(), [2])));
    const particleStage = async (method: 'cbo' | 'ch') => ctx.stage(method, () => {
      const v0 = startPop(method === 'cbo' ? s.startStd : s.chStartStd, method === 'cbo' ? 0 : 1);
      const run = runParticles(grandCanyon3noisy, v0, {
        method, steps: s.steps, dt: s.dt, lambda: s.lambda, sigma: method === 'cbo' ? s.sigma : s.chSigma, alpha: s.alpha,
        noise: s.noise as 'isotropic' | 'anisotropic', seed, stream: cboStream(method === 'cbo' ? 0 : 1), record: 5,
      });
      const res = summarise(run.consensus.dataSync() as Float32Array, r, s.success);
      const traj = run.trajectory.map((p, i) => ({ step: Math.min(i * 5, s.steps), median: median(supNorm(tensor(p, [r, 2]))) }));
      v0.dispose(); run.particles.dispose(); run.consensus.dispose();
      return { ...res, trajectory: traj.map((t) => [t.step, t.median]) };
    });
    const cbo = await particleStage('cbo');
    ctx.progress(1, 4, 'cbo');
    const ch = await particleStage('ch');
    ctx.progress(2, 4, 'ch');
    const gradientStage = (key: 'gd' | 'langevin') => ctx.stage(key, () => {
      const x0 = full([r, 2], 0);
      const xs = add(x0, tensor(start.slice(), [2]));
      const x = langevinDescent(grandCanyon3noisy, xs, { steps: s.gdSteps, dt: s.gdDt, learningRate: s.gdLearningRate, sigma: key === 'gd' ? 0 : s.langevinSigma, seed, stream: cboStream(2) });
      const res = summarise(x.dataSync() as Float32Array, r, s.success);
      x0.dispose(); xs.dispose(); x.dispose();
      return res;
    });
    const gd = await gradientStage('gd');
    ctx.progress(3, 4, 'gd');
    const langevin = await gradientStage('langevin');
    ctx.progress(4, 4, 'langevin');

    const dev = prox.observed.map((o, j) => Math.abs(o - prox.predicted[j]!) / prox.se[j]!);
    const checks: Check[] = [
      check('prox-point',
        'The Monte Carlo consensus of 4·10⁵ samples from N(x, σ²I) under f = (a/2)‖y‖² equals x/(1 + ασ²a) in each coordinate within 4 of its own delta-method standard errors (≈ sd/√N_eff) [derived]',
        { ...prox, deviationInSE: dev }, dev.every((z) => z <= 4)),
      check('cbo-large-majority',
        `CBO (N = 200, σ = 1.6, α = 100, Δt = 0.01, K = 250) ends with ‖v_K‖∞ < ${s.success} in the large majority (≥ 75%) of ${r} runs [paper]`,
        { successRate: cbo.rate, medianF: cbo.medianF }, cbo.rate >= 0.75),
      check('gd-trapped',
        'GD from (8, 8) never succeeds and ends at a local minimum with f far above f(0) = 0 (median f > 1) [paper]',
        { successRate: gd.rate, medianF: gd.medianF, firstRunEnd: gd.points.slice(0, 2) }, gd.rate === 0 && gd.medianF > 1),
      check('ch-minority',
        'Consensus hopping with constant σ = 0.7 succeeds in only a minority (< 50%) of runs by K = 250 (its particles never contract) [PAPERS.md §3 (b)]',
        { successRate: ch.rate, medianF: ch.medianF }, ch.rate < 0.5),
      check('cbo-beats-gd',
        'CBO’s median final value f(v_K) is below GD’s [paper]',
        { cbo: cbo.medianF, gd: gd.medianF }, cbo.medianF < gd.medianF),
    ];
    const series: Series[] = [
      {
        name: 'success rate', x: 'method', y: `fraction of runs with ‖v_K‖∞ < ${s.success}`, mark: 'bar',
        points: [['CBO', cbo.rate], ['CH', ch.rate], ['GD', gd.rate], ['Langevin', langevin.rate]].map(([x, y]) => ({ x: x as string, y: y as number })),
      },
      {
        name: 'consensus distance', x: 'step k', y: 'median ‖v_k‖∞ over runs', logY: true,
        points: [
          ...cbo.trajectory.map(([x, y]) => ({ x: x!, y: Math.max(y!, 1e-6), group: 'CBO' })),
          ...ch.trajectory.map(([x, y]) => ({ x: x!, y: Math.max(y!, 1e-6), group: 'CH' })),
        ],
      },
    ];
    return {
      metrics: {
        proxCheck: { observed: prox.observed, predicted: prox.predicted, nEff: prox.nEff, se: prox.se },
        successRate: { cbo: cbo.rate, ch: ch.rate, gd: gd.rate, langevin: langevin.rate },
        finalF: { cbo: cbo.medianF, ch: ch.medianF, gd: gd.medianF, langevin: langevin.medianF },
      },
      series,
      checks,
    };
  },
});
