// IDX reading: raw and gzip files round-trip through encodeIdx, multi-byte types decode from
// big-endian, and missing, truncated, wrong-magic, wrong-type and corrupt files fail with
// messages that name the file and the problem.

import test from 'ava';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { decodeImages, decodeLabels, encodeIdx, openIdx, readIdx } from '../../src/data/idx.js';
import { DataFileError, type FileProblem } from '../../src/io/files.js';

const tmp = mkdtempSync(join(tmpdir(), 'descent-idx-'));
test.after.always(() => rmSync(tmp, { recursive: true, force: true }));

let serial = 0;
function file(bytes: Uint8Array, name = `f${serial++}`): string {
  const path = join(tmp, name);
  writeFileSync(path, bytes);
  return path;
}

const IMAGES = { dtype: 'uint8', ndim: 3, what: 'images', noun: 'pixels' } as const;

test('uint8 images, raw and gzip: pixels u/255 for all rows or chosen rows', (t) => {
  const pixels = Array.from({ length: 3 * 2 * 2 }, (_, i) => (i * 23) % 256);
  const bytes = encodeIdx('uint8', [3, 2, 2], pixels);
  for (const path of [file(bytes), file(gzipSync(bytes))]) {
    const f = openIdx(path, { expect: IMAGES });
    t.deepEqual(f.header.dims, [3, 2, 2]);
    const all = decodeImages(f);
    t.deepEqual(all, Float32Array.from(pixels, (p) => p / 255));
    const some = decodeImages(f, Int32Array.from([2, 0]));
    t.deepEqual(some, Float32Array.from([...pixels.slice(8, 12), ...pixels.slice(0, 4)], (p) => p / 255));
  }
});

test('the first rows only: a large gzip file is inflated no further than they need', (t) => {
  // 4,000 rows of 28×28 pseudo-random pixels (3.1 MB; gzip cannot shrink them much).
  const rows = 4000, pixels = new Uint8Array(rows * 784);
  let x = 12345;
  for (let i = 0; i < pixels.length; i++) pixels[i] = (x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 24;
  const bytes = encodeIdx('uint8', [rows, 28, 28], pixels);
  for (const path of [file(bytes), file(gzipSync(bytes))]) {
    const whole = openIdx(path, { expect: IMAGES });
    const head = openIdx(path, { expect: IMAGES, rows: 100 });
    t.deepEqual(head.header.dims, [rows, 28, 28]);
    t.true(head.rowsHeld >= 100);
    if (path.endsWith(String(serial - 1))) t.true(head.bytes.length < bytes.length / 4, `inflated ${head.bytes.length} of ${bytes.length} bytes`);
    const pick = Int32Array.from([0, 99, 17, 42]);
    t.deepEqual(decodeImages(head, pick), decodeImages(whole, pick));
    if (head.rowsHeld < rows) {
      t.throws(() => decodeImages(head, Int32Array.from([rows - 1])), { instanceOf: RangeError, message: new RegExp(`decodeImages: .* was opened for its first ${head.rowsHeld} rows only, but row ${rows - 1} was asked for`) });
      t.throws(() => decodeImages(head), { instanceOf: RangeError, message: /was opened for its first \d+ rows only/ });
    }
    // Asking for every row (or more) reads the whole file, checks included.
    t.is(openIdx(path, { expect: IMAGES, rows }).rowsHeld, rows);
  }
  // A file cut inside the rows asked for is still reported as truncated.
  const cut = file(gzipSync(bytes).subarray(0, 20000));
  t.throws(() => openIdx(cut, { expect: IMAGES, rows: 3000 }), { instanceOf: DataFileError, message: /is truncated/ });
});

test('uint8 labels with a class check', (t) => {
  const path = file(encodeIdx('uint8', [4], [3, 0, 9, 1]));
  const f = openIdx(path);
  t.deepEqual(decodeLabels(f), Int32Array.from([3, 0, 9, 1]));
  t.deepEqual(decodeLabels(f, Int32Array.from([3, 2])), Int32Array.from([1, 9]));
  t.throws(() => decodeLabels(f, undefined, 5, 'load'), {
    instanceOf: DataFileError, message: `load: ${path} holds label 9 at row 2, outside [0, 5)`,
  });
});

test('multi-byte types decode from big-endian', (t) => {
  const cases = [
    ['int8', [-128, 5, 127]], ['int16', [-32768, 258, 32767]], ['int32', [-2147483648, 16909060, 7]],
    ['float32', [1.5, -0.25, 3e38]], ['float64', [0.1, -1e300, 5e-324]],
  ] as const;
  for (const [dtype, values] of cases) {
    const got = readIdx(file(gzipSync(encodeIdx(dtype, [3], values))));
    t.is(got.dtype, dtype);
    t.deepEqual([...got.data], dtype === 'float32' ? values.map(Math.fround) : [...values], dtype);
  }
  const bytes = encodeIdx('int32', [1], [16909060]);
  t.deepEqual([...bytes.subarray(8)], [1, 2, 3, 4]);
});

function fails(t: import('ava').ExecutionContext, path: string, problem: FileProblem, message: string,
  options: Parameters<typeof openIdx>[1] = { fn: 'load', expect: IMAGES }): void {
  const err = t.throws(() => openIdx(path, options), { instanceOf: DataFileError });
  t.is(err?.message, message.replaceAll('$FILE', path));
  t.is((err as DataFileError).problem, problem);
}

test('missing files and folders', (t) => {
  fails(t, join(tmp, 'absent.gz'), 'missing', 'load: $FILE does not exist');
  fails(t, join(tmp, 'absent.gz'), 'missing', 'load: $FILE does not exist; try X', { fn: 'load', hint: '; try X' });
  fails(t, tmp, 'unreadable', 'load: $FILE is a folder, not a file');
});

test('wrong magic numbers', (t) => {
  fails(t, file(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0])), 'format',
    'load: $FILE is not an IDX file: it starts with bytes 89 50 4e 47, but an IDX file starts with ' +
    '00 00 <type 08|09|0b|0c|0d|0e> <number of dimensions>, expected 00 00 08 03 for images');
  fails(t, file(new Uint8Array([0, 0, 0x07, 1, 0, 0, 0, 0])), 'format',
    'load: $FILE is not an IDX file: it starts with bytes 00 00 07 01, but an IDX file starts with ' +
    '00 00 <type 08|09|0b|0c|0d|0e> <number of dimensions>, expected 00 00 08 03 for images');
  fails(t, file(gzipSync(encodeIdx('uint8', [4], [1, 2, 3, 4]))), 'format',
    'load: $FILE is an IDX file of uint8 with 1 dimension (magic 00 00 08 01), but images must be uint8 with ' +
    '3 dimensions (magic 00 00 08 03)');
  fails(t, file(new Uint8Array(0)), 'truncated',
    'load: $FILE is truncated: it holds 0 bytes, fewer than the 4 bytes of an IDX magic number');
});

test('truncated files', (t) => {
  const whole = encodeIdx('uint8', [5, 4, 4], new Array(80).fill(7));
  fails(t, file(whole.subarray(0, 50)), 'truncated',
    'load: $FILE is truncated: header says 5×4×4 = 80 bytes of pixels but the file holds 34');
  fails(t, file(gzipSync(whole.subarray(0, 50))), 'truncated',
    'load: $FILE is truncated: header says 5×4×4 = 80 bytes of pixels but the file holds 34 (after gunzip)');
  fails(t, file(whole.subarray(0, 10)), 'truncated',
    'load: $FILE is truncated: its magic number announces 3 dimensions, which take 16 header bytes, but the file ' +
    'holds 10 bytes');
  fails(t, file(encodeIdx('int32', [3], [1, 2, 3]).subarray(0, 15)), 'truncated',
    'load: $FILE is truncated: header says 3 = 3 int32 values = 12 bytes of data but the file holds 7', { fn: 'load' });
});

test('a cut gzip stream says how much arrived', (t) => {
  const real = readFileSync(join(import.meta.dirname, '..', '..', 'data', 't10k-images-idx3-ubyte.gz'));
  const cut = file(real.subarray(0, 20000));
  const err = t.throws(() => openIdx(cut, { fn: 'loadFashionMnist', expect: IMAGES }), { instanceOf: DataFileError });
  t.regex(err!.message, new RegExp(`^loadFashionMnist: ${cut} is truncated: header says 10000×28×28 = 7840000 bytes ` +
    'of pixels but the file holds \\d+ \\(after gunzip\\); its gzip stream also ends early$'));
  // A stream cut inside its 8-byte trailer holds all the data but cannot be verified.
  const small = gzipSync(encodeIdx('uint8', [2, 1, 1], [1, 2]));
  fails(t, file(small.subarray(0, small.length - 3)), 'truncated',
    'load: $FILE is truncated: its gzip stream ends before the end-of-stream marker and checksum, so its contents ' +
    'cannot be verified');
});

test('corrupt gzip and trailing bytes', (t) => {
  const gz = gzipSync(encodeIdx('uint8', [2, 1, 1], [1, 2]));
  const broken = gz.slice();
  broken[2] = 99;
  fails(t, file(broken), 'format', "load: $FILE is not a valid gzip file: zlib says 'unknown compression method'");
  fails(t, file(Uint8Array.from([...encodeIdx('uint8', [2, 1, 1], [1, 2]), 0, 0, 0])), 'format',
    'load: $FILE has 3 bytes after its data: header says 2×1×1 = 2 bytes of pixels but the file holds 5');
});
