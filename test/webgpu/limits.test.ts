// Refusals with messages that say why: tensors over maxStorageBufferBindingSize, float64,
// storages of another backend; and indices out of range found by a kernel.

import { reference } from '../../src/backend/reference/index.js';
import { backend, gpuTest } from './gpu.js';

gpuTest('a tensor larger than maxStorageBufferBindingSize is refused with the limit in the message', async (t) => {
  const gpu = await backend();
  const limit = gpu.context.limits.maxStorageBinding;
  const n = Math.floor(limit / 4) + 1;
  const err = t.throws(() => gpu.ops.fill(n, 0, 'float32'), { instanceOf: RangeError });
  t.true(err!.message.includes(`maxStorageBufferBindingSize is ${limit} bytes`), err!.message);
  t.regex(err!.message, /^fill: a float32 result of \d+ elements needs \d+ bytes/);
  t.notThrows(() => gpu.free(gpu.ops.fill(16, 0, 'float32')));
});

gpuTest('float64 is refused, naming the op', async (t) => {
  const gpu = await backend();
  t.throws(() => gpu.upload(new Float64Array(3)), { instanceOf: TypeError, message: /^upload: expected a float32 or int32 tensor for 'data' but received float64/ });
  t.throws(() => gpu.ops.fill(3, 0, 'float64'), { instanceOf: TypeError, message: /^fill: .*float64.*WGSL has no float64/ });
  const x = gpu.upload(new Float32Array(3));
  t.throws(() => gpu.ops.cast({ s: x, offset: 0 }, 3, 'float64'), { instanceOf: TypeError, message: /^cast: .*'dtype'.*float64/ });
  gpu.free(x);
});

gpuTest('a storage of another backend is refused, naming the op and the argument', async (t) => {
  const gpu = await backend();
  const host = reference.upload(new Float32Array(4));
  t.throws(() => gpu.ops.unary('exp', { s: host, offset: 0 }, 4), { instanceOf: TypeError, message: /^exp: expected a tensor of the webgpu backend for 'x' but received HostStorage/ });
});

gpuTest('an index out of range in gather is raised by the next read as a RangeError', async (t) => {
  const gpu = await backend();
  const x = gpu.upload(new Float32Array([10, 11, 12, 13]));
  const idx = gpu.upload(new Int32Array([1, 3, 7, 0]));
  const out = gpu.ops.gather({ s: x, offset: 0 }, 1, 4, 1, { s: idx, offset: 0 }, 4);
  await t.throwsAsync(gpu.read(out), { instanceOf: RangeError, message: "gather: expected indices in [0, 3] for 'indices' but received 7 at position 2" });
  // The error is reported once; the backend keeps working.
  const ok = gpu.ops.gather({ s: x, offset: 0 }, 1, 4, 1, { s: idx, offset: 0 }, 2);
  t.deepEqual([...(await gpu.read(ok))], [11, 13]);
  const neg = gpu.upload(new Int32Array([-2]));
  gpu.ops.scatterAdd({ s: x, offset: 0 }, 1, 1, 1, { s: neg, offset: 0 }, 4);
  await t.throwsAsync(gpu.sync(), { instanceOf: RangeError, message: /^scatterAdd: expected indices in \[0, 3\] for 'indices' but received -2 at position 0/ });
  for (const s of [x, idx, out, ok, neg]) gpu.free(s);
});
