// `descent spectrum --redis URL --shards 4` with `descent worker`s as child processes, on a
// sample of the reference problem (../shared/reference/mlp-fmnist-init, 128 rows), against a
// real redis-server: the result equals the in-process job with --batch-size 32 (the same
// four batches summed in the same order) bit for bit — the same Lanczos coefficients and
// top-5 — also when a worker is killed (kill -9) holding a task, and when the coordinator
// is killed (kill -9) mid-job and the command is rerun (it resumes from its checkpoint).

import test from 'ava';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectRedis, keys } from '../../src/distributed/index.js';
import { defaultReferenceDir } from '../../src/data/reference.js';
import { DEFAULTS } from '../../src/cli/spectrum-options.js';
import type { SpectrumOptions } from '../../src/cli/spectrum-options.js';
import { inCI, redisMissing, startRedis } from '../helpers/redis.js';
import type { RedisServer } from '../helpers/redis.js';
import { readManifest } from '../../src/cli/job.js';

const missing = redisMissing() ?? (existsSync(join(defaultReferenceDir(), 'manifest.json')) ? null : `no reference problem at ${defaultReferenceDir()}`);
const rtest = missing && !inCI ? test.skip : test.serial;
const title = (s: string) => (missing && !inCI ? `${s} (skipped: ${missing})` : s);

const ARGS = ['--model', 'reference', '--data', 'reference', '--samples', '128', '--iterations', '6', '--probes', '2', '--trace-probes', '0', '--backend', 'cpu', '--quiet'];
const base: SpectrumOptions = {
  ...DEFAULTS, model: 'reference', data: 'reference', samples: 128, iterations: 6, probes: 2, traceProbes: 0, backend: 'cpu', matrix: 'hessian',
  out: '', fresh: false, quiet: true,
};

const SLOW = { DESCENT_WORKER_STALL_MS: '100' };
let server: RedisServer | null = null;
const children: ChildProcess[] = [];
const tmp = mkdtempSync(join(tmpdir(), 'descent-dist-'));
test.after.always(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await server?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

function descent(args: string[], env: Record<string, string> = {}): ChildProcess {
  const c = spawn(process.execPath, ['--import', 'tsx', 'src/cli/descent.ts', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let log = '';
  c.stdout!.on('data', (d) => { log += d; });
  c.stderr!.on('data', (d) => { log += d; });
  (c as ChildProcess & { log: () => string }).log = () => log;
  children.push(c);
  return c;
}
const logOf = (c: ChildProcess) => (c as ChildProcess & { log: () => string }).log();
const until = async (what: string, f: () => boolean | Promise<boolean>, ms = 60_000) => {
  const t0 = Date.now();
  while (!(await f())) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};
const worker = (name: string, env: Record<string, string> = {}) => {
  const w = descent(['worker', '--redis', server!.url, '--backend', 'cpu', '--visibility', '2', '--name', name], env);
  return until(`worker ${name} to start`, () => logOf(w).includes('serving')).then(() => w);
};

interface Result { top: number[]; alpha: number[][]; beta: number[][]; loss: number }
function result(out: string): Result {
  const s = JSON.parse(readFileSync(join(out, 'spectrum.json'), 'utf8')) as { eigenvalues: { top: number[] }; problem: { loss: number } };
  const j = readManifest(out) as unknown as { state: { lanczos: { alpha: number[][]; beta: number[][] } } };
  return { top: s.eigenvalues.top, alpha: j.state.lanczos.alpha, beta: j.state.lanczos.beta, loss: s.problem.loss };
}

let reference: Result;

rtest(title('2 workers × 4 shards: the same Lanczos coefficients, top-5 and loss as the in-process job with --batch-size 32'), async (t) => {
  server = await startRedis();
  // Workers that take ≥ 100 ms per task, so that a kill lands mid-job however fast the machine.
  await Promise.all([worker('w1', SLOW), worker('w2', SLOW)]);
  const { runSpectrum } = await import('../../src/cli/spectrum-job.js');
  await runSpectrum({ ...base, batchSize: 32, out: join(tmp, 'local') });
  reference = result(join(tmp, 'local'));
  await runSpectrum({ ...base, redis: server.url, shards: 4, out: join(tmp, 'dist') });
  const got = result(join(tmp, 'dist'));
  t.deepEqual(got.alpha, reference.alpha);
  t.deepEqual(got.beta, reference.beta);
  t.deepEqual(got.top, reference.top);
  t.is(got.loss, reference.loss);
  t.is(got.top.length, 5);
});

rtest(title('a worker killed (kill -9) while holding a task: the task is reclaimed and the job ends with the same result'), async (t) => {
  const stalled = await worker('stalled', { DESCENT_WORKER_STALL_MS: '600000' });
  const r = connectRedis(server!.url, 'test');
  const k = keys();
  const { runSpectrum } = await import('../../src/cli/spectrum-job.js');
  const job = runSpectrum({ ...base, redis: server!.url, shards: 4, out: join(tmp, 'kill-worker') });
  let killed = false;
  const killer = until('the stalled worker to hold a task', async () => {
    const consumers = await r.xinfo('CONSUMERS', k.tasks, k.group) as unknown[][];
    const mine = consumers.find((c) => c[1] === 'stalled');
    return mine !== undefined && Number(mine[3]) > 0;
  }).then(() => { stalled.kill('SIGKILL'); killed = true; });
  await job;
  await killer.catch(() => undefined);
  r.disconnect();
  t.true(killed, 'the stalled worker held a task and was killed before the job ended');
  const got = result(join(tmp, 'kill-worker'));
  t.deepEqual(got.alpha, reference.alpha);
  t.deepEqual(got.beta, reference.beta);
  t.deepEqual(got.top, reference.top);
});

rtest(title('the coordinator killed (kill -9) mid-job: rerunning the command resumes from its checkpoint with the same result'), async (t) => {
  const out = join(tmp, 'kill-coordinator');
  const coord = descent(['spectrum', ...ARGS, '--redis', server!.url, '--shards', '4', '--out', out]);
  const steps = () => {
    try {
      const j = readManifest(out) as { state?: { lanczos?: { steps: number[] } } } | null;
      return j?.state?.lanczos?.steps[0] ?? 0;
    } catch {
      return 0;
    }
  };
  await until('the coordinator to checkpoint 2 steps', () => steps() >= 2 || coord.exitCode !== null, 90_000);
  t.is(coord.exitCode, null, `the coordinator ended before it could be killed: ${logOf(coord)}`);
  coord.kill('SIGKILL');
  await new Promise((r) => coord.once('exit', r));
  const at = steps();
  t.true(at >= 2 && at < 6, `killed at step ${at}`);
  const { runSpectrum } = await import('../../src/cli/spectrum-job.js');
  const rep = await runSpectrum({ ...base, redis: server!.url, shards: 4, out });
  t.true((rep.json.timings as { resumed: boolean }).resumed);
  const got = result(out);
  t.deepEqual(got.alpha, reference.alpha);
  t.deepEqual(got.beta, reference.beta);
  t.deepEqual(got.top, reference.top);
});
