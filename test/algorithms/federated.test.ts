// The federated engine (PAPERS.md §1, §11) against exact statements: FedAvg with one client and
// one local step is SGD bit for bit; FedFix's participation frequency × d_i is p_i on the
// schedule; the clock reproduces clients_schedule.py's rules; FedAU's weights against a direct
// computation and their closed-form limit; the participation processes' stationary frequencies.

import test from 'ava';
import { MLP, SGD, bootstrapCI, div, meanSE, reshape, softmaxCrossEntropy, stream, tensor, valueAndGrad } from '../../src/engine.js';
import {
  federatedAggregate as aggregate, clientsSchedule, clockWeights, computeTimes, dirichletPartition, FedAUWeights, fedauIntervalVariance,
  fedauWeightLimit, fedfixPeriod, MlpClients, parseClockScheme, Participation, participationFrequency, QuadraticClients,
  roundWeights, runRounds, runScheduled,
} from '../../src/algorithms/federated/index.js';

test('computeTimes: time scenario F-90 gives τ_i = 1 − 0.1·i', (t) => {
  const tau = computeTimes(10, 90);
  tau.forEach((x, i) => t.true(Math.abs(x - (1 - 0.1 * i)) < 1e-15));
  t.throws(() => computeTimes(10, 100), { message: /computeTimes: expected .* for 'slowerPercent'/ });
});

test('FedAvg schedule: ⌊T/max τ⌋ aggregations, every client on the current model', (t) => {
  const s = clientsSchedule(parseClockScheme('FL'), computeTimes(10, 90), 200);
  t.is(s.aggregations.length, 200);
  s.aggregations.forEach((a, n) => { t.is(a.clients.length, 10); t.true(a.versions.every((v) => v === n)); });
});

test('Async schedule: one client per aggregation, in return-time order, each starting from the version it received', (t) => {
  const tau = [1, 0.4];
  const s = clientsSchedule(parseClockScheme('Async'), tau, 2);
  // returns: c1 at 0.4, 0.8, c0 at 1, c1 at 1.2, 1.6, c0 at 2, c1 at 2 (tie: lower index first) …
  t.deepEqual(s.aggregations.map((a) => [a.time, a.clients[0], a.versions[0]]), [
    [0.4, 1, 0], [0.8, 1, 1], [1, 0, 0], [1.2000000000000002, 1, 2], [1.6, 1, 4], [2, 0, 3], [2, 1, 5],
  ]);
});

test('FedBuff-2 schedule: the two earliest returns, at the later of their times', (t) => {
  const s = clientsSchedule(parseClockScheme('FedBuff-2'), [1, 0.5, 0.3], 1.5);
  t.deepEqual(Array.from(s.aggregations[0]!.clients), [1, 2]);
  t.is(s.aggregations[0]!.time, 0.5);
  t.deepEqual(Array.from(s.aggregations[0]!.versions), [0, 0]);
});

test("FedFix: participation frequency × d_i equals p_i on the schedule (both Δt of the paper's run)", (t) => {
  const tau = computeTimes(10, 90);
  const p = Float64Array.from({ length: 10 }, (_, i) => (i + 1) / 55);
  for (const dt of [0.5, 0.25]) {
    // T a multiple of every period·Δt, so that each client completes whole periods.
    const s = clientsSchedule(parseClockScheme(`FedFix-${dt}`), tau, 120);
    t.is(s.aggregations.length, Math.floor(120 / dt));
    const f = participationFrequency(s), d = clockWeights(s, p, 'weight');
    for (let i = 0; i < 10; i++) {
      t.is(d[i], fedfixPeriod(tau[i]!, dt) * p[i]!);
      t.true(Math.abs(f[i]! * d[i]! - p[i]!) <= 4 * Number.EPSILON * p[i]!, `client ${i} Δt ${dt}: f·d = ${f[i]! * d[i]!}, p = ${p[i]}`);
    }
    // Client i restarts at the end of the aggregation it joins and always returns ⌈τ_i/Δt⌉ periods later.
    s.aggregations.forEach((a, n) => a.clients.forEach((c, j) => t.is(a.versions[j], n + 1 - fedfixPeriod(tau[c]!, dt))));
  }
});

test('clockWeights: async weight (Σ_j 1/τ_j)·τ_i·p_i makes rate × weight = p_i', (t) => {
  const tau = computeTimes(10, 90), p = new Float64Array(10).fill(0.1);
  const d = clockWeights(clientsSchedule(parseClockScheme('Async'), tau, 10), p, 'weight');
  let inv = 0;
  for (const x of tau) inv += 1 / x;
  for (let i = 0; i < 10; i++) t.true(Math.abs(((1 / tau[i]!) / inv) * d[i]! - p[i]!) < 1e-15);
  t.deepEqual(Array.from(clockWeights(clientsSchedule(parseClockScheme('Async'), tau, 10), p, 'identical')), new Array(10).fill(1));
});

test('aggregate: equals x + η_g Σ d_i (x_i − x^{ρ_i}) with stale and fresh clients', (t) => {
  const x = [1, -2, 3], s1 = [0.5, 0.5, 0.5], e1 = [2, 2, 2], e2 = [-1, 0, 4];
  const got = aggregate(x, [{ end: e1, start: s1, weight: 0.3 }, { end: e2, weight: 0.6 }], 0.7);
  for (let k = 0; k < 3; k++) {
    const want = x[k]! + 0.7 * (0.3 * (e1[k]! - s1[k]!) + 0.6 * (e2[k]! - x[k]!));
    t.true(Math.abs(got[k]! - want) < 1e-14);
  }
});

test('FedAvg with one client and one local step equals SGD bit for bit (quadratic client, float64)', async (t) => {
  const dim = 7;
  const centers = Float64Array.from({ length: dim }, (_, k) => Math.sin(k + 1) * 3);
  const x0 = Float64Array.from({ length: dim }, (_, k) => Math.cos(k) * 1.7);
  const trainer = new QuadraticClients({ centers, dim, localSteps: 1, lr: 0.1, noise: 0.3, stream: stream('paper1', 1) });
  const schedule = clientsSchedule(parseClockScheme('FedAvg'), [1], 5);
  const seen: Float64Array[] = [];
  await runScheduled({ trainer, schedule, weights: [1], lrG: 1, x0, seed: 3, onAggregate: ({ model }) => void seen.push(model.slice()) });
  // The same gradients by hand, stepped by the engine's SGD on one model.
  const p = tensor(x0.slice(), [1, dim], { dtype: 'float64' });
  const opt = new SGD(p, { lr: 0.1 });
  for (let r = 0; r < 5; r++) {
    // the trainer's noise of task (client 0, round r, step 0): offset ((r·M + 0)·I + 0)·2d
    const { philoxNormals } = await import('../../src/algorithms/federated/host.js');
    const z = philoxNormals(3, stream('paper1', 1), r * 2 * dim, dim);
    const cur = await p.data();
    const g = Float64Array.from({ length: dim }, (_, k) => cur[k]! - (centers[k]! - 0.3 * z[k]!));
    opt.step(tensor(g, [1, dim], { dtype: 'float64' }));
    t.deepEqual(Array.from(await p.data()), Array.from(seen[r]!), `round ${r}`);
  }
});

test('FedAvg with one client and one local step equals SGD bit for bit (MLP client, float32)', async (t) => {
  const model = new MLP([6, 5, 3]);
  const n = 40;
  const x = Float32Array.from({ length: n * 6 }, (_, i) => Math.sin(i * 0.37));
  const y = Int32Array.from({ length: n }, (_, i) => i % 3);
  const data = { x, y, n, features: 6, classes: 3 };
  const trainer = new MlpClients({ model, data, partition: [Int32Array.from({ length: n }, (_, i) => i)], localSteps: 1, batchSize: 8, lr: 0.05, stream: stream('paper11', 3) });
  const x0 = Float64Array.from(await model.init({ seed: 1 }).data());
  const final = await runRounds({ trainer, participation: { next: () => Uint8Array.of(1) }, weigh: (f) => roundWeights('average_all', f), rounds: 3, lrG: 1, x0, seed: 9 });
  const p = tensor(Float32Array.from(x0), [1, model.size]);
  const opt = new SGD(p, { lr: 0.05 });
  for (let r = 0; r < 3; r++) {
    const rows = trainer.batchRows([{ client: 0, round: r, version: r }], 0, 9);
    const xb = new Float32Array(8 * 6), yb = new Int32Array(8);
    rows.forEach((row, q) => { xb.set(x.subarray(row * 6, row * 6 + 6), q * 6); yb[q] = y[row]!; });
    const { grad } = valueAndGrad((q: typeof p) => div(softmaxCrossEntropy(reshape(model.apply(q, tensor(xb, [1, 8, 6])), [8, 3]), tensor(yb, [8], { dtype: 'int32' }), { reduction: 'sum' }), 8))(p);
    opt.step(grad);
  }
  t.deepEqual(Array.from(await p.data()), Array.from(Float32Array.from(final)));
});

test('a batched train call equals the same tasks trained one by one (the remote-worker seam)', async (t) => {
  const dim = 4, M = 3;
  const centers = Float64Array.from({ length: M * dim }, (_, k) => k - 5);
  const trainer = new QuadraticClients({ centers, dim, localSteps: 3, lr: 0.2, noise: 0.5, stream: stream('paper1', 1) });
  const starts = Float64Array.from({ length: M * dim }, (_, k) => Math.cos(k));
  const tasks = [{ client: 2, round: 4, version: 7 }, { client: 0, round: 1, version: 7 }, { client: 1, round: 9, version: 2 }];
  const all = await trainer.train(starts, tasks, 5);
  for (let s = 0; s < 3; s++) {
    const one = await trainer.train(starts.slice(s * dim, (s + 1) * dim), [tasks[s]!], 5);
    t.deepEqual(Array.from(one), Array.from(all.subarray(s * dim, (s + 1) * dim)));
  }
});

test('FedAU weights: mean of the intervals recorded before the round, cutoff K records K', (t) => {
  const w = new FedAUWeights(2, 3);
  // client 0: participates at rounds 1, 4, 5; client 1 never (cutoff 3 records 3 every 3 rounds).
  const flags = [[0, 0], [1, 0], [0, 0], [0, 0], [1, 0], [1, 0]];
  const got = flags.map((f) => Array.from(w.observe(f)));
  t.deepEqual(got.map((g) => g[0]), [0, 1, 0, 0, 2, 2.5]); // intervals 2 → ω 2; then 3 → mean(2,3)
  t.is(w.weight(1), 3);
  t.is(w.intervals(1), 2);
  t.is(w.weight(0), (2 + 3 + 1) / 3);
});

test('FedAU weight limit: closed form against the series E[min(I, K)] = Σ_{k≥1} P(min(I,K) ≥ k)', (t) => {
  for (const p of [0.1, 0.02, 0.5]) {
    for (const K of [1, 50, 1000]) {
      let s = 0;
      for (let k = 1; k <= K; k++) s += (1 - p) ** (k - 1);
      t.true(Math.abs(fedauWeightLimit(p, K) - s) < 1e-9 * s, `p ${p} K ${K}`);
    }
    t.is(fedauWeightLimit(p), 1 / p);
    t.true(Math.abs(fedauIntervalVariance(p, 100000) - (1 - p) / (p * p)) < 1e-6 * (1 - p) / (p * p));
  }
});

test('FedAU weights converge to E[min(I, K)] under Bernoulli participation (99% bootstrap CI over clients)', (t) => {
  for (const [p, K] of [[0.1, Infinity], [0.02, 50]] as const) {
    const N = 200, w = new FedAUWeights(N, K);
    const part = new Participation({ kind: 'bernoulli' }, new Float64Array(N).fill(p), 1, stream('paper11', 7));
    for (let r = 0; r < 5000; r++) w.observe(part.next());
    const c = bootstrapCI(w.weights(), undefined, { level: 0.99 });
    const limit = fedauWeightLimit(p, K);
    t.true(c.lo <= limit && limit <= c.hi, `p ${p} K ${K}: ${limit} outside [${c.lo}, ${c.hi}]`);
  }
});

test('roundWeights: FedAU divides by N, average_participating by |S|', (t) => {
  const f = [1, 0, 1, 1];
  t.deepEqual(Array.from(roundWeights('fedau', f, { omega: [2, 9, 4, 1] })), [0.5, 0, 1, 0.25]);
  t.deepEqual(Array.from(roundWeights('known_prob', f, { p: [0.5, 1, 0.25, 1] })), [0.5, 0, 1, 0.25]);
  t.deepEqual(Array.from(roundWeights('average_participating', f)), [1 / 3, 0, 1 / 3, 1 / 3]);
  t.deepEqual(Array.from(roundWeights('average_all', f)), [0.25, 0, 0.25, 0.25]);
});

test('participation processes: stationary frequency p_n (within 4 standard errors)', (t) => {
  const p = [0.05, 0.2, 0.5];
  const T = 20000;
  for (const spec of [{ kind: 'bernoulli' as const }, { kind: 'markov' as const, toActive: 0.05 }, { kind: 'cyclic' as const, cycle: 20 }]) {
    const proc = new Participation(spec, p, 2, stream('paper11', 2));
    const counts = [0, 0, 0];
    const runs: number[][] = [[], [], []];
    for (let r = 0; r < T; r++) { const f = proc.next(); f.forEach((v, n) => { counts[n]! += v; runs[n]!.push(v); }); }
    p.forEach((pn, n) => {
      const freq = counts[n]! / T;
      if (spec.kind === 'cyclic') {
        const on = Math.max(1, Math.round(20 * pn));
        t.true(Math.abs(freq - on / Math.max(20, on + 1)) < 2 / T * 20, `cyclic n ${n}: ${freq}`);
      } else {
        // batch means over 100 blocks give the standard error of a correlated (Markov) chain.
        const blocks = Array.from({ length: 100 }, (_, b) => runs[n]!.slice(b * 200, (b + 1) * 200).reduce((a, v) => a + v, 0) / 200);
        const m = meanSE(blocks);
        t.true(Math.abs(m.mean - pn) < 4 * m.se, `${spec.kind} n ${n}: ${m.mean} ± ${m.se} vs ${pn}`);
      }
    });
  }
});

test('dirichletPartition: every row in exactly one client, each label cut in proportion to the Dirichlet draws', (t) => {
  const labels = Int32Array.from({ length: 3000 }, (_, i) => i % 10);
  const { rows } = dirichletPartition(labels, 10, 20, 0.1, 4, stream('paper11', 4));
  const seen = new Uint8Array(3000);
  for (const r of rows) for (const i of r) { t.is(seen[i], 0); seen[i] = 1; }
  t.true(seen.every((v) => v === 1));
  // Each label's 300 rows are cut at round(300·Σ_{m≤n} q_{m,c} / Σ_m q_{m,c}).
  const { labelDist } = dirichletPartition(labels, 10, 20, 0.1, 4, stream('paper11', 4));
  for (let c = 0; c < 10; c++) {
    let total = 0;
    for (let n = 0; n < 20; n++) total += labelDist[n]![c]!;
    let cum = 0, prev = 0;
    for (let n = 0; n < 20; n++) {
      cum += labelDist[n]![c]!;
      const end = Math.round((300 * cum) / total);
      t.is(Array.from(rows[n]!).filter((i) => labels[i] === c).length, end - prev, `client ${n} label ${c}`);
      prev = end;
    }
  }
  labelDist.forEach((q) => t.true(Math.abs(q.reduce((a, b) => a + b, 0) - 1) < 1e-12));
});

test('MlpClients.reduce equals the weighted sum of the end models train returns (float32 rounding)', async (t) => {
  const model = new MLP([6, 5, 3]);
  const n = 30;
  const data = { x: Float32Array.from({ length: n * 6 }, (_, i) => Math.cos(i * 0.21)), y: Int32Array.from({ length: n }, (_, i) => (i * 7) % 3), n, features: 6, classes: 3 };
  const partition = [0, 1, 2].map((c) => Int32Array.from({ length: 10 }, (_, k) => c * 10 + k));
  const trainer = new MlpClients({ model, data, partition, localSteps: 2, batchSize: 4, lr: 0.1, stream: stream('paper11', 3) });
  const x0 = Float64Array.from(await model.init({ seed: 2 }).data());
  const tasks = [0, 1, 2].map((c) => ({ client: c, round: 3, version: 1 }));
  const w = [0.2, 0.5, 0.3];
  const ends = await trainer.train(x0, tasks, 4);
  const sum = await trainer.reduce(x0, tasks, 4, w);
  for (let k = 0; k < model.size; k++) {
    let want = 0, mag = 0;
    for (let s = 0; s < 3; s++) { want += w[s]! * ends[s * model.size + k]!; mag += Math.abs(w[s]! * ends[s * model.size + k]!); }
    t.true(Math.abs(sum[k]! - want) <= 4 * 2 ** -24 * mag + 1e-30, `k ${k}`);
  }
});

test('MlpClients: minibatches gathered on the backend give the end models of host-copied minibatches bit for bit; batched equals one by one; dispose() frees the data', async (t) => {
  const model = new MLP([6, 5, 3]);
  const n = 30, S = 3, B = 4, I = 2;
  const x = Float32Array.from({ length: n * 6 }, (_, i) => Math.sin(i * 0.41)), y = Int32Array.from({ length: n }, (_, i) => (i * 5) % 3);
  const partition = [0, 1, 2].map((c) => Int32Array.from({ length: 10 }, (_, k) => c * 10 + k));
  const trainer = new MlpClients({ model, data: { x, y, n, features: 6, classes: 3 }, partition, localSteps: I, batchSize: B, lr: 0.1, stream: stream('paper11', 3) });
  const x0 = Float64Array.from(await model.init({ seed: 5 }).data());
  const tasks = [2, 0, 1].map((c, j) => ({ client: c, round: 4 + j, version: 0 }));
  // Host reference: copy each step's rows on the host, one batched step over the [S, P] arena.
  const p = tensor(Float32Array.from({ length: S * model.size }, (_, k) => x0[k % model.size]!), [S, model.size]);
  const opt = new SGD(p, { lr: 0.1 });
  for (let s = 0; s < I; s++) {
    const rows = trainer.batchRows(tasks, s, 11);
    const xb = new Float32Array(S * B * 6), yb = new Int32Array(S * B);
    rows.forEach((row, q) => { xb.set(x.subarray(row * 6, row * 6 + 6), q * 6); yb[q] = y[row]!; });
    const { grad } = valueAndGrad((q: typeof p) => div(softmaxCrossEntropy(reshape(model.apply(q, tensor(xb, [S, B, 6])), [S * B, 3]), tensor(yb, [S * B], { dtype: 'int32' }), { reduction: 'sum' }), B))(p);
    opt.step(grad);
  }
  const want = Array.from(await p.data());
  const batched = await trainer.train(x0, tasks, 11);
  t.deepEqual(Array.from(batched), want);
  for (let j = 0; j < S; j++) {
    const alone = await trainer.train(x0, [tasks[j]!], 11);
    t.deepEqual(Array.from(alone), want.slice(j * model.size, (j + 1) * model.size), `task ${j}`);
  }
  trainer.dispose();
  t.deepEqual(Array.from(await trainer.train(x0, tasks, 11)), want, 'uploads again after dispose()');
  trainer.dispose();
});

/**
 * The end models of an [S, P] arena stepped the plain way: valueAndGrad of the per-replica mean
 * losses over the whole arena through MLP.apply, and one SGD step of the arena per local step
 * (what MlpClients computed before its first layer was split off; the oracle of the next test).
 */
async function arenaReference(model: MLP, trainer: MlpClients, starts: Float32Array, tasks: { client: number; round: number; version: number }[], seed: number, x: Float32Array, y: Int32Array, B: number, I: number, lr: number): Promise<number[]> {
  const S = tasks.length, F = model.sizes[0]!, K = model.sizes.at(-1)!;
  const p = tensor(starts, [S, model.size]);
  const opt = new SGD(p, { lr });
  for (let s = 0; s < I; s++) {
    const rows = trainer.batchRows(tasks, s, seed);
    const xb = new Float32Array(S * B * F), yb = new Int32Array(S * B);
    rows.forEach((row, q) => { xb.set(x.subarray(row * F, (row + 1) * F), q * F); yb[q] = y[row]!; });
    const { grad } = valueAndGrad((q: typeof p) => div(softmaxCrossEntropy(reshape(model.apply(q, tensor(xb, [S, B, F])), [S * B, K]), tensor(yb, [S * B], { dtype: 'int32' }), { reduction: 'sum' }), B))(p);
    opt.step(grad);
  }
  const out = Array.from(await p.data());
  opt.dispose();
  p.dispose();
  return out;
}

test('MlpClients: the split first layer gives the end models of valueAndGrad + SGD over the whole arena bit for bit (two tanh hidden layers, softmax regression, one start model per task); any chunking gives the same end models; reduce per chunk within float32 rounding', async (t) => {
  const n = 40, F = 7, B = 5, I = 3, lr = 0.2;
  const x = Float32Array.from({ length: n * F }, (_, i) => Math.sin(i * 0.37) + 0.3 * Math.cos(i * 1.3)), y = Int32Array.from({ length: n }, (_, i) => (i * 3) % 4);
  const data = { x, y, n, features: F, classes: 4 };
  const partition = [0, 1, 2, 3].map((c) => Int32Array.from({ length: 10 }, (_, k) => c * 10 + k));
  const tasks = [3, 1, 0, 2, 1].map((c, j) => ({ client: c, round: j, version: 0 }));
  for (const model of [new MLP([F, 6, 5, 4], { activation: 'tanh' }), new MLP([F, 4])]) {
    const P = model.size, S = tasks.length;
    const trainer = new MlpClients({ model, data, partition, localSteps: I, batchSize: B, lr, stream: stream('paper11', 3) });
    const x0 = await model.init({ seed: 7 }).data() as Float32Array;
    // One shared start model, then a different start model per task.
    const shared = Float64Array.from(x0);
    const own = Float64Array.from({ length: S * P }, (_, k) => x0[k % P]! * (1 + 0.1 * Math.floor(k / P)));
    for (const [name, starts] of [['shared', shared], ['own', own]] as const) {
      const rows = starts.length === P ? Float32Array.from({ length: S * P }, (_, k) => starts[k % P]!) : Float32Array.from(starts);
      const want = await arenaReference(model, trainer, rows, tasks, 9, x, y, B, I, lr);
      t.deepEqual(Array.from(await trainer.train(starts, tasks, 9)), want, `${model.sizes.join('-')} ${name}`);
      for (const chunk of [1, 2, 4]) {
        const chunked = new MlpClients({ model, data, partition, localSteps: I, batchSize: B, lr, stream: stream('paper11', 3), chunk });
        t.deepEqual(Array.from(await chunked.train(starts, tasks, 9)), want, `${model.sizes.join('-')} ${name} chunk ${chunk}`);
        // Σ_s w_s x_s: chunk partial sums of ≤ chunk terms, added in float32 one chunk after another.
        const w = [0.3, 0.1, 0.25, 0.15, 0.2];
        const sum = await chunked.reduce(starts, tasks, 9, w);
        for (let k = 0; k < P; k++) {
          let exact = 0, mag = 0;
          for (let s = 0; s < S; s++) { exact += w[s]! * want[s * P + k]!; mag += Math.abs(w[s]! * want[s * P + k]!); }
          t.true(Math.abs(sum[k]! - exact) <= (S + 1) * 2 ** -24 * mag + 1e-30, `${name} chunk ${chunk} reduce k ${k}`);
        }
        chunked.dispose();
      }
    }
    t.deepEqual(Array.from(await trainer.train(shared, [], 9)), [], 'no tasks: no end models');
    t.deepEqual(Array.from(await trainer.reduce(shared, [], 9, [])), new Array<number>(P).fill(0), 'no tasks: a zero sum');
    trainer.dispose();
  }
});
