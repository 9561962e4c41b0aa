// CRC-32 of job files: the addon's folded kernel (native/runtime/crc32.h) against zlib's
// table-driven one and the polynomial's check value, on every length that exercises a path
// of the fold (below 64 bytes, the 64-byte loop, the 16-byte loop, the tail), unaligned
// views, chained calls and typed arrays of other element types.

import test from 'ava';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { loadNative } from '../../src/backend/cpu/load.js';
import { crc32 } from '../../src/io/crc32.js';
import { randu } from '../helpers/gen.js';

const native = loadNative();

test('crc32 · the check value of "123456789" is cbf43926', (t) => {
  const data = new TextEncoder().encode('123456789');
  t.is(native.crc32(data, 0), 0xcbf43926);
  t.is(crc32(data), 0xcbf43926);
  t.is(native.crc32(new Uint8Array(0), 0x1234), 0x1234);
});

// Each instruction set's path this CPU has (VPCLMULQDQ under avx512, PCLMULQDQ under avx2, the table under ref).
const { isa: BEST, isas: ISAS } = native.cpuInfo();
for (const isa of ISAS) {
  test.serial(`crc32 · ${isa} · equals zlib.crc32 on every length to 600 and random lengths to 70k, unaligned, from random starting values`, (t) => {
    native.setIsa(isa);
    t.teardown(() => native.setIsa(BEST));
    const u = randu(75_000, 17, 0, 1);
    let next = 70_016;
    const rand = () => u[next++]!;
    const pool = Uint8Array.from(u.subarray(0, 70_016), (v) => Math.floor(v * 256));
    let checked = 0;
    const lengths = [...Array.from({ length: 601 }, (_, i) => i), ...Array.from({ length: 200 }, () => Math.floor(rand() * 70_000))];
    for (const len of lengths) {
      const off = Math.floor(rand() * 16);
      const view = pool.subarray(off, off + len);
      const start = len % 3 === 0 ? 0 : Math.floor(rand() * 2 ** 32);
      const want = zlibCrc32(view, start);
      if (native.crc32(view, start) !== want) t.fail(`length ${len}, offset ${off}, start ${start}: ${native.crc32(view, start)} against ${want}`);
      checked++;
    }
    t.is(checked, lengths.length);
  });
}

test('crc32 · chained calls give the CRC of the concatenation; other typed arrays are read as their bytes', (t) => {
  const a = randu(30_001, 5);
  const bytes = new Uint8Array(a.buffer);
  const whole = zlibCrc32(bytes);
  t.is(native.crc32(a, 0), whole);
  const cut = 4 * 12_345 + 3;
  t.is(crc32(bytes.subarray(cut), crc32(bytes.subarray(0, cut))), whole);
});
