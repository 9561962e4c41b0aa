// Peer benchmark: @tensorflow/tfjs-backend-webgpu's matMul on the same Dawn adapter that
// descent's webgpu backend uses (the root package's `webgpu`, resolved from this folder's
// parents, so both load one dawn.node).
//
// Usage: node --import tsx bench/peers/tfjs-webgpu-matmul.ts '<json shapes>' [reps]
// where shapes is [{"m":..,"k":..,"n":..}, ...]. Prints one JSON line per shape:
// {"m","k","n","ms":[per-product ms of each timed round],"gflops": best} and nothing else on
// stdout. Timing excludes upload and read-back: inputs are made resident first, then each
// round records `reps` products, submits, and waits for the queue to drain.
//
// NOTE: tfjs-webgpu registers its backend at import time only if navigator.gpu exists, so
// navigator is set before the dynamic import; and it keeps an open compute pass, which must be
// ended (endComputePassEncoder) before submitQueue() or the submit carries no work.

import { create, globals } from 'webgpu';

Object.assign(globalThis, globals);
const gpu = create([]);
Object.defineProperty(globalThis, 'navigator', { value: { gpu, userAgent: 'node' }, configurable: true });

const tf = await import('@tensorflow/tfjs-core');
await import('@tensorflow/tfjs-backend-webgpu');

interface Shape { m: number; k: number; n: number }

const shapes = JSON.parse(process.argv[2] ?? '[]') as Shape[];
const rounds = Number(process.argv[3] ?? 3);

if (!(await tf.setBackend('webgpu'))) {
  console.error('tfjs-webgpu: no adapter');
  process.exit(2);
}
await tf.ready();
// The backend object exposes the methods used below; tfjs types them on WebGPUBackend.
const backend = tf.backend() as unknown as {
  device: GPUDevice; endComputePassEncoder(): void; submitQueue(): void;
};

async function drain(): Promise<void> {
  backend.endComputePassEncoder();
  backend.submitQueue();
  await backend.device.queue.onSubmittedWorkDone();
}

for (const { m, k, n } of shapes) {
  const a = tf.randomUniform([m, k], -1, 1, 'float32', 1);
  const b = tf.randomUniform([k, n], -1, 1, 'float32', 2);
  const flop = 2 * m * n * k;
  // Products per round: enough for ~0.2 GFLOP so that submit overhead does not dominate.
  const reps = Math.max(1, Math.min(64, Math.ceil(2e8 / flop)));
  // Warm-up: uploads the inputs, compiles the pipeline, reads one result back.
  const w = tf.matMul(a, b);
  await w.data();
  w.dispose();
  const ms: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    const outs = [];
    for (let i = 0; i < reps; i++) outs.push(tf.matMul(a, b));
    await drain();
    ms.push((performance.now() - t0) / reps);
    for (const o of outs) o.dispose();
  }
  a.dispose();
  b.dispose();
  const best = Math.min(...ms);
  process.stdout.write(JSON.stringify({ m, k, n, ms, gflops: flop / best / 1e6 }) + '\n');
}
backend.device.destroy();
