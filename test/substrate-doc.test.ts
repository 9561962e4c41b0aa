// The examples of docs/substrate.md, run as written (with small sizes).

import test from 'ava';
import {
  randomNormal, randomBernoulli, randomCategorical, stream, gamma, logLogSlope, bootstrapCI, sdeSolve, timeGrid,
  mul, ones, tensor, cpu, cholesky, lstsq,
} from '../src/engine.js';

test('docs/substrate.md examples run', async (t) => {
  const R = 4, d = 3, seed = 1, k = 2;
  const noise = randomNormal([R, d], { seed, stream: stream('paper3', 0), offset: k * R * d, backend: cpu });
  t.deepEqual(noise.shape, [R, d]);
  const mask = randomBernoulli([R, d], 0.9, { seed, stream: stream('paper5', 0), backend: cpu });
  t.true(Array.from(await mask.data()).every((v) => v === 0 || v === 1));
  const weights = tensor([[1, 2, 0], [0, 0, 1], [1, 1, 1], [5, 0, 0]], undefined, { backend: cpu });
  const picks = randomCategorical(weights, { seed, stream: stream('paper5', 1) });
  const p = await picks.data();
  t.is(p[1], 2); t.is(p[3], 0);
  t.is(gamma(seed, 1000, 0.3).length, 1000);
  const { slope, seSlope } = logLogSlope([0.1, 0.05, 0.025], [0.02, 0.0101, 0.0049]);
  t.true(Math.abs(slope - 1) < 0.1 && seSlope > 0);
  const ci = bootstrapCI([1, 2, 3, 4, 5], undefined, { seed: 1 });
  t.true(ci.lo <= ci.estimate && ci.estimate <= ci.hi);
  const x1 = sdeSolve({
    method: 'log-euler-maruyama', drift: (x) => mul(x, 0.1), diffusion: (x) => mul(x, 0.5),
    x0: ones([R, d], { backend: cpu }), grid: timeGrid(0, 1, 100), seed, stream: stream('paper8', 0),
  });
  t.true(Array.from(await x1.data()).every((v) => v > 0));
  t.is(cholesky([4, 2, 2, 3], 2)[0], 2);
  t.is(lstsq([1, 1], [2], 1, 2).rank, 1);
});
