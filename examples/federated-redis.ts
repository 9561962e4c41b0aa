// docs/distributed.md, "Federated clients on Redis": asynchronous FedAvg with identical weights on
// fedfix's quadratic problem (Fraboni et al., arXiv 2206.10189: 10 clients, compute times
// τ_i = 1 … 0.1), once with real concurrency — the clients trained by W workers over Redis,
// each sleeping τ_i × UNIT ms, staleness from the version each read — and once on the
// simulated clock (runScheduled), the reference. Prints where each ends: the mean iterate over
// the last 20% of aggregations, its distance to the federated optimum Σ p_i c_i and to the
// 1/τ-weighted surrogate optimum the simulated clock predicts for async identical weights.
//
//   redis-server --port 6379 --bind 127.0.0.1 --save '' --appendonly no --daemonize yes
//   npx tsx examples/federated-redis.ts [redis://127.0.0.1:6379] [workers W = 10] [unit ms = 500] [lr_g = 0.5]
//
// The workers run in this process (runFederatedWorker loops: the emulated compute time is a
// sleep, so W loops act as W parallel clients); `descent worker` processes serve the same tasks.

import { initBackend, useBackend } from '../src/backend/backend.js';
import { clientsSchedule, federatedAggregate, fedfixProblem, QuadraticClients, runScheduled } from '../src/algorithms/index.js';
import { runFederatedAsync, runFederatedWorker } from '../src/distributed/index.js';
import { federatedTrainers, parseAsyncScheme, quadraticJob, schemeWeights } from '../src/cli/federated.js';

const url = process.argv[2] ?? 'redis://127.0.0.1:6379';
const W = Number(process.argv[3] ?? 10), UNIT = Number(process.argv[4] ?? 500);
const LRG = Number(process.argv[5] ?? 0.5);
const M = 10, DIM = 10, A = 400, SEED = 0;

const dist = (a: ArrayLike<number>, b: ArrayLike<number>) => { let s = 0; for (let k = 0; k < a.length; k++) s += (a[k]! - b[k]!) ** 2; return Math.sqrt(s); };

/** The mean of the iterates after aggregation `from`. */
function windowMean() {
  const sum = new Float64Array(DIM);
  let n = 0;
  return { add(x: ArrayLike<number>) { for (let k = 0; k < DIM; k++) sum[k]! += x[k]!; n++; }, mean: () => sum.map((s) => s / n) };
}

export async function main(): Promise<void> {
  await useBackend(await initBackend('cpu'));
  const prob = fedfixProblem(SEED, M, DIM, 3, 90);
  const scheme = parseAsyncScheme('async');
  const d = schemeWeights(scheme, prob.tau);
  const job = quadraticJob({ centers: prob.c, dim: DIM, localSteps: 5, lr: 0.1, noise: 0.1, seed: SEED, delayMs: Array.from(prob.tau, (t) => t * UNIT) });
  const from = Math.floor(0.8 * A);
  const report = (name: string, mean: Float64Array, extra: string) =>
    console.log(`${name.padEnd(28)} ‖x̄ − θ*‖ = ${dist(mean, prob.opt).toFixed(3)}   ‖x̄ − θ_surrogate‖ = ${dist(mean, prob.surr).toFixed(3)}   ${extra}`);
  console.log(`‖θ* − θ_surrogate‖ = ${dist(prob.opt, prob.surr).toFixed(3)} (async identical weights converge to θ_surrogate on the simulated clock)`);

  // Real concurrency: W workers, the aggregator.
  const stop = new AbortController();
  const loops = Array.from({ length: W }, (_, i) => runFederatedWorker({ url, trainers: federatedTrainers('cpu'), name: `example-w${i}`, signal: stop.signal }));
  const real = windowMean();
  const t0 = Date.now();
  const res = await runFederatedAsync({
    url, job, x0: new Float64Array(DIM), weights: d, lrG: LRG, aggregate: federatedAggregate, aggregations: A,
    onAggregate: ({ n, model }) => { if (n >= from) real.add(model); },
  });
  stop.abort();
  await Promise.all(loops);
  const counts = new Array<number>(M).fill(0);
  for (const u of res.updates) counts[u.client]!++;
  const meanTau = res.updates.reduce((s, u) => s + u.staleness, 0) / res.updates.length;
  report(`Redis, ${W} workers`, real.mean(), `mean staleness ${meanTau.toFixed(2)}, ${((Date.now() - t0) / 1000).toFixed(1)} s, updates per client ${counts.join(' ')}`);

  // The simulated clock: the same problem, scheme and weights, the same number of aggregations.
  const schedule = clientsSchedule(scheme.clock, prob.tau, A);
  const clock = windowMean();
  const trainer = new QuadraticClients({ centers: prob.c, dim: DIM, localSteps: 5, lr: 0.1, noise: 0.1, stream: job.population.kind === 'quadratic' ? job.population.stream : 0 });
  let delays = 0;
  await runScheduled({
    trainer, schedule, weights: d, lrG: LRG, x0: new Float64Array(DIM), seed: SEED,
    onAggregate: ({ n, model }) => { if (n >= from) clock.add(model); const a = schedule.aggregations[n]!; delays += n - a.versions[0]!; },
    stop: ({ n }) => n + 1 >= A,
  });
  const clockCounts = new Array<number>(M).fill(0);
  for (const a of schedule.aggregations.slice(0, A)) clockCounts[a.clients[0]!]!++;
  report('simulated clock', clock.mean(), `mean staleness ${(delays / A).toFixed(2)}, updates per client ${clockCounts.join(' ')}`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
