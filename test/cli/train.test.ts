// `descent train` (moved here from test/optim/train.test.ts with the port to the job
// framework): outputs, resuming after a crash or a kill reproduces an uninterrupted run bit
// for bit, the resume policy, weights.safetensors feeding `descent spectrum --model`, a
// diverging run is an error, and the plot's epoch axis.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import '../../src/index.js';
import { cli } from '../helpers/cli.js';
import { readTrainMetrics, trainCommand } from '../../src/cli/train.js';
import { renderPlot } from '../../src/cli/train-job.js';
import type { EpochMetrics } from '../../src/cli/train-job.js';
import { runSpectrum } from '../../src/cli/spectrum-job.js';
import { parseSpectrumArgs } from '../../src/cli/spectrum-options.js';
import { readMlpSafetensors, flattenMlp } from '../../src/io/mlp-weights.js';
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
  const log = console.log, error = console.error;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    if (crashAfter && String(chunk).includes(crashAfter)) throw new Error('simulated crash');
    return true;
  }) as typeof process.stderr.write;
  console.log = () => {};
  console.error = () => {};
  try {
    return await trainCommand([...ARGS, '--out', out, ...extra]);
  } finally {
    process.stderr.write = write;
    console.log = log;
    console.error = error;
  }
}


const strip = (out: string) => readTrainMetrics(out).epochs.map(({ seconds: _, ...m }) => m);
const weights = (out: string) => flattenMlp(readMlpSafetensors(join(out, 'weights.safetensors')));

run('train · writes metrics, plot, weights and its job files; learns', async (t) => {
  const out = join(dir, 'straight');
  t.is(await train(out), 0);
  for (const f of ['config.json', 'metrics.json', 'plot.svg', 'plot.vl.json', 'weights.safetensors', 'descent-job.json', 'state/checkpoint-00003.safetensors']) t.true(existsSync(join(out, f)), f);
  t.false(existsSync(join(out, 'state/checkpoint-00002.safetensors')), 'earlier checkpoints are removed once the next is committed');
  t.false(existsSync(join(out, 'descent.lock')));
  const m = readTrainMetrics(out).epochs;
  t.is(m.length, 3);
  t.is(m.at(-1)!.steps, 3 * 15);
  t.true(m.at(-1)!.trainLoss < m[0]!.trainLoss, 'training loss falls');
  t.true(m.at(-1)!.testAccuracy > 0.6, `test accuracy ${m.at(-1)!.testAccuracy} above 60% (10 classes: chance is 10%)`);
  t.regex(readFileSync(join(out, 'plot.svg'), 'utf8'), /^<svg[^>]*>.*accuracy/s);
  const w = readMlpSafetensors(join(out, 'weights.safetensors'));
  t.deepEqual(w.widths, [784, 32, 10]);
  t.deepEqual(w.moduleIndices, [0, 2]);
  t.is(w.activation, 'relu');
});

run('train · resumes after a crash exactly where an uninterrupted run would be', async (t) => {
  const out = join(dir, 'crashed');
  await t.throwsAsync(train(out, [], 'epoch 1/3:'), { message: 'simulated crash' });
  t.is(readTrainMetrics(out).epochs.length, 1);
  t.false(existsSync(join(out, 'descent.lock')), 'the lock is released on an error');
  t.is(await train(out), 0);
  t.deepEqual(strip(out), strip(join(dir, 'straight')));
  t.deepEqual(weights(out), weights(join(dir, 'straight')));
});

run('train · resumes after SIGKILL', async (t) => {
  const out = join(dir, 'killed');
  const child = spawn(process.execPath, [...process.execArgv, '-e', `import('${new URL('../../src/cli/train.ts', import.meta.url).href}').then(async (m) => { process.exitCode = await m.trainCommand(${JSON.stringify([...ARGS, '--out', out])}); })`], { stdio: 'ignore', env: process.env });
  const done = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  // Kill as soon as the first epoch is committed (or let it finish if it is faster).
  for (let i = 0; i < 1500 && child.exitCode === null; i++) {
    if (existsSync(join(out, 'metrics.json'))) { child.kill('SIGKILL'); break; }
    await new Promise((r) => setTimeout(r, 20));
  }
  await done;
  t.true(existsSync(join(out, 'descent-job.json')), 'the killed run left its job');
  t.log(`killed after epoch ${readTrainMetrics(out).epochs.length} of 3`);
  t.is(await train(out), 0, 'the lock of the killed process is taken over');
  t.deepEqual(strip(out), strip(join(dir, 'straight')));
  t.deepEqual(weights(out), weights(join(dir, 'straight')));
});

run('train · refuses to resume with other settings (also --quiet), naming them; --fresh starts over', async (t) => {
  const out = join(dir, 'straight');
  const other = await cli(['train', ...ARGS, '--out', out, '--lr', '0.01', '--quiet']);
  t.is(other.code, 1);
  t.regex(other.err, /^descent train: \S+ holds a job made with other settings: options .*"lr":0\.003.* then, .*"lr":0\.01.* now; pass --fresh/m);
  t.true(existsSync(join(out, 'weights.safetensors')), 'nothing was deleted');
  t.is(await train(join(dir, 'other'), ['--epochs', '1', '--fresh']), 0);
  t.is(readTrainMetrics(join(dir, 'other')).epochs.length, 1);
});

run('train · bad arguments give usage errors naming the option (exit 2)', async (t) => {
  t.is(await train(join(dir, 'bad'), ['--optimizer', 'lbfgs']), 2);
  t.is(await train(join(dir, 'bad'), ['--epochs', '0']), 2);
  t.is(await train(join(dir, 'bad'), ['--frobnicate']), 2);
  const seed = await cli(['train', '--seed', '-1', '--out', join(dir, 'bad')]);
  t.is(seed.code, 2);
  t.regex(seed.err, /^descent train: --seed: expected an integer in \[0, 4294967295\] but received '-1'$/m);
  const act = await cli(['train', '--activation', 'swish']);
  t.regex(act.err, /--activation: expected one of relu, tanh, gelu, sigmoid, identity but received 'swish'/);
  t.is((await cli(['train', '--out', ''])).code, 2);
  t.is((await cli(['train', '--hidden', '100000000'])).code, 2);
  t.false(existsSync(join(dir, 'bad')));
});

run('train · a diverging run (--lr 1e308) is an error with a non-zero exit, prefixed once', async (t) => {
  const out = join(dir, 'diverge');
  const r = await cli(['train', ...ARGS, '--clip', '1e30', '--lr', '1e308', '--out', out]);
  t.is(r.code, 1);
  t.regex(r.err, /^descent train: the training loss became (NaN|Infinity) at step \d+ \(epoch 1\): the run diverged; lower --lr/m);
  t.notRegex(r.err, /descent train: train:/);
  t.false(existsSync(join(out, 'weights.safetensors')), 'no result from a diverged run');
});

run('train · weights.safetensors feeds descent spectrum --model', async (t) => {
  const model = join(dir, 'straight', 'weights.safetensors');
  const o = parseSpectrumArgs(['--model', model, '--data', 'default', '--samples', '100', '--iterations', '12', '--probes', '1', '--top-k', '2',
    '--trace-probes', '2', '--backend', 'cpu', '--out', join(dir, 'spectrum'), '--quiet']);
  if (o === 'help') throw new Error('help');
  const { json } = await runSpectrum(o);
  const p = json.problem as { parameters: number; model: string };
  t.is(p.parameters, 784 * 32 + 32 + 32 * 10 + 10);
  t.regex(p.model, /^784-32-10:relu/);
  const e = json.eigenvalues as { top: number[] };
  t.true(e.top.every(Number.isFinite) && e.top[0]! > 0);
});

test('train plot · a 3-epoch axis is labelled 1 2 3 (not "1 2 2 3 3")', async (t) => {
  const m = (epoch: number): EpochMetrics => ({ epoch, steps: epoch, lrFactor: 1, batchLoss: 1, trainLoss: 1 / epoch, trainAccuracy: 0.5, testLoss: 1 / epoch, testAccuracy: 0.5, seconds: 1 });
  for (const n of [2, 3]) {
    const { svg } = await renderPlot(Array.from({ length: n }, (_, i) => m(i + 1)), 't');
    // The x-axis labels of the loss panel (the first axis group with role-axis-label).
    const labels = [...svg.matchAll(/<text[^>]*>(\d+)<\/text>/g)].map((x) => x[1]);
    const axis = labels.slice(0, n);
    t.deepEqual(axis, Array.from({ length: n }, (_, i) => String(i + 1)), svg.slice(0, 0));
  }
});
