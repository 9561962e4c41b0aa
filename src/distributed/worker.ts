// The worker's side: a long-lived loop that takes shard tasks from the Redis Stream (consumer
// group 'workers'), computes each shard's product on the shard it loaded once, and writes
// the partial once (SET NX: a duplicate delivery writes nothing new).
//
// Delivery is at least once: a task is acknowledged (XACK) only after its partial is stored,
// so a worker killed mid-task leaves it pending; any worker reclaims tasks pending longer
// than the visibility timeout (XAUTOCLAIM) before reading new ones. Every message is
// validated (protocol.ts) before use; a malformed or stale one is logged with its reason,
// recorded on the capped list `<prefix>:rejects`, acknowledged and dropped. Nothing from the
// queue is evaluated: a task names a job by its digest, the job is data (file names, sizes,
// hashes), and only the job kinds this worker was given loaders for are served.
//
// The event loop: a product on the cpu backend runs synchronously (the native kernels), so
// the worker's Redis traffic pauses for the length of one shard product. Nothing depends on
// traffic during a product: there is no heartbeat to miss, since liveness is the pending
// entry's idle time, and the visibility timeout (default 60 s) only has to exceed one
// shard's product (milliseconds to seconds; make shards smaller, not the timeout larger,
// when one takes longer). Between tasks the loop yields, so reclaims and reads flow.

import type { Backend } from '../backend/ops.js';
import { tensor } from '../ops/creation.js';
import { contiguous, transpose } from '../ops/views.js';
import type { Tensor } from '../tensor.js';
import { checkTask, decodeBlock, encodePartial, keys, parseJob, parseTask, ProtocolError } from './protocol.js';
import type { CurvatureJob, Keys, Task } from './protocol.js';
import { connectRedis, ensureGroup, redactUrl, sleep } from './redis.js';
import type { Redis, RedisOptions } from './redis.js';

/** One shard's curvature operator, loaded once per (job, shard). */
export interface ShardServer {
  /** The order n (checked against the job's). */
  readonly n: number;
  /** M_s·V for V [n, b]. */
  apply(V: Tensor): Tensor | Promise<Tensor>;
  /** The shard's loss (a scalar tensor the server keeps). */
  value(): Tensor;
  dispose(): void;
}

/** Loads shard `shard` of a job (verifying its rows' content hash); throws with the reason when it cannot. */
export type ShardLoader = (job: CurvatureJob, shard: number) => ShardServer | Promise<ShardServer>;

export interface WorkerOptions {
  url: string;
  backend: Backend;
  /** Loaders by job kind: the only kinds this worker serves. */
  loaders: Readonly<Record<string, ShardLoader>>;
  /** Consumer name (default: host-pid). */
  name?: string;
  prefix?: string;
  /** Reclaim tasks pending (unacknowledged) longer than this (default 60 s). */
  visibilityMs?: number;
  /** Expiry of the partials written (default 24 h). */
  ttlMs?: number;
  /** Shards kept loaded (least recently used dropped; default 8). */
  cacheShards?: number;
  log?: (line: string) => void;
  signal?: AbortSignal;
  /** Extra ioredis options (e.g. `{ tls: { ca } }` for a private CA with rediss://). */
  redisOptions?: RedisOptions;
  /** Fault injection for tests: sleep this long after claiming each task, before computing it. */
  stallMs?: number;
}

export interface WorkerStats {
  served: number;
  duplicates: number;
  rejected: number;
  reclaimed: number;
  loads: number;
}

/** Serves tasks until `signal` aborts; see the header. Resolves with what it did. */
export async function runWorker(o: WorkerOptions): Promise<WorkerStats> {
  const k: Keys = keys(o.prefix);
  const name = o.name ?? `${(await import('node:os')).hostname()}-${process.pid}`;
  const visibility = o.visibilityMs ?? 60_000, ttl = o.ttlMs ?? 24 * 3600_000, cacheMax = o.cacheShards ?? 8;
  const log = o.log ?? (() => undefined);
  const kinds = Object.keys(o.loaders);
  const r: Redis = connectRedis(o.url, `descent-worker-${name}`, o.redisOptions);
  const stats: WorkerStats = { served: 0, duplicates: 0, rejected: 0, reclaimed: 0, loads: 0 };
  const jobs = new Map<string, CurvatureJob>();
  const shards = new Map<string, ShardServer>();
  const where = redactUrl(o.url);
  let down = false;

  const reject = async (id: string, reason: string) => {
    stats.rejected++;
    log(`descent worker ${name}: rejected task ${id}: ${reason}`);
    await r.lpush(k.rejects, JSON.stringify({ at: new Date().toISOString(), worker: name, task: id, reason }));
    await r.ltrim(k.rejects, 0, 999);
  };

  async function shardServer(jobKey: string, job: CurvatureJob, shard: number): Promise<ShardServer> {
    const key = `${jobKey}:${shard}`;
    let s = shards.get(key);
    if (s) { shards.delete(key); shards.set(key, s); return s; }
    s = await o.loaders[job.kind]!(job, shard);
    if (s.n !== job.n) { s.dispose(); throw new Error(`shard ${shard} has order ${s.n} here but the job says ${job.n}`); }
    stats.loads++;
    log(`descent worker ${name}: loaded shard ${shard} of job ${jobKey.slice(0, 12)} (rows ${job.ranges[shard]![0]}–${job.ranges[shard]![1]})`);
    shards.set(key, s);
    while (shards.size > cacheMax) { const [old, srv] = shards.entries().next().value as [string, ShardServer]; srv.dispose(); shards.delete(old); }
    return s;
  }

  async function handle(entryId: string, fields: string[]): Promise<void> {
    let t: Task;
    let job: CurvatureJob;
    try {
      t = parseTask(fields, kinds);
      let cached = jobs.get(t.job);
      if (!cached) {
        const text = await r.get(k.job(t.job));
        if (text === null) throw new ProtocolError(`job ${t.job.slice(0, 12)} is not stored (expired or never written)`);
        cached = parseJob(text, t.job, kinds);
        jobs.set(t.job, cached);
      }
      job = cached;
      checkTask(t, job);
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      await reject(entryId, e.message);
      await r.xack(k.tasks, k.group, entryId);
      return;
    }
    const partKey = k.partial(t.job, t.version, t.shard);
    if ((await r.exists(partKey)) === 1) {
      stats.duplicates++;
      await r.rpush(k.done(t.job, t.version), String(t.shard));
      await r.xack(k.tasks, k.group, entryId);
      return;
    }
    let rows: Float32Array | null = null;
    if (t.op === 'apply') {
      const buf = await r.getBuffer(k.block(t.job, t.version));
      try {
        if (!buf) throw new ProtocolError(`block ${t.version.slice(0, 12)} is not stored (its call finished, or expired)`);
        rows = decodeBlock(buf, t).rows;
      } catch (e) {
        if (!(e instanceof ProtocolError)) throw e;
        await reject(entryId, e.message);
        await r.xack(k.tasks, k.group, entryId);
        return;
      }
    }
    if (o.stallMs) await sleep(o.stallMs);
    let out: Float32Array;
    try {
      const srv = await shardServer(t.job, job, t.shard);
      if (t.op === 'apply') {
        const V = transpose(tensor(rows!, [t.b, t.n], { backend: o.backend }));
        const R = await srv.apply(V);
        const Rt = contiguous(transpose(R));
        out = (await Rt.data() as Float32Array).slice();
        Rt.dispose(); R.dispose(); V.dispose();
      } else {
        out = (await srv.value().data() as Float32Array).slice();
      }
    } catch (e) {
      // The job cannot be served here (a missing file, other data): the coordinator is told and stops with this message.
      const msg = `worker ${name}, shard ${t.shard}: ${(e as Error).message}`;
      log(`descent worker ${name}: cannot serve job ${t.job.slice(0, 12)}: ${(e as Error).message}`);
      await r.set(`${k.job(t.job)}:fail`, msg, 'PX', ttl);
      await r.xack(k.tasks, k.group, entryId);
      return;
    }
    const blob = encodePartial({ op: t.op, shard: t.shard, version: t.version, n: t.op === 'apply' ? t.n : 1, b: t.b, data: out });
    // One round trip: the partial (once), the notice, the acknowledgement, in this order.
    const res = await r.multi().set(partKey, blob, 'PX', ttl, 'NX').rpush(k.done(t.job, t.version), String(t.shard))
      .pexpire(k.done(t.job, t.version), ttl).xack(k.tasks, k.group, entryId).exec();
    if (!res) throw new Error('the transaction was not executed');
    for (const [err] of res) if (err) throw err;
    if (res[0]![1] === 'OK') stats.served++; else stats.duplicates++;
  }

  log(`descent worker ${name}: serving ${kinds.join(', ')} tasks from ${where} (backend ${o.backend.name})`);
  let grouped = false;
  while (!o.signal?.aborted) {
    try {
      if (!grouped) { await ensureGroup(r, k); grouped = true; }
      // Tasks a dead (or stalled) worker left pending past the visibility timeout first.
      const claimed = await r.xautoclaim(k.tasks, k.group, name, visibility, '0-0', 'COUNT', 1) as [string, [string, string[]][], string[]?];
      let entry = claimed[1]?.find((e) => e && Array.isArray(e[1]));
      if (entry) stats.reclaimed++;
      if (!entry) {
        const res = await r.xreadgroup('GROUP', k.group, name, 'COUNT', 1, 'BLOCK', 1000, 'STREAMS', k.tasks, '>') as [string, [string, string[]][]][] | null;
        entry = res?.[0]?.[1]?.[0];
      }
      if (down) { log(`descent worker ${name}: Redis at ${where} is back`); down = false; }
      if (entry) await handle(entry[0], entry[1]);
    } catch (e) {
      if (!down) log(`descent worker ${name}: Redis at ${where} failed (${(e as Error).message}); retrying`);
      down = true;
      grouped = false; // a restart without persistence loses the group (NOGROUP)
      await sleep(500);
    }
  }
  for (const s of shards.values()) s.dispose();
  r.disconnect();
  return stats;
}
