// `descent train`: outputs, and resuming after a crash or a kill reproduces an uninterrupted
// run bit for bit (metrics and parameters).

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import '../../src/index.js';
import { readTrainMetrics, trainCommand } from '../../src/cli/train.js';
import { readCheckpoint } from '../../src/optim/index.js';
import { mustHave, testBackends } from '../helpers/backends.js';

const cpu = (await testBackends()).find((b) => b.name === 'cpu');
// cpu absent from DESCENT_TEST_BACKENDS: skip; selected but failing to load: fail.
const run = cpu?.backend ? test.serial : cpu && mustHave('cpu') ? (title: string) => test(title, (t) => t.fail(`cpu backend missing: ${cpu.missing}`)) : test.skip;

const dir = mkdtempSync(join(tmpdir(), 'descent-train-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

const ARGS = ['--data', 'embedded', '--train-limit', '1500', '--test-limit', '500', '--hidden', '32', '--batch-size', '100',
  '--optimizer', 'adamw', '--lr', '0.003', '--weight-decay', '0.01', '--schedule', 'cosine', '--warmup', '5', '--clip', '5',
  '--epochs', '3', '--no-progress', '--seed', '4'];

/** Runs trainCommand with stderr captured; `crashAfter` throws once that text is written. */
async function train(out: string, extra: string[] = [], crashAfter?: string): Promise<number> {
  const write = process.stderr.write.bind(process.stderr);
  const log = console.log;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    if (crashAfter && String(chunk).includes(crashAfter)) throw new Error('simulated crash');
    return true;
  }) as typeof process.stderr.write;
  console.log = () => {};
  try {
    return await trainCommand([...ARGS, '--out', out, ...extra]);
  } finally {
    process.stderr.write = write;
    console.log = log;
  }
}

const strip = (out: string) => readTrainMetrics(out).epochs.map(({ seconds: _, ...m }) => m);
const params = (out: string) => readCheckpoint(join(out, 'checkpoint.safetensors')).tensors.get('params')!.data;

run('train · writes metrics, plot and checkpoint; learns', async (t) => {
  const out = join(dir, 'straight');
  t.is(await train(out), 0);
  for (const f of ['config.json', 'metrics.json', 'plot.svg', 'plot.vl.json', 'checkpoint.safetensors', 'checkpoint.json']) t.true(existsSync(join(out, f)), f);
  const m = readTrainMetrics(out).epochs;
  t.is(m.length, 3);
  t.is(m.at(-1)!.steps, 3 * 15);
  t.true(m.at(-1)!.trainLoss < m[0]!.trainLoss, 'training loss falls');
  t.true(m.at(-1)!.testAccuracy > 0.6, `test accuracy ${m.at(-1)!.testAccuracy} above 60% (10 classes: chance is 10%)`);
  t.regex(readFileSync(join(out, 'plot.svg'), 'utf8'), /^<svg[^>]*>.*accuracy/s);
});

run('train · resumes after a crash exactly where an uninterrupted run would be', async (t) => {
  const out = join(dir, 'crashed');
  await t.throwsAsync(train(out, [], 'epoch 1/3:'), { message: 'simulated crash' });
  t.is(readTrainMetrics(out).epochs.length, 1);
  t.is(await train(out), 0);
  t.deepEqual(strip(out), strip(join(dir, 'straight')));
  t.deepEqual(params(out), params(join(dir, 'straight')));
});

run('train · resumes after SIGKILL', async (t) => {
  const out = join(dir, 'killed');
  const child = spawn(process.execPath, [...process.execArgv, '-e', `import('${new URL('../../src/cli/train.ts', import.meta.url).href}').then(async (m) => { await import('${new URL('../../src/index.ts', import.meta.url).href}'); process.exitCode = await m.trainCommand(${JSON.stringify([...ARGS, '--out', out])}); })`], { stdio: 'ignore', env: process.env });
  const done = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  // Kill as soon as the first epoch's checkpoint exists (or let it finish if it is faster).
  for (let i = 0; i < 600 && child.exitCode === null; i++) {
    if (existsSync(join(out, 'checkpoint.json'))) { child.kill('SIGKILL'); break; }
    await new Promise((r) => setTimeout(r, 20));
  }
  await done;
  t.true(existsSync(join(out, 'checkpoint.safetensors')), 'the killed run left a checkpoint');
  t.log(`killed after epoch ${readTrainMetrics(out).epochs.length} of 3`);
  t.is(await train(out), 0);
  t.deepEqual(strip(out), strip(join(dir, 'straight')));
  t.deepEqual(params(out), params(join(dir, 'straight')));
});

run('train · refuses to resume with other settings; --fresh starts over', async (t) => {
  const out = join(dir, 'straight');
  await t.throwsAsync(train(out, ['--lr', '0.01']), { message: /different settings \(options\); pass --fresh/ });
  t.is(await train(join(dir, 'other'), ['--epochs', '1', '--fresh']), 0);
  t.is(readTrainMetrics(join(dir, 'other')).epochs.length, 1);
});

run('train · bad arguments give usage errors', async (t) => {
  t.is(await train(join(dir, 'bad'), ['--optimizer', 'lbfgs']), 2);
  t.is(await train(join(dir, 'bad'), ['--epochs', '0']), 2);
  t.is(await train(join(dir, 'bad'), ['--frobnicate']), 2);
});
