// The `aggregate-responses` experiment (PAPERS.md §16): linear regression from bag means.
// (1) Shrinkage: with x ~ N(0, I_d) and random bags of size k, θ̂_ρ → θ*/(1 + ρ(k − 1)) [derived];
// the projection ratio θ̂ᵀθ*/‖θ*‖² is compared with it over independent replications.
// (2) Finite-sample risk ‖θ̂_ρ − θ*‖² (the excess test risk for isotropic x) against ρ: U-shaped
// at low SNR (variance of the bag level against the bias of the instance level).

import { Rng, meanSE, stream } from '../../engine.js';
import { check, defineExperiment } from '../experiment.js';
import type { Check, Json, Series } from '../experiment.js';
import { aggregateMoments, interpolatingLeastSquares, populationShrinkage, randomBags } from './aggregate.js';

/** One data set: x ~ N(0, I_d), y = xᵀθ* + σε, random bags of size k; returns the estimator's moments (rows already in bag order). */
function simulate(n: number, d: number, k: number, sigma: number, thetaStar: Float64Array, seed: number) {
  const rng = new Rng(seed, stream('paper16', 1));
  const x0 = rng.normal(n * d), e = rng.normal(n);
  const perm = randomBags(n, k, seed, stream('paper16', 2));
  const xs = new Float64Array(n * d), y = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    const i = perm[r]!;
    let s = 0;
    for (let j = 0; j < d; j++) { const v = x0[i * d + j]!; xs[r * d + j] = v; s += v * thetaStar[j]!; }
    y[r] = s + sigma * e[i]!;
  }
  const m = n / k, ybar = new Float64Array(m);
  for (let a = 0; a < m; a++) { let s = 0; for (let i = a * k; i < a * k + k; i++) s += y[i]!; ybar[a] = s / k; }
  return aggregateMoments(xs, ybar, n, d, k);
}

function unitTheta(d: number, seed: number, norm = 1): Float64Array {
  const v = Float64Array.from(new Rng(seed, stream('paper16', 0)).normal(d));
  const s = Math.hypot(...v);
  return v.map((x) => (norm * x) / s);
}

export const aggregateResponsesExperiment = defineExperiment({
  name: 'aggregate-responses',
  paper: { number: 16, title: 'Learning from Aggregate Responses: Instance Level versus Bag Level Loss Functions', arxiv: '2401.11081' },
  shows: 'The interpolating estimator shrinks θ* by 1/(1 + ρ(k − 1)) in the population limit (bag level unbiased, instance level θ*/k), and its finite-sample risk is U-shaped in ρ at low SNR.',
  settings: {
    seed: 0,
    /** Part 1 (population limit): d, n, k, ρ grid, noise σ, replications. */
    shrinkD: 10,
    shrinkN: 200000,
    shrinkK: 5,
    shrinkRhos: [0, 0.25, 0.5, 1],
    shrinkSigma: 0.5,
    shrinkReps: 8,
    /** Part 2 (finite-sample risk): d, n, bag sizes, ρ grid, low/high SNR noise (‖θ*‖ = 1), replications. */
    riskD: 100,
    riskN: 400,
    riskKs: [2, 5, 10],
    riskRhos: [0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1],
    /** Noise levels σ of the risk study, high SNR first; the last is the 'low SNR' setting of the U-shape check. */
    riskSigmas: [0.1, 0.5, 1, 3],
    riskReps: 30,
  },
  quick: { shrinkN: 20000, shrinkReps: 5, riskReps: 4, riskKs: [2, 5], riskRhos: [0, 0.1, 0.3, 0.6, 1], riskSigmas: [0.1, 1, 3] },
  seconds: { full: 83, quick: 4 },
  async run(s, ctx) {
    const checks: Check[] = [];
    const rhos = s.shrinkRhos as number[];
    const thetaS = unitTheta(s.shrinkD, ctx.seed);
    const ratios: number[][] = rhos.map(() => []);
    for (let r = 0; r < s.shrinkReps; r++) {
      const row = await ctx.stage(`shrink-rep${r}`, () => {
        const mo = simulate(s.shrinkN, s.shrinkD, s.shrinkK, s.shrinkSigma, thetaS, ctx.seed * 1000 + r);
        return rhos.map((rho) => {
          const th = interpolatingLeastSquares(mo, rho);
          return th.reduce((a, v, j) => a + v * thetaS[j]!, 0);
        });
      });
      row.forEach((v, i) => ratios[i]!.push(v));
      ctx.progress(r + 1, s.shrinkReps, 'shrinkage replications');
    }
    const shrinkage: Json[] = [];
    let allWithin = true;
    rhos.forEach((rho, i) => {
      const { mean, se } = meanSE(ratios[i]!);
      const predicted = populationShrinkage(s.shrinkK, rho);
      const ok = Math.abs(mean - predicted) <= 3 * se;
      allWithin &&= ok;
      shrinkage.push({ rho, k: s.shrinkK, observed: mean, se, predicted, pass: ok });
    });
    checks.push(check('shrinkage-population-limit',
      `d = ${s.shrinkD}, n = ${s.shrinkN}, k = ${s.shrinkK}: the projection ratio θ̂_ρᵀθ*/‖θ*‖² matches 1/(1 + ρ(k − 1)) [derived] within 3 standard errors of its mean over ${s.shrinkReps} independent replications, for every ρ`,
      shrinkage, allWithin));

    const ks = s.riskKs as number[], grid = s.riskRhos as number[], sigmas = s.riskSigmas as number[];
    const low = sigmas.length - 1;
    const riskBySigma: Record<string, Record<string, Record<string, number>>> = {};
    const argmins: Record<string, Json> = {};
    let uShaped = true, monotone = true;
    const series: Series[] = [{
      name: 'shrinkage θ̂ᵀθ*/‖θ*‖²', x: 'ρ', y: 'projection ratio', mark: 'point',
      points: rhos.flatMap((rho, i) => {
        const { mean, se } = meanSE(ratios[i]!);
        return [{ x: rho, y: mean, lo: mean - 2 * se, hi: mean + 2 * se, group: 'observed' }, { x: rho, y: populationShrinkage(s.shrinkK, rho), group: 'predicted' }];
      }),
    }];
    const riskPoints: { x: number; y: number; group: string }[] = [];
    for (const k of ks) {
      const per: number[][][] = sigmas.map(() => grid.map(() => []));
      for (let r = 0; r < s.riskReps; r++) {
        const row = await ctx.stage(`risk-k${k}-rep${r}`, () => {
          const theta = unitTheta(s.riskD, ctx.seed * 1000 + 500 + r);
          return sigmas.map((sigma) => {
            const mo = simulate(s.riskN, s.riskD, k, sigma, theta, ctx.seed * 1000 + 700 + r);
            return grid.map((rho) => interpolatingLeastSquares(mo, rho).reduce((a, v, j) => a + (v - theta[j]!) ** 2, 0));
          });
        });
        row.forEach((bySigma, si) => bySigma.forEach((v, i) => per[si]![i]!.push(v)));
      }
      const means = per.map((bySigma) => bySigma.map((vs) => meanSE(vs).mean));
      const star = means.map((ms) => ms.indexOf(Math.min(...ms)));
      sigmas.forEach((sigma, si) => {
        riskBySigma[sigma] ??= {};
        riskBySigma[sigma]![k] = Object.fromEntries(grid.map((rho, i) => [String(rho), means[si]![i]!]));
      });
      const iLow = star[low]!;
      const paired = (i: number, j: number) => meanSE(per[low]![i]!.map((v, r) => v - per[low]![j]![r]!));
      const left = paired(0, iLow), right = paired(grid.length - 1, iLow);
      const interior = iLow > 0 && iLow < grid.length - 1 && left.mean > 2 * left.se && right.mean > 2 * right.se;
      uShaped &&= interior;
      const rhoStars = star.map((i) => grid[i]!);
      const mono = rhoStars.every((v, i) => i === 0 || v >= rhoStars[i - 1]!);
      monotone &&= mono;
      argmins[k] = { sigmas, rhoStar: rhoStars, lowSnr: { bagMinusMin: { mean: left.mean, se: left.se }, instMinusMin: { mean: right.mean, se: right.se }, interior }, rhoStarNondecreasing: mono };
      grid.forEach((rho, i) => riskPoints.push({ x: rho, y: means[low]![i]!, group: `k=${k}` }));
    }
    const risk = riskBySigma[sigmas[low]!]!;
    checks.push(check('risk-u-shaped-low-snr',
      `d = ${s.riskD}, n = ${s.riskN}, ‖θ*‖ = 1, σ = ${sigmas[low]} (low SNR): for each k ∈ {${ks.join(', ')}} the mean risk ‖θ̂_ρ − θ*‖² over ${s.riskReps} replications is minimised at an interior ρ of the grid, and both ends (ρ = 0 and ρ = 1) exceed it by > 2 paired standard errors`,
      argmins, uShaped));
    checks.push(check('rho-star-grows-with-noise',
      `the risk-minimising ρ* is non-decreasing in the noise σ ∈ {${sigmas.join(', ')}} for every k (ρ* → 0 at high SNR when the bag-level problem is determined; more shrinkage pays as the noise grows)`,
      argmins, monotone));
    series.push({ name: 'risk vs ρ (low SNR)', x: 'ρ', y: '‖θ̂_ρ − θ*‖²', logY: true, points: riskPoints });
    return { metrics: { shrinkage, risk, riskBySigma, argmins }, series, checks };
  },
});

export const AGGREGATE_RESPONSES_EXPERIMENTS = [aggregateResponsesExperiment];
