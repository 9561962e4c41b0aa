// Fault injection for descent's jobs (issue 18's acceptance): kills at seeded random points
// (child processes, DESCENT_FAULT_KILL_AT: the job SIGKILLs itself before its Nth file
// operation), each kind of state file corrupted, swapped or deleted, each input changed
// between runs, a full disk (a small tmpfs, skipped with the reason when it cannot be
// mounted), and two jobs on one --out. Every case must end in the correct result (equal to
// an uninterrupted run's) or a clear refusal (non-zero exit, a message naming the problem
// and, for a damaged state, the --fresh way out); never exit 0 with a different answer.
// The counts are printed at the end (t.log) for the issue's closing note.

import test from 'ava';
import type { ExecutionContext } from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '../../src/index.js';
import { loadDefaultDataset } from '../../src/data/fashion-mnist.js';
import { encodeIdx } from '../../src/data/idx.js';
import { writeMlpSafetensors, unflattenMlp, readMlpSafetensors, flattenMlp } from '../../src/io/mlp-weights.js';
import { MLP } from '../../src/nn/mlp.js';
import { Rng } from '../../src/random.js';
import { cli } from '../helpers/cli.js';
import { Job, JOURNAL, LOCK, MANIFEST, readManifest } from '../../src/cli/job.js';

const root = mkdtempSync(join(tmpdir(), 'descent-faults-'));
const mounts: string[] = [];
test.after.always(() => {
  for (const m of mounts) spawnSync('umount', [m]);
  rmSync(root, { recursive: true, force: true });
});

// ── The tally ──
const tally = { tried: 0, clearErrors: 0, recoveries: 0, wrong: 0, skipped: [] as string[] };
test.after.always(() => {
  console.log(`fault injection: ${tally.tried} cases tried, ${tally.clearErrors} clear errors, ${tally.recoveries} correct recoveries, `
    + `${tally.wrong} wrong${tally.skipped.length ? `; skipped: ${tally.skipped.join('; ')}` : ''}`);
});

// ── Inputs: a small IDX data set and an MLP weights file, made here ──
const DATA = join(root, 'in', 'data-images-idx3-ubyte');
const LABELS = join(root, 'in', 'data-labels-idx1-ubyte');
const MODEL = join(root, 'in', 'model.safetensors');
{
  mkdirSync(join(root, 'in'));
  const d = loadDefaultDataset({ limit: 128 });
  writeFileSync(DATA, encodeIdx('uint8', [d.n, 28, 28], Array.from(d.x, (v) => Math.round(v * 255))));
  writeFileSync(LABELS, encodeIdx('uint8', [d.n], d.y));
  const net = new MLP([784, 16, 10], { activation: 'tanh' });
  const p = net.init({ seed: 3, backend: 'reference' });
  writeMlpSafetensors(MODEL, unflattenMlp(net.sizes, p.dataSync() as Float32Array), { activation: 'tanh' });
  p.dispose();
}

const SPECTRUM = ['spectrum', '--model', MODEL, '--data', DATA, '--samples', 'all', '--iterations', '24', '--probes', '2', '--top-k', '3',
  '--trace-probes', '4', '--backend', 'cpu', '--quiet'];
const TRAIN = ['train', '--data', 'embedded', '--train-limit', '600', '--test-limit', '200', '--hidden', '16', '--batch-size', '100',
  '--epochs', '3', '--seed', '2', '--backend', 'cpu', '--quiet'];


/** The CLI in a child process (the only way to be killed for real). */
function child(argv: string[], env: Record<string, string> = {}): { done: Promise<{ code: number | null; signal: string | null; err: string }>; pid: number } {
  const c = spawn(process.execPath, ['--import', 'tsx', join('src', 'cli', 'descent.ts'), ...argv], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
  let err = '';
  c.stderr.on('data', (b) => { err += String(b); });
  return { pid: c.pid!, done: new Promise((res) => c.on('exit', (code, signal) => res({ code, signal, err }))) };
}

/** spectrum.json without the fields that differ between equal runs. */
function spectrumAnswer(out: string): unknown {
  const j = JSON.parse(readFileSync(join(out, 'spectrum.json'), 'utf8')) as Record<string, unknown>;
  delete j.created;
  delete j.timings;
  return j;
}
const trainAnswer = (out: string) => ({
  weights: Array.from(flattenMlp(readMlpSafetensors(join(out, 'weights.safetensors')))),
  metrics: (JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as { epochs: Record<string, number>[] }).epochs.map(({ seconds: _, ...m }) => m),
});

/** Records a case whose run was expected to recover: exit 0 and the reference answer. */
function expectRecovery(t: ExecutionContext, what: string, r: { code: number; err: string }, answer: () => unknown, reference: unknown): void {
  tally.tried++;
  if (r.code === 0 && JSON.stringify(answer()) === JSON.stringify(reference)) {
    tally.recoveries++;
    t.pass(what);
  } else if (r.code !== 0 && /--fresh|another descent job/.test(r.err)) {
    tally.clearErrors++;
    t.log(`${what}: refused instead of recovering: ${r.err.trim().split('\n').at(-1)}`);
    t.pass();
  } else {
    tally.wrong++;
    t.fail(`${what}: exit ${r.code}, ${r.code === 0 ? 'a different answer' : r.err}`);
  }
}

/** Records a case that must be refused: non-zero exit and a message matching `clear`; never exit 0. */
function expectRefusal(t: ExecutionContext, what: string, r: { code: number; err: string }, clear: RegExp): void {
  tally.tried++;
  if (r.code !== 0 && clear.test(r.err)) {
    tally.clearErrors++;
    t.pass(what);
  } else {
    if (r.code === 0) tally.wrong++;
    t.fail(`${what}: exit ${r.code}: ${r.err}`);
  }
}

/** Every temporary file left under `dir` (none may survive a failed or killed write that was cleaned up). */
function tempFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.tmp-\d+$/.test(f)) out.push(p);
    }
  };
  if (existsSync(dir)) walk(dir);
  return out;
}

let spectrumRef: unknown;
let trainRef: unknown;
const midRun = join(root, 'spectrum-mid');

test.serial('references: uninterrupted spectrum and train runs', async (t) => {
  const s = await cli([...SPECTRUM, '--out', join(root, 'spectrum-ref')]);
  t.is(s.code, 0, s.err);
  spectrumRef = spectrumAnswer(join(root, 'spectrum-ref'));
  const tr = await cli([...TRAIN, '--out', join(root, 'train-ref')]);
  t.is(tr.code, 0, tr.err);
  trainRef = trainAnswer(join(root, 'train-ref'));
});

test.serial('kills at seeded random points, then the same command: the uninterrupted answer', async (t) => {
  // A spectrum run here takes about 80 file operations (2 appends and a commit per
  // Lanczos step, then the trace and outputs); train 4 before its first epoch and 7–8 per
  // epoch, so a kill at 12–25 leaves a committed epoch (the damage cases below use it).
  const rng = new Rng(2026, 1);
  const points = [rng.int(80) + 1, rng.int(80) + 1, 40];
  const kills = points.map((at, i) => ({ out: join(root, `spectrum-kill-${i}`), at, run: child([...SPECTRUM, '--out', join(root, `spectrum-kill-${i}`)], { DESCENT_FAULT_KILL_AT: String(at) }) }));
  const trainAt = 12 + rng.int(14);
  const trainKill = { out: join(root, 'train-kill'), run: child([...TRAIN, '--out', join(root, 'train-kill')], { DESCENT_FAULT_KILL_AT: String(trainAt) }) };
  for (const k of kills) {
    const r = await k.run.done;
    t.log(`spectrum killed before file operation ${k.at}: ${r.signal ?? `exit ${r.code}`}`);
    if (k.at === 40) cpSync(k.out, midRun, { recursive: true }); // a mid-run state for the corruption cases
    expectRecovery(t, `spectrum resumed after a kill at operation ${k.at}`, await cli([...SPECTRUM, '--out', k.out]), () => spectrumAnswer(k.out), spectrumRef);
    t.deepEqual(tempFiles(k.out), []);
  }
  const r = await trainKill.run.done;
  t.log(`train killed before file operation ${trainAt}: ${r.signal ?? `exit ${r.code}`}`);
  cpSync(trainKill.out, join(root, 'train-mid'), { recursive: true });
  expectRecovery(t, `train resumed after a kill at operation ${trainAt}`, await cli([...TRAIN, '--out', trainKill.out]), () => trainAnswer(trainKill.out), trainRef);
  // A kill at a random moment (not at a file operation) as well.
  const timed = child([...SPECTRUM, '--out', join(root, 'spectrum-kill-timer')]);
  await new Promise((res) => setTimeout(res, 1500 + rng.int(1500)));
  try { process.kill(timed.pid, 'SIGKILL'); } catch { /* already done */ }
  await timed.done;
  expectRecovery(t, 'spectrum resumed after a kill at a random moment', await cli([...SPECTRUM, '--out', join(root, 'spectrum-kill-timer')]), () => spectrumAnswer(join(root, 'spectrum-kill-timer')), spectrumRef);
});

/** A copy of the mid-run spectrum state with `damage` applied, rerun with the same command. */
async function damaged(name: string, damage: (dir: string) => void): Promise<{ code: number; err: string; dir: string }> {
  const dir = join(root, `corrupt-${name}`);
  cpSync(midRun, dir, { recursive: true });
  damage(dir);
  return { ...(await cli([...SPECTRUM, '--out', dir])), dir };
}

const stateFile = (dir: string, kind: 'basis' | 'products') => join(dir, 'state', `${kind}.bin`);
/** The committed bytes of an appended state file (the manifest's count; bytes past it are an uncommitted tail). */
const committedBytes = (dir: string, kind: 'basis' | 'products') =>
  readManifest(dir)!.files[`state/${kind}.bin`]!.bytes;
const FRESH = /rerun with --fresh|pass --fresh/;

test.serial('each kind of state file corrupted, swapped or deleted: refused with the --fresh hint, or recovered', async (t) => {
  t.true(existsSync(join(midRun, MANIFEST)), 'the mid-run state exists');
  const m = readManifest(midRun) as unknown as { state: { phase: string; lanczos: { steps: number[] } } };
  t.log(`mid-run state: phase ${m.state.phase}, ${m.state.lanczos.steps[0]} Lanczos steps`);
  const rng = new Rng(7, 2);
  const rewrite = (path: string, f: (b: Buffer) => Buffer) => writeFileSync(path, f(readFileSync(path)));
  const randomFloats = (b: Buffer) => Buffer.from(new Float32Array(rng.normal(b.byteLength / 4)).buffer);
  const cases: [string, (d: string) => void][] = [
    ['basis file: random finite floats', (d) => rewrite(stateFile(d, 'basis'), randomFloats)],
    ['basis file: committed rows zeroed', (d) => rewrite(stateFile(d, 'basis'), (b) => { const c = Buffer.from(b); c.fill(0, 0, committedBytes(d, 'basis') >> 1); return c; })],
    ['basis file: truncated below its committed size', (d) => rewrite(stateFile(d, 'basis'), (b) => b.subarray(0, committedBytes(d, 'basis') >> 1))],
    ['basis file: deleted', (d) => rmSync(stateFile(d, 'basis'))],
    ['basis file: two rows swapped', (d) => rewrite(stateFile(d, 'basis'), (b) => {
      const row = 4 * (784 * 16 + 16 + 16 * 10 + 10); // n of the 784-16-10 model
      const c = Buffer.from(b);
      b.copy(c, 0, row, 2 * row);
      b.copy(c, row, 0, row);
      return c;
    })],
    ['basis file: a garbage tail past its committed size (a torn append)', (d) => rewrite(stateFile(d, 'basis'), (b) => Buffer.concat([b, Buffer.alloc(999, 0x5a)]))],
    ['products file: random finite floats', (d) => rewrite(stateFile(d, 'products'), randomFloats)],
    ['products file: deleted', (d) => rmSync(stateFile(d, 'products'))],
    // (Mid-run, the newest state is in the journal; the manifest holds the options and the files of its last write.)
    ['manifest: an option changed', (d) => rewrite(join(d, MANIFEST), (b) => Buffer.from(b.toString().replace(/("iterations": )(\d+)/, (_, p: string, v: string) => `${p}${Number(v) + 1}`)))],
    ['manifest: truncated', (d) => rewrite(join(d, MANIFEST), (b) => b.subarray(0, 100))],
    // The journal's newest line fails its checksum: the job resumes from an older commit.
    ['journal: a Lanczos coefficient changed in its newest line', (d) => rewrite(join(d, JOURNAL), (b) => Buffer.from(b.toString().replace(/("alpha":\[\[)([-\d.e]+)(?![\s\S]*"alpha":\[\[)/, (_, p: string, v: string) => `${p}${Number(v) * 1.5}`)))],
    ['journal: cut in the middle of a line', (d) => rewrite(join(d, JOURNAL), (b) => b.subarray(0, Math.max(0, b.length - 700)))],
    ['journal: deleted', (d) => rmSync(join(d, JOURNAL), { force: true })],
  ];
  for (const [what, damage] of cases) {
    const r = await damaged(what.replace(/\W+/g, '-'), damage);
    // Bytes past the committed size are what a kill between an append and its commit leaves: discarded.
    // A damaged or cut journal line is skipped: the job resumes from the commit before it.
    if (what.includes('tail') || what.startsWith('journal')) expectRecovery(t, what, r, () => spectrumAnswer(r.dir), spectrumRef);
    else expectRefusal(t, what, r, FRESH);
  }
  // With --fresh, a damaged job starts over and gives the right answer.
  const d = join(root, 'corrupt-basis-file-random-finite-floats');
  expectRecovery(t, '--fresh after a damaged state', await cli([...SPECTRUM, '--out', d, '--fresh']), () => spectrumAnswer(d), spectrumRef);
  // A deleted manifest: the job is new; its old appended files are never trusted (they are truncated and rewritten).
  const gone = await damaged('manifest-deleted', (dd) => rmSync(join(dd, MANIFEST)));
  expectRecovery(t, 'manifest deleted', gone, () => spectrumAnswer(gone.dir), spectrumRef);
  // A lock left by a killed job (its pid is gone) is taken over.
  const stale = await damaged('stale-lock', (dd) => writeFileSync(join(dd, LOCK), '999999999\n'));
  expectRecovery(t, 'stale lock of a dead process', stale, () => spectrumAnswer(stale.dir), spectrumRef);
  // train's checkpoint, damaged.
  const trainCases: [string, (d: string) => void][] = [
    ['train checkpoint: bytes changed', (dd) => {
      const f = readdirSync(join(dd, 'state')).find((x) => x.endsWith('.safetensors'))!;
      rewrite(join(dd, 'state', f), (b) => { const c = Buffer.from(b); c[c.length - 5] ^= 0xff; return c; });
    }],
    ['train checkpoint: sidecar deleted', (dd) => rmSync(join(dd, 'state', readdirSync(join(dd, 'state')).find((x) => x.endsWith('.json'))!))],
  ];
  const trainMid = existsSync(join(root, 'train-mid', MANIFEST))
    ? readManifest(join(root, 'train-mid')) as unknown as { state: { epoch: number } | null; status: string }
    : { state: null, status: 'none' };
  if (trainMid.state && trainMid.state.epoch > 0 && trainMid.status !== 'done') {
    for (const [what, damage] of trainCases) {
      const dir = join(root, `corrupt-${what.replace(/\W+/g, '-')}`);
      cpSync(join(root, 'train-mid'), dir, { recursive: true });
      damage(dir);
      expectRefusal(t, what, await cli([...TRAIN, '--out', dir]), FRESH);
    }
  } else {
    tally.skipped.push(`train checkpoint damage (the killed train run had no committed epoch: state ${JSON.stringify(trainMid.state?.epoch ?? null)})`);
  }
  // The shared mechanism for every job's state files (run's stages too): a changed file is refused.
  const jd = join(root, 'job-unit');
  const job = Job.open({ command: 'run x', out: jd, options: { a: 1 } });
  job.writeFile('state/stage-a.json', '{"key":"a","value":1}');
  job.commit({ stages: { a: 'state/stage-a.json' } });
  job.close();
  writeFileSync(join(jd, 'state/stage-a.json'), '{"key":"a","value":2}');
  const again = Job.open({ command: 'run x', out: jd, options: { a: 1 } });
  tally.tried++;
  try {
    again.readFile('state/stage-a.json');
    tally.wrong++;
    t.fail('a changed stage file was read');
  } catch (e) {
    t.regex((e as Error).message, /does not match its checksum .* rerun with --fresh/);
    tally.clearErrors++;
  } finally {
    again.close();
  }
});

test.serial('each input changed between runs: refused, naming the input (also with --quiet)', async (t) => {
  const change = async (what: string, path: string, out: string, option: RegExp) => {
    const before = readFileSync(path);
    const after = Buffer.from(before);
    after[after.length - 1] ^= 1;
    writeFileSync(path, after);
    try {
      expectRefusal(t, what, await cli([...SPECTRUM, '--out', out]), option);
    } finally {
      writeFileSync(path, before);
    }
  };
  const mid = join(root, 'input-mid');
  cpSync(midRun, mid, { recursive: true });
  await change('--data images changed mid-run', DATA, mid, /the content of --data \(.*images-idx3-ubyte\) changed; pass --fresh/);
  await change('--data labels changed after a finished run', LABELS, join(root, 'spectrum-ref'), /the content of --data \(.*labels-idx1-ubyte\) changed/);
  await change('--model changed after a finished run', MODEL, join(root, 'spectrum-ref'), /the content of --model \(.*model\.safetensors\) changed/);
  // Restored inputs: the finished job is reused as it was.
  expectRecovery(t, 'inputs restored', await cli([...SPECTRUM, '--out', join(root, 'spectrum-ref')]), () => spectrumAnswer(join(root, 'spectrum-ref')), spectrumRef);
  tally.skipped.push("train's data inputs (the embedded data set in descent's data/ folder is fingerprinted too, but changing it would change the package)");
});

test.serial('descent run killed between stages: the same command ends with the uninterrupted result', async (t) => {
  const RUN = ['run', 'diffgrad', '--quick', '--set', 'epochs=1', '--set', 'trainRows=400', '--set', 'testRows=200', '--set', 'replicas=1', '--set', 'hidden=[8]', '--quiet'];
  const answer = (out: string) => {
    const r = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as Record<string, unknown>;
    return { metrics: r.metrics, series: r.series, checks: r.checks, settings: r.settings };
  };
  const ref = await cli([...RUN, '--out', join(root, 'run-ref')]);
  t.is(ref.code, 0, ref.err);
  // Operations: the manifest at open (1) and start (2), a stage file and a commit per stage (3–10: exact-steps, then one
  // training stage per optimizer), the outputs (11–13): a kill at 5–9 lands after the first stage.
  const at = 5 + new Rng(11, 3).int(5);
  const out = join(root, 'run-kill');
  const r = await child([...RUN, '--out', out], { DESCENT_FAULT_KILL_AT: String(at) }).done;
  t.log(`run killed before file operation ${at}: ${r.signal ?? `exit ${r.code}`}`);
  expectRecovery(t, `run resumed after a kill at operation ${at}`, await cli([...RUN, '--out', out]), () => answer(out), answer(join(root, 'run-ref')));
  t.deepEqual(tempFiles(out), []);
});

test.serial('two jobs on one --out: the second is refused while the first runs; the first finishes right', async (t) => {
  const out = join(root, 'two-jobs');
  const first = child([...SPECTRUM, '--out', out]);
  for (let i = 0; i < 1000 && !existsSync(join(out, LOCK)); i++) await new Promise((r) => setTimeout(r, 10));
  const second = await cli([...SPECTRUM, '--out', out]);
  const other = await cli([...SPECTRUM, '--out', out, '--seed', '9', '--fresh']);
  const r = await first.done;
  if (existsSync(join(out, 'spectrum.json')) && second.code !== 0) {
    expectRefusal(t, 'a second identical job while the first runs', second, new RegExp(`another descent job \\(pid ${first.pid}\\) is running`));
    expectRefusal(t, 'a second job with other options and --fresh while the first runs', other, /another descent job/);
  } else {
    tally.skipped.push('two jobs: the first finished before the second started');
  }
  expectRecovery(t, 'the first job, undisturbed', { code: r.code ?? 1, err: r.err }, () => spectrumAnswer(out), spectrumRef);
});

test.serial('a full disk (small tmpfs): the job stops at the first failed write, naming the file; no temporary files', async (t) => {
  const disk = join(root, 'disk');
  mkdirSync(disk);
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=96k', 'tmpfs', disk], { encoding: 'utf8' });
  if (m.status !== 0) {
    tally.skipped.push(`full disk: mount -t tmpfs failed (${(m.stderr || m.error?.message || '').trim()})`);
    t.log(`skipped: cannot mount a tmpfs: ${m.stderr}`);
    return;
  }
  mounts.push(disk);
  // spectrum: the checkpoint would not fit: refused before the Lanczos phase.
  const s = await cli([...SPECTRUM, '--out', join(disk, 'spectrum')]);
  expectRefusal(t, 'spectrum on a full disk', s, /the checkpoint needs about .* MiB in .*, but only .* MiB are free|cannot write .*(no space|ENOSPC)/);
  t.deepEqual(tempFiles(disk), []);
  // train: fails at its first checkpoint write, naming the file.
  const tr = await cli([...TRAIN, '--hidden', '64', '--out', join(disk, 'train')]);
  expectRefusal(t, 'train on a full disk', tr, /^descent train: .*cannot write .*\/disk\/train\/\S+: no space left on the device \(ENOSPC\)/m);
  t.false(/tmp-\d+/.test(tr.err), 'the message names the file, not its temporary name');
  t.deepEqual(tempFiles(disk), []);
  // spectrum with room for its checkpoint at the start, then the disk fills up (a second
  // job's files): the writer thread's first failure stops the job, naming the file.
  rmSync(join(disk, 'train'), { recursive: true, force: true });
  rmSync(join(disk, 'spectrum'), { recursive: true, force: true });
  const small = ['spectrum', '--model', '784-8-10:relu', '--data', DATA, '--samples', 'all', '--iterations', '24', '--probes', '2', '--top-k', '3',
    '--trace-probes', '4', '--backend', 'cpu', '--quiet', '--out', join(disk, 'spectrum2')];
  writeFileSync(join(disk, 'filler'), Buffer.alloc(40 * 1024));
  const s2 = await cli(small);
  tally.tried++;
  if (s2.code === 0) {
    t.log('the small spectrum job fitted on the disk');
    tally.tried--;
  } else if (/cannot write .*(no space|ENOSPC)|but only .* MiB are free/.test(s2.err)) {
    tally.clearErrors++;
  } else {
    t.fail(`unclear failure on a full disk: ${s2.err}`);
  }
  t.deepEqual(tempFiles(disk), []);
  // The generic rule, for every job's writes: the first failed write names the file.
  const job = Job.open({ command: 'run x', out: join(disk, 'job'), options: {} });
  tally.tried++;
  try {
    job.writeFile('big.bin', new Uint8Array(256 * 1024));
    tally.wrong++;
    t.fail('a write larger than the disk succeeded');
  } catch (e) {
    t.regex((e as Error).message, /^descent run: cannot write .*\/job\/big\.bin: no space left on the device \(ENOSPC\)$/);
    tally.clearErrors++;
  } finally {
    job.close();
  }
  t.deepEqual(tempFiles(disk), []);
});
