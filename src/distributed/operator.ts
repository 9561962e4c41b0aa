// The coordinator's side of a distributed curvature operator: V ↦ M·V = Σ_s w_s M_s·V with
// the shards' products M_s·V computed by workers (`runWorker`) over Redis.
//
// One call: the block V is written once under a key named by its version (a digest of the
// job and the vectors' bytes, so the same vectors always have the same key); one task per
// shard goes onto the task stream (only for shards whose partial is not stored yet: a
// coordinator rerun after a kill reuses the partials already there); the workers write
// each partial once (SET NX) and signal it; the coordinator reads the S partials, checks
// that each belongs to this version, shard and size (a stale or malformed one is deleted,
// logged and its task sent again — never summed), and sums them IN SHARD ORDER with the
// weights w_s = rows_s / rows, by the same float32 ops as the in-process operator's batch
// sum (weightedSum). The result therefore does not depend on which worker finished first,
// and equals the in-process operator's with batch size ⌈rows/S⌉ bit for bit (same backend).
//
// Faults: a Redis error (server down, restarted) is reported once on the log, and the call
// starts over (rewriting the job, the block and the missing tasks, which a restart without
// persistence has lost) until `retryMs` of continuous failure, then it fails with a message
// naming the server. A worker that cannot load its shard reports it under a fail key and
// the call fails with its message.

import type { Backend } from '../backend/ops.js';
import { weightedSum } from '../autodiff/operator.js';
import { tensor } from '../ops/creation.js';
import { contiguous, transpose } from '../ops/views.js';
import { Tensor } from '../tensor.js';
import { blockVersion, decodePartial, digest, encodeBlock, jobId, keys, ProtocolError, PROTOCOL, taskFields, WIRE_DTYPE } from './protocol.js';
import type { CurvatureJob, Keys, Partial } from './protocol.js';
import { connectRedis, ensureGroup, outageClock, redactUrl, sleep } from './redis.js';
import type { Redis, RedisOptions } from './redis.js';

export interface DistributedOperatorOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://...`. */
  url: string;
  job: CurvatureJob;
  /** Backend of the results (the in-process operator's backend, for equal results). */
  backend: Backend;
  /** Key prefix (default 'descent'). */
  prefix?: string;
  /** Give up after Redis has failed for this long without a break (default 60 s). */
  retryMs?: number;
  /** Stored keys (job, blocks, partials) expire after this long (default 24 h). */
  ttlMs?: number;
  /** Log lines (progress of waits, outages, rejected partials). */
  log?: (line: string) => void;
  /** Wait notices every this many ms while shards are outstanding (default 30 s). */
  noticeMs?: number;
  /** Extra ioredis options (e.g. `{ tls: { ca } }` for a private CA with rediss://). */
  redisOptions?: RedisOptions;
}

export interface DistributedStats {
  /** Operator calls (products of blocks) and loss evaluations served. */
  calls: number;
  /** Shard tasks put on the stream (re-sends included). */
  enqueued: number;
  /** Partials found already stored when a call began (a rerun's reuse). */
  reused: number;
  /** Partials refused (stale, wrong size) and recomputed. */
  refused: number;
  /** Bytes written (blocks) and read (partials). */
  bytesOut: number;
  bytesIn: number;
  /** Redis outages survived. */
  outages: number;
}

export interface DistributedOperator {
  readonly size: number;
  readonly id: string;
  readonly stats: DistributedStats;
  /** M·V for V [n] or [n, b] (float32); the result has V's shape (a transposed view of [b, n] rows). */
  apply(V: Tensor): Promise<Tensor>;
  /** The weighted loss Σ_s w_s L_s, as a scalar tensor (the shards' losses, summed in shard order). */
  value(): Promise<Tensor>;
  /** Closes the connections. */
  close(): Promise<void>;
}

/**
 * Connects to Redis and returns the operator of `job` served by workers; see the header.
 * @example
 * const op = distributedOperator({ url: 'redis://127.0.0.1:6379', job, backend });
 * const MV = await op.apply(V);   // V [n, b]
 */
export function distributedOperator(o: DistributedOperatorOptions): DistributedOperator {
  const fn = 'distributedOperator';
  const { job, backend } = o;
  const id = jobId(job);
  const jobText = JSON.stringify(job);
  const k: Keys = keys(o.prefix);
  const retryMs = o.retryMs ?? 60_000, ttl = o.ttlMs ?? 24 * 3600_000, noticeMs = o.noticeMs ?? 30_000;
  const log = o.log ?? (() => undefined);
  const where = redactUrl(o.url);
  const r: Redis = connectRedis(o.url, `descent-coordinator-${id.slice(0, 8)}`, o.redisOptions);
  const blocking: Redis = connectRedis(o.url, `descent-coordinator-wait-${id.slice(0, 8)}`, o.redisOptions);
  const S = job.ranges.length, n = job.n;
  const stats: DistributedStats = { calls: 0, enqueued: 0, reused: 0, refused: 0, bytesOut: 0, bytesIn: 0, outages: 0 };
  let closed = false;
  let failCleared = false;

  /** Runs one call to completion: the S partials of `version`, in shard order. */
  async function gather(op: 'apply' | 'value', version: string, b: number, block: Buffer | null): Promise<Partial[]> {
    const outage = outageClock(fn, where, retryMs, log, () => stats.outages++);
    let first = true;
    for (;;) {
      if (closed) throw new Error(`${fn}: the operator was closed`);
      try {
        const got = await attempt(op, version, b, block, first);
        if (outage.back() !== null) log(`${fn}: Redis at ${where} is back; the call was resumed`);
        return got;
      } catch (e) {
        if (e instanceof ProtocolError) { first = false; continue; }
        if (e instanceof WorkerFailure) throw e;
        outage.failed(e, 'the job stopped at its last checkpoint: rerun the same command when Redis is back');
        first = false;
        await sleep(250);
      }
    }
  }

  async function attempt(op: 'apply' | 'value', version: string, b: number, block: Buffer | null, first: boolean): Promise<Partial[]> {
    if (first) await ensureGroup(r, k);
    // A failure reported to an earlier run of this job (since fixed, e.g. the data copied) must not stop this one.
    if (!failCleared) { await r.del(`${k.job(id)}:fail`); failCleared = true; }
    const partKeys = Array.from({ length: S }, (_, s) => k.partial(id, version, s));
    // One round trip: the job (once), the block (once), which partials are stored already.
    const pipe = r.pipeline().set(k.job(id), jobText, 'PX', ttl, 'NX');
    if (block) pipe.set(k.block(id, version), block, 'PX', ttl, 'NX');
    for (const x of partKeys) pipe.exists(x);
    const res = await pipe.exec();
    if (!res) throw new Error('the pipeline was not executed');
    for (const [err] of res) if (err) throw err;
    if (block && res[1]![1] === 'OK') stats.bytesOut += block.length;
    const present = res.slice(block ? 2 : 1).map(([, x]) => x === 1);
    const missing = present.flatMap((p, s) => (p ? [] : [s]));
    if (first) stats.reused += S - missing.length;
    if (missing.length > 0) {
      if (!first) await ensureGroup(r, k);
      const add = r.pipeline();
      for (const s of missing) add.xadd(k.tasks, 'MAXLEN', '~', '100000', '*', ...taskFields({ proto: PROTOCOL, kind: job.kind, op, job: id, shard: s, version, n, b, dtype: WIRE_DTYPE }));
      const added = await add.exec();
      for (const [err] of added ?? []) if (err) throw err;
      stats.enqueued += missing.length;
    }
    // Wait for the missing shards: a worker pushes the shard's number on the done list after writing it.
    const outstanding = new Set(missing);
    let lastNotice = Date.now();
    while (outstanding.size > 0) {
      const popped = await blocking.blpop(k.done(id, version), 1);
      if (popped) outstanding.delete(Number(popped[1]));
      if (popped && outstanding.size > 0) continue;
      // Recheck by the keys themselves (a notice may have been lost in a restart).
      for (const s of [...outstanding]) if ((await r.exists(partKeys[s]!)) === 1) outstanding.delete(s);
      if (outstanding.size === 0) break;
      const failure = await r.get(`${k.job(id)}:fail`);
      if (failure) throw new WorkerFailure(`${fn}: a worker failed on job ${id.slice(0, 12)}: ${failure}`);
      // A restart without persistence loses the block and the tasks: start the call over.
      if (block && (await r.exists(k.block(id, version))) === 0) throw new Error(`the block ${version.slice(0, 12)} is gone from Redis (a restart without persistence?)`);
      if (Date.now() - lastNotice > noticeMs) {
        lastNotice = Date.now();
        log(`${fn}: waiting for shards ${[...outstanding].join(', ')} of ${S} (are workers running? 'descent worker --redis ${where}')`);
      }
    }
    const bufs = await r.mgetBuffer(...partKeys);
    const parts: Partial[] = [];
    for (let s = 0; s < S; s++) {
      const buf = bufs[s];
      if (!buf) throw new Error(`the partial of shard ${s} vanished before it was read`);
      try {
        parts.push(decodePartial(buf, { op, shard: s, version, n: op === 'apply' ? n : 1, b }));
        stats.bytesIn += buf.length;
      } catch (e) {
        if (!(e instanceof ProtocolError)) throw e;
        stats.refused++;
        log(`${fn}: refused the partial of shard ${s}: ${e.message}; it is deleted and recomputed`);
        await r.del(partKeys[s]!);
        throw e;
      }
    }
    // Done: the block and partials are not needed again (a rerun starts from the checkpoint after this call).
    await r.del(...partKeys, k.done(id, version), ...(block ? [k.block(id, version)] : []));
    return parts;
  }

  const sum = (parts: Partial[], shape: number[]) =>
    weightedSum(parts.map((p) => tensor(p.data, shape, { backend })), job.weights);

  return {
    size: n, id, stats,
    async apply(V: Tensor): Promise<Tensor> {
      if (!(V instanceof Tensor)) throw new TypeError(`${fn}.apply: expected a Tensor for 'V' but received ${typeof V}`);
      if (V.dtype !== 'float32') throw new TypeError(`${fn}.apply: expected a float32 tensor for 'V' but received ${V.dtype}`);
      const one = V.rank === 1;
      if (!(one ? V.shape[0] === n : V.rank === 2 && V.shape[0] === n && V.shape[1]! >= 1)) {
        throw new RangeError(`${fn}.apply: expected shape [${n}] or [${n}, b] (b ≥ 1) for 'V' but received [${V.shape.join(', ')}]`);
      }
      const b = one ? 1 : V.shape[1]!;
      const rowsT = one ? V : contiguous(transpose(V));
      const rows = (await rowsT.data() as Float32Array).slice();
      if (rowsT !== V) rowsT.dispose();
      const version = blockVersion(id, rows, b);
      stats.calls++;
      const parts = await gather('apply', version, b, encodeBlock({ version, n, b, rows }));
      const total = sum(parts, one ? [n] : [b, n]);
      return one ? total : transpose(total);
    },
    async value(): Promise<Tensor> {
      stats.calls++;
      const parts = await gather('value', digest(id, 'value'), 0, null);
      return sum(parts, []);
    },
    async close() {
      closed = true;
      r.disconnect();
      blocking.disconnect();
    },
  };
}

/** A worker's report that it cannot serve the job (its message is the reason). */
class WorkerFailure extends Error {
  override name = 'WorkerFailure';
}
