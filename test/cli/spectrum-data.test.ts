// descent spectrum's inputs (issue 18 items 5, 6, 12 — the CLI and data-loader parts): labels
// are checked by name and row (NaN, fractions, negatives), IDX images and labels must have
// the same row count, files with no rows are errors, --activation never silently ignored,
// and a NaN result is an error, never spectrum.json.

import test from 'ava';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '../../src/index.js';
import { main } from '../../src/cli/descent.js';
import { checkedLabels } from '../../src/data/dataset.js';
import { checkResult } from '../../src/cli/spectrum-job.js';
import { encodeIdx } from '../../src/data/idx.js';
import { writeSafetensors } from '../../src/io/safetensors.js';

const dir = mkdtempSync(join(tmpdir(), 'descent-spectrum-data-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

async function spectrum(...argv: string[]): Promise<{ code: number; err: string; out: string }> {
  const err: string[] = [];
  const out = join(dir, `out-${Math.abs(hash(argv.join(' ')))}`);
  const log = console.log, error = console.error;
  console.log = () => {};
  console.error = (...a: unknown[]) => { err.push(a.join(' ')); };
  try {
    const code = await main(['spectrum', '--iterations', '6', '--probes', '1', '--top-k', '2', '--trace-probes', '2', '--backend', 'cpu', '--quiet', '--out', out, ...argv]);
    return { code, err: err.join('\n'), out };
  } finally {
    console.log = log;
    console.error = error;
  }
}
function hash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) | 0;
  return h;
}

/** A safetensors data file with x [n, 4] and the given labels (float32). */
function dataFile(name: string, labels: number[], x?: number[]): string {
  const n = labels.length;
  const path = join(dir, `${name}.safetensors`);
  writeFileSync(path, new Uint8Array(0));
  writeSafetensors(path, {
    x: { data: Float32Array.from(x ?? Array.from({ length: n * 4 }, (_, i) => Math.sin(i))), shape: [n, 4] },
    y: { data: Float32Array.from(labels), shape: [n] },
  });
  return path;
}

test('checkedLabels · NaN, fractions, negatives and out-of-range labels are errors naming the row', (t) => {
  t.deepEqual(checkedLabels('f', [0, 2, 1], 'src'), { labels: Int32Array.from([0, 2, 1]), classes: 3 });
  t.throws(() => checkedLabels('f', [0, 3.7], 'src'), { message: 'f: src holds label 3.7 at row 1; expected a non-negative integer class label' });
  t.throws(() => checkedLabels('f', [0, 1, NaN], 'src'), { message: 'f: src holds label NaN at row 2; expected a non-negative integer class label' });
  t.throws(() => checkedLabels('f', [-1], 'src'), { message: /label -1 at row 0/ });
  t.throws(() => checkedLabels('f', [0, 10], 'src', 10), { message: 'f: src holds label 10 at row 1; expected an integer class label in [0, 10)' });
  t.throws(() => checkedLabels('f', [], 'src'), { message: 'f: src holds no rows (0 labels); expected at least one' });
  // 200,000 labels: Math.max(...labels) overflowed the stack from about 125,000 (issue 18 item 10).
  const many = new Float32Array(200_000).map((_, i) => i % 7);
  t.is(checkedLabels('f', many, 'src').classes, 7);
});

test.serial('spectrum --data FILE.safetensors · float, NaN and negative labels are refused (they were truncated, or class 0)', async (t) => {
  for (const [name, labels, what] of [['float', [0, 1, 3.7, 2], 'label 3\\.7\\d* at row 2'], ['nan', [0, NaN, 1, 2], 'label NaN at row 1'], ['neg', [0, 1, -2, 1], 'label -2 at row 2']] as const) {
    const r = await spectrum('--model', '4-3-5:tanh', '--data', dataFile(name, [...labels]), '--samples', 'all');
    t.is(r.code, 1, name);
    t.regex(r.err, new RegExp(`^descent spectrum: --data: .*${name}\\.safetensors \\(tensor 'y'\\) holds ${what}`), r.err);
  }
  const empty = await spectrum('--model', '4-3-5:tanh', '--data', dataFile('empty', []), '--samples', 'all');
  t.not(empty.code, 0);
  t.regex(empty.err, /holds no rows/);
});

test.serial('spectrum --data IDX · images and labels with different row counts, and 0-row files, are errors naming the files', async (t) => {
  const images = join(dir, 'a-images-idx3-ubyte'), labels = join(dir, 'a-labels-idx1-ubyte');
  writeFileSync(images, encodeIdx('uint8', [10, 2, 2], Array.from({ length: 40 }, (_, i) => i)));
  writeFileSync(labels, encodeIdx('uint8', [8], [0, 1, 2, 0, 1, 2, 0, 1]));
  // Even when --samples is small (it was accepted then).
  const r = await spectrum('--model', '4-3-3:tanh', '--data', images, '--samples', '2');
  t.is(r.code, 1);
  t.regex(r.err, /--data: .*a-images-idx3-ubyte holds 10 images but .*a-labels-idx1-ubyte holds 8 labels; expected one label per image/);
  const zi = join(dir, 'z-images-idx3-ubyte'), zl = join(dir, 'z-labels-idx1-ubyte');
  writeFileSync(zi, encodeIdx('uint8', [0, 2, 2], []));
  writeFileSync(zl, encodeIdx('uint8', [0], []));
  const z = await spectrum('--model', '4-3-3:tanh', '--data', zi, '--samples', 'all');
  t.not(z.code, 0);
  t.regex(z.err, /holds no rows \(0 images\)/);
  t.notRegex(z.err, /NaN features/);
});

test.serial('spectrum --activation · disagreeing with a spec model or the reference model is an error; a spec without one takes it', async (t) => {
  const data = dataFile('ok', [0, 1, 2, 1, 0, 2]);
  const conflict = await spectrum('--model', '4-3-3:relu', '--activation', 'tanh', '--data', data, '--samples', 'all');
  t.is(conflict.code, 2);
  t.regex(conflict.err, /--activation tanh disagrees with the activation of --model 4-3-3:relu/);
  const ref = await spectrum('--model', 'reference', '--activation', 'tanh', '--samples', '16');
  t.is(ref.code, 2);
  t.regex(ref.err, /the reference model is a ReLU network/);
  const taken = await spectrum('--model', '4-3-3', '--activation', 'tanh', '--data', data, '--samples', 'all');
  t.is(taken.code, 0, taken.err);
});

test.serial('spectrum · a NaN in the data gives an error, never a spectrum.json with a NaN trace', async (t) => {
  const x = Array.from({ length: 24 }, (_, i) => Math.cos(i));
  x[5] = NaN;
  const r = await spectrum('--model', '4-3-3:tanh', '--data', dataFile('nanx', [0, 1, 2, 1, 0, 2], x), '--samples', 'all');
  t.is(r.code, 1);
  // Caught by Lanczos's own non-finite check, or else by the job's check of the result.
  t.regex(r.err, /^descent spectrum: (lanczos: the operator produced a non-finite value|the run produced no valid result)/m);
  t.false(existsSync(join(r.out, 'spectrum.json')));
});

test('checkResult · a NaN trace, a non-finite eigenvalue or unverified residuals are errors, never a result', (t) => {
  const ok = { eigenvalues: { top: [3, 2], residuals: [1e-6, 2e-6] }, trace: { estimate: 10, standardError: 0.5 } };
  t.notThrows(() => checkResult(ok, 2));
  t.throws(() => checkResult({ ...ok, trace: { estimate: NaN, standardError: NaN } }, 2), { message: /no valid result: trace NaN ± NaN/ });
  t.throws(() => checkResult({ ...ok, eigenvalues: { top: [3, Infinity], residuals: [1e-6, 2e-6] } }, 2), { message: /top eigenvalues \[3,null\]/ });
  t.throws(() => checkResult({ ...ok, eigenvalues: { top: [3, 2], residuals: [1e-6] } }, 2), { message: /residuals \[0.000001\] \(not verified for all 2 eigenvalues\)/ });
});
