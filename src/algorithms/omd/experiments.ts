// The `omd-sea` experiment (PAPERS.md §5): f_t(x) = ½‖x − c_t‖² + ⟨ξ_t, x⟩ on the ball of radius 5
// in R^10, ξ_t ~ N(0, σ²I), c_t = c + Σ·s_t·u with s_t = ±1 flipping every B rounds. All settings,
// schemes (optimistic / OGD) and seeds are rows of one [R, 10] population stepped together.

import { Rng, logLogSlope, meanSE, randomNormal, stream, sub, add, tensor, tidy } from '../../engine.js';
import { check, defineExperiment } from '../experiment.js';
import type { Check, Json, Series } from '../experiment.js';
import { OptimisticOMD, QuadraticBallRegret } from './omd.js';
import type { OMDStep } from './omd.js';

interface Setting { key: string; sigma: number; Sigma: number; B: number }

const SETTINGS: Setting[] = [
  { key: 'sigma0-Sigma0', sigma: 0, Sigma: 0, B: 1 },
  { key: 'sigma1-Sigma0', sigma: 1, Sigma: 0, B: 1 },
  { key: 'sigma2-Sigma0', sigma: 2, Sigma: 0, B: 1 },
  { key: 'sigma0-Sigma1-B1000', sigma: 0, Sigma: 1, B: 1000 },
  { key: 'sigma0-Sigma1-B1', sigma: 0, Sigma: 1, B: 1 },
];

/** Runs rows (setting, scheme, seed) for T rounds; returns regret per row at the checkpoints. */
function simulate(rows: { setting: Setting; optimistic: boolean; seed: number }[], step: OMDStep, o: { d: number; radius: number; T: number; seed: number; checkpoints: number[]; streamIndex: number }): number[][] {
  const R = rows.length, d = o.d;
  const rng = new Rng(o.seed, stream('paper5', 100));
  const c0 = Float64Array.from(rng.normal(d), (v) => v * 0.6);
  const u = Float64Array.from(rng.normal(d));
  const un = Math.hypot(...u);
  u.forEach((v, j) => { u[j] = v / un; });
  const omd = new OptimisticOMD({ x0: tensor(new Float64Array(R * d), [R, d], { dtype: 'float64' }), geometry: 'euclidean-ball', radius: o.radius, step, optimistic: rows.map((r) => r.optimistic) });
  const reg = new QuadraticBallRegret(R, d, o.radius);
  const pairOf = rows.map((r) => rows.findIndex((q) => q.seed === r.seed && q.setting === r.setting));
  const out: number[][] = [];
  const c = new Float64Array(R * d);
  for (let t = 1; t <= o.T; t++) {
    rows.forEach((r, i) => {
      const s = Math.floor((t - 1) / r.setting.B) % 2 === 0 ? 1 : -1;
      for (let j = 0; j < d; j++) c[i * d + j] = c0[j]! + r.setting.Sigma * s * u[j]!;
    });
    tidy(() => {
      const x = omd.play();
      // rows of one (setting, seed) share the noise draw of the first such row: schemes are compared on the same ξ_t
      const z = randomNormal([R, d], { seed: o.seed, stream: stream('paper5', o.streamIndex), offset: (t - 1) * R * d, dtype: 'float64' }).dataSync();
      const arr = new Float64Array(R * d);
      rows.forEach((r, i) => { const src = pairOf[i]!; for (let j = 0; j < d; j++) arr[i * d + j] = z[src * d + j]! * r.setting.sigma; });
      const noise = tensor(arr, [R, d], { dtype: 'float64' });
      const ct = tensor(c, [R, d], { dtype: 'float64' });
      const grad = add(sub(x, ct), noise);
      reg.add(x.dataSync(), c, noise.dataSync());
      omd.update(grad);
    });
    if (o.checkpoints.includes(t)) out.push(Array.from(reg.regret()));
  }
  omd.dispose();
  return out;
}

export const omdSeaExperiment = defineExperiment({
  name: 'omd-sea',
  paper: { number: 5, title: 'Optimistic Online Mirror Descent for Bridging Stochastic and Adversarial Online Convex Optimization', arxiv: '2302.04552' },
  shows: 'Optimistic OMD on quadratic losses over a ball: bounded regret without noise or drift, ≈√T regret with stochastic noise (convex step) and ≈log T with the 1/(λt) step, √c scaling when σ² grows by c, a gain over OGD under slow drift and none under fast flips.',
  settings: { seed: 0, d: 10, radius: 5, T: 10000, seeds: 8, D: 10, L: 1, lambda: 1, fitFrom: 1000 },
  quick: { T: 1000, seeds: 4, fitFrom: 100 },
  seconds: { full: 69, quick: 2 },
  async run(s, ctx) {
    const checks: Check[] = [];
    const cps: number[] = [];
    for (let e = 2; 10 ** e <= s.T * 1.0001; e += 0.5) cps.push(Math.round(10 ** e));
    const rows = SETTINGS.flatMap((setting) => [true, false].flatMap((optimistic) => Array.from({ length: s.seeds }, (_, seed) => ({ setting, optimistic, seed }))));
    const conv = await ctx.stage('adaptive', () => simulate(rows, { kind: 'adaptive', D: s.D, L: s.L }, { d: s.d, radius: s.radius, T: s.T, seed: ctx.seed, checkpoints: cps, streamIndex: 0 }));
    ctx.progress(1, 2, 'adaptive step');
    const scRows = rows.filter((r) => r.setting.key === 'sigma1-Sigma0' && r.optimistic);
    const sc = await ctx.stage('strongly-convex', () => simulate(scRows, { kind: 'strongly-convex', lambda: s.lambda }, { d: s.d, radius: s.radius, T: s.T, seed: ctx.seed, checkpoints: cps, streamIndex: 0 }));
    ctx.progress(2, 2, '1/(λt) step');
    const regret: Record<string, Record<string, Record<string, number>>> = {};
    const slopes: Record<string, Json> = {};
    const finalBy: Record<string, number[]> = {};
    const use = cps.map((_, k) => k).filter((k) => cps[k]! >= s.fitFrom);
    const fit = (means: number[]) => { const f = logLogSlope(use.map((k) => cps[k]!), use.map((k) => Math.max(means[k]!, 1e-12))); return { slope: f.slope, se: f.seSlope }; };
    const points: { x: number; y: number; group: string }[] = [];
    for (const setting of SETTINGS) {
      regret[setting.key] = {};
      for (const scheme of ['optimistic', 'ogd']) {
        const idx = rows.map((r, i) => (r.setting === setting && r.optimistic === (scheme === 'optimistic') ? i : -1)).filter((i) => i >= 0);
        const means = cps.map((_, k) => idx.reduce((a, i) => a + conv[k]![i]!, 0) / idx.length);
        regret[setting.key]![scheme] = Object.fromEntries(cps.map((T, k) => [String(T), means[k]!]));
        slopes[`${setting.key}/${scheme}`] = fit(means);
        finalBy[`${setting.key}/${scheme}`] = idx.map((i) => conv.at(-1)![i]!);
        cps.forEach((T, k) => points.push({ x: T, y: Math.max(means[k]!, 1e-6), group: `${setting.key}/${scheme}` }));
      }
    }
    const scMeans = cps.map((_, k) => sc[k]!.reduce((a, v) => a + v, 0) / sc[k]!.length);
    regret['sigma1-Sigma0']!['optimistic-1/(λt)'] = Object.fromEntries(cps.map((T, k) => [String(T), scMeans[k]!]));
    slopes['sigma1-Sigma0/optimistic-1/(λt)'] = fit(scMeans);
    const sl = (k: string) => (slopes[k] as { slope: number }).slope;
    checks.push(check('bounded-without-noise',
      'σ = Σ = 0: optimistic OMD regret stays bounded: its log-log slope against T (T ≥ fitFrom) is below 0.1',
      slopes['sigma0-Sigma0/optimistic']!, sl('sigma0-Sigma0/optimistic') < 0.1));
    checks.push(check('sqrt-growth-convex-step',
      'Σ = 0, σ = 1, adaptive convex step: regret ∝ √(σ²T): log-log slope 0.5 ± 0.15',
      slopes['sigma1-Sigma0/optimistic']!, Math.abs(sl('sigma1-Sigma0/optimistic') - 0.5) <= 0.15));
    checks.push(check('log-growth-strongly-convex-step',
      'Σ = 0, σ = 1, η_t = 1/(λt): regret ∝ log T: log-log slope below 0.3 (log T over 10³…10⁴ has slope ≈ 0.12)',
      slopes['sigma1-Sigma0/optimistic-1/(λt)']!, sl('sigma1-Sigma0/optimistic-1/(λt)') < 0.3));
    const r1 = meanSE(finalBy['sigma1-Sigma0/optimistic']!).mean, r2 = meanSE(finalBy['sigma2-Sigma0/optimistic']!).mean;
    checks.push(check('sqrt-c-scaling',
      'scaling σ² by c = 4 scales the convex-step regret at T by ≈ √c = 2: ratio within [1.6, 2.4]',
      { regretSigma1: r1, regretSigma2: r2, ratio: r2 / r1 }, r2 / r1 >= 1.6 && r2 / r1 <= 2.4));
    const pair = (key: string) => meanSE(finalBy[`${key}/ogd`]!.map((v, i) => v - finalBy[`${key}/optimistic`]![i]!));
    const slow = pair('sigma0-Sigma1-B1000');
    checks.push(check('optimism-helps-slow-drift',
      'Σ = 1 flipping every B = 1000 rounds, σ = 0: optimistic regret < OGD regret at T (paired difference > 2 SE over seeds)',
      { ogdMinusOptimistic: slow.mean, se: slow.se }, slow.mean > 2 * slow.se));
    const fo = meanSE(finalBy['sigma0-Sigma1-B1/optimistic']!).mean, fg = meanSE(finalBy['sigma0-Sigma1-B1/ogd']!).mean;
    checks.push(check('no-gain-fast-flips',
      'Σ = 1 flipping every round (B = 1): optimism gives no gain: optimistic regret ≥ 0.9 × OGD regret at T',
      { optimistic: fo, ogd: fg, ratio: fo / fg }, fo >= 0.9 * fg));
    const series: Series[] = [{ name: 'regret vs T', x: 'T', y: 'regret', logX: true, logY: true, points }];
    return { metrics: { regret, slopes }, series, checks };
  },
});

export const OMD_EXPERIMENTS = [omdSeaExperiment];
