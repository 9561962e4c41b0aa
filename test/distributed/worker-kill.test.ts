// A `descent worker` child process (compute thread, the default) stalled mid-product keeps
// its task while it lives — its heartbeats hold the pending entry against an idle second
// worker for several visibility timeouts — and once killed (kill -9) its task is reclaimed
// after the timeout and the call ends with the in-process result bit for bit. A worker whose
// compute thread dies mid-product stops with the reason, and its task goes to another
// worker the same way. Against a real redis-server.

import test from 'ava';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { initBackend, useBackend } from '../../src/backend/backend.js';
import { connectRedis, distributedOperator, keys, runWorker } from '../../src/distributed/index.js';
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

const SAMPLES = 24, VIS = 1000;
const opts: SpectrumOptions = {
  ...DEFAULTS, model: '784-12-10:relu', data: 'reference', samples: SAMPLES, backend: 'cpu', out: 'unused', fresh: false, quiet: true, matrix: 'hessian',
};

let server: RedisServer | null = null;
let child: ChildProcess | null = null;
test.after.always(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await server?.stop();
});
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const until = async (what: string, f: () => boolean | Promise<boolean>, ms = 60_000) => {
  const t0 = Date.now();
  while (!(await f())) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
};

rtest(title('a stalled worker process holds its task by heartbeats while alive; killed (kill -9), its task is reclaimed after the timeout with the same result'), async (t) => {
  const backend = await initBackend('cpu');
  await useBackend(backend);
  server = await startRedis();
  const data = loadData(opts.data, opts.samples, undefined);
  const local = buildProblem(loadModel(opts.model, undefined, 0, backend), data, 'hessian', undefined, SAMPLES, backend);
  const job = curvatureJob(opts, data, local.n, 1);
  const V = tensor(Float32Array.from({ length: local.n * 2 }, (_, i) => Math.cos(0.41 * i)), [local.n, 2], { backend });
  const expected = await local.op.apply(V).data();

  let log = '';
  child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/descent.ts', 'worker', '--redis', server.url, '--backend', 'cpu', '--visibility', String(VIS / 1000), '--name', 'victim'],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DESCENT_WORKER_STALL_MS: '600000' } });
  child.stdout!.on('data', (d) => { log += d; });
  child.stderr!.on('data', (d) => { log += d; });
  await until('the victim to start', () => log.includes('serving curvature') || child!.exitCode !== null);
  t.regex(log, /products on a compute thread, visibility 1000 ms, heartbeat 250 ms/);

  const r = connectRedis(server.url, 'observer');
  const k = keys();
  const op = distributedOperator({ url: server.url, job, backend });
  const stop = new AbortController();
  let rescuer: ReturnType<typeof runWorker> | null = null;
  try {
    const call = op.apply(V);
    const pending = async () => (await r.xpending(k.tasks, k.group, '-', '+', 10) as [string, string, number, number][]);
    await until('the victim to hold a task', async () => (await pending()).some((e) => e[1] === 'victim'));
    // An idle worker (main-thread products: nothing to start) polls for reclaimable tasks meanwhile; the victim (alive,
    // its compute thread stalled) keeps its task.
    let ready = false;
    rescuer = runWorker({
      url: server.url, backend, loaders: shardLoaders(backend), name: 'rescuer', visibilityMs: VIS, signal: stop.signal,
      log: (l) => { if (l.includes('serving')) ready = true; },
    });
    await until('the rescuer to start', () => ready);
    let maxIdle = 0;
    const owners = new Set<string>();
    const t0 = Date.now();
    while (Date.now() - t0 < 3 * VIS) {
      for (const e of await pending()) { owners.add(e[1]); maxIdle = Math.max(maxIdle, e[2]); }
      await sleep(50);
    }
    t.deepEqual([...owners], ['victim'], 'the entry stays with the live victim');
    t.true(maxIdle < VIS, `the victim's task went at most ${maxIdle} ms without a heartbeat (visibility ${VIS} ms)`);
    const killedAt = Date.now();
    child.kill('SIGKILL');
    const MV = await call;
    const after = Date.now() - killedAt;
    const got = await MV.data();
    let diff = 0;
    for (let i = 0; i < got.length; i++) if (!Object.is(got[i], expected[i])) diff++;
    t.is(diff, 0, `M·V after the reclaim: ${diff} of ${got.length} entries differ from the in-process operator`);
    t.log(`while alive: max idle ${maxIdle} ms over ${3 * VIS} ms; after kill -9: the call ended ${after} ms later (visibility ${VIS} ms)`);
  } finally {
    await op.close();
    stop.abort();
    const st = rescuer ? await rescuer : null;
    r.disconnect();
    if (st) {
      t.is(st.reclaimed, 1, 'the rescuer reclaimed the victim\'s task');
      t.is(st.served, 1);
      t.is(st.duplicates, 0);
    }
  }
});

rtest(title('a compute thread that dies mid-product stops its worker with the reason; the task is reclaimed and the call ends with the same result'), async (t) => {
  const backend = await initBackend('cpu');
  await useBackend(backend);
  server ??= await startRedis();
  const data = loadData(opts.data, opts.samples, undefined);
  const local = buildProblem(loadModel(opts.model, undefined, 0, backend), data, 'hessian', undefined, SAMPLES, backend);
  const job = curvatureJob(opts, data, local.n, 1);
  const V = tensor(Float32Array.from({ length: local.n }, (_, i) => Math.sin(0.13 * i)), [local.n, 1], { backend });
  const expected = await local.op.apply(V).data();
  const lines: string[] = [];
  const dying = runWorker({
    url: server.url, backend, loaderModule: new URL('./worker-slow-loaders.ts', import.meta.url), loaderOptions: { exitCode: 7 }, name: 'dying',
    prefix: 'death', visibilityMs: VIS, log: (l) => lines.push(l),
  });
  const op = distributedOperator({ url: server.url, job, backend, prefix: 'death' });
  const stop = new AbortController();
  let rescuer: ReturnType<typeof runWorker> | null = null;
  try {
    const call = op.apply(V);
    const err = await t.throwsAsync(dying);
    t.regex(err!.message, /runWorker dying: the compute thread died \(.*the thread exited \(code 7\)\); the task in hand is reclaimed by another worker after 1000 ms/);
    t.true(lines.some((l) => l.includes('the compute thread died')));
    // A main-thread rescuer (no thread to start) takes the task over after the timeout.
    rescuer = runWorker({ url: server.url, backend, loaders: shardLoaders(backend), name: 'rescuer', prefix: 'death', visibilityMs: VIS, signal: stop.signal });
    const got = await (await call).data();
    let diff = 0;
    for (let i = 0; i < got.length; i++) if (!Object.is(got[i], expected[i])) diff++;
    t.is(diff, 0, `M·V after the reclaim: ${diff} of ${got.length} entries differ`);
  } finally {
    await op.close();
    stop.abort();
    const st = rescuer ? await rescuer : null;
    if (st) t.is(st.reclaimed, 1);
  }
});
