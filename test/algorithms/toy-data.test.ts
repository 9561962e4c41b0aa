// Toy data (src/algorithms/toy-data): support and proportions of the samplers, exact time
// embedding values, and the training loop on a least-squares problem with a known minimiser.

import test from 'ava';
import { MLP, meanSE, mse, randomNormal, tensor } from '../../src/index.js';
import { checkerboard, logNormalMixture, nearestRingMode, onCheckerboard, ringOfGaussians, timeEmbedding, trainArena } from '../../src/algorithms/index.js';

test('checkerboard: every point on a black square, the 8 squares equally often (within 4 SE)', (t) => {
  const n = 16000, x = checkerboard(n, { seed: 1 }).dataSync();
  t.true(onCheckerboard(x).every(Boolean));
  const counts = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const key = `${Math.floor(x[2 * i]!)},${Math.floor(x[2 * i + 1]!)}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  t.is(counts.size, 8);
  const se = Math.sqrt(n * (1 / 8) * (7 / 8)); // binomial SE of one square's count
  for (const [k, c] of counts) t.true(Math.abs(c - n / 8) <= 4 * se, `${k}: ${c}`);
});

test('ring of Gaussians: points near their mode, only the requested modes, nearestRingMode recovers them', (t) => {
  const { x, mode } = ringOfGaussians(4000, { seed: 2, which: [1, 5], std: 0.05 });
  const v = x.dataSync();
  t.true(Array.from(mode).every((m) => m === 1 || m === 5));
  t.deepEqual(Array.from(nearestRingMode(v)), Array.from(mode));
  const share = Array.from(mode).filter((m) => m === 1).length / 4000;
  t.true(Math.abs(share - 0.5) <= 4 * Math.sqrt(0.25 / 4000), `share ${share}`);
});

test('log-normal mixture: positive, and log x has each component’s mean within 4 SE', (t) => {
  const means = [[0, 1.5], [1.5, 0]], s = 0.25;
  const { x, component } = logNormalMixture(8000, { seed: 3, logMeans: means, logStd: s });
  const v = x.dataSync();
  t.true(v.every((a) => a > 0));
  for (let k = 0; k < 2; k++) {
    for (let j = 0; j < 2; j++) {
      const logs = Array.from(component).flatMap((c, i) => (c === k ? [Math.log(v[2 * i + j]!)] : []));
      const q = meanSE(logs);
      t.true(Math.abs(q.mean - means[k]![j]!) <= 4 * q.se, `component ${k} coord ${j}: ${q.mean}`);
    }
  }
});

test('timeEmbedding: [t, sin 2π2^k t, cos 2π2^k t]', (t) => {
  const e = timeEmbedding(tensor([0, 0.25, 0.3], [3, 1]), 2).dataSync();
  [0, 0.25, 0.3].forEach((s, i) => {
    const want = [s, Math.sin(2 * Math.PI * s), Math.sin(4 * Math.PI * s), Math.cos(2 * Math.PI * s), Math.cos(4 * Math.PI * s)];
    want.forEach((w, j) => t.true(Math.abs(e[i * 5 + j]! - w) < 1e-6, `${s} feature ${j}`));
  });
});

test('trainArena reaches the least-squares minimiser of a linear model', (t) => {
  const net = new MLP([3, 1], { activation: 'identity' });
  const p = net.init({ seed: 4 });
  const x = randomNormal([256, 3], { seed: 5 });
  const w = [0.5, -1, 2];
  const xv = x.dataSync(), y = tensor(Float32Array.from({ length: 256 }, (_, i) => w.reduce((a, wj, j) => a + wj * xv[i * 3 + j]!, 0) + 0.3), [256, 1]);
  trainArena(p, (q) => mse(net.apply(q, x), y), { steps: 1500, lr: 0.05 });
  const got = p.dataSync();
  // noiseless data: the minimiser is exact; Adam's final oscillation is O(lr·decay) ≪ 1e-2
  [...w, 0.3].forEach((want, i) => t.true(Math.abs(got[i]! - want) < 1e-2, `param ${i}: ${got[i]} vs ${want}`));
});
