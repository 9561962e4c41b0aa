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
// Heavy work runs off the event loop. Design: a compute thread (compute-thread.ts; its
// handlers in compute-thread-shards.ts) loads the shard servers and computes the products,
// the block's rows moving to it and the partial moving back as transferred ArrayBuffers;
// the main thread does all Redis I/O. Chosen over the reverse (Redis on a thread, compute on
// main) because the heavy part is the one that is self-contained — (job, shard, rows) in,
// values out — while the Redis side is stateful (one connection, the consumer group, the
// pending entry, reconnects) and has to keep moving; and because a thread that computes can
// be terminated at once on shutdown while a product is in flight. The loaders reach the
// thread as a module URL (`loaderModule`, exporting `shardLoaders(backend, options)`), since
// functions cannot cross threads; the thread initialises its own backend by name (the cpu
// addon is context aware and loads per thread; webgpu/Dawn also initialises in a thread).
// The sums are the same code on the same backend, so results are bit-identical to the
// main-thread path. `loaders` (functions) instead of `loaderModule` keeps the computation
// on the main thread (in-process embedding, tests): then a synchronous product blocks the
// loop, heartbeats pause, and the visibility timeout must exceed one product.
//
// Heartbeats: from the moment a task is claimed until it is acknowledged, the worker resets
// its pending entry's idle time every `heartbeatMs` (default visibility/4) with an atomic
// XPENDING-then-XCLAIM-to-itself (JUSTID) script (redis.ts `heartbeat`): only while it still
// owns the entry, so a late heartbeat never takes a task back from a worker that reclaimed
// it. Other workers reclaim only entries idle longer than the visibility timeout (default
// 10 s), so a task that takes minutes (a slow shard load, a long product) stays with its
// live worker, while a killed worker's heartbeats stop and its task is reclaimed
// (XAUTOCLAIM) one timeout later. A worker that finds its task lost (its heartbeats were
// late) logs it and still finishes: the partial is written with SET NX, so the duplicate is
// harmless. One task is in hand at a time: while it is computed the main thread heartbeats
// it but claims nothing new, so a slow worker does not hoard tasks that idle workers could
// take. If the compute thread itself dies (out of memory), runWorker rejects with the
// reason and its task is reclaimed by another worker after the timeout.

import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Backend } from '../backend/ops.js';
import type { Tensor } from '../tensor.js';
import { startComputeThread } from './compute-thread.js';
import { ShardCompute } from './compute-thread-shards.js';
import type { ShardProduct, ShardThreadInit } from './compute-thread-shards.js';
import { checkTask, decodeBlock, encodePartial, keys, parseJob, parseTask, ProtocolError } from './protocol.js';
import type { CurvatureJob, Keys, Task } from './protocol.js';
import { connectRedis, ensureGroup, heartbeat, redactUrl, sleep } from './redis.js';
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
  /** The products' backend (in compute-thread mode the thread initialises the backend of this name). */
  backend: Backend;
  /**
   * A module (file URL) exporting `shardLoaders(backend, loaderOptions)` → loaders by job
   * kind: loads and products then run in a compute thread, and heartbeats flow during them
   * (see the header). Give this or `loaders`.
   */
  loaderModule?: string | URL;
  /** Passed to the loader module's `shardLoaders` (structured-cloneable). */
  loaderOptions?: unknown;
  /** Loaders by job kind, run on this (the main) thread: a synchronous product pauses heartbeats. Give this or `loaderModule`. */
  loaders?: Readonly<Record<string, ShardLoader>>;
  /** Consumer name (default: host-pid). */
  name?: string;
  prefix?: string;
  /** Reclaim tasks whose holder has not heartbeaten for this long (default 10 s). */
  visibilityMs?: number;
  /** Heartbeat period on the task in hand (default visibilityMs/4). */
  heartbeatMs?: number;
  /** Expiry of the partials written (default 24 h). */
  ttlMs?: number;
  /** Shards kept loaded (least recently used dropped; default 8). */
  cacheShards?: number;
  log?: (line: string) => void;
  signal?: AbortSignal;
  /** Extra ioredis options (e.g. `{ tls: { ca } }` for a private CA with rediss://). */
  redisOptions?: RedisOptions;
  /** Fault injection for tests: each task stalls this long before its product (in the compute thread: blocking it). */
  stallMs?: number;
}

export interface WorkerStats {
  served: number;
  duplicates: number;
  rejected: number;
  reclaimed: number;
  loads: number;
  /** Heartbeats that reset the idle time of the task in hand. */
  heartbeats: number;
  /** Tasks found reclaimed by another worker while this one held them (late heartbeats). */
  lost: number;
  /** The longest time the task in hand went without a reset of its idle time (claim or heartbeat), in ms. */
  maxIdleMs: number;
}

/** Where a worker's shard products run: see the header. */
interface Compute {
  readonly kinds: string[];
  readonly alive: boolean;
  product(jobKey: string, job: CurvatureJob, t: Task, rows: Float32Array | null): Promise<ShardProduct>;
  close(): Promise<void>;
}

async function openCompute(o: WorkerOptions, cacheShards: number): Promise<Compute> {
  if ((o.loaders === undefined) === (o.loaderModule === undefined)) {
    throw new TypeError(`runWorker: expected exactly one of 'loaders' (main thread) and 'loaderModule' (compute thread) but received ${o.loaders ? 'both' : 'neither'}`);
  }
  if (o.loaders) {
    const local = new ShardCompute({ backend: o.backend, loaders: o.loaders, cacheShards, ...(o.stallMs ? { stallMs: o.stallMs } : {}) });
    return {
      kinds: local.kinds(), alive: true,
      product: (jobKey, job, t, rows) => local.product(jobKey, job, t, rows),
      close: async () => local.dispose(),
    };
  }
  // The handlers' module next to this one, in the same form (.ts under tsx, .js in dist/).
  const here = import.meta.url;
  const handlers = new URL(`./compute-thread-shards${extname(fileURLToPath(here))}`, here);
  const init: ShardThreadInit = {
    backend: o.backend.name, loaderModule: String(o.loaderModule), cacheShards,
    ...(o.loaderOptions !== undefined ? { loaderOptions: o.loaderOptions } : {}), ...(o.stallMs ? { stallMs: o.stallMs } : {}),
  };
  const ct = await startComputeThread(handlers, init, { name: 'descent worker compute thread' });
  const kinds = await ct.call<string[]>('kinds');
  return {
    kinds,
    get alive() { return ct.alive; },
    product: (jobKey, job, t, rows) => {
      const task = { op: t.op, shard: t.shard, n: t.n, b: t.b };
      return ct.call<ShardProduct>('product', [jobKey, job, task, rows], rows ? [rows.buffer as ArrayBuffer] : []);
    },
    async close() {
      // Drop the shards unless a product is still running (a stall, a shutdown mid-product): terminate then.
      if (ct.alive && ct.pending === 0) {
        await Promise.race([ct.call('dispose').catch(() => undefined), sleep(2000)]);
      }
      await ct.close();
    },
  };
}

/** Serves tasks until `signal` aborts; see the header. Resolves with what it did (rejects if the compute thread dies). */
export async function runWorker(o: WorkerOptions): Promise<WorkerStats> {
  const k: Keys = keys(o.prefix);
  const name = o.name ?? `${(await import('node:os')).hostname()}-${process.pid}`;
  const visibility = o.visibilityMs ?? 10_000, ttl = o.ttlMs ?? 24 * 3600_000, cacheMax = o.cacheShards ?? 8;
  const beatMs = o.heartbeatMs ?? Math.max(10, Math.floor(visibility / 4));
  if (!(visibility > 0)) throw new RangeError(`runWorker: expected visibilityMs > 0 but received ${visibility}`);
  if (!(beatMs > 0 && beatMs < visibility)) throw new RangeError(`runWorker: expected 0 < heartbeatMs < visibilityMs (${visibility}) but received ${beatMs}`);
  const log = o.log ?? (() => undefined);
  const compute = await openCompute(o, cacheMax);
  const kinds = compute.kinds;
  const r: Redis = connectRedis(o.url, `descent-worker-${name}`, o.redisOptions);
  const stats: WorkerStats = { served: 0, duplicates: 0, rejected: 0, reclaimed: 0, loads: 0, heartbeats: 0, lost: 0, maxIdleMs: 0 };
  const jobs = new Map<string, CurvatureJob>();
  const where = redactUrl(o.url);
  let down = false;

  const reject = async (id: string, reason: string) => {
    stats.rejected++;
    log(`descent worker ${name}: rejected task ${id}: ${reason}`);
    await r.lpush(k.rejects, JSON.stringify({ at: new Date().toISOString(), worker: name, task: id, reason }));
    await r.ltrim(k.rejects, 0, 999);
  };

  /** Heartbeats on entry `id` (claimed now) until the returned function is called. */
  function hold(id: string): () => void {
    let last = Date.now(), stopped = false, busy = false;
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
          stats.lost++;
          log(`descent worker ${name}: task ${id} was reclaimed by another worker (no heartbeat for ${Date.now() - last} ms, visibility ${visibility} ms); finishing it anyway (its partial is written once)`);
        }
      }, () => undefined /* an outage: the loop reports it */).finally(() => { busy = false; });
    }, beatMs);
    return () => { if (!stopped) idle(); stopped = true; clearInterval(timer); };
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
    let out: Float32Array;
    try {
      const p = await compute.product(t.job, job, t, rows);
      if (p.loaded) {
        stats.loads++;
        log(`descent worker ${name}: loaded shard ${t.shard} of job ${t.job.slice(0, 12)} (rows ${job.ranges[t.shard]![0]}–${job.ranges[t.shard]![1]})`);
      }
      out = p.data;
    } catch (e) {
      if (!compute.alive) throw new ComputeDied((e as Error).message);
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

  log(`descent worker ${name}: serving ${kinds.join(', ')} tasks from ${where} (backend ${o.backend.name}, ${o.loaderModule ? 'products on a compute thread' : 'products on the main thread'}, visibility ${visibility} ms, heartbeat ${beatMs} ms)`);
  let grouped = false;
  let fatal: Error | null = null;
  while (!o.signal?.aborted) {
    try {
      if (!grouped) { await ensureGroup(r, k); grouped = true; }
      // Tasks a dead worker left pending past the visibility timeout first.
      const claimed = await r.xautoclaim(k.tasks, k.group, name, visibility, '0-0', 'COUNT', 1) as [string, [string, string[]][], string[]?];
      let entry = claimed[1]?.find((e) => e && Array.isArray(e[1]));
      if (entry) stats.reclaimed++;
      if (!entry) {
        const res = await r.xreadgroup('GROUP', k.group, name, 'COUNT', 1, 'BLOCK', 1000, 'STREAMS', k.tasks, '>') as [string, [string, string[]][]][] | null;
        entry = res?.[0]?.[1]?.[0];
      }
      if (down) { log(`descent worker ${name}: Redis at ${where} is back`); down = false; }
      if (entry) {
        const release = hold(entry[0]);
        try {
          await handle(entry[0], entry[1]);
        } finally {
          release();
        }
      }
    } catch (e) {
      if (e instanceof ComputeDied) { fatal = new Error(`runWorker ${name}: the compute thread died (${e.message}); the task in hand is reclaimed by another worker after ${visibility} ms`); break; }
      if (!down) log(`descent worker ${name}: Redis at ${where} failed (${(e as Error).message}); retrying`);
      down = true;
      grouped = false; // a restart without persistence loses the group (NOGROUP)
      await sleep(500);
    }
  }
  await compute.close();
  r.disconnect();
  if (fatal) { log(fatal.message); throw fatal; }
  return stats;
}

class ComputeDied extends Error {}
