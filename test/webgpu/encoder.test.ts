// The command batch's host-side reuse: bind groups cached across repeated computations, the
// split-K partial sums buffer handed back to the pool within a batch, and early submits
// (`submitEvery`). Each must leave the results exactly as they were: the same kernels run in the
// same order, so results are compared bit for bit between configurations, and against the
// reference backend with the dot-product bound of test/webgpu/matmul.test.ts.

import { reference } from '../../src/backend/reference/index.js';
import type { MatmulArgs, Storage } from '../../src/backend/ops.js';
import type { WebGPUBackend } from '../../src/backend/webgpu/index.js';
import { matmul as planner } from '../../src/backend/webgpu/kernels/matmul.js';
import { fresh, gpuTest } from './gpu.js';

const u = 2 ** -24;

function rand(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = s / 2 ** 31 - 1;
  }
  return a;
}

const M = 16, K = 700, N = 20;
const A = rand(M * K, 3), B = rand(K * N, 4), BIAS = rand(N, 5);

interface Backendish {
  upload(x: Float32Array): Storage;
  free(s: Storage): void;
  ops: { matmul(a: MatmulArgs): Storage; unary(op: 'neg', x: { s: Storage; offset: number }, n: number): Storage };
}

const inputs = new WeakMap<object, Storage[]>();

/** −relu(A·B + bias) with A, B, bias uploaded once per backend: a split-K product, its sum pass, and an elementwise op; the product is freed. */
function chain(be: Backendish): Storage {
  let ins = inputs.get(be);
  if (!ins) inputs.set(be, (ins = [be.upload(A), be.upload(B), be.upload(BIAS)]));
  const c = be.ops.matmul({
    a: { s: ins[0]!, offset: 0 }, b: { s: ins[1]!, offset: 0 }, batch: 1, m: M, n: N, k: K,
    transA: false, transB: false, strideA: 0, strideB: 0, bias: { s: ins[2]!, offset: 0 }, act: 'relu',
  });
  const out = be.ops.unary('neg', { s: c, offset: 0 }, M * N);
  be.free(c);
  return out;
}

/** `times` chains recorded into one batch, then read back (and freed). */
async function run(gpu: WebGPUBackend, times: number): Promise<Float32Array[]> {
  const outs: Storage[] = [];
  for (let i = 0; i < times; i++) outs.push(chain(gpu));
  const got = await Promise.all(outs.map(async (o) => (await gpu.read(o)) as Float32Array));
  for (const o of outs) gpu.free(o);
  return got;
}

gpuTest('a repeated computation finds its bind groups in the cache and gives the same values as the reference', async (t) => {
  const gpu = await fresh({ matmulKernel: 'tiled' });
  t.true(planner(gpu.context).plan({ m: M, n: N, k: K, batch: 1 } as MatmulArgs).splits > 1, 'the product is split over K');
  const want = (await reference.read(chain(reference))) as Float32Array;
  const first = (await run(gpu, 1))[0]!;
  // The pool hands back freed buffers last-in first-out, so the product and its negation swap buffers from one run
  // to the next: the third run binds what the first did.
  await run(gpu, 1);
  const batch = gpu.context.batch;
  const created = batch.groupsCreated, reused = batch.groupsReused;
  const again = (await run(gpu, 1))[0]!;
  t.deepEqual([...again], [...first]);
  t.true(batch.groupsReused > reused, `bind groups reused: ${batch.groupsReused - reused}`);
  t.is(batch.groupsCreated - created, 0, 'the third run creates no bind group');
  const bound = (K + 1) * u * (K + 1);
  for (let i = 0; i < want.length; i++) t.true(Math.abs(first[i]! - want[i]!) <= bound * Math.max(1, Math.abs(want[i]!)), `element ${i}: ${first[i]} vs ${want[i]}`);
  gpu.dispose();
});

gpuTest('split K: products recorded in one batch share one partial-sums buffer from the pool', async (t) => {
  const gpu = await fresh({ matmulKernel: 'tiled' });
  await run(gpu, 1);
  const pool = gpu.context.storagePool;
  const created = pool.created;
  const outs = await run(gpu, 6);
  // The product and the partial sums go back to the pool within the batch and are reused; only the 5 further
  // results (kept until read) are new. A partial-sums buffer held until the submit would add 5 more.
  t.true(pool.created - created <= 5, `buffers created for 6 products: ${pool.created - created}`);
  for (const o of outs.slice(1)) t.deepEqual([...o], [...outs[0]!]);
  gpu.dispose();
});

gpuTest('submitEvery: early submits give bit-identical results', async (t) => {
  const base = await fresh({ matmulKernel: 'tiled' });
  const want = await run(base, 3);
  base.dispose();
  const gpu = await fresh({ matmulKernel: 'tiled', submitEvery: 2 });
  const before = gpu.context.batch.submitted;
  const got = await run(gpu, 3);
  t.true(gpu.context.batch.submitted - before >= 4, `submits: ${gpu.context.batch.submitted - before}`);
  for (let i = 0; i < 3; i++) t.deepEqual([...got[i]!], [...want[i]!]);
  gpu.dispose();
});
