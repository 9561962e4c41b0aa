// The command-line layer shared by every job: option parsing (args.ts), one error prefix
// (descent.ts), atomic writes that fail at once naming the file (io/files.ts), and the
// job manifest's rules (job.ts) in isolation.

import test from 'ava';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { activationChoices, backendChoices, helpText, optimizerChoices, parseOptions, OptionError } from '../../src/cli/args.js';
import type { OptionSpecs } from '../../src/cli/args.js';
import { errorLine } from '../../src/cli/descent.js';
import { checkMemory, Job, JOURNAL, LOCK, MANIFEST, readManifest } from '../../src/cli/job.js';
import { UsageError } from '../../src/cli/usage.js';
import { writeAtomic, WriteError } from '../../src/io/files.js';
import { ACTIVATIONS } from '../../src/ops/activations.js';
import { OPTIMIZERS } from '../../src/optim/optimizers.js';
import { SGD, saveCheckpoint } from '../../src/optim/index.js';
import { zeros } from '../../src/ops/creation.js';

const dir = mkdtempSync(join(tmpdir(), 'descent-args-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

const SPECS = {
  seed: { kind: 'int', min: 0, max: 10, default: 0, help: 'seed' },
  shift: { kind: 'number', help: 'any finite number' },
  lr: { kind: 'number', positive: true, help: 'rate' },
  name: { kind: 'choice', choices: () => ['a', 'b'], default: 'a', help: 'a name' },
  out: { kind: 'string', nonEmpty: true, help: 'folder' },
  fresh: { kind: 'flag', help: 'start over' },
  set: { kind: 'list', help: 'k=v' },
} as const satisfies OptionSpecs;

test('parseOptions · values as the next word or after =, defaults, flags, repeatable lists', (t) => {
  const p = parseOptions('x', SPECS, ['--seed', '3', '--shift=-2.5', '--name', 'b', '--fresh', '--set', 'a=1', '--set=b=2']);
  if (p === 'help') throw new Error('help');
  t.deepEqual(p.values, { seed: 3, shift: -2.5, name: 'b', fresh: true, set: ['a=1', 'b=2'] });
  t.deepEqual([...p.given].sort(), ['fresh', 'name', 'seed', 'set', 'shift']);
  const d = parseOptions('x', SPECS, []);
  if (d === 'help') throw new Error('help');
  t.deepEqual(d.values, { seed: 0, name: 'a', fresh: false, set: [] });
  t.is(parseOptions('x', SPECS, ['--seed', '1', '-h']), 'help');
});

test('parseOptions · negative numbers are values, never options (Node said "argument is ambiguous")', (t) => {
  const p = parseOptions('x', SPECS, ['--shift', '-1e-3']);
  if (p === 'help') throw new Error('help');
  t.is(p.values.shift, -1e-3);
  const e = t.throws(() => parseOptions('x', SPECS, ['--seed', '-1']), { instanceOf: OptionError })!;
  t.like(e, { option: '--seed', expected: 'an integer in [0, 10]', got: '-1', message: "--seed: expected an integer in [0, 10] but received '-1'" });
});

test('parseOptions · every bad value is an OptionError naming the option, what was expected and what came', (t) => {
  const bad: [string[], string][] = [
    [['--seed', '2.5'], "--seed: expected an integer in [0, 10] but received '2.5'"],
    [['--seed', '11'], "--seed: expected an integer in [0, 10] but received '11'"],
    [['--seed', ''], "--seed: expected an integer in [0, 10] but received ''"],
    [['--lr', '0'], "--lr: expected a positive number but received '0'"],
    [['--lr', 'NaN'], "--lr: expected a positive number but received 'NaN'"],
    [['--shift', 'Infinity'], "--shift: expected a finite number but received 'Infinity'"],
    [['--name', 'c'], "--name: expected one of a, b but received 'c'"],
    [['--out', ''], "--out: expected a non-empty value but received ''"],
    [['--fresh=maybe'], "--fresh: expected no value (or 'true'/'false') but received 'maybe'"],
  ];
  for (const [argv, message] of bad) t.throws(() => parseOptions('x', SPECS, argv), { instanceOf: OptionError, message });
  t.throws(() => parseOptions('x', SPECS, ['--seed']), { instanceOf: UsageError, message: /--seed: expected a value \(N\) but none was given/ });
  t.throws(() => parseOptions('x', SPECS, ['--bogus']), { instanceOf: UsageError, message: "Unknown option '--bogus' (see descent x --help)" });
  t.throws(() => parseOptions('x', SPECS, ['stray']), { instanceOf: UsageError, message: /unexpected argument 'stray'/ });
});

test('helpText and choice lists · generated from the specs and the library registries', (t) => {
  const h = helpText('descent x [options]', 'Does x.', SPECS);
  t.regex(h, /^usage: descent x \[options\]\n\nDoes x\./);
  t.regex(h, /--seed N +seed \(default 0\)/);
  t.regex(h, /--name NAME +a name \(a \| b\) \(default a\)/);
  t.regex(h, /-h, --help +this text/);
  t.deepEqual(activationChoices(), ACTIVATIONS);
  t.deepEqual(optimizerChoices(), Object.keys(OPTIMIZERS).map((k) => k.toLowerCase()));
  t.true(optimizerChoices().includes('diffgrad'));
  t.deepEqual([...backendChoices()].sort(), ['auto', 'cpu', 'reference', 'webgpu']);
});

test('errorLine · the command prefix appears once (it was "descent train: train: …")', (t) => {
  t.is(errorLine('train', new Error('train: boom')), 'descent train: boom');
  t.is(errorLine('train', new Error('descent train: boom')), 'descent train: boom');
  t.is(errorLine('spectrum', new Error('--grid: bad')), 'descent spectrum: --grid: bad');
});

test('writeAtomic · a failed write names the file and the reason, and leaves no temporary file', (t) => {
  const missing = join(dir, 'no', 'such', 'folder', 'f.json');
  const e = t.throws(() => writeAtomic(missing, 'x'), { instanceOf: WriteError })!;
  t.is(e.message, `writeAtomic: cannot write ${missing}: the folder ${join(dir, 'no', 'such', 'folder')} does not exist (ENOENT)`);
  t.is(e.path, missing);
  // Into a folder: the rename fails after the temporary file was written; it is removed.
  const folder = join(dir, 'a-folder');
  writeAtomic(join(dir, 'plain'), 'ok');
  mkdirSync(folder, { recursive: true });
  t.throws(() => writeAtomic(folder, 'x'), { instanceOf: WriteError, message: new RegExp(`^writeAtomic: cannot write ${folder}: `) });
  t.deepEqual(readdirSync(dir).filter((f) => f.includes('.tmp-')), []);
});

test('saveCheckpoint · into a missing folder: an error naming saveCheckpoint and the folder, not a raw ENOENT on a temp name', async (t) => {
  const opt = new SGD(zeros([4]), { lr: 0.1 });
  const path = join(dir, 'missing', 'ckpt.safetensors');
  const e = await t.throwsAsync(saveCheckpoint(path, opt));
  t.is(e!.message, `saveCheckpoint: cannot write ${path}: the folder ${join(dir, 'missing')} does not exist (ENOENT)`);
  t.false(e!.message.includes('.tmp-'));
  opt.dispose();
});

test('Job · empty --out, a file as --out, the lock, fresh deleting only its own files, a damaged manifest', (t) => {
  t.throws(() => Job.open({ command: 'x', out: '', options: {} }), { instanceOf: UsageError, message: "--out: expected a folder but received ''" });
  writeFileSync(join(dir, 'file'), 'x');
  t.throws(() => Job.open({ command: 'x', out: join(dir, 'file'), options: {} }), { message: /--out: .*file is a file, not a folder/ });
  const out = join(dir, 'job');
  const a = Job.open({ command: 'x', out, options: { k: 1 } });
  t.true(existsSync(join(out, LOCK)));
  t.throws(() => Job.open({ command: 'x', out, options: { k: 1 } }), { message: new RegExp(`another descent job \\(pid ${process.pid}\\)|another descent job`) });
  a.writeFile('state/s.bin', new Uint8Array([1, 2, 3]));
  a.commit({ n: 1 });
  a.close();
  t.false(existsSync(join(out, LOCK)));
  // The user's own files in the folder, state/ included.
  writeFileSync(join(out, 'notes.txt'), 'mine');
  writeFileSync(join(out, 'state', 'mine.bin'), 'mine');
  t.throws(() => Job.open({ command: 'x', out, options: { k: 2 }, quiet: true }), { message: /holds a job made with other settings: k 1 then, 2 now; pass --fresh/ });
  t.throws(() => Job.open({ command: 'y', out, options: { k: 1 } }), { message: /command 'x', not 'y'/ });
  const b = Job.open({ command: 'x', out, options: { k: 2 }, fresh: true, quiet: true });
  b.close();
  t.false(existsSync(join(out, 'state', 's.bin')), "the job's own file is deleted");
  t.is(readFileSync(join(out, 'notes.txt'), 'utf8'), 'mine');
  t.is(readFileSync(join(out, 'state', 'mine.bin'), 'utf8'), 'mine');
  // A hand-edited manifest is refused.
  const m = readFileSync(join(out, MANIFEST), 'utf8');
  writeFileSync(join(out, MANIFEST), m.replace('"k": 2', '"k": 3'));
  t.throws(() => Job.open({ command: 'x', out, options: { k: 3 } }), { message: /descent-job\.json does not match its checksum .*rerun with --fresh/ });
});

test('Job · commits are journal lines: the newest whole one is the state, a cut one is skipped, the manifest takes over past 1 MiB and at finish', (t) => {
  const out = join(dir, 'journal');
  const onDisk = () => JSON.parse(readFileSync(join(out, MANIFEST), 'utf8')) as { state: unknown; status: string; seq: number };
  const journalBytes = () => statSync(join(out, JOURNAL)).size;
  const a = Job.open({ command: 'x', out, options: {} });
  a.begin();
  t.is(journalBytes(), 0);
  a.commit({ n: 1 });
  a.commit({ n: 2 });
  t.is(onDisk().state, null, 'the manifest file is not rewritten by commits');
  t.is(readFileSync(join(out, JOURNAL), 'utf8').split('\n').length, 3, 'two lines');
  t.deepEqual(readManifest(out)!.state, { n: 2 });
  t.true(readManifest(out)!.seq! > onDisk().seq);
  // A kill in the middle of the second line's write: the first is the state.
  truncateSync(join(out, JOURNAL), journalBytes() - 10);
  t.deepEqual(readManifest(out)!.state, { n: 1 });
  a.close();
  const b = Job.open({ command: 'x', out, options: {} });
  t.true(b.resumed);
  t.deepEqual(b.state, { n: 1 });
  b.begin();
  t.deepEqual(onDisk().state, { n: 1 }, 'a new process writes the manifest first');
  t.is(journalBytes(), 0, 'and empties the journal');
  // Lines of 600 kB: the third commit finds the journal past 1 MiB and writes the manifest instead.
  const big = (k: number) => ({ k, pad: 'x'.repeat(600_000) });
  b.commit(big(1));
  b.commit(big(2));
  t.true(journalBytes() > 2 ** 20);
  b.commit(big(3));
  t.is(journalBytes(), 0);
  t.is((onDisk().state as { k: number }).k, 3);
  b.commit({ n: 4 });
  b.finish({ n: 5 });
  t.like(onDisk(), { state: { n: 5 }, status: 'done' });
  t.is(journalBytes(), 0);
  t.deepEqual(readManifest(out)!.state, { n: 5 });
  b.close();
});

test('checkMemory · refuses sizes beyond the machine, naming the options', (t) => {
  t.notThrows(() => checkMemory('--x', 1e6));
  t.throws(() => checkMemory('--grid 100000000', 1e15), { instanceOf: UsageError, message: /^--grid 100000000 need about .* GiB of memory, more than this machine can give/ });
  t.throws(() => checkMemory('--x', NaN), { message: /unbounded/ });
});
