// Large host arrays on transparent huge pages (native/bind/memory.cc, src/backend/host.ts):
// zero-filled, of the exact size asked, writable, for every dtype; small arrays and an
// unregistered allocator fall back to the engine's own arrays.

import test from 'ava';
import { createCpuBackend, loadNative } from '../../src/backend/cpu/index.js';
import { newHostArray, setLargeAllocator } from '../../src/backend/host.js';

test('hugeBuffer: a zero-filled ArrayBuffer of exactly the bytes asked, writable end to end', (t) => {
  const bytes = (5 << 20) + 12;
  const buf = loadNative().hugeBuffer(bytes)!;
  t.true(buf instanceof ArrayBuffer);
  t.is(buf.byteLength, bytes);
  const u = new Uint8Array(buf);
  let nonzero = 0;
  for (let i = 0; i < u.length; i += 4093) nonzero += u[i]!;
  t.is(nonzero + u[u.length - 1]!, 0);
  u.fill(7);
  t.is(u[0]! + u[bytes - 1]!, 14);
});

test('newHostArray: large arrays come from the registered allocator, zero-filled, of each dtype; small ones and no allocator use the engine', (t) => {
  createCpuBackend();
  const calls: number[] = [];
  setLargeAllocator((bytes) => { calls.push(bytes); return loadNative().hugeBuffer(bytes); });
  try {
    const n = 1 << 19;
    for (const [dtype, Ctor, size] of [['float32', Float32Array, 4], ['float64', Float64Array, 8], ['int32', Int32Array, 4]] as const) {
      const a = newHostArray(dtype, n);
      t.true(a instanceof Ctor, dtype);
      t.is(a.length, n);
      t.is(a.buffer.byteLength, n * size);
      t.is(a[0]! + a[n - 1]!, 0);
      a[n - 1] = 3;
      t.is(a[n - 1], 3);
    }
    t.deepEqual(calls, [2 << 20, 4 << 20, 2 << 20]);
    t.is(newHostArray('float32', 1000).length, 1000);
    t.is(calls.length, 3, 'a small array does not ask the allocator');
    setLargeAllocator(() => null);
    t.is(newHostArray('float32', n).length, n, 'an allocator that fails falls back');
  } finally {
    createCpuBackend(); // registers the addon's allocator again
  }
});
