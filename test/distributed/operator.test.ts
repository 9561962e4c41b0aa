// The distributed operator against a real redis-server (test/helpers/redis.ts), with workers
// running in this process (runWorker loops): products equal the in-process operator's with
// the same batches bit for bit; stored partials are reused by a new coordinator; malformed
// tasks are rejected with a logged reason while the worker keeps serving; a Redis restart
// mid-call is reported and survived; a Redis that stays down fails the call with a message.

import test from 'ava';
import type { ExecutionContext } from 'ava';
import { initBackend, useBackend } from '../../src/backend/backend.js';
import { connectRedis, distributedOperator, jobId, keys, PROTOCOL, runWorker, taskFields } from '../../src/distributed/index.js';
import type { DistributedOperator } from '../../src/distributed/index.js';
import { curvatureJob, loadCurvatureShard } from '../../src/cli/spectrum-distributed.js';
import { DEFAULTS } from '../../src/cli/spectrum-options.js';
import type { SpectrumOptions } from '../../src/cli/spectrum-options.js';
import { buildProblem, loadData, loadModel } from '../../src/cli/spectrum-setup.js';
import { tensor } from '../../src/ops/creation.js';
import { inCI, redisMissing, startRedis } from '../helpers/redis.js';
import type { RedisServer } from '../helpers/redis.js';
import '../../src/backends.js';

const missing = redisMissing();
const rtest = missing && !inCI ? test.skip : test.serial;
const title = (s: string) => (missing && !inCI ? `${s} (skipped: ${missing})` : s);

const SAMPLES = 48, SHARDS = 3;
const opts: SpectrumOptions = {
  ...DEFAULTS, model: '784-12-10:relu', data: 'reference', samples: SAMPLES, backend: 'cpu', out: 'unused', fresh: false, quiet: true,
  matrix: 'hessian',
};

let server: RedisServer | null = null;
test.after.always(async () => { await server?.stop(); });

async function setup() {
  const backend = await initBackend('cpu');
  await useBackend(backend);
  server ??= await startRedis();
  const data = loadData(opts.data, opts.samples, undefined);
  // The in-process reference: the same rows in batches of ⌈rows/S⌉, summed in order.
  const local = buildProblem(loadModel(opts.model, undefined, 0, backend), data, 'hessian', undefined, Math.ceil(SAMPLES / SHARDS), backend);
  const job = curvatureJob(opts, data, local.n, SHARDS);
  const V = tensor(Float32Array.from({ length: local.n * 3 }, (_, i) => Math.sin(0.37 * i + 1)), [local.n, 3], { backend });
  const expected = Array.from(await local.op.apply(V).data());
  return { backend, local, job, V, expected, n: local.n };
}

function workers(count: number, backend: Awaited<ReturnType<typeof initBackend>>, lines: string[], prefix?: string) {
  const stop = new AbortController();
  const loops = Array.from({ length: count }, (_, i) => runWorker({
    url: server!.url, backend, loaders: { curvature: loadCurvatureShard(backend) }, name: `w${i}`, signal: stop.signal,
    log: (l) => lines.push(l), ...(prefix ? { prefix } : {}),
  }));
  return { stop: async () => { stop.abort(); return Promise.all(loops); } };
}

const bitsEqual = (t: ExecutionContext, a: ArrayLike<number>, b: ArrayLike<number>, what: string) => {
  t.is(a.length, b.length, what);
  let diff = 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) diff++;
  t.is(diff, 0, `${what}: ${diff} of ${a.length} entries differ`);
};

rtest(title('2 workers × 3 shards: M·V and the loss equal the in-process operator with the same batches bit for bit'), async (t) => {
  const s = await setup();
  const lines: string[] = [];
  const w = workers(2, s.backend, lines);
  const op = distributedOperator({ url: server!.url, job: s.job, backend: s.backend });
  try {
    const MV = await op.apply(s.V);
    t.deepEqual(MV.shape, [s.n, 3]);
    bitsEqual(t, await MV.data(), s.expected, 'M·V');
    const loss = await op.value();
    t.is((await loss.data())[0], (await s.local.op.value.data())[0]);
    // A single vector [n] too (the one-probe path of the in-process operator).
    const v = tensor(Float32Array.from({ length: s.n }, (_, i) => Math.cos(i)), [s.n], { backend: s.backend });
    bitsEqual(t, await (await op.apply(v)).data(), await s.local.op.apply(v).data(), 'M·v');
    t.is(op.stats.enqueued, 3 * SHARDS);
    t.is(op.stats.reused, 0);
  } finally {
    await op.close();
    const st = await w.stop();
    t.is(st.reduce((a, x) => a + x.served, 0), 3 * SHARDS);
  }
});

rtest(title('a new coordinator reuses the partials a killed one left, and sends no task for them'), async (t) => {
  const s = await setup();
  const dead = distributedOperator({ url: server!.url, job: s.job, backend: s.backend, prefix: 'reuse' });
  // The first coordinator sends its tasks and dies before any worker runs.
  const pending = dead.apply(s.V).catch((e: Error) => e);
  const r = connectRedis(server!.url, 'test');
  const k = keys('reuse');
  for (let i = 0; i < 200 && (await r.xlen(k.tasks)) < SHARDS; i++) await new Promise((res) => setTimeout(res, 25));
  await dead.close();
  t.true((await pending) instanceof Error);
  // Workers serve the orphaned tasks: the partials are stored.
  const w = workers(1, s.backend, [], 'reuse');
  const id = jobId(s.job);
  const version = (await r.keys(`reuse:vec:${id}:*`))[0]!.split(':').at(-1)!;
  for (let i = 0; i < 400; i++) {
    const have = await Promise.all(Array.from({ length: SHARDS }, (_, sh) => r.exists(k.partial(id, version, sh))));
    if (have.every((x) => x === 1)) break;
    await new Promise((res) => setTimeout(res, 25));
  }
  await w.stop();
  const op = distributedOperator({ url: server!.url, job: s.job, backend: s.backend, prefix: 'reuse' });
  try {
    bitsEqual(t, await (await op.apply(s.V)).data(), s.expected, 'M·V from stored partials');
    t.is(op.stats.reused, SHARDS);
    t.is(op.stats.enqueued, 0);
  } finally {
    await op.close();
    r.disconnect();
  }
});

rtest(title('malformed tasks are rejected with a logged reason; the worker keeps serving'), async (t) => {
  const s = await setup();
  const lines: string[] = [];
  const w = workers(1, s.backend, lines, 'bad');
  const r = connectRedis(server!.url, 'test');
  const k = keys('bad');
  const op = distributedOperator({ url: server!.url, job: s.job, backend: s.backend, prefix: 'bad' });
  try {
    await op.value(); // the job is stored now
    const id = jobId(s.job);
    const good = { proto: PROTOCOL, kind: 'curvature', op: 'apply' as const, job: id, shard: 0, version: 'ab'.repeat(32), n: s.n, b: 1, dtype: 'float32' as const };
    await r.xadd(k.tasks, '*', ...taskFields({ ...good, kind: 'shell' }));
    await r.xadd(k.tasks, '*', ...taskFields({ ...good, n: s.n + 1 }));
    await r.xadd(k.tasks, '*', ...taskFields(good)); // no such block: a stale task
    await r.xadd(k.tasks, '*', 'proto', '1', 'kind', 'curvature', 'op', 'apply', 'job', id, 'shard', '0', 'version', 'ab'.repeat(32), 'n', String(s.n), 'b', '1', 'dtype', 'float64');
    for (let i = 0; i < 400 && (await r.llen(k.rejects)) < 4; i++) await new Promise((res) => setTimeout(res, 25));
    const reasons = (await r.lrange(k.rejects, 0, -1)).map((x) => (JSON.parse(x) as { reason: string }).reason).join('\n');
    t.regex(reasons, /unknown job kind 'shell'/);
    t.regex(reasons, new RegExp(`n = ${s.n + 1} but job .* has order ${s.n}`));
    t.regex(reasons, /block .* is not stored/);
    t.regex(reasons, /dtype 'float64'/);
    t.true(lines.filter((l) => l.includes('rejected task')).length >= 4);
    // Still serving.
    bitsEqual(t, await (await op.apply(s.V)).data(), s.expected, 'M·V after the rejects');
  } finally {
    await op.close();
    await w.stop();
    r.disconnect();
  }
});

rtest(title('a worker whose data differ from the coordinator\'s (content hash) refuses the shard; the call fails with its message'), async (t) => {
  const s = await setup();
  const lines: string[] = [];
  const w = workers(1, s.backend, lines, 'hash');
  const forged = { ...s.job, hashes: s.job.hashes.map((h, i) => (i === 1 ? '0'.repeat(64) : h)) };
  const op = distributedOperator({ url: server!.url, job: forged, backend: s.backend, prefix: 'hash' });
  try {
    const err = await t.throwsAsync(op.value());
    t.regex(err!.message, /a worker failed on job .*shard 1: the rows 16–32 of --data reference differ here from the coordinator's \(content hash/);
    t.true(lines.some((l) => l.includes('cannot serve job')));
  } finally {
    await op.close();
    await w.stop();
  }
});

rtest(title('Redis restarted mid-call: reported, the call is resent and completes with the same numbers; Redis gone for good: a bounded failure'), async (t) => {
  const s = await setup();
  const log: string[] = [];
  const op = distributedOperator({ url: server!.url, job: s.job, backend: s.backend, prefix: 'restart', log: (l) => log.push(l), retryMs: 20_000 });
  let w: ReturnType<typeof workers> | null = null;
  try {
    const call = op.apply(s.V);
    const r = connectRedis(server!.url, 'test');
    for (let i = 0; i < 200 && (await r.xlen(keys('restart').tasks)) < SHARDS; i++) await new Promise((res) => setTimeout(res, 25));
    r.disconnect();
    await server!.restart(300); // no persistence: the job, the block and the tasks are gone
    w = workers(2, s.backend, [], 'restart');
    bitsEqual(t, await (await call).data(), s.expected, 'M·V across the restart');
    t.true(op.stats.outages >= 1, `outages ${op.stats.outages}`);
    t.true(log.some((l) => /Redis at redis:\/\/127\.0\.0\.1:\d+ failed/.test(l)), log.join('\n'));
  } finally {
    await w?.stop();
    await op.close();
  }
  // Down for good: the call fails after retryMs with a message naming the server.
  const short = distributedOperator({ url: server!.url, job: s.job, backend: s.backend, prefix: 'gone', retryMs: 1500 });
  await server!.stop();
  const err = await t.throwsAsync(short.apply(s.V));
  t.regex(err!.message, /Redis at redis:\/\/127\.0\.0\.1:\d+ has failed for \d+ s .*rerun the same command/);
  await short.close();
  server = null;
});
