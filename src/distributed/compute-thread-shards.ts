// A worker's shard computations — loading a job's shard once (model, data, content hash) and
// computing its products M_s·V and its loss — as one object, ShardCompute, that runs either
// on the worker's main thread or, through this module's handlers, in a compute thread
// (compute-thread.ts; worker.ts starts it with startComputeThread(this module)).
//
// Handlers (in a compute thread):
//   init({ backend, loaderModule, loaderOptions, cacheShards, stallMs }) — initialises the
//     backend by name in the thread (each thread owns its tensors and, for cpu, its addon
//     instance) and imports `loaderModule`, whose export `shardLoaders(backend, loaderOptions)`
//     gives the loaders by job kind (a module URL, since functions cannot cross threads);
//   kinds() — the job kinds served;
//   product(jobKey, job, task, rows) — rows: the block as b rows of n (moved, not copied);
//     returns { data, loaded } with data moved back;
//   dispose() — drops the loaded shards.
//
// Fault injection (`stallMs`, tests only): each task stalls this long before its product —
// in a thread synchronously (Atomics.wait: the thread is as busy as in a long native
// product), on the main thread asynchronously (as before the compute thread existed).

import { isMainThread } from 'node:worker_threads';
import { initBackend, useBackend } from '../backend/backend.js';
import type { Backend } from '../backend/ops.js';
import { tensor } from '../ops/creation.js';
import { contiguous, transpose } from '../ops/views.js';
import { transferable } from './compute-thread.js';
import type { CurvatureJob, Task } from './protocol.js';
import type { ShardLoader, ShardServer } from './worker.js';

/** One task's result: the partial's values (b rows of n, or the loss) and whether the shard had to be loaded for it. */
export interface ShardProduct {
  data: Float32Array;
  /** Set when this task loaded the shard (for the worker's log and counts). */
  loaded: boolean;
}

export interface ShardComputeOptions {
  backend: Backend;
  loaders: Readonly<Record<string, ShardLoader>>;
  /** Shards kept loaded (least recently used dropped). */
  cacheShards: number;
  stallMs?: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Loaded shards (an LRU cache) and their products; see the header. */
export class ShardCompute {
  private readonly shards = new Map<string, ShardServer>();
  constructor(private readonly o: ShardComputeOptions) {}

  kinds(): string[] {
    return Object.keys(this.o.loaders);
  }

  private async server(jobKey: string, job: CurvatureJob, shard: number): Promise<{ s: ShardServer; loaded: boolean }> {
    const key = `${jobKey}:${shard}`;
    const have = this.shards.get(key);
    if (have) { this.shards.delete(key); this.shards.set(key, have); return { s: have, loaded: false }; }
    const loader = this.o.loaders[job.kind];
    if (!loader) throw new Error(`no loader for job kind '${job.kind}' (this worker serves ${this.kinds().join(', ')})`);
    const s = await loader(job, shard);
    if (s.n !== job.n) { s.dispose(); throw new Error(`shard ${shard} has order ${s.n} here but the job says ${job.n}`); }
    this.shards.set(key, s);
    while (this.shards.size > this.o.cacheShards) {
      const [old, srv] = this.shards.entries().next().value as [string, ShardServer];
      srv.dispose();
      this.shards.delete(old);
    }
    return { s, loaded: true };
  }

  /** The task's product on its shard (loading the shard if needed): `rows` is the block (b rows of n) for 'apply', null for 'value'. */
  async product(jobKey: string, job: CurvatureJob, t: Pick<Task, 'op' | 'shard' | 'n' | 'b'>, rows: Float32Array | null): Promise<ShardProduct> {
    const { s, loaded } = await this.server(jobKey, job, t.shard);
    if (this.o.stallMs) {
      if (isMainThread) await sleep(this.o.stallMs);
      else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, this.o.stallMs);
    }
    if (t.op === 'value') return { data: (await s.value().data() as Float32Array).slice(), loaded };
    if (!rows || rows.length !== t.n * t.b) throw new RangeError(`ShardCompute.product: expected ${t.b} rows of ${t.n} values for 'rows' but received ${rows?.length ?? 'none'}`);
    const V = transpose(tensor(rows, [t.b, t.n], { backend: this.o.backend }));
    const R = await s.apply(V);
    const Rt = contiguous(transpose(R));
    const data = (await Rt.data() as Float32Array).slice();
    Rt.dispose(); R.dispose(); V.dispose();
    return { data, loaded };
  }

  dispose(): void {
    for (const s of this.shards.values()) s.dispose();
    this.shards.clear();
  }
}

// ---- the compute thread's handlers -------------------------------------------------------

/** init()'s argument (structured-cloneable). */
export interface ShardThreadInit {
  backend: string;
  loaderModule: string;
  loaderOptions?: unknown;
  cacheShards: number;
  stallMs?: number;
}

/** What a loader module exports for a compute thread: the loaders by job kind on `backend`. */
export type ShardLoadersFactory = (backend: Backend, options?: unknown) => Readonly<Record<string, ShardLoader>>;

let here: ShardCompute | null = null;

const need = (): ShardCompute => {
  if (!here) throw new Error('compute-thread-shards: init() has not run');
  return here;
};

export async function init(o: ShardThreadInit): Promise<void> {
  await import('../backends.js'); // this thread's backend registry (each thread has its own module instances)
  const backend = await initBackend(o.backend as Parameters<typeof initBackend>[0]);
  await useBackend(backend);
  const mod = await import(o.loaderModule) as { shardLoaders?: ShardLoadersFactory };
  if (typeof mod.shardLoaders !== 'function') {
    throw new TypeError(`compute-thread-shards: expected the module ${o.loaderModule} to export a function shardLoaders(backend, options) but it exports ${Object.keys(mod).join(', ') || 'nothing'}`);
  }
  const loaders = mod.shardLoaders(backend, o.loaderOptions);
  here = new ShardCompute({ backend, loaders, cacheShards: o.cacheShards, ...(o.stallMs ? { stallMs: o.stallMs } : {}) });
}

export function kinds(): string[] {
  return need().kinds();
}

export async function product(jobKey: string, job: CurvatureJob, t: Pick<Task, 'op' | 'shard' | 'n' | 'b'>, rows: Float32Array | null): Promise<ShardProduct> {
  const p = await need().product(jobKey, job, t, rows);
  return transferable(p, [p.data.buffer as ArrayBuffer]);
}

export function dispose(): void {
  here?.dispose();
}
