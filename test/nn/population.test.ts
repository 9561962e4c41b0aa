// Populations made safe: the same initialisation in every replica, the per-replica loss
// reduction 'replicaMean' (a population's SGD equals R separate runs), targets shared across
// replicas like inputs, and batches() yielding tensors.
//
// Oracles: the single model (init, training run) computed on its own; float64 host sums for
// the reductions; the data set's own rows for batches.

import test from 'ava';
import type { ExecutionContext } from 'ava';
import * as d from '../../src/index.js';
import type { Backend, Tensor } from '../../src/index.js';
import { eachBackend } from '../helpers/cases.js';

function firstDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return -2;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

test('population · sameInit gives every replica the single model\'s initialisation', async (t) => {
  const net = new d.MLP([5, 7, 3], { activation: 'tanh' });
  for (const distribution of ['normal', 'uniform'] as const) {
    const one = await net.init({ seed: 9, distribution, backend: d.reference }).data();
    const same = await net.init({ seed: 9, replicas: 4, sameInit: true, distribution, backend: d.reference }).data();
    const own = await net.init({ seed: 9, replicas: 4, distribution, backend: d.reference }).data();
    for (let r = 0; r < 4; r++) t.is(firstDiff(same.slice(r * net.size, (r + 1) * net.size), one), -1, `replica ${r}`);
    t.is(firstDiff(own.slice(0, net.size), one), -1, 'replica 0 of a population is the single model');
    t.not(firstDiff(own.slice(net.size, 2 * net.size), one), -1, 'without sameInit replicas differ');
  }
  t.throws(() => net.init({ seed: 1, replicas: 2, sameInit: 1 as never, backend: d.reference }), { instanceOf: TypeError, message: /initParams: expected a boolean for 'opts.sameInit'/ });
});

test('population · replicaMean = Σ_r mean_b of the per-example losses, for each loss (float64)', async (t) => {
  const b = d.reference;
  const R = 3, B = 4, C = 5;
  const z = d.randomNormal([R, B, C], { seed: 1, dtype: 'float64', backend: b });
  const labels = d.tensor(Int32Array.from([0, 4, 2, 2]), [B], { backend: b });
  const targets = d.randomNormal([B, C], { seed: 2, dtype: 'float64', backend: b });
  const bin = d.tensor(Int32Array.from([1, 0, 0, 1]), [B], { backend: b });
  const zl = d.randomNormal([R, B], { seed: 3, dtype: 'float64', backend: b });
  const cases: [string, Tensor, (o: d.LossOptions) => Tensor][] = [
    ['softmaxCrossEntropy', z, (o) => d.softmaxCrossEntropy(z, labels, o)],
    ['mse', z, (o) => d.mse(z, targets, o)],
    ['logisticLoss', zl, (o) => d.logisticLoss(zl, bin, o)],
  ];
  for (const [name, , f] of cases) {
    const per = await f({ reduction: 'none' }).data();
    t.is(per.length, R * B, `${name}: shared targets give [R, B] per-example losses`);
    let want = 0;
    for (let r = 0; r < R; r++) {
      let s = 0;
      for (let i = 0; i < B; i++) s += per[r * B + i]!;
      want += s / B;
    }
    const got = await f({ reduction: 'replicaMean' }).item();
    t.true(Math.abs(got - want) <= 8 * 2 ** -53 * Math.abs(want) + 1e-300, `${name}: ${got} vs ${want}`);
    const mean = await f({}).item();
    t.true(Math.abs(mean - want / R) <= 8 * 2 ** -53 * Math.abs(want), `${name}: 'mean' is replicaMean / R`);
    // Shared targets are the same as targets repeated per replica.
    const each = await f({ reduction: 'none' }).data();
    t.is(firstDiff(each, per), -1);
  }
  // Explicit per-replica labels [R, B] equal to the shared ones give the same numbers.
  const rep = d.tensor(Int32Array.from([0, 4, 2, 2, 0, 4, 2, 2, 0, 4, 2, 2]), [R, B], { backend: b });
  t.is(firstDiff(await d.softmaxCrossEntropy(z, rep, { reduction: 'none' }).data(), await d.softmaxCrossEntropy(z, labels, { reduction: 'none' }).data()), -1);
  t.throws(() => d.softmaxCrossEntropy(z, d.tensor(Int32Array.from([0, 1, 2]), [3], { backend: b })), { message: /labels of shape \[3, 4\] or \[4\] \(shared by the replicas\)/ });
  t.throws(() => d.mse(z, targets, { reduction: 'avg' as never }), { instanceOf: RangeError, message: /'replicaMean'/ });
});

/**
 * T steps of SGD on a population with reduction 'replicaMean' against R single-model runs.
 * Returns the first index where they differ per replica (−1: bit for bit) and the largest
 * relative difference.
 */
async function populationVsSingles(b: Backend, shared: boolean, loss: 'ce' | 'mse', asPopulation = false): Promise<{ diff: number[]; rel: number }> {
  const R = 3, B = 8, F = 6, T = 4;
  const net = new d.MLP([F, 5, loss === 'ce' ? 4 : 2], { activation: 'tanh' });
  const lr = [0.5, 0.1, 0.3];
  const xHost = d.randomNormal(shared ? [B, F] : [R, B, F], { seed: 4, backend: d.reference });
  const xs = await xHost.data() as Float32Array;
  const labelsHost = Int32Array.from({ length: (shared ? 1 : R) * B }, (_, i) => (i * 7 + 3) % 4);
  const targetsHost = await d.randomNormal(shared ? [B, 2] : [R, B, 2], { seed: 5, backend: d.reference }).data() as Float32Array;
  const x = d.tensor(xs, xHost.shape, { backend: b });
  const y = loss === 'ce' ? d.tensor(labelsHost, shared ? [B] : [R, B], { backend: b }) : d.tensor(targetsHost, shared ? [B, 2] : [R, B, 2], { backend: b });
  const params = d.tensor(await net.init({ seed: 2, replicas: R, backend: d.reference }).data(), [R, net.size], { backend: b });
  const p0 = Float32Array.from(await params.data());
  const f = (p: Tensor) => {
    const out = net.apply(p, x);
    return loss === 'ce' ? d.softmaxCrossEntropy(out, y, { reduction: 'replicaMean' }) : d.mse(out, y, { reduction: 'replicaMean' });
  };
  const opt = new d.SGD(params, { lr });
  for (let k = 0; k < T; k++) d.tidy(() => opt.step(d.grad(f)(params)));
  const pop = await params.data();
  const diff: number[] = [];
  let rel = 0;
  for (let r = 0; r < R; r++) {
    const P = net.size;
    const pr = d.tensor(p0.slice(r * P, (r + 1) * P), asPopulation ? [1, P] : [P], { backend: b });
    const xr = shared ? x : d.tensor(xs.slice(r * B * F, (r + 1) * B * F), [B, F], { backend: b });
    const yr = shared ? y : loss === 'ce' ? d.tensor(labelsHost.slice(r * B, (r + 1) * B), [B], { backend: b })
      : d.tensor(targetsHost.slice(r * B * 2, (r + 1) * B * 2), [B, 2], { backend: b });
    const fr = (p: Tensor) => {
      // asPopulation: a population of one ([1, P], inputs [1, B, F]) with the plain mean.
      const out = net.apply(p, asPopulation ? d.reshape(xr, [1, B, F]) : xr);
      return loss === 'ce' ? d.softmaxCrossEntropy(out, asPopulation ? d.reshape(yr, [1, B]) : yr)
        : d.mse(out, asPopulation ? d.reshape(yr, [1, B, 2]) : yr);
    };
    const single = new d.SGD(pr, { lr: lr[r] });
    for (let k = 0; k < T; k++) d.tidy(() => single.step(d.grad(fr)(pr)));
    const mine = pop.slice(r * P, (r + 1) * P), alone = await pr.data();
    diff.push(firstDiff(mine, alone));
    for (let i = 0; i < P; i++) rel = Math.max(rel, Math.abs(mine[i]! - alone[i]!) / Math.max(Math.abs(alone[i]!), 1e-3));
  }
  return { diff, rel };
}

async function populationCase(t: ExecutionContext, b: Backend): Promise<void> {
  for (const shared of [true, false]) {
    for (const loss of ['ce', 'mse'] as const) {
      const { diff, rel } = await populationVsSingles(b, shared, loss);
      // The population runs batched matmuls where a single model runs the fused linear op, so
      // the two may round differently: each replica must agree within float32 rounding of the
      // few steps taken (a relative 2⁻¹⁸ ≈ 4e-6: 64 ulps), and is reported when not bit for bit.
      t.true(rel <= 2 ** -18, `${shared ? 'shared' : 'own'} data, ${loss}: relative difference ${rel} (first differing index per replica ${diff.join(', ')})`);
      if (diff.some((i) => i !== -1)) t.log(`${b.name} ${shared ? 'shared' : 'own'} ${loss}: not bit for bit (first differences ${diff.join(', ')}), relative ${rel.toExponential(2)}`);
      // Against populations of one replica with the plain mean (the same kernels): bit for bit.
      const one = await populationVsSingles(b, shared, loss, true);
      t.deepEqual(one.diff, [-1, -1, -1], `${shared ? 'shared' : 'own'} data, ${loss}: a replica of R differs from a population of one`);
    }
  }
}

test('population · reference · SGD with replicaMean = R separate single-model runs', (t) => populationCase(t, d.reference));
eachBackend('population · SGD with replicaMean = R separate single-model runs', populationCase);

test('population · batches() yields the minibatches\' rows as tensors', async (t) => {
  const n = 10, F = 3;
  const x = Float32Array.from({ length: n * F }, (_, i) => i);
  const cls = { x, y: Int32Array.from({ length: n }, (_, i) => i % 4), n, features: F, classes: 4 };
  const reg = { x, y: Float32Array.from({ length: n * 2 }, (_, i) => -i), n, features: F, outputs: 2 };
  const want = [...d.minibatches(n, { batchSize: 4, seed: 3, epoch: 2 })];
  const got = [...d.batches(cls, { batchSize: 4, seed: 3, epoch: 2, backend: d.reference })];
  t.is(got.length, 3);
  for (const [k, { x: xb, y: yb, indices }] of got.entries()) {
    const rows = want[k]!;
    t.deepEqual(Array.from(await indices.data()), Array.from(rows));
    t.is(indices.dtype, 'int32');
    t.deepEqual(xb.shape, [rows.length, F]);
    t.deepEqual(Array.from(await xb.data()), Array.from(rows).flatMap((r) => [3 * r, 3 * r + 1, 3 * r + 2]));
    t.deepEqual(Array.from(await yb.data()), Array.from(rows).map((r) => r % 4));
    d.dispose([xb, yb, indices]);
  }
  const r64 = [...d.batches(reg, { batchSize: 6, dtype: 'float64', dropLast: true, backend: d.reference })];
  t.is(r64.length, 1);
  t.is(r64[0]!.x.dtype, 'float64');
  t.deepEqual(r64[0]!.y.shape, [6, 2]);
  t.deepEqual(Array.from(await r64[0]!.y.data()), Array.from({ length: 12 }, (_, i) => -i));
  t.throws(() => [...d.batches({ ...cls, n: 11 }, { batchSize: 2, backend: d.reference })], { instanceOf: RangeError, message: /batches: expected 11 × 3 values in 'data.x'/ });
  t.throws(() => [...d.batches(cls, { batchSize: 0, backend: d.reference })], { instanceOf: RangeError, message: /batchSize/ });
});
