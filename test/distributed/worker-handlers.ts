// Handlers for test/distributed/worker-compute-thread.test.ts, run in a compute thread
// (src/distributed/compute-thread.ts). Not a test file (ava runs *.test.ts only).

import { threadId } from 'node:worker_threads';
import { transferable } from '../../src/distributed/compute-thread.js';
import '../../src/backends.js';
import { initBackend, useBackend } from '../../src/backend/backend.js';
import { tensor } from '../../src/ops/creation.js';
import { matmul } from '../../src/ops/matmul.js';

let setting: { scale: number } = { scale: 0 };

export function init(s: { scale: number }): void {
  if (!(s.scale > 0)) throw new RangeError(`init: expected scale > 0 but received ${s.scale}`);
  setting = s;
}

export const whoami = () => ({ threadId, scale: setting.scale });

/** Scales x in place and hands its buffer back (moved, not copied). */
export function scale(x: Float32Array): Float32Array {
  for (let i = 0; i < x.length; i++) x[i] = x[i]! * setting.scale;
  return transferable(x, [x.buffer]);
}

export function fail(why: string): never {
  throw new RangeError(`fail: ${why}`);
}

/** Busy for `ms` milliseconds (a synchronous product stand-in); returns the iterations done. */
export function spin(ms: number): number {
  const end = performance.now() + ms;
  let i = 0;
  while (performance.now() < end) i++;
  return i;
}

/** A·B on the cpu backend (the native addon) in this thread. */
export async function cpuMatmul(a: Float32Array, b: Float32Array, m: number, k: number, n: number): Promise<Float32Array> {
  const be = await initBackend('cpu');
  await useBackend(be);
  const A = tensor(a, [m, k], { backend: be }), B = tensor(b, [k, n], { backend: be });
  const C = matmul(A, B);
  const out = (await C.data() as Float32Array).slice();
  A.dispose(); B.dispose(); C.dispose();
  return out;
}

/** Ends the thread (process.exit in a worker thread ends only the thread). */
export function exit(code: number): never {
  process.exit(code);
}
