// The spectrum job's checkpoint format (src/cli/spectrum-state.ts, Job.appendFile): the basis
// and product rows are appended to state/basis.bin and state/products.bin, and each step's
// commit records their committed sizes and running CRC-32s. A job SIGKILLed just before the
// commit of step k leaves that step's rows on disk past the committed sizes: the same command
// discards them (saying so), redoes the step and ends bit-identical to an uninterrupted run.
// Damage inside the committed bytes (a flipped byte, a cut file, a deleted file) is refused
// with the --fresh hint; a garbage tail past the committed bytes is discarded.

import test from 'ava';
import { spawn } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readManifest } from '../../src/cli/job.js';
import type { Manifest } from '../../src/cli/job.js';
import { cli } from '../helpers/cli.js';

const root = mkdtempSync(join(tmpdir(), 'descent-spectrum-ckpt-'));
test.after.always(() => rmSync(root, { recursive: true, force: true }));

// Two probes, so that a step appends two basis rows; 784-8-10 on 96 rows has 6,370 parameters.
const PROBES = 2;
const ARGS = ['spectrum', '--model', '784-8-10:tanh', '--samples', '96', '--iterations', '16', '--probes', String(PROBES), '--top-k', '3',
  '--trace-probes', '4', '--backend', 'cpu', '--seed', '4'];
const N = 784 * 8 + 8 + 8 * 10 + 10;

// File operations (job.ts's fault points) of a new job: the manifest at open (1) and at
// begin (2), the start rows of each probe, their commit; then per Lanczos step the basis
// rows, probe 0's product row and the commit. KILL_STEP's commit is operation COMMIT.
const KILL_STEP = 6;
const COMMIT = 2 + PROBES + 1 + 3 * KILL_STEP;

function answer(out: string): unknown {
  const j = JSON.parse(readFileSync(join(out, 'spectrum.json'), 'utf8')) as Record<string, unknown>;
  delete j.created;
  delete j.timings;
  (j.options as Record<string, unknown>).out = null;
  return j;
}

/** The job as last committed (the manifest or its journal's newest line). */
const manifest = (dir: string) => readManifest(dir) as Manifest & { state: { phase: string; lanczos: { steps: number[] } } };

/** The command from the sources in a child process that SIGKILLs itself before file operation `at`. */
function killedAt(out: string, at: number): Promise<string | null> {
  const child = spawn(process.execPath, ['--import', 'tsx', join('test', 'cli', 'spectrum-main.ts'), ...ARGS.slice(1), '--quiet', '--out', out],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, DESCENT_FAULT_KILL_AT: String(at) } });
  let err = '';
  child.stderr.on('data', (b) => { err += String(b); });
  return new Promise((res) => child.on('exit', (code, signal) => {
    if (signal !== 'SIGKILL') console.error(`exit ${code}: ${err}`);
    res(signal);
  }));
}

let reference: unknown;
const mid = join(root, 'mid');

test.serial('killed before the commit of a step: its appended rows are discarded and the resumed run is bit-identical', async (t) => {
  const whole = join(root, 'whole');
  const w = await cli([...ARGS, '--quiet', '--out', whole]);
  t.is(w.code, 0, w.err);
  reference = answer(whole);
  const wm = manifest(whole);
  t.like(wm.files['state/basis.bin'], { append: true });
  const steps = wm.state.lanczos.steps;
  // Every row of every step was appended once: step 0 has both probes, then each step its active probes.
  t.is(wm.files['state/basis.bin']!.bytes, 4 * N * (PROBES + steps.reduce((a, b) => a + b, 0)));
  t.is(wm.files['state/products.bin']!.bytes, 4 * N * steps[0]!);
  t.true(steps[0]! > KILL_STEP, `the run takes ${steps[0]} steps`);

  const killed = join(root, 'killed');
  t.is(await killedAt(killed, COMMIT), 'SIGKILL');
  const km = manifest(killed);
  // Commits are synchronous: the manifest on disk is that of step KILL_STEP − 1.
  const committed = km.state.lanczos.steps[0]!;
  t.is(committed, KILL_STEP - 1);
  t.is(km.files['state/basis.bin']!.bytes, 4 * N * PROBES * (committed + 1));
  // Step KILL_STEP's rows were appended before the kill: the files are longer than committed.
  t.is(statSync(join(killed, 'state', 'basis.bin')).size, 4 * N * PROBES * (KILL_STEP + 1));
  t.is(statSync(join(killed, 'state', 'products.bin')).size, 4 * N * KILL_STEP);
  cpSync(killed, mid, { recursive: true });

  const r = await cli([...ARGS, '--out', killed]);
  t.is(r.code, 0, r.err);
  t.regex(r.err, new RegExp(`discarded ${4 * N * PROBES * (KILL_STEP - committed)} bytes past the last committed step in .*basis\\.bin`));
  t.regex(r.err, new RegExp(`discarded ${4 * N * (KILL_STEP - committed)} bytes past the last committed step in .*products\\.bin`));
  t.deepEqual(answer(killed), reference);
  const rm = manifest(killed);
  t.deepEqual(rm.files['state/basis.bin'], wm.files['state/basis.bin'], 'the same bytes, size and CRC-32 as the uninterrupted run');
  t.deepEqual(rm.files['state/products.bin'], wm.files['state/products.bin']);
  t.deepEqual(readFileSync(join(killed, 'state', 'basis.bin')), readFileSync(join(whole, 'state', 'basis.bin')));
});

/** A copy of the killed run's state with `damage` applied, then the same command. */
async function damaged(name: string, damage: (dir: string) => void): Promise<{ code: number; err: string; dir: string }> {
  const dir = join(root, name);
  cpSync(mid, dir, { recursive: true });
  damage(dir);
  return { ...(await cli([...ARGS, '--out', dir])), dir };
}

test.serial('a damaged appended file: a garbage tail is discarded; damage in the committed bytes is refused with the --fresh hint', async (t) => {
  t.truthy(reference, 'the first test ran');
  const basis = (d: string) => join(d, 'state', 'basis.bin');
  const products = (d: string) => join(d, 'state', 'products.bin');
  const committed = (d: string, f: string) => manifest(d).files[f]!.bytes;

  // Garbage past the committed bytes (a torn append): discarded, then the right answer.
  const tail = await damaged('tail', (d) => appendFileSync(basis(d), Buffer.alloc(1234, 0x7f)));
  t.is(tail.code, 0, tail.err);
  t.regex(tail.err, /discarded \d+ bytes past the last committed step in .*basis\.bin/);
  t.deepEqual(answer(tail.dir), reference);

  // One byte flipped inside the committed rows: the CRC-32 disagrees.
  const flipped = await damaged('flipped', (d) => {
    const b = readFileSync(basis(d));
    b[Math.floor(committed(d, 'state/basis.bin') / 2)] ^= 0x10;
    writeFileSync(basis(d), b);
  });
  t.not(flipped.code, 0);
  t.regex(flipped.err, /basis\.bin does not match its checksum \(CRC-32 of its \d+ committed bytes [0-9a-f]{8}, expected [0-9a-f]{8}\).*rerun with --fresh/);

  // The committed rows of a step swapped with another's: same bytes, another order.
  const swapped = await damaged('swapped', (d) => {
    const b = readFileSync(products(d));
    const row = 4 * N;
    if (b.byteLength >= 2 * row) {
      const first = Buffer.from(b.subarray(0, row));
      b.copy(b, 0, row, 2 * row);
      first.copy(b, row);
    }
    writeFileSync(products(d), b);
  });
  t.not(swapped.code, 0);
  t.regex(swapped.err, /products\.bin does not match its checksum.*rerun with --fresh/);

  // Cut below the committed size.
  const cut = await damaged('cut', (d) => truncateSync(basis(d), committed(d, 'state/basis.bin') - 4));
  t.not(cut.code, 0);
  t.regex(cut.err, /basis\.bin holds \d+ bytes, fewer than the \d+ its last commit counts \(truncated\).*rerun with --fresh/);

  // Deleted.
  const gone = await damaged('gone', (d) => rmSync(products(d)));
  t.not(gone.code, 0);
  t.regex(gone.err, /products\.bin is missing.*rerun with --fresh/);

  // --fresh after a refusal starts over and gives the uninterrupted answer.
  const fresh = await cli([...ARGS, '--quiet', '--fresh', '--out', flipped.dir]);
  t.is(fresh.code, 0, fresh.err);
  t.deepEqual(answer(flipped.dir), reference);
});
