// `descent worker --redis URL`: a long-lived worker serving distributed jobs' shard tasks
// (src/distributed/worker.ts): for a `descent spectrum --redis URL --shards S` job it loads
// the job's model and its shard of the data once (the files named by the job, found on this
// machine and checked against the job's content hashes) and serves products M_s·V on it.
// Stops on SIGINT/SIGTERM after the task in hand. docs/distributed.md is the guide.

import '../backends.js';
import { hostname } from 'node:os';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend, useBackend } from '../backend/backend.js';
import type { BackendName } from '../backend/ops.js';
import { runWorker } from '../distributed/index.js';
import { runFederatedWorker } from '../distributed/federated.js';
import { federatedTrainers } from './federated.js';
import { backendChoices, helpText, parseOptions } from './args.js';
import type { OptionSpecs } from './args.js';
import { loadCurvatureShard } from './spectrum-distributed.js';

const WORKER_OPTIONS = {
  redis: { kind: 'string', arg: 'URL', nonEmpty: true, help: 'the Redis server: redis://[user:password@]host:port[/db], or rediss://... for TLS (required)' },
  backend: { kind: 'choice', choices: backendChoices, default: 'auto', help: 'backend of the products (the coordinator\'s, for bit-identical results)' },
  name: { kind: 'string', arg: 'NAME', nonEmpty: true, help: 'consumer name in the group (default: host-pid)' },
  prefix: { kind: 'string', arg: 'P', nonEmpty: true, default: 'descent', help: 'key prefix shared with the coordinator' },
  visibility: { kind: 'number', arg: 'SECONDS', positive: true, default: 10, help: 'reclaim a task whose worker has not heartbeaten for this long (heartbeats every SECONDS/4 while a task is in hand)' },
  compute: { kind: 'choice', choices: () => ['thread', 'main'], default: 'thread', help: 'where shard loads and products, and federated population builds and local training, run: compute threads (heartbeats flow during them) or the main thread (--visibility must then exceed one product or training)' },
  'cache-shards': { kind: 'int', arg: 'K', min: 1, max: 4096, default: 8, help: 'shards kept loaded (least recently used dropped)' },
  quiet: { kind: 'flag', help: 'no log lines' },
} as const satisfies OptionSpecs;

export const HELP = helpText('descent worker --redis URL [options]',
  'Serves the shard tasks of distributed jobs (descent spectrum --redis URL --shards S) from a\n'
  + 'Redis Stream consumer group: loads each job\'s model and data shard once and computes its\n'
  + 'products. Run one per core group or machine; stop with Ctrl-C. It also serves the\n'
  + 'local-training tasks of federated runs (descent federated --redis URL).', WORKER_OPTIONS);

/** Runs the worker until SIGINT/SIGTERM; returns the exit code. */
export async function workerCommand(argv: string[]): Promise<number> {
  const p = parseOptions('worker', WORKER_OPTIONS, argv);
  if (p === 'help') {
    console.log(HELP);
    return 0;
  }
  const v = p.values;
  if (v.redis === undefined) {
    console.error('descent worker: --redis URL is required (see descent worker --help)');
    return 2;
  }
  const backend = await initBackend(v.backend as BackendName | 'auto');
  await useBackend(backend);
  const stop = new AbortController();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => stop.abort());
  // Fault injection for the tests (a worker that stalls after claiming a task, to be killed mid-task).
  const stall = Number(process.env.DESCENT_WORKER_STALL_MS ?? 0);
  // Federated local-training tasks (descent federated) are served beside the shard tasks, from their own stream.
  // With --compute thread (the default) population builds and local training run on a compute thread that imports federated.ts's federatedTrainers by URL.
  const fedLoop = runFederatedWorker({
    url: v.redis, ...(v.compute === 'main' ? { trainers: federatedTrainers(backend.name as BackendName) }
      : { trainerModule: new URL(`./federated${extname(fileURLToPath(import.meta.url))}`, import.meta.url), backend: backend.name }),
    name: v.name ?? `${hostname()}-${process.pid}`, prefix: v.prefix,
    visibilityMs: v.visibility * 1000, signal: stop.signal, ...(Number.isFinite(stall) && stall > 0 ? { stallMs: stall } : {}),
    log: v.quiet ? () => undefined : (line) => console.error(line),
  });
  // A federated loop that fails (its compute thread died) stops the curvature loop too; its error is thrown below.
  fedLoop.catch(() => stop.abort());
  const stats = await runWorker({
    url: v.redis, backend,
    // The compute thread imports the loaders by URL: worker-loaders.ts here, .js in dist/.
    ...(v.compute === 'main' ? { loaders: { curvature: loadCurvatureShard(backend) } }
      : { loaderModule: new URL(`./worker-loaders${extname(fileURLToPath(import.meta.url))}`, import.meta.url) }),
    name: v.name ?? `${hostname()}-${process.pid}`, prefix: v.prefix, visibilityMs: v.visibility * 1000, cacheShards: v['cache-shards'],
    signal: stop.signal, ...(Number.isFinite(stall) && stall > 0 ? { stallMs: stall } : {}),
    log: v.quiet ? () => undefined : (line) => console.error(line),
  }).catch(async (e: unknown) => {
    // The compute thread died: stop the federated loop too, so the process exits with the reason.
    stop.abort();
    await fedLoop.catch(() => undefined);
    throw e;
  });
  const fed = await fedLoop;
  if (!v.quiet) console.error(`descent worker: federated: ${fed.served} updates, ${fed.reclaimed} reclaimed, ${fed.rejected} rejected, ${fed.failed} failed, ${fed.loads} populations built`);
  if (!v.quiet) console.error(`descent worker: stopped (${stats.served} tasks served, ${stats.duplicates} duplicates, ${stats.reclaimed} reclaimed, ${stats.rejected} rejected, ${stats.loads} shard loads, ${stats.heartbeats} heartbeats, longest ${stats.maxIdleMs} ms without one)`);
  return 0;
}
