// Device loss: pending reads and later ops fail with DeviceLostError (which suggests the cpu
// backend); a backend that was disposed behaves the same.

import { DeviceLostError } from '../../src/backend/webgpu/errors.js';
import { fresh, gpuTest } from './gpu.js';

gpuTest('device.destroy(): a pending read and later ops reject with DeviceLostError', async (t) => {
  const gpu = await fresh();
  const x = gpu.upload(new Float32Array(4096).fill(1));
  let y = x;
  for (let i = 0; i < 8; i++) y = gpu.ops.unary('exp', { s: y, offset: 0 }, 4096);
  const pending = gpu.read(y);
  gpu.context.device.destroy();
  const err = await t.throwsAsync(pending, { instanceOf: DeviceLostError });
  t.regex(err!.message, /device was lost \(destroyed/);
  t.regex(err!.message, /backend: 'cpu'/);
  // Wait for the lost promise, then every entry point fails with the same type.
  await gpu.context.device.lost;
  t.throws(() => gpu.ops.unary('exp', { s: x, offset: 0 }, 4096), { instanceOf: DeviceLostError });
  t.throws(() => gpu.upload(new Float32Array(3)), { instanceOf: DeviceLostError });
  await t.throwsAsync(gpu.read(x), { instanceOf: DeviceLostError });
  await t.throwsAsync(gpu.sync(), { instanceOf: DeviceLostError });
  t.notThrows(() => gpu.free(x));
});

gpuTest('dispose(): later ops and reads fail with DeviceLostError', async (t) => {
  const gpu = await fresh();
  const x = gpu.upload(new Float32Array([1, 2, 3]));
  t.deepEqual([...(await gpu.read(x))], [1, 2, 3]);
  gpu.dispose();
  t.throws(() => gpu.ops.fill(3, 0, 'float32'), { instanceOf: DeviceLostError, message: /disposed/ });
  await t.throwsAsync(gpu.read(x), { instanceOf: DeviceLostError });
});
