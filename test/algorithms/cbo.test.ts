// Paper 3 (CBO): the consensus point against exact statements, one Euler–Maruyama step against
// a float64 host recomputation from the same Philox draws, and the quick `cbo` experiment.

import test from 'ava';
import { normal } from '../../src/random.js';
import { randomNormal, tensor } from '../../src/index.js';
import { cboExperiment, cboStep, cboStream, consensus, grandCanyon3noisy, proxConsensusCheck, quadraticObjective, runExperiment } from '../../src/algorithms/index.js';

test('consensus equals the prox point x/(1 + ασ²a) of a quadratic within 4 of its own standard errors [derived]', (t) => {
  const r = proxConsensusCheck({ x: [2, -1], sigma: 0.5, a: 3, alpha: 4, samples: 400000, seed: 7 });
  t.deepEqual(r.predicted, [0.5, -0.25]);
  t.true(r.nEff > 100, `N_eff ${r.nEff}`);
  r.observed.forEach((o, j) => t.true(Math.abs(o - r.predicted[j]!) <= 4 * r.se[j]!, `coordinate ${j}: ${o} vs ${r.predicted[j]} (SE ${r.se[j]})`));
});

test('consensus is stable for α = 1e15: the best particle, exactly, with weight 1', (t) => {
  const v = tensor([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [2, 3, 2]);
  const f = tensor([5, 1.0001, 1, 0.5, 2, 3], [2, 3]);
  const { point, weights } = consensus(v, f, 1e15);
  t.deepEqual(Array.from(point.dataSync()), [5, 6, 7, 8]);
  t.deepEqual(Array.from(weights.dataSync()), [0, 0, 1, 1, 0, 0]);
  // α = 0: the plain mean
  t.deepEqual(Array.from(consensus(v, f, 0).point.dataSync()).map((x) => Math.round(x * 1e5) / 1e5), [3, 4, 9, 10]);
});

test('GrandCanyon3noisy has f(0) = 0 and matches a float64 evaluation of the authors’ formula', (t) => {
  const pts = [[0, 0], [8, 8], [1, 2], [-0.7, 0.3], [3.2, 1.1]];
  const f64 = ([x1, x2]: number[]) => {
    const valley = x2! - ((2 / 16) * (x1! - 1) * (x1! - 4) ** 2 + 2);
    const block = -x1! - 1.6 * x2!;
    return 100 * (1 - Math.exp(-1.4 * valley ** 2 * Math.exp(-0.002 * x1! ** 4))) + 1.6 * x1! ** 2 + 0.8 * x2! ** 2
      + 8 * (2 - Math.cos(0.75 * Math.PI * x1!) - Math.cos(0.75 * Math.PI * x2!))
      + 16 * Math.exp(1 - 2 * valley ** 4) * Math.max((1 - Math.exp(-9 * block ** 2)) * Math.sign(block), 0);
  };
  const got = grandCanyon3noisy(tensor(pts.flat(), [pts.length, 2])).dataSync();
  // float32: ~30 ops, and exp(−1.4·valley²·…) amplifies input rounding (|∇f|·|x| ≲ 10³·u32·max(1, |f|))
  pts.forEach((p, i) => t.true(Math.abs(got[i]! - f64(p)) <= 5e-4 * Math.max(1, Math.abs(f64(p))), `${p}: ${got[i]} vs ${f64(p)}`));
  t.is(got[0], 0);
});

for (const noise of ['isotropic', 'anisotropic'] as const) {
  test(`cboStep (${noise}) equals its float64 recomputation from the same Philox draws`, (t) => {
    const R = 2, N = 5, d = 3, k = 4, seed = 11;
    const v = randomNormal([R, N, d], { seed: 1 });
    const f = quadraticObjective(2);
    const opts = { lambda: 1.3, sigma: 0.8, dt: 0.05, alpha: 2, noise, seed };
    const { particles, consensus: c } = cboStep(f, v, k, opts);
    const V = v.dataSync(), xi = normal(seed, R * N * d, k * R * N * d, cboStream(0));
    const got = particles.dataSync(), cv = c.dataSync();
    for (let r = 0; r < R; r++) {
      const fs = Array.from({ length: N }, (_, i) => Array.from({ length: d }, (_, j) => V[(r * N + i) * d + j]!).reduce((s, x) => s + x * x, 0));
      const fmin = Math.min(...fs);
      const w = fs.map((x) => Math.exp(-2 * (x - fmin)));
      const sw = w.reduce((a, b) => a + b, 0);
      const vc = Array.from({ length: d }, (_, j) => w.reduce((s, wi, i) => s + wi * V[(r * N + i) * d + j]!, 0) / sw);
      vc.forEach((x, j) => t.true(Math.abs(cv[r * d + j]! - x) < 1e-5, 'consensus'));
      for (let i = 0; i < N; i++) {
        const u = vc.map((x, j) => V[(r * N + i) * d + j]! - x);
        const nu = Math.hypot(...u);
        for (let j = 0; j < d; j++) {
          const o = (r * N + i) * d + j;
          const scale = noise === 'isotropic' ? nu : u[j]!;
          const want = V[o]! - 1.3 * 0.05 * u[j]! + 0.8 * Math.sqrt(0.05) * scale * xi[o]!;
          t.true(Math.abs(got[o]! - want) < 1e-5, `particle ${r},${i},${j}: ${got[o]} vs ${want}`);
        }
      }
    }
  });
}

test('cbo experiment (quick): metrics present and every check holds', async (t) => {
  const res = await runExperiment(cboExperiment, { quick: true });
  const m = res.metrics as Record<string, Record<string, unknown>>;
  for (const key of ['observed', 'predicted', 'nEff']) t.true(key in m['proxCheck']!, key);
  for (const key of ['cbo', 'ch', 'gd']) {
    t.true(Number.isFinite(m['successRate']![key] as number), key);
    t.true(Number.isFinite(m['finalF']![key] as number), key);
  }
  for (const c of res.checks) t.true(c.pass, `${c.name}: ${JSON.stringify(c.observed)}`);
});
