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
// Delivery is at least once (a worker killed mid-task leaves its task pending; another worker
// reclaims it with XAUTOCLAIM after the visibility timeout); aggregation is exactly once per
// task: an update for a task already aggregated is a duplicate and dropped. Every message is
// validated before use; a malformed one (wrong size, dtype, unknown client, unknown task, a
// version from the future or older than the oldest model kept) is rejected with a logged
// reason, counted and recorded on `<prefix>:rejects`. Nothing from the queue is evaluated.
//
// Not bit-reproducible across runs in general (which worker reads which version depends on
// timing), except where timing cannot matter: one task in flight (`concurrency: 1`), or
// FedBuff with c = concurrency = M (every client restarts from the same new model: FedAvg).

import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { digest, ProtocolError } from './protocol.js';
import {
  checkFederatedTask, decodeModel, decodeUpdate, encodeModel, encodeUpdate, FED_PROTOCOL, federatedJobId, federatedKeys, federatedTaskFields, parseFederatedJob, parseFederatedTask,
} from './federated-protocol.js';
import type { FederatedJob, FederatedKeys, FederatedTask } from './federated-protocol.js';
import { connectRedis, heartbeat, redactUrl, sleep } from './redis.js';
import type { Redis, RedisOptions } from './redis.js';

/** A population's local training (structurally the algorithm layer's ClientTrainer). */
export interface FederatedTrainer {
  readonly size: number;
  train(starts: Float64Array, tasks: readonly { client: number; round: number; version: number }[], seed: number): Promise<Float32Array | Float64Array>;
  dispose?(): void;
}

/** Builds the trainer of a job's population (verifying its data); throws with the reason when it cannot. */
export type FederatedTrainerFactory = (job: FederatedJob) => FederatedTrainer | Promise<FederatedTrainer>;

/** The aggregation x ← x + η_g Σ d_i (x_i − x^{ρ_i}) (the algorithm layer's `federatedAggregate`). */
export type FederatedAggregate = (x: Float64Array, parts: readonly { end: ArrayLike<number>; start?: ArrayLike<number>; weight: number }[], lrG: number) => Float64Array;

async function ensureGroup(r: Redis, k: FederatedKeys): Promise<void> {
  try {
    await r.xgroup('CREATE', k.tasks, k.group, '0', 'MKSTREAM');
  } catch (e) {
    if (!String((e as Error).message).includes('BUSYGROUP')) throw e;
  }
}

async function recordReject(r: Redis, k: FederatedKeys, who: string, what: string, reason: string): Promise<void> {
  await r.pipeline().lpush(k.rejects, JSON.stringify({ at: new Date().toISOString(), by: who, message: what, reason })).ltrim(k.rejects, 0, 999).exec();
}

// ─── Worker ───

export interface FederatedWorkerOptions {
  url: string;
  /** Trainer factories by population kind: the only kinds this worker serves. */
  trainers: Readonly<Record<string, FederatedTrainerFactory>>;
  /** Consumer name (default: host-pid). */
  name?: string;
  prefix?: string;
  /** Reclaim tasks pending (unacknowledged) longer than this (default 60 s; must exceed one local training). */
  visibilityMs?: number;
  /** Expiry of the updates stream a worker writes to (default 24 h). */
  ttlMs?: number;
  /** Populations kept built (least recently used dropped; default 2). */
  cacheJobs?: number;
  log?: (line: string) => void;
  signal?: AbortSignal;
  redisOptions?: RedisOptions;
  /** Fault injection for tests: sleep this long after claiming each task (and reading the model), before training. */
  stallMs?: number;
}

export interface FederatedWorkerStats {
  /** Updates written. */
  served: number;
  /** Tasks rejected (malformed, unknown kind or job, finished run). */
  rejected: number;
  /** Tasks taken over from another worker after the visibility timeout. */
  reclaimed: number;
  /** Populations built. */
  loads: number;
  /** Tasks whose population could not be built here (reported to the aggregator). */
  failed: number;
}

/**
 * Serves federated local-training tasks until `signal` aborts (see the header). The local
 * training runs on this event loop (a quadratic client takes microseconds, a small MLP client
 * milliseconds); the visibility timeout only has to exceed one client's training.
 * @example
 * await runFederatedWorker({ url: 'redis://127.0.0.1:6379', trainers: federatedTrainers(backend), signal });
 */
export async function runFederatedWorker(o: FederatedWorkerOptions): Promise<FederatedWorkerStats> {
  const k = federatedKeys(o.prefix);
  const name = o.name ?? `${hostname()}-${process.pid}`;
  const visibility = o.visibilityMs ?? 60_000, ttl = o.ttlMs ?? 24 * 3600_000, cacheMax = o.cacheJobs ?? 2;
  const log = o.log ?? (() => undefined);
  const kinds = Object.keys(o.trainers);
  const where = redactUrl(o.url);
  const r: Redis = connectRedis(o.url, `descent-fed-worker-${name}`, o.redisOptions);
  const stats: FederatedWorkerStats = { served: 0, rejected: 0, reclaimed: 0, loads: 0, failed: 0 };
  const jobs = new Map<string, FederatedJob>();
  const trainers = new Map<string, FederatedTrainer>();
  const me = `descent worker ${name}`;

  const reject = async (entryId: string, reason: string) => {
    stats.rejected++;
    log(`${me}: rejected federated task ${entryId}: ${reason}`);
    await recordReject(r, k, `worker ${name}`, `federated task ${entryId}`, reason);
    await r.xack(k.tasks, k.group, entryId);
  };

  async function trainerFor(id: string, job: FederatedJob): Promise<FederatedTrainer> {
    let t = trainers.get(id);
    if (t) { trainers.delete(id); trainers.set(id, t); return t; }
    t = await o.trainers[job.population.kind]!(job);
    if (t.size !== job.size) { t.dispose?.(); throw new Error(`the ${job.population.kind} population has ${t.size} parameters here but the job says ${job.size}`); }
    stats.loads++;
    log(`${me}: built the ${job.population.kind} population of federated job ${id.slice(0, 12)} (${job.clients} clients, ${job.size} parameters)`);
    trainers.set(id, t);
    while (trainers.size > cacheMax) { const [old, tr] = trainers.entries().next().value as [string, FederatedTrainer]; tr.dispose?.(); trainers.delete(old); }
    return t;
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
    // The emulated compute time, in slices with a heartbeat between them (redis.ts heartbeat:
    // the task's idle time is reset while this worker still owns it), so that a delay longer
    // than the visibility timeout is not taken for a dead worker.
    let delay = job.delayMs?.[t.client] ?? 0;
    while (delay > 0 && !o.signal?.aborted) {
      const slice = Math.min(delay, visibility / 4);
      await sleep(slice);
      delay -= slice;
      if (delay > 0 && (await heartbeat(r, k, name, entryId)) !== 'held') {
        log(`${me}: federated task ${entryId} was taken over by another worker (or withdrawn); dropped`);
        return;
      }
    }
    let end: Float32Array | Float64Array;
    try {
      const trainer = await trainerFor(t.job, job);
      end = await trainer.train(model.x, [{ client: t.client, round: t.round, version: model.version }], job.seed);
      const want = job.dtype === 'float64' ? Float64Array : Float32Array;
      if (!(end instanceof want) || end.length !== job.size) throw new Error(`the trainer returned ${end.constructor.name}(${end.length}), not ${job.dtype}(${job.size})`);
    } catch (e) {
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
    const blob = encodeUpdate({ run: t.run, version: model.version, client: t.client, round: t.round, reclaimed, data: end });
    // The update and the acknowledgement in one transaction: a worker killed before it leaves the task pending.
    const res = await r.multi().xadd(k.updates(t.run), 'MAXLEN', '~', '100000', '*', 'task', entryId, 'worker', name, 'blob', blob)
      .pexpire(k.updates(t.run), ttl).xack(k.tasks, k.group, entryId).exec();
    if (!res) throw new Error('the transaction was not executed');
    for (const [err] of res) if (err) throw err;
    stats.served++;
  }

  log(`${me}: taking federated ${kinds.join(', ')} tasks from ${where}`);
  let grouped = false, down = false;
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
      if (!down) log(`${me}: Redis at ${where} failed (${(e as Error).message}); retrying`);
      down = true;
      grouped = false;
      await sleep(500);
    }
  }
  for (const t of trainers.values()) t.dispose?.();
  r.disconnect();
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
  /** Fail when no update has arrived for this long (default 10 min). */
  timeoutMs?: number;
  /** Wait notices every this many ms (default 30 s). */
  noticeMs?: number;
  log?: (line: string) => void;
  /** After each aggregation (the model: copy what you keep). */
  onAggregate?: (info: FederatedAggregation) => void | Promise<void>;
  signal?: AbortSignal;
  redisOptions?: RedisOptions;
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
  const ttl = o.ttlMs ?? 24 * 3600_000, timeout = o.timeoutMs ?? 600_000, noticeMs = o.noticeMs ?? 30_000;
  const log = o.log ?? (() => undefined);
  const k = federatedKeys(o.prefix);
  const where = redactUrl(o.url);
  const r: Redis = connectRedis(o.url, `descent-fed-aggregator-${run.slice(0, 8)}`, o.redisOptions);
  const blocking: Redis = connectRedis(o.url, `descent-fed-aggregator-wait-${run.slice(0, 8)}`, o.redisOptions);
  const stats: FederatedAsyncStats = { posted: 0, accepted: 0, rejected: 0, stale: 0, duplicates: 0, reclaimed: 0, bytesIn: 0, bytesOut: 0 };
  const rejects: string[] = [];
  const updates: FederatedUpdate[] = [];
  const hist: number[] = [];

  let x: Float64Array = Float64Array.from(o.x0);
  let version = 0;
  const history = new Map<number, Float64Array>([[0, x]]);
  const rounds = new Int32Array(M);
  /** In-flight tasks by client (one at most per client): its round, the version when posted, its stream entry. */
  const inflight = new Map<number, { round: number; posted: number; entry: string }>();
  const idle: number[] = Array.from({ length: M }, (_, i) => i);
  const buffered: { client: number; round: number; read: number; end: Float32Array | Float64Array; worker: string; reclaimed: boolean }[] = [];

  const writeModel = async () => {
    const blob = encodeModel(run, version, x);
    await r.set(k.model(run), blob, 'PX', ttl);
    stats.bytesOut += blob.length;
  };
  const post = async () => {
    const pipe = r.pipeline();
    const posted: number[] = [];
    while (inflight.size + posted.length < K && idle.length > 0) {
      const client = idle.shift()!;
      posted.push(client);
      pipe.xadd(k.tasks, 'MAXLEN', '~', '100000', '*', ...federatedTaskFields({ proto: FED_PROTOCOL, kind: job.population.kind, job: id, run, client, round: rounds[client]!, size: P, dtype: job.dtype }));
    }
    if (posted.length === 0) return;
    const res = await pipe.exec();
    if (!res) throw new Error('the pipeline was not executed');
    posted.forEach((client, j) => {
      const [err, entry] = res[j]!;
      if (err) throw err;
      inflight.set(client, { round: rounds[client]!++, posted: version, entry: entry as string });
    });
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
      if (!(e instanceof ProtocolError)) throw e;
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
    x = o.aggregate(x, parts.map((p) => ({ end: p.end, start: p.read === n ? undefined : history.get(p.read)!, weight: o.weights[p.client]! })), o.lrG);
    version = n + 1;
    history.set(version, x);
    for (const p of parts) {
      const tau = n - p.read;
      updates.push({ client: p.client, round: p.round, read: p.read, aggregation: n, staleness: tau, worker: p.worker, reclaimed: p.reclaimed });
      hist[tau] = (hist[tau] ?? 0) + 1;
      idle.push(p.client);
    }
    await writeModel();
    await o.onAggregate?.({ n, clients: parts.map((p) => p.client), staleness: parts.map((p) => n - p.read), model: x });
  }

  try {
    await r.set(k.job(id), JSON.stringify(job), 'PX', ttl);
    await r.del(k.updates(run), k.fail(run));
    await writeModel();
    await ensureGroup(r, k);
    log(`${fn}: run ${run.slice(0, 12)} of job ${id.slice(0, 12)} on ${where}: ${M} ${job.population.kind} clients, buffer ${c}, ${K} in flight`);
    if (o.aggregations > 0) await post();
    let lastId = '0-0', lastUpdate = Date.now(), lastNotice = Date.now();
    while (version < o.aggregations && !o.signal?.aborted) {
      const res = await blocking.xreadBuffer('COUNT', 64, 'BLOCK', 500, 'STREAMS', k.updates(run), lastId) as [Buffer, [Buffer, Buffer[]][]][] | null;
      const entries = res?.[0]?.[1] ?? [];
      if (entries.length === 0) {
        const failure = await r.get(k.fail(run));
        if (failure) throw new Error(`${fn}: a worker cannot serve run ${run.slice(0, 12)}: ${failure}`);
        const now = Date.now();
        if (now - lastUpdate > timeout) throw new Error(`${fn}: no update arrived for ${Math.round((now - lastUpdate) / 1000)} s (${inflight.size} tasks in flight); are workers running? 'descent worker --redis ${where}'`);
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
    r.disconnect();
    blocking.disconnect();
  }
  for (let t = 0; t < hist.length; t++) hist[t] ??= 0;
  return { run, job: id, model: x, aggregations: version, updates, stalenessHistogram: hist, stats, rejects };
}
