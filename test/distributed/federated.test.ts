// Federated clients as Redis workers (src/distributed/federated.ts) against a real
// redis-server (test/helpers/redis.ts): the asynchronous aggregator with one task in flight
// equals the in-process sequential loop (the engine's QuadraticClients + federatedAggregate) bit
// for bit; FedBuff-M with two concurrent workers equals the simulated-clock FedAvg (runScheduled)
// bit for bit and the closed form within float64 rounding; async with two workers, one a real
// `descent worker` process, keeps consistent staleness records and converges; malformed tasks
// and updates are rejected with logged reasons and counted; a stalled worker's task and a
// killed worker's task are reclaimed after the visibility timeout and the run completes with
// the same result; a local training on the worker's compute thread longer than the visibility
// timeout stays with its worker (heartbeats) and is trained once.

import test from 'ava';
import type { ExecutionContext } from 'ava';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { initBackend, useBackend } from '../../src/backend/backend.js';
import { clientsSchedule, clockWeights, federatedAggregate, fedfixProblem, MlpClients, QuadraticClients, runScheduled } from '../../src/algorithms/index.js';
import { connectRedis, digest, ProtocolError } from '../../src/distributed/index.js';
import { runFederatedAsync, runFederatedWorker } from '../../src/distributed/federated.js';
import type { FederatedAsyncOptions, FederatedTrainer, FederatedWorkerOptions } from '../../src/distributed/federated.js';
import { decodeModel, encodeModel, encodeUpdate, FED_PROTOCOL, federatedJobId, federatedKeys, federatedTaskFields, parseFederatedJob, parseFederatedTask } from '../../src/distributed/federated-protocol.js';
import type { FederatedJob } from '../../src/distributed/federated-protocol.js';
import { federatedTrainers, mlpJob, parseAsyncScheme, quadraticJob, schemeWeights } from '../../src/cli/federated.js';
import { loadData } from '../../src/cli/spectrum-setup.js';
import { MLP } from '../../src/nn/mlp.js';
import { cli } from '../helpers/cli.js';
import { inCI, redisMissing, startRedis } from '../helpers/redis.js';
import type { RedisServer } from '../helpers/redis.js';
import '../../src/backends.js';
import { readManifest } from '../../src/cli/job.js';

const missing = redisMissing();
const rtest = missing && !inCI ? test.skip : test.serial;
const title = (s: string) => (missing && !inCI ? `${s} (skipped: ${missing})` : s);

let server: RedisServer | null = null;
const children: ChildProcess[] = [];
test.after.always(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await server?.stop();
});

/** M quadratic clients in `dim` dimensions, centers from a fixed formula. */
function centers(M: number, dim: number): Float64Array {
  return Float64Array.from({ length: M * dim }, (_, k) => 3 * Math.sin(1.7 * k + 0.3));
}
const mean = (c: Float64Array, M: number, dim: number) => Float64Array.from({ length: dim }, (_, j) => { let s = 0; for (let i = 0; i < M; i++) s += c[i * dim + j]!; return s / M; });
const dist = (a: ArrayLike<number>, b: ArrayLike<number>) => { let s = 0; for (let k = 0; k < a.length; k++) s += (a[k]! - b[k]!) ** 2; return Math.sqrt(s); };

const bitsEqual = (t: ExecutionContext, a: ArrayLike<number>, b: ArrayLike<number>, what: string) => {
  t.is(a.length, b.length, what);
  let diff = 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) diff++;
  t.is(diff, 0, `${what}: ${diff} of ${a.length} entries differ`);
};

type CliWorker = ReturnType<typeof startCliWorker>;
/** The two `descent worker` processes, started together on the first setup (their start-up overlaps the first tests). */
let cliWorkers: { live: CliWorker; doomed: CliWorker } | null = null;

async function setup() {
  const backend = await initBackend('cpu');
  await useBackend(backend);
  server ??= await startRedis();
  // The live worker trains on its compute thread (the CLI's default), the doomed one on its main thread.
  cliWorkers ??= { live: startCliWorker('cli0', 'live', {}, 'thread'), doomed: startCliWorker('doomed', 'kill', { DESCENT_WORKER_STALL_MS: '60000' }) };
  // A start failure is reported by the test that needs the worker.
  cliWorkers.live.ready.catch(() => undefined);
  cliWorkers.doomed.ready.catch(() => undefined);
  return server;
}

/** `descent worker`'s trainer module (src/cli/federated.ts), as a compute thread loads it. */
const cliTrainers = new URL('../../src/cli/federated.ts', import.meta.url);
/** Worker options for local training on a compute thread (`module`: the trainer module; default the CLI's). */
const onThread = (module: URL = cliTrainers, trainerOptions?: unknown): Partial<FederatedWorkerOptions> =>
  ({ trainerModule: module, backend: 'cpu', ...(trainerOptions !== undefined ? { trainerOptions } : {}) });

/** In-process workers on `prefix` (main-thread training unless a spec says onThread()); stop() aborts them and returns their stats. */
function workers(prefix: string, specs: Partial<FederatedWorkerOptions>[], lines: string[]) {
  const stop = new AbortController();
  const loops = specs.map((s, i) => runFederatedWorker({
    url: server!.url, ...(s.trainerModule ? {} : { trainers: federatedTrainers('cpu') }), name: `w${i}`, prefix, signal: stop.signal, log: (l) => lines.push(l), ...s,
  }));
  return { stop: async () => { stop.abort(); return Promise.all(loops); } };
}

/**
 * The in-process sequential reference of one task in flight: aggregation n trains client n mod M
 * (its task ⌊n/M⌋) from the current model x_n, and x_{n+1} = aggregate(x_n, [{end, d_i}], η_g).
 */
async function sequential(trainer: FederatedTrainer, M: number, x0: Float64Array, d: ArrayLike<number>, lrG: number, A: number, seed: number): Promise<Float64Array> {
  let x = Float64Array.from(x0);
  for (let n = 0; n < A; n++) {
    const c = n % M;
    const end = await trainer.train(x, [{ client: c, round: Math.floor(n / M), version: n }], seed);
    x = federatedAggregate(x, [{ end, weight: d[c]! }], lrG);
  }
  return x;
}

/** Starts `descent worker` (the CLI, through tsx) and resolves once its federated loop reads tasks. */
function startCliWorker(name: string, prefix: string, env: Record<string, string> = {}, compute: 'main' | 'thread' = 'main'): { child: ChildProcess; ready: Promise<void>; log: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/descent.ts', 'worker', '--redis', server!.url, '--backend', 'cpu', '--name', name, '--prefix', prefix, '--compute', compute, '--visibility', '30'],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  children.push(child);
  let out = '';
  const ready = new Promise<void>((resolve, reject) => {
    const on = (d: Buffer) => { out += d.toString(); if (out.includes('taking federated')) resolve(); };
    child.stdout!.on('data', on);
    child.stderr!.on('data', on);
    child.once('exit', (code, sig) => reject(new Error(`descent worker exited (${code ?? sig}) before serving: ${out.slice(-600)}`)));
  });
  return { child, ready, log: () => out };
}

/** The reference trainer, built directly with the engine's QuadraticClients. */
function engineQuadratic(job: FederatedJob): QuadraticClients {
  const p = job.population;
  if (p.kind !== 'quadratic') throw new Error('not a quadratic job');
  return new QuadraticClients({ centers: p.centers, dim: p.dim, localSteps: p.localSteps, lr: p.lr, noise: p.noise, stream: p.stream, backend: 'cpu' });
}

const quadratic = (M: number, dim: number, noise: number, delayMs: number[] | null = null) =>
  quadraticJob({ centers: centers(M, dim), dim, localSteps: 3, lr: 0.1, noise, seed: 7, delayMs });

rtest(title('one task in flight: the Redis run equals the in-process sequential loop bit for bit (noisy quadratic clients, async identical weights)'), async (t) => {
  await setup();
  const M = 4, dim = 3, A = 14, lrG = 0.5;
  const job = quadratic(M, dim, 0.1);
  const d = schemeWeights(parseAsyncScheme('async'), new Float64Array(M).fill(1));
  t.deepEqual(Array.from(d), [1, 1, 1, 1]);
  const x0 = Float64Array.from({ length: dim }, (_, k) => 5 - k);
  const lines: string[] = [];
  const w = workers('eq', [onThread()], lines);
  const res = await runFederatedAsync({ url: server!.url, job, x0, weights: d, lrG, aggregate: federatedAggregate, aggregations: A, concurrency: 1, prefix: 'eq', log: (l) => lines.push(l) });
  const [ws] = await w.stop();
  const expected = await sequential(engineQuadratic(job), M, x0, d, lrG, A, job.seed);
  bitsEqual(t, res.model, expected, 'final model');
  t.is(res.aggregations, A);
  t.is(res.updates.length, A);
  res.updates.forEach((u, n) => {
    t.deepEqual([u.client, u.round, u.read, u.aggregation, u.staleness], [n % M, Math.floor(n / M), n, n, 0], `update ${n}`);
  });
  t.deepEqual(res.stalenessHistogram, [A]);
  t.is(ws!.served, A);
  t.is(ws!.trained, A);
  t.true(lines.some((l) => l.includes('local training on a compute thread')));
  t.is(res.stats.rejected, 0);
  t.is(res.stats.posted, A);
});

rtest(title('FedBuff-M with two concurrent workers equals the simulated-clock FedAvg bit for bit and the closed form (noise 0)'), async (t) => {
  await setup();
  const M = 5, dim = 4, A = 12, lrG = 0.8;
  const job = quadratic(M, dim, 0);
  const scheme = parseAsyncScheme(`fedbuff-${M}`);
  const d = schemeWeights(scheme, new Float64Array(M).fill(1));
  const x0 = new Float64Array(dim).fill(10);
  const lines: string[] = [];
  const w = workers('buf', [{}, {}], lines);
  const res = await runFederatedAsync({ url: server!.url, job, x0, weights: d, lrG, aggregate: federatedAggregate, aggregations: A, buffer: M, prefix: 'buf' });
  const ws = await w.stop();
  // The simulated clock: FedAvg with equal compute times, p_i = 1/M (= FedBuff's 1/c with c = M).
  const schedule = clientsSchedule({ kind: 'fedavg' }, new Float64Array(M).fill(1), A);
  const trainer = engineQuadratic(job);
  const ref = await runScheduled({ trainer, schedule, weights: clockWeights(schedule, new Float64Array(M).fill(1 / M)), lrG, x0, seed: job.seed });
  bitsEqual(t, res.model, ref.model, 'Redis FedBuff-M vs runScheduled FedAvg');
  // Closed form: local training maps θ to c_i + (1 − lr)^I (θ − c_i), so one aggregation maps the error e = x − c̄ to (1 − η_g κ) e, κ = 1 − (1 − lr)^I.
  const cbar = mean(Float64Array.from(job.population.kind === 'quadratic' ? job.population.centers : []), M, dim);
  // A float64 arena's optimizer records its learning rate in float64 (since 0cb570c; before, fround(0.1)).
  const kappa = 1 - (1 - 0.1) ** 3;
  const want = (1 - lrG * kappa) ** A * dist(x0, cbar);
  const got = dist(res.model, cbar);
  // float64: each of the A aggregations rounds P·(M + 2) terms of size ≤ ‖x0‖ ≈ 20 (relative ε = 2^-52).
  t.true(Math.abs(got - want) <= A * (M + 2) * 20 * 2 ** -52 * 10, `‖x − c̄‖ = ${got} vs the closed form ${want}`);
  t.true(res.updates.every((u) => u.staleness === 0), 'every client restarts from the new model: staleness 0');
  t.deepEqual(res.stalenessHistogram, [A * M]);
  t.is(ws.reduce((s, x) => s + x.served, 0), A * M);
  t.log(`served per worker: ${ws.map((x) => x.served).join(', ')}`);
});

rtest(title('async with two workers (one a `descent worker` process) and emulated compute times: staleness records are consistent and the model converges'), async (t) => {
  await setup();
  const M = 6, dim = 4, A = 60, lrG = 0.5;
  const delays = Array.from({ length: M }, (_, i) => 4 + 3 * i);
  const job = quadratic(M, dim, 0, delays);
  const cli = cliWorkers!.live;
  await cli.ready;
  const lines: string[] = [];
  const w = workers('live', [{ name: 'inproc' }], lines);
  const x0 = new Float64Array(dim).fill(20);
  const res = await runFederatedAsync({
    url: server!.url, job, x0, weights: schemeWeights(parseAsyncScheme('async'), new Float64Array(M).fill(1)), lrG, aggregate: federatedAggregate, aggregations: A, prefix: 'live',
  });
  await w.stop();
  cli.child.kill('SIGTERM');
  await new Promise((r) => cli.child.once('exit', r));
  t.is(res.aggregations, A);
  t.is(res.updates.length, A);
  res.updates.forEach((u, n) => {
    t.is(u.aggregation, n);
    t.true(u.staleness >= 0 && u.staleness === u.aggregation - u.read, `update ${n}: staleness ${u.staleness}, read ${u.read}`);
  });
  const hist: number[] = [];
  for (const u of res.updates) hist[u.staleness] = (hist[u.staleness] ?? 0) + 1;
  t.deepEqual(res.stalenessHistogram, Array.from(hist, (x) => x ?? 0));
  const byWorker = new Map<string, number>();
  for (const u of res.updates) byWorker.set(u.worker, (byWorker.get(u.worker) ?? 0) + 1);
  t.true((byWorker.get('cli0') ?? 0) > 0 && (byWorker.get('inproc') ?? 0) > 0, `updates per worker: ${JSON.stringify([...byWorker])}`);
  t.regex(cli.log(), /federated: \d+ updates/);
  t.regex(cli.log(), /local training on a compute thread/);
  // Convergence: from ‖x0 − c̄‖ ≈ 40 into the centers' own spread (async identical weights converge to a
  // frequency-weighted mean of the c_i, inside their hull, not to c̄ itself: Fraboni et al. Thm 1).
  const c = Float64Array.from(job.population.kind === 'quadratic' ? job.population.centers : []);
  const cbar = mean(c, M, dim);
  let spread = 0;
  for (let i = 0; i < M; i++) spread = Math.max(spread, dist(c.subarray(i * dim, (i + 1) * dim), cbar));
  t.true(dist(res.model, cbar) < spread, `‖x − c̄‖ = ${dist(res.model, cbar)} vs the centers' radius ${spread} (start ${dist(x0, cbar)})`);
  t.log(`staleness histogram ${JSON.stringify(res.stalenessHistogram)}, per worker ${JSON.stringify([...byWorker])}`);
});

rtest(title('malformed tasks and updates are rejected with a logged reason and counted; the run is unaffected'), async (t) => {
  await setup();
  const prefix = 'bad', k = federatedKeys(prefix);
  const M = 3, dim = 2, A = 8, lrG = 0.5;
  const job = quadratic(M, dim, 0.1);
  const id = federatedJobId(job);
  const run = digest('the malformed-message run');
  const r = connectRedis(server!.url, 'test-injector');
  // Tasks: unknown job kind, a job never stored, unknown client, wrong size, another protocol.
  const task = { proto: FED_PROTOCOL, kind: 'quadratic', job: id, run, client: 0, round: 0, size: dim, dtype: 'float64' as const };
  await r.set(k.job(id), JSON.stringify(job));
  const badTasks = [
    { ...task, kind: 'python-pickle' }, { ...task, job: digest('no such job') }, { ...task, client: 9 }, { ...task, size: dim + 1 }, { ...task, dtype: 'float32' as const },
  ];
  for (const b of badTasks) await r.xadd(k.tasks, '*', ...federatedTaskFields(b));
  await r.xadd(k.tasks, '*', ...federatedTaskFields(task).map((f) => (f === String(FED_PROTOCOL) ? '2' : f)));
  const lines: string[] = [];
  const w = workers(prefix, [{}], lines);
  const upd = (u: { version: number; client: number; round: number; data?: Float32Array | Float64Array; run?: string }) =>
    encodeUpdate({ run: u.run ?? run, version: u.version, client: u.client, round: u.round, reclaimed: false, data: u.data ?? new Float64Array(dim) });
  const opts: FederatedAsyncOptions = {
    url: server!.url, job, x0: new Float64Array(dim).fill(1), weights: new Float64Array(M).fill(1), lrG, aggregate: federatedAggregate, aggregations: A,
    concurrency: 1, prefix, run, log: (l) => lines.push(l),
    // After aggregation 5 the next task is client 0's task 2, posted at version 6: updates that pretend to answer it.
    onAggregate: async ({ n }) => {
      if (n !== 5) return;
      const good = upd({ version: 6, client: 0, round: 2 });
      const entries: (string | Buffer)[][] = [
        ['worker', 'x', 'blob', good.subarray(0, good.length - 8)], // wrong byte size
        ['worker', 'x', 'blob', upd({ version: 6, client: 0, round: 2, data: new Float32Array(dim) })], // wrong dtype
        ['worker', 'x', 'blob', upd({ version: 99, client: 0, round: 2 })], // version from the future
        ['worker', 'x', 'blob', upd({ version: 1, client: 0, round: 2 })], // stale: version 1 is no longer kept
        ['worker', 'x', 'blob', upd({ version: 6, client: 7, round: 0 })], // unknown client
        ['worker', 'x', 'blob', upd({ version: 6, client: 1, round: 40 })], // a task never posted
        ['worker', 'x', 'blob', upd({ version: 6, client: 0, round: 2, run: digest('another run') })], // another run's
        ['worker', 'x'], // no blob
      ];
      for (const e of entries) await r.xadd(k.updates(run), '*', ...e);
    },
  };
  const res = await runFederatedAsync(opts);
  const [ws] = await w.stop();
  const expected = await sequential(engineQuadratic(job), M, Float64Array.from(opts.x0), opts.weights, lrG, A, job.seed);
  bitsEqual(t, res.model, expected, 'final model despite the injected updates');
  t.is(res.stats.rejected, 8);
  const reasons = ['data bytes', 'dtype code 1', 'from the future', 'stale version 1', 'unknown client 7', 'no task 40', 'belongs to run', 'no blob'];
  for (const why of reasons) t.true(res.rejects.some((x) => x.includes(why)), `an update rejected for '${why}': ${JSON.stringify(res.rejects)}`);
  t.is(lines.filter((l) => l.includes('rejected update')).length, 8);
  t.is(ws!.rejected, 6);
  const taskReasons = ["unknown job kind 'python-pickle'", 'is not stored', 'unknown client 9', `size ${dim + 1}`, 'dtype float32', 'protocol 2'];
  for (const why of taskReasons) t.true(lines.some((l) => l.includes('rejected federated task') && l.includes(why)), `a task rejected for '${why}'`);
  t.is(await r.llen(k.rejects), 14, 'every reject recorded on the rejects list');
  r.disconnect();
});

rtest(title('a worker that stalls mid-task: the task is reclaimed after the visibility timeout and the run ends with the same result'), async (t) => {
  await setup();
  const M = 2, dim = 3, A = 4, lrG = 0.5;
  const job = quadratic(M, dim, 0.1);
  const lines: string[] = [];
  const stalled = workers('stall', [{ name: 'stuck', stallMs: 2500, visibilityMs: 60_000 }], lines);
  const x0 = new Float64Array(dim).fill(2);
  const running = runFederatedAsync({ url: server!.url, job, x0, weights: new Float64Array(M).fill(1), lrG, aggregate: federatedAggregate, aggregations: A, concurrency: 1, prefix: 'stall' });
  await new Promise((r) => setTimeout(r, 300));
  const helper = workers('stall', [{ name: 'rescuer', visibilityMs: 400 }], lines);
  const res = await running;
  const [hs] = await helper.stop();
  const [ss] = await stalled.stop();
  const expected = await sequential(engineQuadratic(job), M, x0, new Float64Array(M).fill(1), lrG, A, job.seed);
  bitsEqual(t, res.model, expected, 'final model');
  t.true(hs!.reclaimed >= 1, `the rescuer reclaimed ${hs!.reclaimed} tasks`);
  t.true(res.stats.reclaimed >= 1 && res.updates.some((u) => u.reclaimed && u.worker === 'rescuer'));
  t.is(res.aggregations, A);
  t.log(`stuck: ${JSON.stringify(ss)}, rescuer: ${JSON.stringify(hs)}, duplicates at the aggregator: ${res.stats.duplicates}`);
});

rtest(title('local training on a compute thread longer than the visibility timeout: heartbeats keep the task with its worker (an idle second worker does not reclaim it), it is trained once, and the event loop ticks meanwhile'), async (t) => {
  await setup();
  const M = 2, dim = 3, A = 2, lrG = 0.5, visibilityMs = 400, spinMs = 1200;
  const job = quadratic(M, dim, 0.1);
  const lines: string[] = [];
  // Each training busies the worker's thread 3× the visibility timeout; the idle worker would reclaim anything idle over 400 ms.
  const slow = workers('slowfed', [{ name: 'slow', visibilityMs, ...onThread(new URL('./federated-slow-trainers.ts', import.meta.url), { spinMs }) }], lines);
  // The event loop of this process (the slow worker's) is sampled every 20 ms throughout.
  let last = performance.now(), maxGap = 0;
  const tick = setInterval(() => { const now = performance.now(); maxGap = Math.max(maxGap, now - last); last = now; }, 20);
  const x0 = new Float64Array(dim).fill(3);
  const running = runFederatedAsync({ url: server!.url, job, x0, weights: new Float64Array(M).fill(1), lrG, aggregate: federatedAggregate, aggregations: A, concurrency: 1, prefix: 'slowfed' });
  // The idle worker starts once the slow one holds the first task.
  const r = connectRedis(server!.url, 'test-watch-slow'), k = federatedKeys('slowfed');
  for (let i = 0; i < 800; i++) {
    const p = await r.xpending(k.tasks, k.group).catch(() => [0]) as [number, string, string, [string, string][] | null];
    if (p[0] === 1 && p[3]?.[0]?.[0] === 'slow') break;
    await new Promise((res) => setTimeout(res, 25));
  }
  const idle = workers('slowfed', [{ name: 'idle', visibilityMs }], lines);
  const res = await running;
  clearInterval(tick);
  const [is] = await idle.stop();
  const [ss] = await slow.stop();
  r.disconnect();
  const expected = await sequential(engineQuadratic(job), M, x0, new Float64Array(M).fill(1), lrG, A, job.seed);
  bitsEqual(t, res.model, expected, 'final model');
  t.is(is!.reclaimed, 0, 'the idle worker reclaimed nothing');
  t.is(ss!.lost, 0);
  t.true(res.updates[0]!.worker === 'slow' && !res.updates[0]!.reclaimed, `the first task was trained by the slow worker: ${JSON.stringify(res.updates[0])}`);
  t.is(ss!.trained + is!.trained, A, `each task trained once (slow ${ss!.trained}, idle ${is!.trained})`);
  t.is(res.stats.duplicates, 0);
  t.true(ss!.heartbeats >= 2, `heartbeats during the training: ${ss!.heartbeats}`);
  t.true(ss!.maxIdleMs < visibilityMs, `longest time without a heartbeat ${ss!.maxIdleMs} ms < visibility ${visibilityMs} ms`);
  t.true(maxGap < visibilityMs, `the event loop's longest pause ${maxGap.toFixed(0)} ms < ${visibilityMs} ms while the thread trained ${spinMs} ms per task`);
  t.log(`slow: ${JSON.stringify(ss)}, idle: ${JSON.stringify(is)}, event-loop max gap ${maxGap.toFixed(0)} ms`);
});

rtest(title('a federated compute thread that dies mid-training stops its worker with the reason; the task is reclaimed and the run ends with the same result'), async (t) => {
  await setup();
  const M = 2, dim = 3, A = 3, lrG = 0.5;
  const job = quadratic(M, dim, 0.1);
  const lines: string[] = [];
  const x0 = new Float64Array(dim).fill(-2);
  const dying = runFederatedWorker({ url: server!.url, name: 'dying', prefix: 'die', visibilityMs: 500, log: (l) => lines.push(l), ...onThread(new URL('./federated-slow-trainers.ts', import.meta.url), { exitCode: 3 }) });
  const died = t.throwsAsync(dying, { message: /the compute thread died .*exited \(code 3\)/ });
  const running = runFederatedAsync({ url: server!.url, job, x0, weights: new Float64Array(M).fill(1), lrG, aggregate: federatedAggregate, aggregations: A, concurrency: 1, prefix: 'die' });
  await died;
  const w = workers('die', [{ name: 'heir', visibilityMs: 500 }], lines);
  const res = await running;
  const [ws] = await w.stop();
  const expected = await sequential(engineQuadratic(job), M, x0, new Float64Array(M).fill(1), lrG, A, job.seed);
  bitsEqual(t, res.model, expected, 'final model');
  t.true(ws!.reclaimed >= 1 && res.updates[0]!.worker === 'heir' && res.updates[0]!.reclaimed, 'the first task was reclaimed by the heir');
});

rtest(title('a `descent worker` killed (SIGKILL) mid-task: its task is reclaimed by another worker and the run completes with the same result'), async (t) => {
  await setup();
  const M = 2, dim = 3, A = 3, lrG = 0.5, prefix = 'kill', k = federatedKeys(prefix);
  const job = quadratic(M, dim, 0.1);
  const cli = cliWorkers!.doomed;
  await cli.ready;
  const x0 = new Float64Array(dim).fill(-1);
  const running = runFederatedAsync({ url: server!.url, job, x0, weights: new Float64Array(M).fill(1), lrG, aggregate: federatedAggregate, aggregations: A, concurrency: 1, prefix });
  // Wait until the child holds the first task (pending under its name), then kill it.
  const r = connectRedis(server!.url, 'test-watch');
  for (let i = 0; i < 200; i++) {
    const p = await r.xpending(k.tasks, k.group).catch(() => [0]) as [number, string, string, [string, string][] | null];
    if (p[0] === 1 && p[3]?.[0]?.[0] === 'doomed') break;
    await new Promise((res) => setTimeout(res, 50));
  }
  cli.child.kill('SIGKILL');
  await new Promise((res) => cli.child.once('exit', res));
  const lines: string[] = [];
  const w = workers(prefix, [{ name: 'survivor', visibilityMs: 500 }], lines);
  const res = await running;
  const [ws] = await w.stop();
  r.disconnect();
  const expected = await sequential(engineQuadratic(job), M, x0, new Float64Array(M).fill(1), lrG, A, job.seed);
  bitsEqual(t, res.model, expected, 'final model');
  t.true(ws!.reclaimed >= 1 && res.updates[0]!.reclaimed && res.updates[0]!.worker === 'survivor', 'the first task was reclaimed by the survivor');
  t.true(lines.some((l) => l.includes('reclaimed federated task')));
});

rtest(title('MLP clients on a Dirichlet partition: one task in flight equals the in-process loop with MlpClients; a worker with other data refuses the job'), async (t) => {
  await setup();
  const M = 3, A = 5, lrG = 1;
  const job = mlpJob({ sizes: [784, 6, 10], activation: 'tanh', data: 'reference', samples: 120, clients: M, alpha: 0.5, localSteps: 2, batchSize: 8, lr: 0.05, seed: 3 });
  const x0 = Float64Array.from(await new MLP([784, 6, 10], { activation: 'tanh' }).init({ seed: 3 }).data());
  const d = new Float64Array(M).fill(1 / M);
  const lines: string[] = [];
  const w = workers('mlp', [onThread()], lines);
  const res = await runFederatedAsync({ url: server!.url, job, x0, weights: d, lrG, aggregate: federatedAggregate, aggregations: A, concurrency: 1, prefix: 'mlp' });
  t.is(res.aggregations, A);
  const trainer = await federatedTrainers('cpu').mlp!(job) as unknown as MlpClients;
  const expected = await sequential(trainer, M, x0, d, lrG, A, job.seed);
  trainer.dispose();
  bitsEqual(t, res.model, expected, 'final model');
  // The same job with another content hash (a worker with other data) is refused, and the run fails with the worker's reason.
  const other: FederatedJob = { ...job, population: { ...job.population, hash: digest('other data') } as FederatedJob['population'] };
  const err = await t.throwsAsync(runFederatedAsync({ url: server!.url, job: other, x0, weights: d, lrG, aggregate: federatedAggregate, aggregations: 2, prefix: 'mlp', timeoutMs: 20_000 }));
  t.regex(err!.message, /cannot serve run .*content hash/);
  await w.stop();
  t.is(loadData('reference', 120, undefined).data.n, 120);
});

rtest(title('descent federated: the CLI runs FedBuff-M on fedfix\'s quadratic problem against workers and writes result.json (equal to runScheduled FedAvg bit for bit)'), async (t) => {
  await setup();
  const out = mkdtempSync(join(tmpdir(), 'descent-fed-'));
  const lines: string[] = [];
  const w = workers('cli', [{}, {}], lines);
  const M = 4, dim = 3, A = 6;
  const { code, err } = await cli(['federated', '--redis', server!.url, '--prefix', 'cli', '--clients', String(M), '--dim', String(dim), '--scheme', `fedbuff-${M}`,
    '--lr-g', '0.5', '--aggregations', String(A), '--noise', '0.1', '--seed', '2', '--out', out, '--quiet']);
  await w.stop();
  t.is(code, 0, err);
  const res = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as { model: number[]; aggregations: number; stalenessHistogram: number[]; updates: unknown[]; distToOptimum: number; jobSpec: FederatedJob };
  t.is(res.aggregations, A);
  t.deepEqual(res.stalenessHistogram, [A * M]);
  t.is(res.updates.length, A * M);
  // The same run on the simulated clock: fedfixProblem(2, M, dim, 3, 0), FedAvg with p_i = 1/M.
  const prob = fedfixProblem(2, M, dim, 3, 0);
  const schedule = clientsSchedule({ kind: 'fedavg' }, new Float64Array(M).fill(1), A);
  const ref = await runScheduled({ trainer: engineQuadratic(res.jobSpec), schedule, weights: clockWeights(schedule, prob.p), lrG: 0.5, x0: new Float64Array(dim), seed: 2 });
  bitsEqual(t, res.model, ref.model, 'descent federated vs runScheduled');
  t.deepEqual(res.jobSpec.population.kind === 'quadratic' ? res.jobSpec.population.centers : [], Array.from(prob.c));
  t.is(res.distToOptimum, dist(ref.model, prob.opt));
  rmSync(out, { recursive: true, force: true });
});

rtest(title('descent federated --out: the aggregator killed (SIGKILL) mid-run; rerunning the command resumes from its checkpoint, completes the requested aggregations, continues the records and equals the uninterrupted run bit for bit (one task in flight)'), async (t) => {
  await setup();
  const out = mkdtempSync(join(tmpdir(), 'descent-fed-resume-'));
  const lines: string[] = [];
  const w = workers('resume', [{}], lines);
  const M = 3, dim = 3, A = 14;
  const args = ['federated', '--redis', server!.url, '--prefix', 'resume', '--clients', String(M), '--dim', String(dim), '--scheme', 'async', '--concurrency', '1',
    '--aggregations', String(A), '--noise', '0.1', '--seed', '4', '--time-unit', '120', '--checkpoint-every', '2', '--out', out];
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/descent.ts', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let childErr = '';
  child.stderr!.on('data', (d: Buffer) => { childErr += d.toString(); });
  // Kill it once a checkpoint past version 4 is committed (the manifest names it), mid-run.
  let at = -1;
  for (let i = 0; i < 1200 && at < 4; i++) {
    await new Promise((res) => setTimeout(res, 50));
    try { at = (readManifest(out)?.state as { version?: number } | null)?.version ?? -1; } catch { /* not yet written */ }
    if (child.exitCode !== null) break;
  }
  t.true(at >= 4 && at < A, `a checkpoint at version ${at} before the kill; child: ${childErr.slice(-400)}`);
  child.kill('SIGKILL');
  await new Promise((res) => child.once('exit', res));
  const saved = JSON.parse(readFileSync(join(out, 'checkpoint.json'), 'utf8')) as { version: number; updates: { aggregation: number }[]; run: string };
  t.true(saved.version >= 4 && saved.version < A);
  const { code, err } = await cli(args);
  t.is(code, 0, err);
  t.regex(err, new RegExp(`resuming from the checkpoint in .*: version ${saved.version} of ${A}`));
  const res = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as { model: number[]; aggregations: number; resumed: number; run: string; updates: { aggregation: number; client: number; round: number; read: number }[]; jobSpec: FederatedJob };
  t.is(res.aggregations, A);
  t.is(res.resumed, saved.version);
  t.not(res.run, saved.run, 'a new run id');
  t.is(res.updates.length, A);
  res.updates.forEach((u, n) => t.is(u.aggregation, n, `record ${n}`));
  t.deepEqual(res.updates.slice(0, saved.version), saved.updates, 'the records before the checkpoint are the checkpoint\'s');
  res.updates.forEach((u, n) => t.deepEqual([u.client, u.round, u.read], [n % M, Math.floor(n / M), n], `update ${n}`));
  // One task in flight: the uninterrupted run is the in-process sequential loop; fedfixProblem(4, M, dim, 3, 0), x0 = 0, async identical weights, η_g 0.5.
  const expected = await sequential(engineQuadratic(res.jobSpec), M, new Float64Array(dim), new Float64Array(M).fill(1), 0.5, A, 4);
  bitsEqual(t, res.model, expected, 'resumed run vs the uninterrupted sequential loop');
  // A third run of the same command reuses the finished result.
  const again = await cli(args);
  t.is(again.code, 0, again.err);
  t.regex(again.err, /holds this run, finished/);
  await w.stop();
  t.log(`killed after the checkpoint at version ${saved.version}; ${lines.filter((l) => l.includes('rejected federated task')).length} old-run tasks rejected by the worker`);
  rmSync(out, { recursive: true, force: true });
});

test('federated wire formats: jobs, tasks and blobs are validated field by field', (t) => {
  const job = quadratic(3, 2, 0.1, [1, 2, 3]);
  const id = federatedJobId(job);
  const kinds = ['quadratic', 'mlp'];
  t.deepEqual(parseFederatedJob(JSON.stringify(job), id, kinds), job);
  const bad = (j: unknown, re: RegExp, known = kinds) => t.throws(() => parseFederatedJob(JSON.stringify(j), federatedJobId(j as FederatedJob), known), { instanceOf: ProtocolError, message: re });
  bad({ ...job, population: { ...job.population, centers: [1, 2, 3] } }, /population.centers \(expected 3·2 finite numbers\)/);
  bad({ ...job, delayMs: [1, 2] }, /delayMs/);
  bad({ ...job, dtype: 'float32' }, /quadratic clients return float64/);
  bad({ ...job, population: { ...job.population, kind: 'shell' } }, /unknown population kind 'shell'/);
  bad(job, /unknown population kind 'quadratic' \(known: mlp\)/, ['mlp']);
  bad({ ...job, proto: 2 }, /protocol 2/);
  t.throws(() => parseFederatedJob(JSON.stringify(job), digest('another'), kinds), { message: /content does not match its id/ });
  t.throws(() => parseFederatedJob('{"proto": 1', id, kinds), { message: /not JSON/ });
  const fields = federatedTaskFields({ proto: FED_PROTOCOL, kind: 'quadratic', job: id, run: id, client: 2, round: 5, size: 2, dtype: 'float64' });
  t.is(parseFederatedTask(fields, kinds).round, 5);
  t.throws(() => parseFederatedTask(fields.map((f) => (f === '5' ? '-5' : f)), kinds), { message: /field 'round' = '-5'/ });
  t.throws(() => parseFederatedTask(fields.map((f) => (f === id ? 'require("fs")' : f)), kinds), { message: /not a 64-digit hex id/ });
  // A model blob of another run, size or dtype is refused; its own round-trips exactly.
  const x = Float64Array.of(1.5, -2, Math.PI);
  const blob = encodeModel(id, 7, x);
  t.deepEqual(decodeModel(blob, { run: id, size: 3 }), { version: 7, x });
  t.throws(() => decodeModel(blob, { run: digest('x'), size: 3 }), { message: /belongs to run/ });
  t.throws(() => decodeModel(blob, { run: id, size: 4 }), { message: /3 parameters \(expected 4\)/ });
  t.throws(() => decodeModel(blob.subarray(0, 70), { run: id, size: 3 }), { message: /data bytes/ });
});

rtest(title('a password-protected Redis: the URL with the password serves the run; without it the aggregator fails naming the cause'), async (t) => {
  await setup();
  const secured = await startRedis({ args: ['--requirepass', 's3cret'] });
  try {
    const url = `redis://:s3cret@127.0.0.1:${secured.port}`;
    const stop = new AbortController();
    const loop = runFederatedWorker({ url, trainers: federatedTrainers('cpu'), name: 'pw', signal: stop.signal });
    const job = quadratic(2, 2, 0);
    const res = await runFederatedAsync({ url, job, x0: new Float64Array(2), weights: [1, 1], lrG: 0.5, aggregate: federatedAggregate, aggregations: 4 });
    stop.abort();
    t.true((await loop).served >= res.stats.accepted, 'every accepted update came from the worker (a last one may arrive after the run ended)');
    t.is(res.aggregations, 4);
    const err = await t.throwsAsync(runFederatedAsync({ url: `redis://127.0.0.1:${secured.port}`, job, x0: new Float64Array(2), weights: [1, 1], lrG: 0.5, aggregate: federatedAggregate, aggregations: 1 }));
    t.regex(err!.message, /NOAUTH|auth/i);
  } finally {
    await secured.stop();
  }
});

rtest(title('maxStaleness: an update staler than the bound is refused and its client restarts; second deliveries are dropped as duplicates'), async (t) => {
  await setup();
  const prefix = 'stale', k = federatedKeys(prefix), M = 2, dim = 2;
  const job = quadratic(M, dim, 0);
  const run = digest('the staleness run');
  const r = connectRedis(server!.url, 'test-scripted-client');
  const running = runFederatedAsync({ url: server!.url, job, x0: new Float64Array(dim), weights: [1, 1], lrG: 0.5, aggregate: federatedAggregate, aggregations: 3, maxStaleness: 0, prefix, run });
  // A scripted client answers both first tasks (posted at version 0) from version 0: client 0's
  // update makes version 1, so client 1's is then 1 version stale (> maxStaleness 0).
  while ((await r.exists(k.model(run))) === 0) await new Promise((res) => setTimeout(res, 20));
  for (const client of [0, 1]) await r.xadd(k.updates(run), '*', 'worker', 'scripted', 'blob', encodeUpdate({ run, version: 0, client, round: 0, reclaimed: false, data: new Float64Array(dim).fill(1) }));
  // Both clients are posted again (4 tasks in all); a real worker then takes the stream from the start.
  while ((await r.xlen(k.tasks)) < 4) await new Promise((res) => setTimeout(res, 20));
  const w = workers(prefix, [{}], []);
  const res = await running;
  await w.stop();
  r.disconnect();
  t.is(res.stats.stale, 1);
  t.true(res.rejects.some((x) => x.includes('client 1 task 0: staleness 1 > maxStaleness 0')), JSON.stringify(res.rejects));
  t.is(res.stats.duplicates, 2, 'the worker\'s answers to the two first tasks, already answered by the script');
  t.deepEqual(res.updates.slice(0, 1).map((u) => [u.client, u.round, u.read, u.staleness, u.worker]), [[0, 0, 0, 0, 'scripted']]);
  t.true(res.updates.every((u) => u.staleness === 0));
  t.is(res.aggregations, 3);
});
