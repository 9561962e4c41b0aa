// Fashion-MNIST: the copy shipped in data/ and the Debian package's files, read for real
// (known first labels, 1000 of each class in the test split, pixels exactly u/255), row
// selection, and the errors for a missing folder, damaged files and bad options.
// Tests that need /usr/share/datasets/fashion-mnist skip when the package is not installed.

import test from 'ava';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { subsetIndices } from '../../src/data/batches.js';
import {
  FASHION_MNIST_DIR, defaultDataDir, fashionMnistFiles, loadDefaultDataset, loadFashionMnist,
} from '../../src/data/fashion-mnist.js';
import { encodeIdx, readIdx } from '../../src/data/idx.js';
import { DataFileError, findPackageRoot } from '../../src/io/files.js';
import { assertSame } from './same.js';

const ROOT = join(import.meta.dirname, '..', '..');
const HAVE_DEBIAN = existsSync(join(FASHION_MNIST_DIR, 'train-images-idx3-ubyte.gz'));
const debian = HAVE_DEBIAN ? test : test.skip;
if (!HAVE_DEBIAN) console.log(`skipping Debian Fashion-MNIST tests: ${FASHION_MNIST_DIR} is missing (scripts/setup-system.sh)`);

const tmp = mkdtempSync(join(tmpdir(), 'descent-fmnist-'));
test.after.always(() => rmSync(tmp, { recursive: true, force: true }));

test('the shipped test split: 10000 rows, 784 pixels, 1000 per class, pixels u/255', (t) => {
  const d = loadDefaultDataset();
  t.is(d.n, 10000);
  t.is(d.features, 784);
  t.is(d.classes, 10);
  t.deepEqual(d.imageShape, [28, 28]);
  t.is(d.x.length, 10000 * 784);
  t.deepEqual([...d.y.subarray(0, 10)], [9, 2, 1, 1, 6, 1, 4, 6, 5, 7]);
  const counts = new Array(10).fill(0);
  for (const c of d.y) counts[c]++;
  t.deepEqual(counts, new Array(10).fill(1000));
  let sum = 0, first = 0;
  for (let i = 0; i < d.x.length; i++) {
    const u = Math.round(d.x[i]! * 255);
    if (d.x[i] !== Math.fround(u / 255)) { t.fail(`pixel ${i} = ${d.x[i]} is not u/255`); break; }
    sum += u;
    if (i < 784) first += u;
  }
  // Sums of the raw bytes, from numpy over the same file.
  t.is(sum, 573469082);
  t.is(first, 33456);
});

test('data/ is found from src/ and from dist/src/', (t) => {
  t.is(defaultDataDir(), join(ROOT, 'data'));
  t.is(findPackageRoot(pathToFileURL(join(ROOT, 'dist', 'src', 'data', 'fashion-mnist.js')).href), ROOT);
  const other = join(tmp, 'other', 'a', 'b');
  mkdirSync(other, { recursive: true });
  writeFileSync(join(tmp, 'other', 'package.json'), '{"name": "not-descent"}');
  t.throws(() => findPackageRoot(pathToFileURL(join(other, 'x.js')).href), {
    message: `findPackageRoot: no folder above ${other} holds a package.json named "descent"`,
  });
});

test('limit, indices and seed select rows', (t) => {
  const first = loadDefaultDataset({ limit: 50 });
  t.is(first.n, 50);
  t.deepEqual([...first.y.subarray(0, 10)], [9, 2, 1, 1, 6, 1, 4, 6, 5, 7]);
  const picked = loadDefaultDataset({ indices: [7, 3, 49] });
  t.deepEqual([...picked.y], [first.y[7], first.y[3], first.y[49]]);
  assertSame(t, picked.x.subarray(784, 1568), first.x.subarray(3 * 784, 4 * 784));
  const random = loadDefaultDataset({ limit: 20, seed: 5 });
  const rows = subsetIndices(10000, 20, 5);
  assertSame(t, random.y, loadDefaultDataset({ indices: rows }).y);
  assertSame(t, random.x, loadDefaultDataset({ indices: rows }).x);
});

debian('data/ holds the Debian package test split byte for byte', (t) => {
  for (const name of ['t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz']) {
    t.true(readFileSync(join(ROOT, 'data', name)).equals(readFileSync(join(FASHION_MNIST_DIR, name))), name);
  }
});

debian('the Debian training split: 60000 rows, known first labels, 6000 per class', (t) => {
  const d = loadFashionMnist({ split: 'train' });
  t.is(d.n, 60000);
  t.is(d.x.length, 60000 * 784);
  t.deepEqual([...d.y.subarray(0, 10)], [9, 0, 0, 3, 0, 2, 7, 2, 5, 5]);
  const counts = new Array(10).fill(0);
  for (const c of d.y) counts[c]++;
  t.deepEqual(counts, new Array(10).fill(6000));
  const part = loadFashionMnist({ split: 'train', indices: [59999, 0] });
  assertSame(t, part.x.subarray(0, 784), d.x.subarray(59999 * 784));
  assertSame(t, part.x.subarray(784), d.x.subarray(0, 784));
  t.deepEqual(d.files, fashionMnistFiles('train'));
});

debian('uncompressed IDX files are read too', (t) => {
  const dir = join(tmp, 'raw');
  mkdirSync(dir);
  for (const kind of ['images-idx3-ubyte', 'labels-idx1-ubyte']) {
    const name = `t10k-${kind}`;
    const idx = readIdx(join(FASHION_MNIST_DIR, `${name}.gz`));
    writeFileSync(join(dir, name), encodeIdx('uint8', idx.dims, idx.data));
  }
  const raw = loadFashionMnist({ split: 'test', dir, limit: 100 });
  t.is(raw.files.images, join(dir, 't10k-images-idx3-ubyte'));
  const gz = loadFashionMnist({ split: 'test', limit: 100 });
  assertSame(t, raw.x, gz.x);
  assertSame(t, raw.y, gz.y);
});

test('a missing folder says how to install the data', (t) => {
  const dir = join(tmp, 'no-such-folder');
  const err = t.throws(() => loadFashionMnist({ split: 'train', dir }), { instanceOf: DataFileError });
  t.is(err?.message, `loadFashionMnist: the Fashion-MNIST folder ${dir} does not exist; install the Debian package ` +
    "dataset-fashion-mnist ('sudo bash scripts/setup-system.sh' from descent's folder, or 'apt-get install " +
    "dataset-fashion-mnist'), or pass 'dir' naming a folder that holds train-images-idx3-ubyte.gz, " +
    'train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz');
  t.is((err as DataFileError).problem, 'missing');
});

/** A folder holding the shipped test split, with one file replaced by `bytes`. */
function damaged(name: string, file: string, bytes?: Uint8Array): string {
  const dir = join(tmp, name);
  mkdirSync(dir);
  for (const f of ['t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz']) {
    if (f === file && bytes) writeFileSync(join(dir, f), bytes);
    else if (f !== file) copyFileSync(join(ROOT, 'data', f), join(dir, f));
  }
  return dir;
}

test('missing, truncated, wrong-magic and mismatched files name the file', (t) => {
  const imgs = 't10k-images-idx3-ubyte.gz', labels = 't10k-labels-idx1-ubyte.gz';
  let dir = damaged('no-labels', labels);
  t.throws(() => loadFashionMnist({ split: 'test', dir }), {
    instanceOf: DataFileError, message: new RegExp(`^loadFashionMnist: ${join(dir, labels)} does not exist; install`),
  });
  const header = encodeIdx('uint8', [10000, 28, 28], new Uint8Array(10000 * 784)).subarray(0, 16 + 1234);
  dir = damaged('short-images', imgs, gzipSync(header));
  t.throws(() => loadFashionMnist({ split: 'test', dir }), {
    instanceOf: DataFileError,
    message: `loadFashionMnist: ${join(dir, imgs)} is truncated: header says 10000×28×28 = 7840000 bytes of pixels ` +
      'but the file holds 1234 (after gunzip)',
  });
  dir = damaged('swapped', imgs, readFileSync(join(ROOT, 'data', labels)));
  t.throws(() => loadFashionMnist({ split: 'test', dir }), {
    instanceOf: DataFileError,
    message: `loadFashionMnist: ${join(dir, imgs)} is an IDX file of uint8 with 1 dimension (magic 00 00 08 01), ` +
      'but images must be uint8 with 3 dimensions (magic 00 00 08 03)',
  });
  dir = damaged('html', imgs, new TextEncoder().encode('<html>404</html>'));
  t.throws(() => loadFashionMnist({ split: 'test', dir }), {
    instanceOf: DataFileError,
    message: `loadFashionMnist: ${join(dir, imgs)} is not an IDX file: it starts with bytes 3c 68 74 6d, but an IDX ` +
      'file starts with 00 00 <type 08|09|0b|0c|0d|0e> <number of dimensions>, expected 00 00 08 03 for images',
  });
  dir = damaged('few-labels', labels, gzipSync(encodeIdx('uint8', [3], [1, 2, 3])));
  t.throws(() => loadFashionMnist({ split: 'test', dir }), {
    instanceOf: DataFileError,
    message: `loadFashionMnist: ${join(dir, imgs)} holds 10000 images but ${join(dir, labels)} holds 3 labels`,
  });
  const bad = new Uint8Array(10000);
  bad[17] = 10;
  dir = damaged('label-10', labels, encodeIdx('uint8', [10000], bad));
  t.throws(() => loadFashionMnist({ split: 'test', dir }), {
    instanceOf: DataFileError, message: `loadFashionMnist: ${join(dir, labels)} holds label 10 at row 17, outside [0, 10)`,
  });
});

test('bad options', (t) => {
  t.throws(() => loadFashionMnist({ split: 'valid' as 'train' }), {
    instanceOf: RangeError, message: "loadFashionMnist: expected 'train' or 'test' for 'split' but received 'valid'",
  });
  t.throws(() => loadDefaultDataset({ limit: 10001 }), {
    instanceOf: RangeError, message: "loadDefaultDataset: expected an integer in [0, 10000] for 'limit' but received 10001",
  });
  t.throws(() => loadDefaultDataset({ indices: [0, 10000] }), {
    instanceOf: RangeError,
    message: "loadDefaultDataset: expected row numbers in [0, 10000) for 'indices' but received 10000 at position 1",
  });
  t.throws(() => loadDefaultDataset({ indices: [0], limit: 1 }), {
    instanceOf: TypeError, message: "loadDefaultDataset: expected either 'indices' or 'limit'/'seed' but received both",
  });
  t.throws(() => loadDefaultDataset({ limit: 5, seed: -1 }), {
    instanceOf: RangeError, message: "loadDefaultDataset: expected an integer ≥ 0 for 'seed' but received -1",
  });
});
