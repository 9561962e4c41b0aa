// The worker's heartbeats and compute thread (src/distributed/worker.ts) against a real
// redis-server: the heartbeat script resets only its owner's entry; a shard load and a
// product that each take longer than the visibility timeout (a busy compute thread) are not
// reclaimed by an idle second worker and are computed exactly once, with the in-process
// result bit for bit, while the worker's event loop keeps ticking; the same product on the
// main thread (`loaders`) blocks the loop for its whole length (what the compute thread removes).

import test from 'ava';
import { initBackend, useBackend } from '../../src/backend/backend.js';
import type { Backend } from '../../src/backend/ops.js';
import { connectRedis, distributedOperator, ensureGroup, keys, runWorker } from '../../src/distributed/index.js';
import type { WorkerStats } from '../../src/distributed/index.js';
import { heartbeat } from '../../src/distributed/redis.js';
import { curvatureJob } from '../../src/cli/spectrum-distributed.js';
import { DEFAULTS } from '../../src/cli/spectrum-options.js';
import type { SpectrumOptions } from '../../src/cli/spectrum-options.js';
import { buildProblem, loadData, loadModel } from '../../src/cli/spectrum-setup.js';
import { tensor } from '../../src/ops/creation.js';
import { inCI, redisMissing, startRedis } from '../helpers/redis.js';
import type { RedisServer } from '../helpers/redis.js';
import { shardLoaders } from './worker-slow-loaders.js';
import '../../src/backends.js';

const missing = redisMissing();
const rtest = missing && !inCI ? test.skip : test.serial;
const title = (s: string) => (missing && !inCI ? `${s} (skipped: ${missing})` : s);

const SLOW = new URL('./worker-slow-loaders.ts', import.meta.url);
const SAMPLES = 24;
const opts: SpectrumOptions = {
  ...DEFAULTS, model: '784-12-10:relu', data: 'reference', samples: SAMPLES, backend: 'cpu', out: 'unused', fresh: false, quiet: true, matrix: 'ggn',
};

let server: RedisServer | null = null;
test.after.always(async () => { await server?.stop(); });
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function setup(shards: number) {
  const backend = await initBackend('cpu');
  await useBackend(backend);
  server ??= await startRedis();
  const data = loadData(opts.data, opts.samples, undefined);
  const local = buildProblem(loadModel(opts.model, undefined, 0, backend), data, 'ggn', undefined, Math.ceil(SAMPLES / shards), backend);
  const job = curvatureJob(opts, data, local.n, shards);
  const V = tensor(Float32Array.from({ length: local.n * 2 }, (_, i) => Math.sin(0.29 * i + 0.5)), [local.n, 2], { backend });
  return { backend, job, V, expected: Array.from(await local.op.apply(V).data()), n: local.n };
}

/** A 20 ms interval on this thread's event loop: how often it ran and its longest gap. */
function ticker() {
  let ticks = 0, last = performance.now(), maxGap = 0;
  const timer = setInterval(() => { const now = performance.now(); maxGap = Math.max(maxGap, now - last); last = now; ticks++; }, 20);
  return { stop: () => { clearInterval(timer); maxGap = Math.max(maxGap, performance.now() - last); return { ticks, maxGap }; } };
}

const bitsDiffer = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let d = a.length === b.length ? 0 : Math.max(a.length, b.length);
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (!Object.is(a[i], b[i])) d++;
  return d;
};

rtest(title('heartbeat: resets the idle time of its own pending entry only; reports a reclaimed entry as lost and an acknowledged one as gone'), async (t) => {
  server ??= await startRedis();
  const r = connectRedis(server.url, 'test');
  const k = keys('hb');
  try {
    await ensureGroup(r, k);
    const id = await r.xadd(k.tasks, '*', 'x', '1') as string;
    await r.xreadgroup('GROUP', k.group, 'c1', 'COUNT', 1, 'STREAMS', k.tasks, '>');
    await sleep(300);
    const idle = async () => (await r.xpending(k.tasks, k.group, '-', '+', 10) as [string, string, number, number][])[0]!;
    const before = await idle();
    t.true(before[2] >= 250, `idle ${before[2]} ms before the heartbeat`);
    t.is(await heartbeat(r, k, 'c1', id), 'held');
    const after = await idle();
    t.is(after[1], 'c1');
    t.true(after[2] < before[2], `idle ${after[2]} ms after the heartbeat (was ${before[2]})`);
    t.is(after[3], 1, 'JUSTID: the delivery count is unchanged');
    // Another worker reclaims it: c1's heartbeat does not take it back.
    await r.xclaim(k.tasks, k.group, 'c2', 0, id, 'JUSTID');
    t.is(await heartbeat(r, k, 'c1', id), 'lost');
    t.is((await idle())[1], 'c2');
    await r.xack(k.tasks, k.group, id);
    t.is(await heartbeat(r, k, 'c2', id), 'gone');
  } finally {
    r.disconnect();
  }
});

rtest(title('a shard load and a product longer than the visibility timeout: not reclaimed by an idle second worker, computed once, bit-identical; the worker\'s event loop keeps ticking'), async (t) => {
  const s = await setup(1);
  const VIS = 1500, SPIN = 2500, LOAD = 1800;
  const lines: string[] = [];
  const stop = new AbortController();
  const start = (name: string) => runWorker({
    url: server!.url, backend: s.backend, loaderModule: SLOW, loaderOptions: { spinMs: SPIN, loadSpinMs: LOAD }, name, prefix: 'long', visibilityMs: VIS,
    signal: stop.signal, log: (l) => lines.push(l),
  });
  const a = start('busy'), b = start('idle');
  const op = distributedOperator({ url: server!.url, job: s.job, backend: s.backend, prefix: 'long' });
  const r = connectRedis(server!.url, 'observer');
  const k = keys('long');
  let stats: WorkerStats[] = [];
  try {
    // Each task's owners and idle time seen from another connection, through the load and the
    // product. The group first: the watcher's first XPENDING may come before a worker made it.
    await ensureGroup(r, k);
    let maxIdle = 0, polls = 0;
    const owners = new Map<string, Set<string>>();
    let watching = true;
    const watch = (async () => {
      while (watching) {
        const p = await r.xpending(k.tasks, k.group, '-', '+', 10) as [string, string, number, number][];
        for (const e of p) {
          maxIdle = Math.max(maxIdle, e[2]);
          owners.set(e[0], (owners.get(e[0]) ?? new Set()).add(e[1]));
        }
        polls++;
        await sleep(100);
      }
    })();
    const l0 = performance.now();
    await op.value(); // the loss: the shard's load (LOAD ms longer) runs in this task
    const loadTook = performance.now() - l0;
    // During the product: this loop's ticks and gaps.
    const loop = ticker();
    const t0 = performance.now();
    const MV = await op.apply(s.V);
    const took = performance.now() - t0;
    const { ticks, maxGap } = loop.stop();
    watching = false;
    await watch;
    t.is(bitsDiffer(await MV.data(), s.expected), 0, 'M·V equals the in-process operator bit for bit');
    t.true(took >= SPIN, `the product took ${took.toFixed(0)} ms`);
    t.true(loadTook >= LOAD, `the load took ${loadTook.toFixed(0)} ms`);
    t.is(owners.size, 2, 'both tasks were seen pending');
    for (const [id, o] of owners) t.is(o.size, 1, `task ${id} had one owner while pending: ${[...o].join(', ')}`);
    t.true(maxIdle < VIS, `the task's idle time stayed below the visibility timeout: max ${maxIdle} ms seen in ${polls} polls`);
    // A blocked loop would tick at most once, with one gap as long as the product.
    t.true(ticks >= Math.floor(took / 20 / 4), `${ticks} ticks of 20 ms in ${took.toFixed(0)} ms`);
    t.true(maxGap < took / 2, `the longest gap between ticks: ${maxGap.toFixed(0)} ms of ${took.toFixed(0)} ms`);
    t.log(`load ${loadTook.toFixed(0)} ms, product ${took.toFixed(0)} ms (visibility ${VIS} ms): max idle seen ${maxIdle} ms over ${polls} polls; `
      + `${ticks} ticks of 20 ms, longest gap ${maxGap.toFixed(0)} ms`);
  } finally {
    await op.close();
    stop.abort();
    stats = await Promise.all([a, b]);
    r.disconnect();
  }
  const sum = (f: keyof WorkerStats) => stats.reduce((x, st) => x + st[f], 0);
  t.is(sum('served'), 2, 'the loss (with the load) and the product, each computed once');
  t.is(sum('duplicates'), 0);
  t.is(sum('reclaimed'), 0, 'nothing reclaimed');
  t.is(sum('lost'), 0);
  t.true(sum('heartbeats') >= 3, `${sum('heartbeats')} heartbeats`);
  const worst = Math.max(...stats.map((x) => x.maxIdleMs));
  t.true(worst < VIS, `the longest stretch without a heartbeat: ${worst} ms`);
  t.log(`heartbeats ${stats.map((x) => x.heartbeats).join(' + ')}, longest stretch without one ${worst} ms (period ${VIS / 4} ms)`);
  t.true(lines.some((l) => l.includes('products on a compute thread')), lines.join('\n'));
});

rtest(title('the same slow product on the main thread (loaders) blocks the event loop for its whole length'), async (t) => {
  const s = await setup(1);
  const SPIN = 800;
  const stop = new AbortController();
  const w = runWorker({
    url: server!.url, backend: s.backend, loaders: shardLoaders(s.backend as Backend, { spinMs: SPIN }), name: 'main', prefix: 'main', visibilityMs: 60_000,
    signal: stop.signal,
  });
  const op = distributedOperator({ url: server!.url, job: s.job, backend: s.backend, prefix: 'main' });
  try {
    await op.value();
    const loop = ticker();
    const MV = await op.apply(s.V);
    const { ticks, maxGap } = loop.stop();
    t.is(bitsDiffer(await MV.data(), s.expected), 0);
    t.true(maxGap >= SPIN, `the longest gap between ticks: ${maxGap.toFixed(0)} ms (${ticks} ticks) during an ${SPIN} ms main-thread product`);
    t.log(`main thread: ${ticks} ticks of 20 ms, longest gap ${maxGap.toFixed(0)} ms during an ${SPIN} ms product`);
  } finally {
    await op.close();
    stop.abort();
    await w;
  }
});
