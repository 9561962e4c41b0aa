// safetensors: the hand-built fixture (test/fixtures/make-fixtures.ts) read back exactly, a
// write → read round trip per dtype, float16/bfloat16 rounding on known bit patterns, and
// every malformed-file error asserted by its text.

import test from 'ava';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataFileError, type FileProblem } from '../../src/io/files.js';
import {
  encodeSafetensors, f16BitsToF32, f32ToBf16Bits, f32ToF16Bits, parseSafetensors, readSafetensors, writeSafetensors,
} from '../../src/io/safetensors.js';
import { normal } from '../../src/random.js';
import { dtypesFixture } from '../fixtures/make-fixtures.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures');
const tmp = mkdtempSync(join(tmpdir(), 'descent-safetensors-'));
test.after.always(() => rmSync(tmp, { recursive: true, force: true }));

/** A file made of an 8-byte length, `json` and `data`. */
function raw(json: string, data: number[] = [], lengthField?: number): Uint8Array {
  const head = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + head.length + data.length);
  new DataView(out.buffer).setUint32(0, lengthField ?? head.length, true);
  out.set(head, 8);
  out.set(data, 8 + head.length);
  return out;
}

test('the committed dtypes fixture is what make-fixtures.ts builds', (t) => {
  t.deepEqual(new Uint8Array(readFileSync(join(FIXTURES, 'dtypes.safetensors'))), dtypesFixture());
});

test('reads every supported dtype from the hand-built fixture', (t) => {
  const { tensors, metadata } = readSafetensors(join(FIXTURES, 'dtypes.safetensors'));
  t.deepEqual(metadata, { note: 'hand-made', format: 'pt' });
  t.deepEqual([...tensors.keys()], ['f64', 'i64', 'scalar', 'i32', 'empty', 'half', 'bf16']);
  const get = (k: string) => tensors.get(k)!;
  t.is(get('f64').dtype, 'F64');
  t.true(get('f64').data instanceof Float32Array);
  // F64 is rounded once to float32.
  t.deepEqual([...get('f64').data], [0.1, -2.5, 1e-3].map(Math.fround));
  t.true(get('i64').data instanceof Int32Array);
  t.deepEqual([...get('i64').data], [-1, 2147483647, -2147483648]);
  t.deepEqual(get('scalar').shape, []);
  t.deepEqual([...get('scalar').data], [3.5]);
  t.deepEqual([...get('i32').data], [7, -8]);
  t.deepEqual(get('empty').shape, [0, 4]);
  t.is(get('empty').data.length, 0);
  t.deepEqual([...get('half').data], [1, -2, 0.5, 65504, 2 ** -24, Infinity]);
  t.deepEqual(get('bf16').shape, [2, 2]);
  t.deepEqual([...get('bf16').data], [1, -3, 0.25, 3.140625]);
});

test('float16 encoding rounds to nearest even, overflows to inf and keeps subnormals', (t) => {
  const cases: [number, number][] = [
    [1, 0x3c00], [-2, 0xc000], [0.5, 0x3800], [65504, 0x7bff], [0, 0x0000], [-0, 0x8000],
    [1 + 2 ** -11, 0x3c00],       // halfway between 1 and 1 + 2^-10: ties to even (down)
    [1 + 3 * 2 ** -11, 0x3c02],   // halfway between 1 + 2^-10 and 1 + 2^-9: ties to even (up)
    [65519, 0x7bff], [65520, 0x7c00], [1e6, 0x7c00], [-Infinity, 0xfc00],
    [2 ** -24, 0x0001], [2 ** -25, 0x0000], [3 * 2 ** -26, 0x0001], [2 ** -14, 0x0400],
    [2 ** -14 - 2 ** -24, 0x03ff], // largest subnormal
  ];
  for (const [x, bits] of cases) t.is(f32ToF16Bits(x), bits, `f16(${x})`);
  t.true(Number.isNaN(f16BitsToF32(f32ToF16Bits(NaN))));
  for (let h = 0; h < 0x7c00; h += 7) t.is(f32ToF16Bits(f16BitsToF32(h)), h, `bits ${h}`);
});

test('bfloat16 encoding rounds to nearest even', (t) => {
  const cases: [number, number][] = [
    [1, 0x3f80], [-3, 0xc040], [1 + 2 ** -8, 0x3f80], [1 + 3 * 2 ** -8, 0x3f82], [1 + 2 ** -8 + 2 ** -20, 0x3f81],
    [Infinity, 0x7f80], [3.4e38, 0x7f80],
  ];
  for (const [x, bits] of cases) t.is(f32ToBf16Bits(x), bits, `bf16(${x})`);
  t.is(f32ToBf16Bits(NaN) & 0x7fc0, 0x7fc0);
});

test('write → read round trip for each dtype', (t) => {
  const x = normal(11, 60);
  const x64 = Float64Array.from(x, (v, i) => v + i * 2 ** -40);
  const ints = Int32Array.from([0, 1, -1, 2147483647, -2147483648, 12345]);
  const path = join(tmp, 'round.safetensors');
  writeSafetensors(path, {
    a: { data: x, shape: [3, 4, 5] },
    d: { data: x64, shape: [60], dtype: 'F64' },
    h: { data: x, shape: [60], dtype: 'F16' },
    b: { data: x, shape: [6, 10], dtype: 'BF16' },
    i: { data: ints, shape: [2, 3] },
    l: { data: ints, shape: [6], dtype: 'I64' },
  }, { who: 'test' });
  const { tensors, metadata } = readSafetensors(path);
  t.deepEqual(metadata, { who: 'test' });
  const a = tensors.get('a')!;
  t.deepEqual(a.shape, [3, 4, 5]);
  t.deepEqual(a.data, x);
  t.deepEqual(tensors.get('d')!.data, Float32Array.from(x64));
  // One rounding to a format with p significand bits: |x̂ − x| ≤ 2^-p·|x| in the normal range,
  // p = 11 for float16 and 8 for bfloat16; these normals are all far above float16's 2^-14.
  for (const [k, p] of [['h', 11], ['b', 8]] as const) {
    const got = tensors.get(k)!.data;
    for (let i = 0; i < x.length; i++) {
      t.true(Math.abs(got[i]! - x[i]!) <= 2 ** -p * Math.abs(x[i]!), `${k}[${i}]: ${got[i]} vs ${x[i]}`);
    }
  }
  t.deepEqual(tensors.get('i')!.data, ints);
  t.is(tensors.get('l')!.dtype, 'I64');
  t.deepEqual(tensors.get('l')!.data, ints);
});

test("names such as '__proto__' stay ordinary keys", (t) => {
  const path = join(tmp, 'proto.safetensors');
  writeSafetensors(path, new Map([['__proto__', { data: Float32Array.of(1), shape: [1] }]]), { constructor: 'x' });
  const { tensors, metadata } = readSafetensors(path);
  t.deepEqual([...tensors.keys()], ['__proto__']);
  t.is(Object.getOwnPropertyDescriptor(metadata, 'constructor')?.value, 'x');
});

test('the writer pads the header to 8 bytes and orders tensors by element size', (t) => {
  const bytes = encodeSafetensors({
    h: { data: new Float32Array(3), shape: [3], dtype: 'F16' },
    f: { data: new Float32Array(1), shape: [1] },
    d: { data: new Float64Array(1), shape: [1] },
  });
  const n = new DataView(bytes.buffer).getUint32(0, true);
  t.is((8 + n) % 8, 0);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  t.deepEqual(header.d.data_offsets, [0, 8]);
  t.deepEqual(header.f.data_offsets, [8, 12]);
  t.deepEqual(header.h.data_offsets, [12, 18]);
  t.is(bytes.length, 8 + n + 18);
});

test('writer argument errors name the tensor', (t) => {
  t.throws(() => encodeSafetensors({ w: { data: new Float32Array(5), shape: [2, 3] } }), {
    instanceOf: RangeError,
    message: "encodeSafetensors: expected 6 elements (shape [2, 3]) for 'tensors['w'].data' but received Float32Array of length 5",
  });
  t.throws(() => encodeSafetensors({ w: { data: new Float32Array(2), shape: [2], dtype: 'I32' } }), {
    instanceOf: TypeError,
    message: "encodeSafetensors: expected Int32Array data for dtype I32 for 'tensors['w'].data' but received Float32Array of length 2",
  });
  t.throws(() => encodeSafetensors({ w: { data: new Float64Array(2), shape: [2], dtype: 'F16' } }), {
    instanceOf: TypeError, message: /a Float32Array for dtype F16/,
  });
  t.throws(() => encodeSafetensors({ w: { data: new Float32Array(1), shape: [1] } }, { n: 3 as unknown as string }), {
    instanceOf: TypeError, message: "encodeSafetensors: expected a string for 'metadata['n']' but received 3",
  });
});

function failsWith(t: import('ava').ExecutionContext, bytes: Uint8Array, problem: FileProblem, message: string): void {
  const path = join(tmp, `bad-${Math.random().toString(36).slice(2)}.safetensors`);
  writeFileSync(path, bytes);
  const err = t.throws(() => readSafetensors(path), { instanceOf: DataFileError });
  t.is(err?.message, message.replaceAll('$FILE', path));
  t.is((err as DataFileError).problem, problem);
  t.is((err as DataFileError).path, path);
}

test('a missing file', (t) => {
  const path = join(tmp, 'nope.safetensors');
  t.throws(() => readSafetensors(path), { instanceOf: DataFileError, message: `readSafetensors: ${path} does not exist` });
});

test('truncated files', (t) => {
  failsWith(t, new Uint8Array([1, 2, 3]), 'truncated',
    'readSafetensors: $FILE is truncated: it holds 3 bytes, fewer than the 8-byte header length that starts a safetensors file');
  failsWith(t, raw('{"a":{}}', [], 500), 'truncated',
    'readSafetensors: $FILE is truncated: header length field says 500 bytes of JSON but only 8 bytes follow it');
  const whole = readFileSync(join(FIXTURES, 'sequential-3-4-2.safetensors'));
  failsWith(t, whole.subarray(0, whole.length - 10), 'truncated',
    "readSafetensors: $FILE is truncated: tensor '2.weight' ends at byte 104 of the data section but the file " +
    'holds only 94 bytes of data after its 280-byte header');
});

test('bad headers', (t) => {
  failsWith(t, raw('{"a": [1, 2'), 'format',
    /* V8's JSON.parse wording */ `readSafetensors: $FILE: header is not valid JSON (${jsonError('{"a": [1, 2')})`);
  failsWith(t, raw('nope'), 'format',
    `readSafetensors: $FILE: header does not start with '{' but with "nope" (is this a safetensors file?)`);
  failsWith(t, raw('{}', [], 0x7fffffff), 'format',
    'readSafetensors: $FILE: header length field says 2147483647 bytes, more than the 100000000 a safetensors header ' +
    'may hold (is this a safetensors file?)');
  failsWith(t, raw('{"__metadata__":{"n":3}}'), 'format',
    "readSafetensors: $FILE: '__metadata__' must map strings to strings but 'n' holds 3");
  failsWith(t, raw('{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}', [0, 0, 0, 0]), 'format',
    "readSafetensors: $FILE: tensor 'w': 'shape' must be an array of non-negative integers but is [-1]");
  failsWith(t, raw('{"w":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}', [0, 0, 0, 0]), 'format',
    "readSafetensors: $FILE: tensor 'w': 'data_offsets' must be [begin, end] with 0 ≤ begin ≤ end but is [4,0]");
});

function jsonError(text: string): string {
  try { JSON.parse(text); } catch (e) { return (e as Error).message; }
  return '';
}

test('unknown and unsupported dtypes', (t) => {
  failsWith(t, raw('{"w":{"dtype":"Q7","shape":[1],"data_offsets":[0,1]}}', [0]), 'dtype',
    "readSafetensors: $FILE: tensor 'w' has unknown dtype 'Q7', which readSafetensors does not read " +
    '(it reads F32, F64, F16, BF16, I32, I64)');
  failsWith(t, raw('{"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', [0]), 'dtype',
    "readSafetensors: $FILE: tensor 'w' has dtype 'U8', which readSafetensors does not read " +
    '(it reads F32, F64, F16, BF16, I32, I64)');
});

test('I64 values outside int32', (t) => {
  const big = new Uint8Array(8);
  new DataView(big.buffer).setBigInt64(0, 2n ** 31n, true);
  failsWith(t, raw('{"n":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}', [...big]), 'dtype',
    "readSafetensors: $FILE: tensor 'n' holds 2147483648 at element 0, outside the int32 range descent reads I64 into");
  new DataView(big.buffer).setBigInt64(0, -(2n ** 40n), true);
  failsWith(t, raw('{"n":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}', [...big]), 'dtype',
    "readSafetensors: $FILE: tensor 'n' holds -1099511627776 at element 0, outside the int32 range descent reads I64 into");
});

test('shapes that disagree with offsets, gaps, overlaps and trailing bytes', (t) => {
  failsWith(t, raw('{"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,20]}}', new Array(20).fill(0)), 'mismatch',
    "readSafetensors: $FILE: tensor 'w' has shape [2, 3] of F32, which needs 6 × 4 = 24 bytes, but its " +
    'data_offsets [0, 20] span 20 bytes');
  failsWith(t, raw('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],' +
    '"data_offsets":[8,12]}}', new Array(12).fill(0)), 'format',
  "readSafetensors: $FILE: tensor 'b' starts at byte 8 of the data section but the previous tensor 'a' ends at " +
    'byte 4 (tensors must tile the data section with no gaps or overlaps)');
  failsWith(t, raw('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],' +
    '"data_offsets":[4,8]}}', new Array(8).fill(0)), 'format',
  "readSafetensors: $FILE: tensor 'b' starts at byte 4 of the data section but the previous tensor 'a' ends at " +
    'byte 8 (tensors must tile the data section with no gaps or overlaps)');
  failsWith(t, raw('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', new Array(6).fill(0)), 'format',
    "readSafetensors: $FILE: has 2 bytes after the last tensor's data (the tensors cover 4 of 6 data bytes)");
});

test('parseSafetensors names its source', (t) => {
  t.throws(() => parseSafetensors(new Uint8Array(2), 'upload.safetensors'), {
    instanceOf: DataFileError,
    message: 'parseSafetensors: upload.safetensors is truncated: it holds 2 bytes, fewer than the 8-byte header length ' +
      'that starts a safetensors file',
  });
});
