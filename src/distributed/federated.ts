// Federated clients as Redis workers: asynchronous federated optimisation with real
// concurrency (docs/distributed.md, "Federated clients on Redis"). The simulated-clock mode of
// the algorithm layer (runScheduled) stays the default and the reference; this is the same
// aggregation run with clients on `descent worker`s, where staleness comes from the model
// version each client actually read, not from a schedule.
//
// The aggregator (`runFederatedAsync`) keeps the global model x (float64) and its version n
// (the number of aggregations done). It writes the model under one key per run (a DFM1 blob
// carrying n) and posts local-training tasks (client i, its task counter r) on the stream
// `<prefix>:fed:tasks`. A worker (`runFederatedWorker`) takes a task with XREADGROUP, reads the
// model key (version v, whatever is current when it starts), trains client i from it with the
// population's ClientTrainer for (i, r), and adds its end model x_i with v to the run's updates
// stream, acknowledging the task in the same MULTI. The aggregator reads the updates (XREAD),
// validates each, and applies the scheme
//
//     x ← x + η_g Σ_{i∈S_n} d_i (x_i − x^{v_i}),   staleness τ_i = n − v_i,
//
// (Fraboni et al., arXiv 2206.10189, eq. (3)) through the aggregation function it is given (the
// algorithm layer's `federatedAggregate`, injected by the caller: this layer does not import
// the algorithm layer, as worker.ts gets its shard loaders from the CLI). It keeps the models
// x^{v} of every version an in-flight or buffered task may have read. Async: every accepted
// update is aggregated alone (c = 1); FedBuff-c: c updates are buffered and aggregated together
// (in client order, so the sum does not depend on arrival order). A client whose update was
// aggregated is posted again at once (at most `concurrency` tasks in flight), so fast clients
// return more often, as on the simulated clock.
//
// Heavy work runs off the event loop: with `trainerModule` (what `descent worker` does by
// default) the worker builds each job's population (data load, Dirichlet partition, content
// hash check) and trains its clients on a compute thread (compute-thread.ts, handlers in
// federated-thread.ts), the start model moving there and the end model moving back as
// transferred buffers, while the main thread does the Redis I/O and heartbeats the task in
// hand every visibility/4 (redis.ts `heartbeat`: only while it still owns the entry). A
// training longer than the visibility timeout therefore stays with its live worker; a killed
// worker's heartbeats stop and its task is reclaimed one timeout later. `trainers` (functions)
// instead keeps the training on the main thread (the old path, bit-identical results: the
// same code on the same backend), where a synchronous training pauses the heartbeats.
//
// Delivery is at least once (a worker killed mid-task leaves its task pending; another worker
// reclaims it with XAUTOCLAIM after the visibility timeout); aggregation is exactly once per
// task: an update for a task already aggregated is a duplicate and dropped. Every message is
// validated before use; a malformed one (wrong size, dtype, unknown client, unknown task, a
// version from the future or older than the oldest model kept) is rejected with a logged
// reason, counted and recorded on `<prefix>:rejects`. Nothing from the queue is evaluated.
//
// Redis restarts: the aggregator's state lives in its memory, so an outage costs no
// aggregation. A failing command (or a dropped connection, or the run's model key missing
// from the server) is reported once; the loop retries every 250 ms and, when Redis answers,
// writes the job, the model and the consumer group again and posts again, under the same
// task counters, each in-flight task the server no longer has (a restart without persistence);
// an update that was delivered twice is aggregated once. After `retryMs` of continuous failure
// the run fails naming the server and the version it stopped at. Workers ride out the restart
// on their own (their loop retries; a task they held is reclaimed or posted again).
//
// The aggregator's state lives in memory; with `checkpoint` it is handed out (model, version,
// task counters, records) every K aggregations / T seconds, and `resume` continues from such a
// checkpoint under a new run id (the CLI keeps it in its --out folder, src/cli/federated.ts).
//
// Not bit-reproducible across runs in general (which worker reads which version depends on
// timing), except where timing cannot matter: one task in flight (`concurrency: 1`), or
// FedBuff with c = concurrency = M (every client restarts from the same new model: FedAvg).

import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startComputeThread } from './compute-thread.js';
import { FederatedCompute } from './federated-thread.js';
import type { FederatedThreadInit, FederatedTrained, FederatedTrainerFactory } from './federated-thread.js';
import { digest, ProtocolError } from './protocol.js';
import {
  checkFederatedTask, decodeModel, decodeUpdate, encodeModel, encodeUpdate, FED_PROTOCOL, federatedJobId, federatedKeys, federatedTaskFields, parseFederatedJob, parseFederatedTask,
} from './federated-protocol.js';
import type { FederatedJob, FederatedKeys, FederatedTask } from './federated-protocol.js';
import { connectRedis, ensureGroup, heartbeat, outageClock, redactUrl, sleep } from './redis.js';
import type { Redis, RedisOptions } from './redis.js';

export type { FederatedTrainer, FederatedTrainerFactory } from './federated-thread.js';

/** The aggregation x ← x + η_g Σ d_i (x_i − x^{ρ_i}) (the algorithm layer's `federatedAggregate`). */
export type FederatedAggregate = (x: Float64Array, parts: readonly { end: ArrayLike<number>; start?: ArrayLike<number>; weight: number }[], lrG: number) => Float64Array;

/** An error that ends the aggregator's run as it is (its cause), never taken for a Redis outage. */
class Halt extends Error {
  constructor(cause: unknown) { super('halt', { cause }); }
}

/** Runs a step that is not a Redis call (the aggregation, the caller's callbacks): its errors end the run. */
async function own<T>(f: () => T | Promise<T>): Promise<T> {
  try { return await f(); } catch (e) { throw new Halt(e); }
}

async function recordReject(r: Redis, k: FederatedKeys, who: string, what: string, reason: string): Promise<void> {
  await r.pipeline().lpush(k.rejects, JSON.stringify({ at: new Date().toISOString(), by: who, message: what, reason })).ltrim(k.rejects, 0, 999).exec();
}

// ─── Worker ───

export interface FederatedWorkerOptions {
  url: string;
  /**
   * Trainer factories by population kind (the only kinds this worker serves), run on this (the
   * main) thread: a synchronous local training pauses heartbeats, so the visibility timeout
   * must exceed one training. Give this or `trainerModule`.
   */
  trainers?: Readonly<Record<string, FederatedTrainerFactory>>;
  /**
   * A module (file URL) exporting `federatedTrainers(backendName, trainerOptions)` → factories
   * by population kind: population builds and local training then run in a compute thread
   * and heartbeats flow during them (see the header). Give this or `trainers`.
   */
  trainerModule?: string | URL;
  /** Passed to the trainer module's `federatedTrainers` (structured-cloneable). */
  trainerOptions?: unknown;
  /** With `trainerModule`: the backend the thread initialises (its name; default 'cpu'). */
  backend?: string;
  /** Consumer name (default: host-pid). */
  name?: string;
  prefix?: string;
  /** Reclaim tasks whose holder has not heartbeaten for this long (default 60 s). */
  visibilityMs?: number;
  /** Heartbeat period on the task in hand (default visibilityMs/4). */
  heartbeatMs?: number;
  /** Expiry of the updates stream a worker writes to (default 24 h). */
  ttlMs?: number;
  /** Populations kept built (least recently used dropped; default 2). */
  cacheJobs?: number;
  log?: (line: string) => void;
  signal?: AbortSignal;
  redisOptions?: RedisOptions;
  /**
   * Fault injection for tests: after claiming each task (and reading the model) the worker
   * stalls this long before it starts heartbeating and training — a hung worker, whose task
   * another worker reclaims after the visibility timeout.
   */
  stallMs?: number;
}

export interface FederatedWorkerStats {
  /** Updates written. */
  served: number;
  /** Local trainings done (one per update written, plus any whose update was dropped). */
  trained: number;
  /** Tasks rejected (malformed, unknown kind or job, finished run). */
  rejected: number;
  /** Tasks taken over from another worker after the visibility timeout. */
  reclaimed: number;
  /** Populations built. */
  loads: number;
  /** Tasks whose population could not be built here (reported to the aggregator). */
  failed: number;
  /** Heartbeats that reset the idle time of the task in hand. */
  heartbeats: number;
  /** Tasks found reclaimed by another worker while this one held them. */
  lost: number;
  /** The longest time the task in hand went without a reset of its idle time (claim or heartbeat), in ms. */
  maxIdleMs: number;
}

/** Where a federated worker's local training runs (see the header). */
interface FedCompute {
  readonly kinds: string[];
  readonly alive: boolean;
  train(id: string, job: FederatedJob, start: Float64Array, task: { client: number; round: number; version: number }, seed: number): Promise<FederatedTrained>;
  close(): Promise<void>;
}

async function openFedCompute(o: FederatedWorkerOptions, cacheJobs: number): Promise<FedCompute> {
  if ((o.trainers === undefined) === (o.trainerModule === undefined)) {
    throw new TypeError(`runFederatedWorker: expected exactly one of 'trainers' (main thread) and 'trainerModule' (compute thread) but received ${o.trainers ? 'both' : 'neither'}`);
  }
  if (o.trainers) {
    const local = new FederatedCompute(o.trainers, cacheJobs);
    return { kinds: local.kinds(), alive: true, train: (...a) => local.train(...a), close: async () => local.dispose() };
  }
  // The handlers' module next to this one, in the same form (.ts under tsx, .js in dist/).
  const here = import.meta.url;
  const handlers = new URL(`./federated-thread${extname(fileURLToPath(here))}`, here);
  const init: FederatedThreadInit = { backend: o.backend ?? 'cpu', trainerModule: String(o.trainerModule), cacheJobs, ...(o.trainerOptions !== undefined ? { trainerOptions: o.trainerOptions } : {}) };
  const ct = await startComputeThread(handlers, init, { name: 'descent worker federated thread' });
  const kinds = await ct.call<string[]>('kinds');
  return {
    kinds,
    get alive() { return ct.alive; },
    // The start model moves to the thread (the worker does not use it again); the end model moves back.
    train: (id, job, start, task, seed) => ct.call<FederatedTrained>('train', [id, job, start, task, seed], [start.buffer as ArrayBuffer]),
    async close() {
      if (ct.alive && ct.pending === 0) await Promise.race([ct.call('dispose').catch(() => undefined), sleep(2000)]);
      await ct.close();
    },
  };
}

class FedComputeDied extends Error {}

/**
 * Serves federated local-training tasks until `signal` aborts (see the header). With
 * `trainerModule` the population builds and local trainings run in a compute thread while this
 * event loop heartbeats the task in hand (every `heartbeatMs`), so one training may take longer
 * than the visibility timeout; with `trainers` they run on this event loop (a quadratic client
 * takes microseconds, a small MLP client milliseconds) and the visibility timeout has to exceed
 * one training. Rejects if the compute thread dies (its task is reclaimed after the timeout).
 * @example
 * await runFederatedWorker({ url: 'redis://127.0.0.1:6379', trainerModule: new URL('./src/cli/federated.ts', import.meta.url), backend: 'cpu', signal });
 */
export async function runFederatedWorker(o: FederatedWorkerOptions): Promise<FederatedWorkerStats> {
  const k = federatedKeys(o.prefix);
  const name = o.name ?? `${hostname()}-${process.pid}`;
  const visibility = o.visibilityMs ?? 60_000, ttl = o.ttlMs ?? 24 * 3600_000, cacheMax = o.cacheJobs ?? 2;
  const beatMs = o.heartbeatMs ?? Math.max(10, Math.floor(visibility / 4));
  if (!(visibility > 0)) throw new RangeError(`runFederatedWorker: expected visibilityMs > 0 but received ${visibility}`);
  if (!(beatMs > 0 && beatMs < visibility)) throw new RangeError(`runFederatedWorker: expected 0 < heartbeatMs < visibilityMs (${visibility}) but received ${beatMs}`);
  const log = o.log ?? (() => undefined);
  const compute = await openFedCompute(o, cacheMax);
  const kinds = compute.kinds;
  const where = redactUrl(o.url);
  const r: Redis = connectRedis(o.url, `descent-fed-worker-${name}`, o.redisOptions);
  const stats: FederatedWorkerStats = { served: 0, trained: 0, rejected: 0, reclaimed: 0, loads: 0, failed: 0, heartbeats: 0, lost: 0, maxIdleMs: 0 };
  const jobs = new Map<string, FederatedJob>();
  const me = `descent worker ${name}`;

  const reject = async (entryId: string, reason: string) => {
    stats.rejected++;
    log(`${me}: rejected federated task ${entryId}: ${reason}`);
    await recordReject(r, k, `worker ${name}`, `federated task ${entryId}`, reason);
    await r.xack(k.tasks, k.group, entryId);
  };

  /** Heartbeats on entry `id` until the returned function is called; `lost()` says whether another worker took it. */
  function hold(id: string): { release: () => void; lost: () => boolean } {
    let last = Date.now(), stopped = false, busy = false, lost = false;
    const idle = () => { stats.maxIdleMs = Math.max(stats.maxIdleMs, Date.now() - last); };
    const timer = setInterval(() => {
      if (busy || stopped) return;
      busy = true;
      heartbeat(r, k, name, id).then((s) => {
        if (stopped) return;
        if (s === 'held') { idle(); last = Date.now(); stats.heartbeats++; return; }
        stopped = true;
        clearInterval(timer);
        if (s === 'lost') {
          lost = true;
          stats.lost++;
          log(`${me}: federated task ${id} was reclaimed by another worker (no heartbeat for ${Date.now() - last} ms, visibility ${visibility} ms)`);
        }
      }, () => undefined /* an outage: the loop reports it */).finally(() => { busy = false; });
    }, beatMs);
    return { release: () => { if (!stopped) idle(); stopped = true; clearInterval(timer); }, lost: () => lost };
  }

  async function handle(entryId: string, fields: string[], reclaimed: boolean): Promise<void> {
    let t: FederatedTask, job: FederatedJob, model: { version: number; x: Float64Array };
    try {
      t = parseFederatedTask(fields, kinds);
      let cached = jobs.get(t.job);
      if (!cached) {
        const text = await r.get(k.job(t.job));
        if (text === null) throw new ProtocolError(`federated job ${t.job.slice(0, 12)} is not stored (expired or never written)`);
        cached = parseFederatedJob(text, t.job, kinds);
        if (jobs.size >= 64) jobs.delete(jobs.keys().next().value as string);
        jobs.set(t.job, cached);
      }
      job = cached;
      checkFederatedTask(t, job);
      const buf = await r.getBuffer(k.model(t.run));
      if (!buf) throw new ProtocolError(`run ${t.run.slice(0, 12)} has no model (it finished, or never started)`);
      model = decodeModel(buf, { run: t.run, size: job.size });
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      await reject(entryId, e.message);
      return;
    }
    if (o.stallMs) await sleep(o.stallMs);
    const held = hold(entryId);
    try {
      // The emulated compute time, in slices (the heartbeat runs meanwhile: the task's idle
      // time is reset while this worker still owns it), so that a delay longer than the
      // visibility timeout is not taken for a dead worker.
      let delay = job.delayMs?.[t.client] ?? 0;
      while (delay > 0 && !o.signal?.aborted && !held.lost()) {
        const slice = Math.min(delay, beatMs);
        await sleep(slice);
        delay -= slice;
      }
      if (held.lost()) { log(`${me}: federated task ${entryId} was taken over by another worker (or withdrawn); dropped`); return; }
      let end: Float32Array | Float64Array;
      try {
        const res = await compute.train(t.job, job, model.x, { client: t.client, round: t.round, version: model.version }, job.seed);
        stats.trained++;
        if (res.built) {
          stats.loads++;
          log(`${me}: built the ${job.population.kind} population of federated job ${t.job.slice(0, 12)} (${job.clients} clients, ${job.size} parameters)`);
        }
        end = res.end;
      } catch (e) {
        if (!compute.alive) throw new FedComputeDied((e as Error).message);
        // The population cannot be trained here (missing data, other data): the aggregator is told and stops with this message.
        stats.failed++;
        const msg = `worker ${name}, client ${t.client}: ${(e as Error).message}`;
        log(`${me}: cannot serve federated job ${t.job.slice(0, 12)}: ${(e as Error).message}`);
        await r.multi().set(k.fail(t.run), msg, 'PX', ttl).xack(k.tasks, k.group, entryId).exec();
        return;
      }
      if ((await r.exists(k.model(t.run))) === 0) {
        // The run finished (or was withdrawn) while this client trained: nothing to deliver.
        log(`${me}: run ${t.run.slice(0, 12)} finished while client ${t.client} trained; its update is dropped`);
        await r.xack(k.tasks, k.group, entryId);
        return;
      }
      // Delivered even when another worker reclaimed the task meanwhile: the aggregator aggregates a task once and drops a second delivery.
      const blob = encodeUpdate({ run: t.run, version: model.version, client: t.client, round: t.round, reclaimed, data: end });
      // The update and the acknowledgement in one transaction: a worker killed before it leaves the task pending.
      const res = await r.multi().xadd(k.updates(t.run), 'MAXLEN', '~', '100000', '*', 'task', entryId, 'worker', name, 'blob', blob)
        .pexpire(k.updates(t.run), ttl).xack(k.tasks, k.group, entryId).exec();
      if (!res) throw new Error('the transaction was not executed');
      for (const [err] of res) if (err) throw err;
      stats.served++;
    } finally {
      held.release();
    }
  }

  log(`${me}: taking federated ${kinds.join(', ')} tasks from ${where} (${o.trainerModule ? 'local training on a compute thread' : 'local training on the main thread'}, visibility ${visibility} ms, heartbeat ${beatMs} ms)`);
  let grouped = false, down = false;
  let fatal: Error | null = null;
  while (!o.signal?.aborted) {
    try {
      if (!grouped) { await ensureGroup(r, k); grouped = true; }
      // Tasks a dead (or stalled) worker left pending past the visibility timeout first.
      const claimed = await r.xautoclaim(k.tasks, k.group, name, visibility, '0-0', 'COUNT', 1) as [string, [string, string[]][], string[]?];
      let entry = claimed[1]?.find((e) => e && Array.isArray(e[1]));
      const reclaimed = entry !== undefined;
      if (reclaimed) { stats.reclaimed++; log(`${me}: reclaimed federated task ${entry![0]} (pending over ${visibility} ms)`); }
      if (!entry) {
        const res = await r.xreadgroup('GROUP', k.group, name, 'COUNT', 1, 'BLOCK', 500, 'STREAMS', k.tasks, '>') as [string, [string, string[]][]][] | null;
        entry = res?.[0]?.[1]?.[0];
      }
      if (down) { log(`${me}: Redis at ${where} is back`); down = false; }
      if (entry) await handle(entry[0], entry[1], reclaimed);
    } catch (e) {
      if (e instanceof FedComputeDied) { fatal = new Error(`runFederatedWorker ${name}: the compute thread died (${e.message}); the task in hand is reclaimed by another worker after ${visibility} ms`); break; }
      if (!down) log(`${me}: Redis at ${where} failed (${(e as Error).message}); retrying`);
      down = true;
      grouped = false;
      await sleep(500);
    }
  }
  await compute.close();
  r.disconnect();
  if (fatal) { log(fatal.message); throw fatal; }
  return stats;
}

// ─── Aggregator ───

export interface FederatedAsyncOptions {
  url: string;
  job: FederatedJob;
  /** The initial global model (P values). */
  x0: ArrayLike<number>;
  /** d_i per client (the algorithm layer's clockWeights for the scheme). */
  weights: ArrayLike<number>;
  /** Server step η_g. */
  lrG: number;
  /** The aggregation (the algorithm layer's `federatedAggregate`). */
  aggregate: FederatedAggregate;
  /** Aggregations to do. */
  aggregations: number;
  /** Updates aggregated together: 1 = async, c = FedBuff-c (default 1). */
  buffer?: number;
  /** Most tasks in flight (default: every client, M); buffer ≤ concurrency ≤ M. */
  concurrency?: number;
  /** Updates older than this many versions are rejected as stale and the client restarts (default: no limit). */
  maxStaleness?: number;
  prefix?: string;
  /** The run's id (64 hex digits; default: random). */
  run?: string;
  /** Stored keys expire after this long (default 24 h). */
  ttlMs?: number;
  /** Fail when no update has arrived for this long (default 10 min; time while Redis is down does not count). */
  timeoutMs?: number;
  /** Give up after Redis has failed for this long without a break (default 60 s); see the header on restarts. */
  retryMs?: number;
  /** Wait notices every this many ms (default 30 s). */
  noticeMs?: number;
  log?: (line: string) => void;
  /** After each aggregation (the model: copy what you keep). */
  onAggregate?: (info: FederatedAggregation) => void | Promise<void>;
  /**
   * Continue from a checkpoint (`checkpoint.save`'s argument) of a run of the same job: the
   * model, its version, the clients' task counters and the records go on from there under
   * this run's id. The old run's model and updates keys are deleted, so a worker that still
   * holds one of its tasks rejects it ("has no model") and an update it wrote anyway is never
   * read (it belongs to the old run: the run check refuses it).
   */
  resume?: FederatedCheckpoint;
  /** Saves the aggregator's state after an aggregation, every `every` aggregations or `seconds` seconds (whichever comes first). */
  checkpoint?: { every?: number; seconds?: number; save: (cp: FederatedCheckpoint) => void | Promise<void> };
  signal?: AbortSignal;
  redisOptions?: RedisOptions;
}

/**
 * The aggregator's state after an aggregation, enough to continue the run: tasks in flight
 * (and updates buffered, not yet aggregated) are not kept; their clients are posted again on
 * resume with the same task counter, so with one task in flight a resumed run trains the same
 * tasks from the same models as an uninterrupted one.
 */
export interface FederatedCheckpoint {
  /** The job's id (a checkpoint resumes only the same job). */
  job: string;
  /** The run that wrote it. */
  run: string;
  /** The model's version = aggregations done. */
  version: number;
  model: Float64Array;
  /** Each client's next task counter. */
  rounds: number[];
  /** The order in which the clients are posted on resume (a permutation of 0..M−1). */
  order: number[];
  updates: FederatedUpdate[];
  stats: FederatedAsyncStats;
  rejects: string[];
}

export interface FederatedAggregation {
  /** Aggregation index n (the model is now version n + 1). */
  n: number;
  clients: number[];
  staleness: number[];
  model: Float64Array;
}

/** One aggregated update. */
export interface FederatedUpdate {
  client: number;
  round: number;
  /** The model version the client read. */
  read: number;
  /** The aggregation it entered (the model before it was version `aggregation`). */
  aggregation: number;
  /** aggregation − read. */
  staleness: number;
  worker: string;
  /** Computed by a worker that reclaimed the task from another. */
  reclaimed: boolean;
}

export interface FederatedAsyncStats {
  posted: number;
  accepted: number;
  /** Malformed or inconsistent updates refused (their reasons are in `rejects`). */
  rejected: number;
  /** Updates refused for staleness above maxStaleness (the client restarts). */
  stale: number;
  /** Second deliveries of a task already aggregated. */
  duplicates: number;
  /** Accepted updates computed on a reclaimed task. */
  reclaimed: number;
  bytesIn: number;
  bytesOut: number;
  /** Redis outages survived (a restart, a dropped connection). */
  outages: number;
  /** Tasks posted again after an outage because the server had lost them (a restart without persistence). */
  reposted: number;
}

export interface FederatedAsyncResult {
  run: string;
  job: string;
  model: Float64Array;
  aggregations: number;
  updates: FederatedUpdate[];
  /** histogram[τ] = number of aggregated updates with staleness τ. */
  stalenessHistogram: number[];
  stats: FederatedAsyncStats;
  rejects: string[];
}

/**
 * Runs asynchronous federated optimisation with clients served by `descent worker`s (see the
 * header): async (buffer 1) or FedBuff-c (buffer c) with the weights d_i given, until
 * `aggregations` aggregations are done. Fails with a message naming the cause when a worker
 * cannot build the population, or when no update arrives for `timeoutMs`.
 * @example
 * const res = await runFederatedAsync({ url, job, x0, weights: d, lrG: 0.5, aggregate: federatedAggregate, aggregations: 200 });
 */
export async function runFederatedAsync(o: FederatedAsyncOptions): Promise<FederatedAsyncResult> {
  const fn = 'runFederatedAsync';
  const { job } = o;
  const M = job.clients, P = job.size;
  const arg = (name: string, expected: string, got: unknown) => new RangeError(`${fn}: expected ${expected} for '${name}' but received ${String(got).slice(0, 60)}`);
  // The job must be one a worker accepts (its own checks, with every kind known).
  const id = federatedJobId(job);
  try { parseFederatedJob(JSON.stringify(job), id, [job.population?.kind ?? '']); } catch (e) { throw new TypeError(`${fn}: invalid 'job': ${(e as Error).message}`); }
  if (o.x0.length !== P) throw arg('x0', `${P} values (the job's size)`, o.x0.length);
  if (o.weights.length !== M) throw arg('weights', `one weight per client (${M})`, o.weights.length);
  for (let i = 0; i < M; i++) if (!Number.isFinite(o.weights[i]!)) throw arg(`weights[${i}]`, 'a finite number', o.weights[i]);
  if (!(Number.isFinite(o.lrG) && o.lrG >= 0)) throw arg('lrG', 'a number ≥ 0', o.lrG);
  if (typeof o.aggregate !== 'function') throw new TypeError(`${fn}: expected a function for 'aggregate' (federatedAggregate) but received ${typeof o.aggregate}`);
  if (!(Number.isSafeInteger(o.aggregations) && o.aggregations >= 0)) throw arg('aggregations', 'an integer ≥ 0', o.aggregations);
  const c = o.buffer ?? 1, K = o.concurrency ?? M;
  if (!(Number.isSafeInteger(c) && c >= 1 && c <= M)) throw arg('buffer', `an integer in [1, ${M}]`, c);
  if (!(Number.isSafeInteger(K) && K >= c && K <= M)) throw arg('concurrency', `an integer in [buffer = ${c}, clients = ${M}]`, K);
  const maxStale = o.maxStaleness ?? Infinity;
  if (!(maxStale === Infinity || (Number.isSafeInteger(maxStale) && maxStale >= 0))) throw arg('maxStaleness', 'an integer ≥ 0', maxStale);
  const run = o.run ?? digest(id, randomBytes(32));
  if (!/^[0-9a-f]{64}$/.test(run)) throw arg('run', '64 hex digits', run);
  const ttl = o.ttlMs ?? 24 * 3600_000, timeout = o.timeoutMs ?? 600_000, noticeMs = o.noticeMs ?? 30_000, retryMs = o.retryMs ?? 60_000;
  if (!(retryMs >= 0)) throw arg('retryMs', 'a number ≥ 0', retryMs);
  const log = o.log ?? (() => undefined);
  const k = federatedKeys(o.prefix);
  const where = redactUrl(o.url);
  const r: Redis = connectRedis(o.url, `descent-fed-aggregator-${run.slice(0, 8)}`, o.redisOptions);
  const blocking: Redis = connectRedis(o.url, `descent-fed-aggregator-wait-${run.slice(0, 8)}`, o.redisOptions);
  // A dropped connection may hide a restart that no command saw fail (ioredis reconnects and
  // replays): the loop then checks what the server kept (recover()) before it goes on.
  let dropped = false;
  const onClose = () => { dropped = true; };
  r.on('close', onClose);
  blocking.on('close', onClose);
  const cp = o.resume;
  if (cp !== undefined) {
    const bad = (what: string, got: unknown) => new TypeError(`${fn}: invalid 'resume' checkpoint: expected ${what} but received ${String(got).slice(0, 60)}`);
    if (cp.job !== id) throw bad(`job ${id.slice(0, 12)} (this run's)`, String(cp.job).slice(0, 12));
    if (!(cp.model instanceof Float64Array) || cp.model.length !== P) throw bad(`a Float64Array model of ${P} values`, cp.model?.length);
    if (!(Number.isSafeInteger(cp.version) && cp.version >= 0)) throw bad('a version ≥ 0', cp.version);
    if (!Array.isArray(cp.rounds) || cp.rounds.length !== M || !cp.rounds.every((v) => Number.isSafeInteger(v) && v >= 0)) throw bad(`${M} task counters ≥ 0`, cp.rounds);
    if (!Array.isArray(cp.order) || cp.order.length !== M || new Set(cp.order).size !== M || !cp.order.every((v) => Number.isSafeInteger(v) && v >= 0 && v < M)) throw bad(`a permutation of 0..${M - 1}`, cp.order);
    if (!Array.isArray(cp.updates) || cp.updates.length < cp.version) throw bad(`at least ${cp.version} update records`, cp.updates?.length);
    if (o.run === cp.run) throw bad('another run id than the checkpoint\'s', cp.run);
  }
  // A checkpoint written before a counter existed resumes it from 0.
  const stats: FederatedAsyncStats = { posted: 0, accepted: 0, rejected: 0, stale: 0, duplicates: 0, reclaimed: 0, bytesIn: 0, bytesOut: 0, outages: 0, reposted: 0, ...cp?.stats };
  const rejects: string[] = cp ? [...cp.rejects] : [];
  const updates: FederatedUpdate[] = cp ? cp.updates.map((u) => ({ ...u })) : [];
  const hist: number[] = [];
  for (const u of updates) hist[u.staleness] = (hist[u.staleness] ?? 0) + 1;

  let x: Float64Array = cp ? Float64Array.from(cp.model) : Float64Array.from(o.x0);
  let version = cp ? cp.version : 0;
  const history = new Map<number, Float64Array>([[version, x]]);
  const rounds = cp ? Int32Array.from(cp.rounds) : new Int32Array(M);
  /** In-flight tasks by client (one at most per client): its round, the version when posted, its stream entry. */
  const inflight = new Map<number, { round: number; posted: number; entry: string }>();
  const idle: number[] = cp ? [...cp.order] : Array.from({ length: M }, (_, i) => i);
  const every = o.checkpoint?.every ?? Infinity, everyMs = (o.checkpoint?.seconds ?? Infinity) * 1000;
  let savedAt = version, savedTime = Date.now();
  const buffered: { client: number; round: number; read: number; end: Float32Array | Float64Array; worker: string; reclaimed: boolean }[] = [];

  const writeModel = async () => {
    const blob = encodeModel(run, version, x);
    await r.set(k.model(run), blob, 'PX', ttl);
    stats.bytesOut += blob.length;
  };
  /** Adds client `client`'s task `round` to the task stream in `pipe`. */
  const addTask = (pipe: ReturnType<Redis['pipeline']>, client: number, round: number) =>
    pipe.xadd(k.tasks, 'MAXLEN', '~', '100000', '*', ...federatedTaskFields({ proto: FED_PROTOCOL, kind: job.population.kind, job: id, run, client, round, size: P, dtype: job.dtype }));
  const post = async () => {
    const pipe = r.pipeline();
    const posted: number[] = [];
    while (inflight.size + posted.length < K && idle.length > 0) {
      const client = idle.shift()!;
      posted.push(client);
      addTask(pipe, client, rounds[client]!);
    }
    if (posted.length === 0) return;
    try {
      const res = await pipe.exec();
      if (!res) throw new Error('the pipeline was not executed');
      for (const [err] of res) if (err) throw err;
      posted.forEach((client, j) => inflight.set(client, { round: rounds[client]!++, posted: version, entry: res[j]![1] as string }));
    } catch (e) {
      // Redis failed: the clients wait to be posted again under the same task counters (a task
      // that did reach the stream then has a twin; the second update is dropped as a duplicate).
      idle.unshift(...posted);
      throw e;
    }
    stats.posted += posted.length;
  };
  const prune = () => {
    let oldest = version;
    for (const t of inflight.values()) oldest = Math.min(oldest, t.posted);
    for (const b of buffered) oldest = Math.min(oldest, b.read);
    for (const v of history.keys()) if (v < oldest) history.delete(v);
  };
  const reject = async (entry: string, reason: string) => {
    stats.rejected++;
    rejects.push(reason);
    log(`${fn}: rejected update ${entry}: ${reason}`);
    await recordReject(r, k, `aggregator ${run.slice(0, 12)}`, `update ${entry}`, reason);
  };

  /** Validates one updates-stream entry; accepts it into the buffer, or rejects it with the reason. */
  async function take(entry: string, fields: Buffer[]): Promise<void> {
    const f = new Map<string, Buffer>();
    for (let i = 0; i + 1 < fields.length; i += 2) f.set(fields[i]!.toString('latin1'), fields[i + 1]!);
    const blob = f.get('blob');
    const worker = (f.get('worker')?.toString('utf8') ?? '?').slice(0, 100);
    let u;
    try {
      if (fields.length % 2 !== 0 || !blob) throw new ProtocolError('no blob field');
      u = decodeUpdate(blob, { run, size: P, dtype: job.dtype });
      if (u.client >= M) throw new ProtocolError(`unknown client ${u.client} (the job has ${M})`);
      const t = inflight.get(u.client);
      if (!t || t.round !== u.round) {
        if (u.round < rounds[u.client]!) {
          stats.duplicates++;
          log(`${fn}: dropped a second delivery of client ${u.client}'s task ${u.round} (from ${worker})`);
          return;
        }
        throw new ProtocolError(`client ${u.client} has no task ${u.round} (never posted)`);
      }
      if (u.version > version) throw new ProtocolError(`version ${u.version} from the future (the model is at ${version})`);
      if (!history.has(u.version)) throw new ProtocolError(`stale version ${u.version}: its model is no longer kept (task posted at ${t.posted})`);
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw new Halt(e);
      await reject(entry, e.message);
      return;
    }
    stats.bytesIn += blob.length;
    inflight.delete(u.client);
    const tau = version - u.version;
    if (tau > maxStale) {
      stats.stale++;
      rejects.push(`client ${u.client} task ${u.round}: staleness ${tau} > maxStaleness ${maxStale}`);
      log(`${fn}: refused client ${u.client}'s update: staleness ${tau} > ${maxStale}; it restarts from version ${version}`);
      idle.push(u.client);
      return;
    }
    stats.accepted++;
    if (u.reclaimed) stats.reclaimed++;
    buffered.push({ client: u.client, round: u.round, read: u.version, end: u.data, worker, reclaimed: u.reclaimed });
  }

  async function aggregateBuffer(): Promise<void> {
    const parts = buffered.splice(0, c).sort((a, b) => a.client - b.client);
    const n = version;
    x = await own(() => o.aggregate(x, parts.map((p) => ({ end: p.end, start: p.read === n ? undefined : history.get(p.read)!, weight: o.weights[p.client]! })), o.lrG));
    version = n + 1;
    history.set(version, x);
    for (const p of parts) {
      const tau = n - p.read;
      updates.push({ client: p.client, round: p.round, read: p.read, aggregation: n, staleness: tau, worker: p.worker, reclaimed: p.reclaimed });
      hist[tau] = (hist[tau] ?? 0) + 1;
      idle.push(p.client);
    }
    // The callbacks and the checkpoint first: a Redis failure on the model write below leaves a consistent state (the recovery writes the model again).
    await own(() => o.onAggregate?.({ n, clients: parts.map((p) => p.client), staleness: parts.map((p) => n - p.read), model: x }));
    if (o.checkpoint && (version - savedAt >= every || Date.now() - savedTime >= everyMs || version === o.aggregations)) await own(saveCheckpoint);
    await writeModel();
  }

  /** The state to resume from: in-flight and buffered clients go first, posted again with the task counters they hold now. */
  async function saveCheckpoint(): Promise<void> {
    const next = Array.from(rounds);
    const order: number[] = [];
    for (const [client, t] of inflight) { next[client] = t.round; order.push(client); }
    for (const b of buffered) { next[b.client] = b.round; order.push(b.client); }
    order.push(...idle);
    await o.checkpoint!.save({ job: id, run, version, model: Float64Array.from(x), rounds: next, order, updates: updates.map((u) => ({ ...u })), stats: { ...stats }, rejects: [...rejects] });
    savedAt = version;
    savedTime = Date.now();
  }

  let lastId = '0-0';
  /**
   * After an outage: the job, the model and the group written again (a restart without
   * persistence lost them), the updates stream read from its start if it is new, and each
   * in-flight task that is no longer on the task stream posted again with its task counter.
   * A task that survived (persistence) is left alone: its pending entry or its update is there.
   */
  async function recover(): Promise<void> {
    await r.set(k.job(id), JSON.stringify(job), 'PX', ttl);
    await writeModel();
    await ensureGroup(r, k);
    if ((await r.exists(k.updates(run))) === 0) lastId = '0-0';
    const lost: number[] = [];
    for (const [client, t] of inflight) if ((await r.xrange(k.tasks, t.entry, t.entry)).length === 0) lost.push(client);
    if (lost.length === 0) return;
    const pipe = r.pipeline();
    for (const client of lost) addTask(pipe, client, inflight.get(client)!.round);
    const res = await pipe.exec();
    if (!res) throw new Error('the pipeline was not executed');
    for (const [err] of res) if (err) throw err;
    lost.forEach((client, j) => { inflight.get(client)!.entry = res[j]![1] as string; });
    stats.reposted += lost.length;
    log(`${fn}: posted again the tasks of clients ${lost.join(', ')}, lost by the server`);
  }

  try {
    await r.set(k.job(id), JSON.stringify(job), 'PX', ttl);
    await r.del(k.updates(run), k.fail(run));
    // A resumed run withdraws the old run's model: workers holding its tasks reject them ("has no model").
    if (cp) await r.del(k.model(cp.run), k.updates(cp.run), k.fail(cp.run));
    await writeModel();
    await ensureGroup(r, k);
    log(`${fn}: run ${run.slice(0, 12)} of job ${id.slice(0, 12)} on ${where}: ${M} ${job.population.kind} clients, buffer ${c}, ${K} in flight${cp ? `; resumed at version ${version} from run ${cp.run.slice(0, 12)}` : ''}`);
    if (version < o.aggregations) await post();
    let lastUpdate = Date.now(), lastNotice = Date.now();
    const outage = outageClock(fn, where, retryMs, log, () => stats.outages++);
    while (version < o.aggregations && !o.signal?.aborted) {
      try {
        if (dropped || outage.down) {
          if (dropped) outage.suspect(`${fn}: the connection to Redis at ${where} dropped; checking what the server kept`);
          dropped = false;
          await recover();
          log(`${fn}: Redis at ${where} is back after ${outage.back()} s; the run goes on at version ${version}`);
          lastUpdate = Date.now();
        }
        if (version >= o.aggregations) break;
        await post();
        const res = await blocking.xreadBuffer('COUNT', 64, 'BLOCK', 500, 'STREAMS', k.updates(run), lastId) as [Buffer, [Buffer, Buffer[]][]][] | null;
        const entries = res?.[0]?.[1] ?? [];
        if (entries.length === 0) {
          const failure = await r.get(k.fail(run));
          if (failure) throw new Halt(new Error(`${fn}: a worker cannot serve run ${run.slice(0, 12)}: ${failure}`));
          // The model key is the sentinel of the server's data: gone means a restart lost it (and the tasks).
          if ((await r.exists(k.model(run))) === 0) throw new Error('the run\'s model is gone from the server (a restart without persistence?)');
          const now = Date.now();
          if (now - lastUpdate > timeout) throw new Halt(new Error(`${fn}: no update arrived for ${Math.round((now - lastUpdate) / 1000)} s (${inflight.size} tasks in flight); are workers running? 'descent worker --redis ${where}'`));
          if (now - lastNotice > noticeMs) { lastNotice = now; log(`${fn}: waiting for ${inflight.size} clients (are workers running? 'descent worker --redis ${where}')`); }
          continue;
        }
        lastUpdate = Date.now();
        const ids: string[] = [];
        for (const [eid, fields] of entries) {
          lastId = eid.toString('latin1');
          ids.push(lastId);
          if (version >= o.aggregations) continue;
          await take(lastId, fields);
          while (buffered.length >= c && version < o.aggregations) await aggregateBuffer();
          prune();
          if (version < o.aggregations) await post();
        }
        await r.xdel(k.updates(run), ...ids);
      } catch (e) {
        if (e instanceof Halt) throw e.cause;
        // A Redis failure (the server restarted or unreachable): reported once, retried until retryMs.
        outage.failed(e, `the run stopped at version ${version}${o.checkpoint ? ' (resume it from its last checkpoint when Redis is back)' : ''}`);
        await sleep(250);
      }
    }
  } finally {
    // Tasks still queued are withdrawn, and the model deleted: a worker that already holds one rejects it ("finished").
    try {
      const pending = [...inflight.values()].map((t) => t.entry);
      const pipe = r.pipeline();
      if (pending.length > 0) pipe.xdel(k.tasks, ...pending);
      pipe.del(k.model(run), k.updates(run));
      await pipe.exec();
    } catch { /* Redis gone: the keys expire */ }
    r.off('close', onClose);
    blocking.off('close', onClose);
    r.disconnect();
    blocking.disconnect();
  }
  for (let t = 0; t < hist.length; t++) hist[t] ??= 0;
  return { run, job: id, model: x, aggregations: version, updates, stalenessHistogram: hist, stats, rejects };
}
