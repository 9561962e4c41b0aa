// `descent run` and `descent reproduce`: the experiment list, a --quick run end to end into
// a folder (result.json's schema, figure.svg), resuming a run interrupted between stages,
// the resume policy, and the HTML report.

import test from 'ava';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RESULT_SCHEMA } from '../../src/algorithms/experiment.js';
import type { ExperimentResult } from '../../src/algorithms/experiment.js';
import { EXPERIMENTS } from '../../src/algorithms/registry.js';
import { main } from '../../src/cli/descent.js';
import { MANIFEST, sealManifest } from '../../src/cli/job.js';
import type { Manifest } from '../../src/cli/job.js';

const root = mkdtempSync(join(tmpdir(), 'descent-run-'));
test.after.always(() => rmSync(root, { recursive: true, force: true }));

/** Runs the CLI in this process, capturing what it prints. */
async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [], err: string[] = [];
  const log = console.log, error = console.error, write = process.stderr.write;
  console.log = (...a: unknown[]) => { out.push(a.join(' ')); };
  console.error = (...a: unknown[]) => { err.push(a.join(' ')); };
  process.stderr.write = ((s: string) => { err.push(String(s)); return true; }) as typeof process.stderr.write;
  try {
    const code = await main(argv);
    return { code, out: out.join('\n'), err: err.join('') };
  } finally {
    console.log = log;
    console.error = error;
    process.stderr.write = write;
  }
}

const readResult = (dir: string) => JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as ExperimentResult;

test.serial('run --list: every registered experiment with its paper and times', async (t) => {
  const { code, out } = await cli('run', '--list');
  t.is(code, 0);
  for (const e of EXPERIMENTS) {
    t.regex(out, new RegExp(`^${e.name}\\s+§${e.paper.number} `, 'm'));
    t.true(out.includes(`${e.seconds.full} s / ${e.seconds.quick} s`));
  }
  t.true(out.includes('diffgrad'));
});

test.serial('run: usage errors name the option and exit 2', async (t) => {
  t.is((await cli('run')).code, 2);
  const unknown = await cli('run', 'nope');
  t.is(unknown.code, 2);
  t.regex(unknown.err, /descent run: unknown experiment 'nope'; expected one of .*diffgrad/);
  const badSet = await cli('run', 'diffgrad', '--quick', '--set', 'epochs=two', '--out', join(root, 'x'));
  t.is(badSet.code, 2);
  t.regex(badSet.err, /expected a finite number for setting 'epochs' but received 'two'/);
  const seed = await cli('run', 'diffgrad', '--seed', '-1');
  t.is(seed.code, 2);
  t.regex(seed.err, /--seed: expected an integer in \[0, 4294967295\] but received '-1'/);
  t.is((await cli('run', 'diffgrad', '--out', '')).code, 2);
  t.false(existsSync(join(root, 'x')));
});

test.serial('run diffgrad --quick: result.json (schema), figure.svg, summary; a rerun reuses it; other options are refused', async (t) => {
  const dir = join(root, 'report', 'diffgrad');
  const first = await cli('run', 'diffgrad', '--quick', '--out', dir);
  t.is(first.code, 0, first.err);
  t.regex(first.out, /checks: \d of 5 held/);
  t.regex(first.out, /PASS {2}xi-half-when-gradient-constant/);
  const r = readResult(dir);
  t.is(r.schema, RESULT_SCHEMA);
  t.is(r.experiment, 'diffgrad');
  t.deepEqual(r.paper, { number: 7, title: 'diffGrad: An Optimization Method for Convolutional Neural Networks', arxiv: '1909.11015' });
  t.true(r.quick);
  t.is(r.seed, 0);
  t.is(r.settings.epochs, 2);
  t.true(r.checks.length === 5 && r.checks.every((c) => typeof c.name === 'string' && typeof c.prediction === 'string' && typeof c.pass === 'boolean' && 'observed' in c));
  t.true(r.series.every((s) => typeof s.name === 'string' && s.points.length > 0));
  t.true(typeof r.timings.totalSeconds === 'number' && Object.keys(r.timings.stages).length === 4);
  t.regex(readFileSync(join(dir, 'figure.svg'), 'utf8'), /^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  // A rerun with the same options reuses the result; --strict turns a failed check into exit 1.
  const again = await cli('run', 'diffgrad', '--quick', '--out', dir);
  t.regex(again.out, /reused the finished result/);
  const anyFailed = r.checks.some((c) => !c.pass);
  t.is((await cli('run', 'diffgrad', '--quick', '--out', dir, '--strict', '--quiet')).code, anyFailed ? 1 : 0);
  // Other options: refused, naming the difference, also with --quiet.
  const other = await cli('run', 'diffgrad', '--quick', '--out', dir, '--set', 'lr=0.002', '--quiet');
  t.is(other.code, 1);
  t.regex(other.err, /holds a job made with other settings: settings .*; pass --fresh/);
  t.deepEqual(readResult(dir), r);
});

test.serial('run: a run interrupted after some stages resumes them and ends with the same result', async (t) => {
  const dir = join(root, 'report', 'diffgrad');
  const before = readResult(dir);
  // The state a kill between the 'train-diffgrad' and 'train-legacy' stages leaves: the
  // manifest commits three stages, status running, no result yet.
  const m = JSON.parse(readFileSync(join(dir, MANIFEST), 'utf8')) as Manifest;
  const st = m.state as { stages: Record<string, string> };
  const legacyFile = st.stages['train-legacy']!;
  delete st.stages['train-legacy'];
  for (const f of [legacyFile, 'result.json', 'figure.svg']) {
    delete m.files[f];
    rmSync(join(dir, f));
  }
  m.status = 'running';
  writeFileSync(join(dir, MANIFEST), sealManifest(m));
  const resumed = await cli('run', 'diffgrad', '--quick', '--out', dir);
  t.is(resumed.code, 0, resumed.err);
  t.regex(resumed.err, /resuming diffgrad .*\(3 stages done\)/);
  const after = readResult(dir);
  t.deepEqual(after.metrics, before.metrics);
  t.deepEqual(after.checks, before.checks);
  t.deepEqual(after.series, before.series);
  t.is((after.timings as unknown as { runs: number }).runs, 2);
});

test.serial('reproduce --quick --only diffgrad: reuses the finished run and writes index.html with its section', async (t) => {
  const dir = join(root, 'report');
  const { code, err } = await cli('reproduce', '--quick', '--only', 'diffgrad', '--out', dir);
  t.is(code, 0, err);
  const html = readFileSync(join(dir, 'index.html'), 'utf8');
  t.regex(html, /<section id="paper-7"><h2>§7 diffGrad: An Optimization Method for Convolutional Neural Networks<\/h2>/);
  t.true(html.includes('arXiv:1909.11015'));
  t.regex(html, /<div class="figure"><svg/);
  t.regex(html, /<th>prediction<\/th><th>observed<\/th><th>verdict<\/th>/);
  t.true(html.includes('xi-half-when-gradient-constant'));
  // Self-contained: no scripts, stylesheets or images fetched from elsewhere.
  t.false(/<script|<link |<img |src="http/.test(html));
  const bad = await cli('reproduce', '--only', 'nope', '--out', dir);
  t.is(bad.code, 2);
  t.regex(bad.err, /--only: unknown experiment 'nope'/);
  t.is((await cli('reproduce', '--quick')).code, 2);
});
