// The federated aggregator (runFederatedAsync) across Redis restarts, against real
// redis-servers of its own (test/helpers/redis.ts), one task in flight so that the run is
// deterministic and equals the in-process sequential loop bit for bit:
//   - a restart without persistence (the job, the model, the task stream and any update not
//     yet read are lost): reported, the lost task posted again, the run completes equal;
//   - a restart with an append-only file (everything kept): reported, nothing posted again,
//     the run completes equal;
//   - Redis gone for good: the run fails after retryMs naming the server and the version.

import test from 'ava';
import type { ExecutionContext } from 'ava';
import { initBackend, useBackend } from '../../src/backend/backend.js';
import { federatedAggregate, QuadraticClients } from '../../src/algorithms/index.js';
import { runFederatedAsync, runFederatedWorker } from '../../src/distributed/federated.js';
import type { FederatedAsyncResult } from '../../src/distributed/federated.js';
import { federatedKeys } from '../../src/distributed/federated-protocol.js';
import type { FederatedJob } from '../../src/distributed/federated-protocol.js';
import { connectRedis } from '../../src/distributed/redis.js';
import { federatedTrainers, parseAsyncScheme, quadraticJob, schemeWeights } from '../../src/cli/federated.js';
import { inCI, redisMissing, startRedis } from '../helpers/redis.js';
import type { RedisServer, RedisServerOptions } from '../helpers/redis.js';
import '../../src/backends.js';

const missing = redisMissing();
const rtest = missing && !inCI ? test.skip : test.serial;
const title = (s: string) => (missing && !inCI ? `${s} (skipped: ${missing})` : s);

const servers: RedisServer[] = [];
test.after.always(async () => { for (const s of servers) await s.stop().catch(() => undefined); });

const M = 4, dim = 3, A = 14, lrG = 0.5;
// Every client's local training takes 200 ms of emulated compute, so a task is in flight when the server goes down.
const job: FederatedJob = quadraticJob({ centers: Float64Array.from({ length: M * dim }, (_, k) => 3 * Math.sin(1.7 * k + 0.3)), dim, localSteps: 3, lr: 0.1, noise: 0.1, seed: 7, delayMs: new Array(M).fill(200) });
const d = schemeWeights(parseAsyncScheme('async'), new Float64Array(M).fill(1));
const x0 = Float64Array.from({ length: dim }, (_, k) => 5 - k);

/** The in-process reference: aggregation n trains client n mod M (its task ⌊n/M⌋) from x_n. */
async function sequential(): Promise<Float64Array> {
  const p = job.population;
  if (p.kind !== 'quadratic') throw new Error('not a quadratic job');
  const trainer = new QuadraticClients({ centers: p.centers, dim: p.dim, localSteps: p.localSteps, lr: p.lr, noise: p.noise, stream: p.stream, backend: 'cpu' });
  let x = Float64Array.from(x0);
  for (let n = 0; n < A; n++) {
    const end = await trainer.train(x, [{ client: n % M, round: Math.floor(n / M), version: n }], job.seed);
    x = federatedAggregate(x, [{ end, weight: d[n % M]! }], lrG);
  }
  return x;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const bitsEqual = (t: ExecutionContext, a: ArrayLike<number>, b: ArrayLike<number>, what: string) => {
  let diff = a.length === b.length ? 0 : -1;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) diff++;
  t.is(diff, 0, `${what}: ${diff} of ${a.length} entries differ`);
};

/** Restarts the server (down 400 ms) once the next task is on the stream and in a worker's hands (its 200 ms of emulated compute). */
async function restartWhenPosted(server: RedisServer): Promise<void> {
  const r = connectRedis(server.url, 'test');
  const tasks = federatedKeys('rs').tasks;
  const before = await r.xlen(tasks);
  while ((await r.xlen(tasks)) <= before) await sleep(2);
  r.disconnect();
  await sleep(50);
  await server.restart(400);
}

/**
 * One run of A aggregations with two in-process workers (main-thread training, visibility 1.5 s)
 * while the server restarts once, with the task after aggregation `at` in flight.
 */
async function runAcrossRestart(o: RedisServerOptions, at: number): Promise<{ res: FederatedAsyncResult; log: string[]; workerLog: string[] }> {
  await useBackend(await initBackend('cpu'));
  const server = await startRedis(o);
  servers.push(server);
  const log: string[] = [], workerLog: string[] = [];
  const stop = new AbortController();
  const loops = [0, 1].map((i) => runFederatedWorker({ url: server.url, trainers: federatedTrainers('cpu'), name: `w${i}`, prefix: 'rs', visibilityMs: 1500, signal: stop.signal, log: (l) => workerLog.push(l) }));
  let restarting: Promise<void> | null = null;
  try {
    const res = await runFederatedAsync({
      url: server.url, job, x0, weights: d, lrG, aggregate: federatedAggregate, aggregations: A, concurrency: 1, prefix: 'rs', retryMs: 20_000, log: (l) => log.push(l),
      onAggregate: ({ n }) => { if (n === at) restarting = restartWhenPosted(server); },
    });
    await restarting;
    return { res, log, workerLog };
  } finally {
    stop.abort();
    await Promise.all(loops);
    await server.stop();
  }
}

rtest(title('Redis restarted without persistence mid-run: the aggregator reports it, posts the lost task again and the run equals the sequential loop bit for bit'), async (t) => {
  const { res, log, workerLog } = await runAcrossRestart({}, 5);
  bitsEqual(t, res.model, await sequential(), 'final model across the restart');
  t.is(res.aggregations, A);
  res.updates.forEach((u, n) => t.deepEqual([u.client, u.round, u.read, u.staleness], [n % M, Math.floor(n / M), n, 0], `update ${n}`));
  t.true(res.stats.outages >= 1, `outages ${res.stats.outages}`);
  t.true(res.stats.reposted >= 1, 'the task in flight was lost with the server\'s data and posted again');
  t.true(log.some((l) => /Redis at redis:\/\/127\.0\.0\.1:\d+ (failed|dropped)|connection to Redis at redis:\/\/127\.0\.0\.1:\d+ dropped/.test(l)), log.join('\n'));
  t.true(log.some((l) => /is back after \d+ s; the run goes on at version \d+/.test(l)), log.join('\n'));
  t.is(res.stats.rejected, 0, res.rejects.join('\n'));
  t.log(`outages ${res.stats.outages}, tasks posted again ${res.stats.reposted}, duplicates dropped ${res.stats.duplicates}; worker lines: ${workerLog.filter((l) => /Redis|reclaimed/.test(l)).length}`);
});

rtest(title('Redis restarted with an append-only file mid-run: reported, the kept tasks are not posted again, and the run equals the sequential loop bit for bit'), async (t) => {
  const { res, log } = await runAcrossRestart({ persist: true, args: ['--appendonly', 'yes', '--appendfsync', 'always'] }, 5);
  bitsEqual(t, res.model, await sequential(), 'final model across the restart');
  t.true(res.stats.outages >= 1, `outages ${res.stats.outages}`);
  t.is(res.stats.reposted, 0, 'the server kept every task');
  t.true(log.some((l) => /is back after/.test(l)), log.join('\n'));
  t.log(`outages ${res.stats.outages}, duplicates dropped ${res.stats.duplicates}`);
});

rtest(title('Redis gone for good mid-run: the aggregator fails after retryMs naming the server and the version it stopped at'), async (t) => {
  await useBackend(await initBackend('cpu'));
  const server = await startRedis();
  servers.push(server);
  const stop = new AbortController();
  const worker = runFederatedWorker({ url: server.url, trainers: federatedTrainers('cpu'), name: 'w', prefix: 'gone', signal: stop.signal });
  let stopping: Promise<void> | null = null;
  const t0 = Date.now();
  const err = await t.throwsAsync(runFederatedAsync({
    url: server.url, job, x0, weights: d, lrG, aggregate: federatedAggregate, aggregations: 1000, concurrency: 1, prefix: 'gone', retryMs: 1500,
    onAggregate: ({ n }) => { if (n === 3) stopping = server.stop(); },
  }));
  await stopping;
  stop.abort();
  await worker;
  t.regex(err!.message, /^runFederatedAsync: Redis at redis:\/\/127\.0\.0\.1:\d+ has failed for \d+ s \(last error: .*\); the run stopped at version \d+/);
  t.true(Date.now() - t0 < 15_000, `failed after ${Date.now() - t0} ms`);
});
