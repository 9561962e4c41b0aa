// The buffer pool (size classes, reuse) and the command batch (one submit per read-back,
// submits when full, uploads into buffers the unsubmitted batch uses).

import test from 'ava';
import { sizeClass } from '../../src/backend/webgpu/pool.js';
import type { GPUStorage } from '../../src/backend/webgpu/pool.js';
import { backend, fresh, gpuTest } from './gpu.js';

test('size classes: 256 B, then four per power of two, never more than 25% slack', (t) => {
  t.is(sizeClass(1), 256);
  t.is(sizeClass(256), 256);
  t.is(sizeClass(257), 320);
  t.is(sizeClass(1024), 1024);
  t.is(sizeClass(1025), 1280);
  t.is(sizeClass(1800), 2048);
  for (let b = 257; b < 1e7; b = Math.ceil(b * 1.37)) {
    const c = sizeClass(b);
    t.true(c >= b && c <= 1.25 * b, `sizeClass(${b}) = ${c}`);
  }
});

gpuTest('a freed buffer is reused by the next allocation of its size class', async (t) => {
  const gpu = await backend();
  const pool = gpu.context.storagePool;
  const a = gpu.ops.fill(1000, 1, 'float32') as GPUStorage;
  const buffer = a.buffer;
  gpu.free(a);
  const reused = pool.reused;
  const b = gpu.ops.fill(900, 2, 'float32') as GPUStorage;
  t.is(b.buffer, buffer);
  t.is(pool.reused, reused + 1);
  t.deepEqual([...(await gpu.read(b, 0, 3))], [2, 2, 2]);
  gpu.free(b);
});

gpuTest('ops are batched: one submit for many ops, at read-back', async (t) => {
  const gpu = await fresh();
  const batch = gpu.context.batch;
  const before = batch.submitted;
  let x = gpu.ops.fill(256, 0.5, 'float32');
  for (let i = 0; i < 20; i++) {
    const y = gpu.ops.unary('square', { s: x, offset: 0 }, 256);
    gpu.free(x);
    x = gpu.ops.binary('add', { s: y, offset: 0, shape: [256], strides: [1] }, { s: y, offset: 0, shape: [256], strides: [1] }, [256]);
    gpu.free(y);
  }
  t.is(batch.submitted, before);
  t.true(batch.pending);
  const out = await gpu.read(x, 0, 1);
  t.is(batch.submitted, before + 1);
  // x ← 2x² twenty times from ½ stays ½.
  t.is(out[0], 0.5);
  gpu.dispose();
});

gpuTest('a full batch is submitted without waiting for a read', async (t) => {
  const gpu = await fresh({ maxDispatches: 4 });
  const x = gpu.ops.fill(64, 1, 'float32');
  for (let i = 0; i < 10; i++) gpu.free(gpu.ops.unary('neg', { s: x, offset: 0 }, 64));
  t.true(gpu.context.batch.submitted >= 2);
  t.deepEqual([...(await gpu.read(x, 0, 2))], [1, 1]);
  gpu.dispose();
});

gpuTest('an upload into a buffer that unsubmitted work still reads does not change that work', async (t) => {
  const gpu = await backend();
  const a = gpu.upload(new Float32Array(300).fill(3)) as GPUStorage;
  const doubled = gpu.ops.binary('add', { s: a, offset: 0, shape: [300], strides: [1] }, { s: a, offset: 0, shape: [300], strides: [1] }, [300]);
  const buffer = a.buffer;
  gpu.free(a);
  // The pool hands the same buffer to this upload; queue.writeBuffer would run before the add.
  const b = gpu.upload(new Float32Array(300).fill(100)) as GPUStorage;
  t.is(b.buffer, buffer);
  t.is((await gpu.read(doubled, 0, 1))[0], 6);
  t.is((await gpu.read(b, 0, 1))[0], 100);
  gpu.free(b);
  gpu.free(doubled);
});

// Issue 18 item 1: tensors of 64–116 MiB reduced and disposed before any await pushed the pool
// over its idle budget, which destroyed buffers the unsubmitted batch still used (total 0).
gpuTest('buffers freed while the unsubmitted batch uses them survive until it is submitted', async (t) => {
  const d = await import('../../src/index.js');
  const gpu = await backend();
  const sizes = [16, 20, 24, 29].map((m) => m * 1024 * 1024); // elements: 64, 80, 96, 116 MiB
  const sums = sizes.map((n) => {
    const x = d.full([n], 1, { backend: gpu });
    const s = d.sum(x);
    x.dispose();
    return s;
  });
  // A float32 tree reduction of n ones: relative rounding at most log2(n)·2⁻²⁴ (here < 2e-6).
  for (const [i, s] of sums.entries()) {
    const got = (await s.data())[0]!;
    s.dispose();
    t.true(Math.abs(got - sizes[i]!) <= sizes[i]! * 26 * 2 ** -24, `sum of ${sizes[i]} ones: ${got}`);
  }
});
