// The `descent spectrum` job: argument parsing, its answers on a block small enough to
// diagonalise densely, its outputs, and resuming after a SIGKILL with the same result.

import test from 'ava';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as d from '../../src/index.js';
import { DEFAULTS, parseSpectrumArgs, spectrumCommand } from '../../src/cli/spectrum.js';
import { runSpectrum } from '../../src/cli/spectrum-job.js';
import { dataFiles } from '../../src/cli/spectrum-options.js';
import type { SpectrumOptions } from '../../src/cli/spectrum.js';
import { parseMlpSpec } from '../../src/cli/spectrum-setup.js';
import { symEig } from '../../src/linalg/dense.js';
import { U } from '../helpers/close.js';
import { readManifest } from '../../src/cli/job.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'descent-spectrum-'));

function options(argv: string[]): SpectrumOptions {
  const o = parseSpectrumArgs([...argv, '--quiet']);
  if (o === 'help') throw new Error('unexpected help');
  return o;
}

test('parseSpectrumArgs · defaults and every option', (t) => {
  const o = options([]);
  t.is(o.model, DEFAULTS.model);
  t.is(o.samples, DEFAULTS.samples);
  t.is(o.matrix, 'hessian');
  t.is(o.backend, 'auto');
  const all = options(['--model', '784-32-10:tanh', '--data', 'fashion-mnist:train', '--samples', 'all', '--shuffle-seed', '3',
    '--batch-size', '100', '--iterations', '50', '--probes', '2', '--top-k', '3', '--tol', '1e-6', '--trace-probes', '0',
    '--matrix', 'ggn', '--layer', '2', '--backend', 'reference', '--seed', '7', '--out', 'x', '--sigma', '0.1', '--grid', '64', '--fresh']);
  t.like(all, { model: '784-32-10:tanh', data: 'fashion-mnist:train', samples: 'all', shuffleSeed: 3, batchSize: 100, iterations: 50,
    probes: 2, topK: 3, tol: 1e-6, traceProbes: 0, matrix: 'ggn', layer: 2, backend: 'reference', seed: 7, out: 'x', sigma: 0.1, grid: 64, fresh: true });
  t.is(parseSpectrumArgs(['-h']), 'help');
  t.deepEqual(parseMlpSpec('784-256-10:gelu'), { widths: [784, 256, 10], activation: 'gelu' });
});

test('dataFiles · files are inflated ahead only when the loader reads them whole', (t) => {
  t.deepEqual(dataFiles({ data: 'default', samples: 1000 }), []);
  t.deepEqual(dataFiles({ data: 'reference', samples: 'all' }), []);
  const all = dataFiles({ data: 'fashion-mnist:test', samples: 'all' });
  t.is(all.length, 2);
  t.true(all[0]!.includes('t10k-images-idx3-ubyte') && all[1]!.includes('t10k-labels-idx1-ubyte'));
  t.is(dataFiles({ data: 'default', samples: 500, shuffleSeed: 3 }).length, 2);
});

test('parseSpectrumArgs · bad input is a usage error naming the option', async (t) => {
  t.throws(() => parseSpectrumArgs(['--matrix', 'fisher']), { message: "--matrix: expected one of hessian, ggn, residual but received 'fisher'" });
  t.throws(() => parseSpectrumArgs(['--iterations', '2.5']), { message: "--iterations: expected an integer in [1, 100000] but received '2.5'" });
  // Every size option is bounded (issue 18 item 10: --grid 1e8 ran out of heap, --probes 100000 and --trace-probes 1e9 ran on).
  t.throws(() => parseSpectrumArgs(['--grid', '1e8']), { message: "--grid: expected an integer in [2, 1000000] but received '1e8'" });
  t.throws(() => parseSpectrumArgs(['--probes', '100000']), { message: "--probes: expected an integer in [1, 4096] but received '100000'" });
  t.throws(() => parseSpectrumArgs(['--trace-probes', '1e9']), { message: "--trace-probes: expected an integer in [0, 100000] but received '1e9'" });
  t.throws(() => parseSpectrumArgs(['--samples', '1e12']), { message: /--samples: expected an integer in \[1, 10000000\]/ });
  t.throws(() => parseSpectrumArgs(['--out', '']), { message: "--out: expected a non-empty value but received ''" });
  // Negative numbers are values, not options (Node's parseArgs said "argument is ambiguous").
  t.throws(() => parseSpectrumArgs(['--seed', '-1']), { message: "--seed: expected an integer in [0, 4294967295] but received '-1'" });
  t.throws(() => parseSpectrumArgs(['--sigma=-1']), { message: "--sigma: expected a positive number but received '-1'" });
  t.throws(() => parseSpectrumArgs(['--top-k', '9', '--iterations', '5']), { message: /--top-k \(9\) must not exceed --iterations \(5\)/ });
  t.throws(() => parseSpectrumArgs(['--bogus']), { message: /Unknown option '--bogus'/ });
  t.throws(() => parseMlpSpec('784x10'), { message: /--model: expected an MLP spec/ });
  const errors: string[] = [];
  const original = console.error;
  console.error = (s: string) => { errors.push(s); };
  try {
    t.is(await spectrumCommand(['--backend', 'tpu']), 2);
    t.is(await spectrumCommand(['--model', '784-8-10', '--data', '/no/such/file', '--backend', 'reference', '--out', tmp(), '--quiet']), 2);
  } finally {
    console.error = original;
  }
  t.regex(errors[0]!, /--backend: expected one of cpu, webgpu, reference, auto but received 'tpu'/);
  t.regex(errors[1]!, /--data: .*\(no such file\)/);
});

test('runSpectrum · one layer of a small MLP: top eigenvalues, trace and outputs agree with the dense block', async (t) => {
  // Layer 2 of 784-6-10 holds 6·10 + 10 = 70 parameters: small enough to assemble densely.
  const out = tmp();
  const o = options(['--model', '784-6-10:tanh', '--samples', '48', '--layer', '2', '--iterations', '40', '--probes', '3',
    '--top-k', '4', '--trace-probes', '8', '--backend', 'reference', '--seed', '2', '--out', out, '--grid', '200']);
  const { json } = await runSpectrum(o);
  const j = json as Record<string, any>;
  t.is(j.problem.parameters, 70);
  // The dense block from the same model, data and seed.
  const data = d.loadDefaultDataset({ limit: 48 });
  const net = new d.MLP([784, 6, 10], { activation: 'tanh' });
  const params = net.init({ seed: 2, backend: 'reference' });
  const x = d.tensor(data.x, [48, 784], { backend: 'reference' }), y = d.tensor(data.y, [48], { dtype: 'int32', backend: 'reference' });
  const H = d.modelHessian(net, d.softmaxCrossEntropy, params, { x, y }, { block: 2 });
  const cols = await H.apply(d.eye(70, { backend: 'reference' })).data();
  const dense = Float64Array.from(cols);
  for (let i = 0; i < 70; i++) for (let k = 0; k < i; k++) dense[i * 70 + k] = dense[k * 70 + i] = (dense[i * 70 + k]! + dense[k * 70 + i]!) / 2;
  const { values } = symEig(dense, 70);
  const norm = Math.max(Math.abs(values[0]!), Math.abs(values[69]!));
  // float32 products of length 70 (the block) after a forward pass over 784 inputs: the
  // dense matrix and the job each carry about √n·u·‖H‖ of rounding per product.
  const bound = 4 * Math.sqrt(784) * U.float32 * norm;
  const top = j.eigenvalues.top as number[];
  top.forEach((v, i) => t.true(Math.abs(v - values[69 - i]!) <= bound, `θ${i} = ${v} vs ${values[69 - i]} (bound ${bound})`));
  (j.eigenvalues.residuals as number[]).forEach((r) => t.true(r <= 1e-4 * norm, `residual ${r}`));
  let trace = 0;
  for (const v of values) trace += v;
  // 40 ≥ 70/2 steps of probe 0 capture most of the block; the rest is estimated.
  t.true(Math.abs(j.trace.estimate - trace) <= 4 * j.trace.standardError + 70 * bound, `${j.trace.estimate} vs ${trace} ± ${j.trace.standardError}`);
  t.is(j.trace.samples, 2 + 8);
  // Density: on the grid, integrating to 1; quadrature weights of each probe sum to 1.
  const g = j.density.grid as number[], dens = j.density.density as number[];
  let mass = 0;
  for (let i = 1; i < g.length; i++) mass += 0.5 * (dens[i]! + dens[i - 1]!) * (g[i]! - g[i - 1]!);
  t.true(Math.abs(mass - 1) < 1e-3, `∫φ = ${mass}`);
  for (const q of j.quadrature) t.true(Math.abs((q.weights as number[]).reduce((a, b) => a + b, 0) - 1) < 1e-12);
  t.is(j.density.sigmaMeaning, 'standard deviation of the Gaussian kernel');
  const svg = readFileSync(join(out, 'density.svg'), 'utf8');
  t.true(svg.startsWith('<svg') && svg.includes('log density'));
  t.true(existsSync(join(out, 'descent-job.json')) && existsSync(join(out, 'state', 'basis.bin')));
  H.dispose();
});

function runChild(args: string[]): { done: Promise<number | null>; kill: () => void } {
  const child = spawn(process.execPath, ['--import', 'tsx', join('test', 'cli', 'spectrum-main.ts'), ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (c) => { err += String(c); });
  const done = new Promise<number | null>((res) => child.on('exit', (code) => {
    if (code !== 0 && code !== null) console.error(err);
    res(code);
  }));
  return { done, kill: () => child.kill('SIGKILL') };
}

function comparable(path: string): Record<string, unknown> {
  const j = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  delete j.created;
  delete j.timings;
  (j.options as Record<string, unknown>).out = null;
  return j;
}

test('spectrum job · killed with SIGKILL mid-run, the same command resumes and gives the uninterrupted result', async (t) => {
  const args = ['--model', '784-16-10:relu', '--samples', '256', '--iterations', '30', '--probes', '2', '--trace-probes', '4',
    '--top-k', '3', '--backend', 'reference', '--seed', '5', '--quiet'];
  const whole = tmp(), killed = tmp();
  t.is(await runChild([...args, '--out', whole]).done, 0);

  const first = runChild([...args, '--out', killed]);
  // The state as last committed (the manifest or its journal's newest line).
  const state = () => readManifest(killed)!.state as unknown as { phase: string; lanczos: { steps: number[] } };
  let steps = 0;
  for (let i = 0; i < 3000 && steps < 8; i++) {
    await new Promise((r) => setTimeout(r, 10));
    try {
      steps = state().lanczos.steps[0]!;
    } catch { /* not written yet, or being renamed */ }
  }
  first.kill();
  t.is(await first.done, null, 'the first run was killed');
  const mid = state();
  t.is(mid.phase, 'lanczos');
  t.true(mid.lanczos.steps[0]! >= 8 && mid.lanczos.steps[0]! < 30, `killed after ${mid.lanczos.steps[0]} steps`);

  t.is(await runChild([...args, '--out', killed]).done, 0);
  const resumed = JSON.parse(readFileSync(join(killed, 'spectrum.json'), 'utf8')) as { timings: { resumed: boolean; runs: number } };
  t.true(resumed.timings.resumed);
  t.is(resumed.timings.runs, 2);
  t.deepEqual(comparable(join(killed, 'spectrum.json')), comparable(join(whole, 'spectrum.json')));
});

test('spectrum job · a finished checkpoint is reused; other options are refused unless --fresh', async (t) => {
  const out = tmp();
  const base = ['--model', '784-4-10', '--samples', '32', '--iterations', '12', '--probes', '2', '--trace-probes', '2', '--top-k', '2', '--backend', 'reference', '--out', out];
  const a = await runSpectrum(options(base));
  // A different grid changes only the outputs: the Lanczos work is not repeated.
  const b = await runSpectrum(options([...base, '--grid', '64']));
  t.deepEqual((b.json as any).eigenvalues, (a.json as any).eigenvalues);
  t.is((b.json as any).density.grid.length, 64);
  t.is((b.json as any).timings.runs, 2);
  t.false((b.json as any).timings.resumed);
  // A different seed is another problem: refused (also with --quiet), naming the difference; --fresh starts over.
  await t.throwsAsync(runSpectrum(options([...base, '--seed', '1'])), { message: /holds a job made with other settings: seed 0 then, 1 now; pass --fresh/ });
  const c = await runSpectrum(options([...base, '--seed', '1', '--fresh']));
  t.is((c.json as any).timings.runs, 1);
  t.notDeepEqual((c.json as any).eigenvalues.top, (a.json as any).eigenvalues.top);
});
