// Paper 8 (multiplicative diffusion): the schedule against finite differences, the closed-form
// GBM marginal, the M-DSM loss at the exact score against its closed form, the exponentiated
// sampler's log-moments under the exact score, and the quick experiment.

import test from 'ava';
import { add, exp, log, meanSE, mul, randomNormal, sub, tensor } from '../../src/index.js';
import {
  gbmForward, geometricSchedule, logNormalScore, multiplicativeDiffusionExperiment, multiplicativeDSMLoss, multiplicativeSample, runExperiment,
} from '../../src/algorithms/index.js';

test('geometric schedule: v′ = σ², m′ = μ − σ²/2 (central differences, float64)', (t) => {
  const sch = geometricSchedule({ sigmaMin: 0.01, sigmaMax: 5, c: 0.8 });
  t.is(sch.v(0), 0);
  for (const s of [0.05, 0.3, 0.7, 0.95]) {
    const h = 1e-6;
    const dv = (sch.v(s + h) - sch.v(s - h)) / (2 * h), dm = (sch.m(s + h) - sch.m(s - h)) / (2 * h);
    t.true(Math.abs(dv - sch.sigma2(s)) <= 1e-7 * Math.max(1, sch.sigma2(s)), `v′(${s})`);
    t.true(Math.abs(dm - (sch.mu(s) - sch.sigma2(s) / 2)) <= 1e-7 * Math.max(1, sch.sigma2(s)), `m′(${s})`);
  }
});

test('gbmForward: log X_t − log X_0 = m_t + √v_t ε to float32 accuracy', (t) => {
  const sch = geometricSchedule({ c: 0.2 });
  const x0 = exp(randomNormal([6, 2], { seed: 1 }));
  const eps = randomNormal([6, 2], { seed: 2 });
  const times = [0.1, 0.2, 0.5, 0.6, 0.9, 1];
  const got = sub(log(gbmForward(x0, times, eps, sch)), log(x0)).dataSync(), e = eps.dataSync();
  for (let i = 0; i < 12; i++) {
    const s = times[Math.floor(i / 2)]!, want = sch.m(s) + Math.sqrt(sch.v(s)) * e[i]!;
    t.true(Math.abs(got[i]! - want) < 1e-5, `${i}: ${got[i]} vs ${want}`);
  }
});

test('M-DSM loss at the exact score equals its closed form d·s²/(s² + v_t) within 4 SE [derived]', (t) => {
  const sch = geometricSchedule({ sigmaMin: 0.01, sigmaMax: 1 });
  const m = [0.5, -1], s = 0.3, n = 20000, d = 2, tt = 0.6;
  const x0 = exp(add(mul(randomNormal([n, d], { seed: 3 }), s), tensor(m, [1, d])));
  const eps = randomNormal([n, d], { seed: 4 });
  // the per-row loss ‖√v (s_H + 1) + ε‖²: its mean is the loss, its sd/√n the SE
  const score = logNormalScore(m, s, sch);
  const rows = Array.from({ length: 4 }, (_, k) => {
    const lo = (k * n) / 4, q = n / 4;
    const xs = tensor(x0.dataSync().slice(lo * d, (lo + q) * d), [q, d]), es = tensor(eps.dataSync().slice(lo * d, (lo + q) * d), [q, d]);
    return multiplicativeDSMLoss(score, xs, new Float32Array(q).fill(tt), es, sch).dataSync()[0]!;
  });
  const q = meanSE(rows);
  const want = (d * s * s) / (s * s + sch.v(tt));
  // per-row loss is a sum of d scaled χ²₁ terms: sd ≤ √2·want/√d per row; the batch means have SE ≤ that/√(n/4)
  const se = (Math.SQRT2 * want) / Math.sqrt(n);
  t.true(Math.abs(q.mean - want) <= 4 * se, `loss ${q.mean} vs ${want} (SE ${se})`);
});

test('the exponentiated sampler with the exact score reproduces E log X and Var log X within 3 SE, all samples > 0', (t) => {
  const sch = geometricSchedule({ sigmaMin: 0.01, sigmaMax: 1 });
  const m = [0.5, -1], s = 0.3, n = 20000, d = 2;
  const sd = Math.sqrt(s * s + sch.v(1));
  const x = exp(add(mul(randomNormal([n, d], { seed: 5 }), sd), tensor(m, [1, d])));
  const out = multiplicativeSample(logNormalScore(m, s, sch), x, { grid: Array.from({ length: 201 }, (_, k) => 1 - k / 200), schedule: sch, seed: 6 }).dataSync();
  t.true(out.every((v) => v > 0));
  for (let j = 0; j < d; j++) {
    const q = meanSE(Array.from({ length: n }, (_, i) => Math.log(out[i * d + j]!)));
    t.true(Math.abs(q.mean - m[j]!) <= 3 * q.se, `mean ${q.mean} vs ${m[j]} (SE ${q.se})`);
    const varSE = s * s * Math.sqrt(2 / (n - 1));
    t.true(Math.abs(q.sd ** 2 - s * s) <= 3 * varSE, `var ${q.sd ** 2} vs ${s * s} (SE ${varSE})`);
  }
});

test('multiplicative-diffusion experiment (quick): metrics present, every check holds', async (t) => {
  const res = await runExperiment(multiplicativeDiffusionExperiment, { quick: true });
  const m = res.metrics as Record<string, unknown>;
  const lm = m['logMoments'] as Record<string, number[]>;
  for (const k of ['meanError', 'varError', 'meanSE', 'varSE']) t.true(lm[k]!.every(Number.isFinite), k);
  t.is(typeof m['allPositive'], 'boolean');
  t.true(Number.isInteger(m['modesRecovered']));
  for (const c of res.checks) t.true(c.pass, `${c.name}: ${JSON.stringify(c.observed)}`);
});
