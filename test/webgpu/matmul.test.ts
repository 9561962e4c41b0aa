// Both matmul kernels (the subgroup kernel lavapipe uses and the workgroup-tiled kernel GPUs
// use) in every plan: Cᵀ for small N, split K, batches with shared operands, offsets that
// forbid vec4 loads, vec4 tile loads in every transpose case, ragged edges, fused bias and activations. Bound: a dot product of length k in any order,
// |ĉ − c| ≤ k·u·Σ|a_i b_i| (Higham §3.1), plus the activation's own ulps.

import test from 'ava';
import type { ExecutionContext } from 'ava';
import { reference } from '../../src/backend/reference/index.js';
import type { Act, MatmulArgs } from '../../src/backend/ops.js';
import { matmul as planner } from '../../src/backend/webgpu/kernels/matmul.js';
import type { WebGPUBackend } from '../../src/backend/webgpu/index.js';
import { fresh, gpuTest } from './gpu.js';

const u = 2 ** -24;
const ACT_ULPS: Record<Act, number> = { none: 0, relu: 0, tanh: 3, sigmoid: 3, gelu: 4 };

function rand(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = s / 2 ** 31 - 1;
  }
  return a;
}

interface Case { m: number; k: number; n: number; transA?: boolean; transB?: boolean; batch?: number; shareA?: boolean; offA?: number; offB?: number; act?: Act; bias?: boolean }

const CASES: Case[] = [
  { m: 1, k: 1, n: 1 },
  { m: 64, k: 64, n: 64 },
  { m: 17, k: 31, n: 13, transA: true },
  { m: 29, k: 67, n: 37, transB: true },
  { m: 33, k: 63, n: 17, transA: true, transB: true, act: 'tanh', bias: true },
  { m: 130, k: 257, n: 10, act: 'relu', bias: true },
  { m: 200, k: 300, n: 10, transA: true, transB: true, act: 'gelu', bias: true },
  { m: 5, k: 3000, n: 7, bias: true },
  { m: 16, k: 2500, n: 16, transA: true, batch: 3, act: 'sigmoid' },
  { m: 65, k: 64, n: 132, batch: 2, shareA: true, bias: true },
  { m: 40, k: 48, n: 36, offA: 3, offB: 1, act: 'relu' },
  { m: 40, k: 48, n: 36, transA: true, transB: true, offA: 4, offB: 8 },
  { m: 3, k: 0, n: 5, bias: true, act: 'sigmoid' },
  // Several tiles with partial edges: vec4 tile loads in all four operand layouts (contiguous dimension a multiple
  // of 4), a K that ends inside a k-tile, and the scalar loads with ragged M, K, N.
  { m: 132, k: 100, n: 260 },
  { m: 132, k: 100, n: 260, transA: true, transB: true, bias: true, act: 'relu' },
  { m: 131, k: 77, n: 259, transB: true },
  { m: 36, k: 20, n: 44, batch: 3, transA: true, bias: true },
];

async function check(t: ExecutionContext, gpu: WebGPUBackend, c: Case): Promise<void> {
  const batch = c.batch ?? 1, { m, k, n } = c;
  const offA = c.offA ?? 0, offB = c.offB ?? 0;
  const A = rand(offA + (c.shareA ? 1 : batch) * m * k, 7 + m), B = rand(offB + batch * k * n, 11 + n), bias = rand(n, 5);
  const args = (up: (x: Float32Array) => ReturnType<WebGPUBackend['upload']>): MatmulArgs => ({
    a: { s: up(A), offset: offA }, b: { s: up(B), offset: offB }, batch, m, n, k,
    transA: c.transA ?? false, transB: c.transB ?? false, strideA: c.shareA ? 0 : m * k, strideB: k * n,
    bias: c.bias ? { s: up(bias), offset: 0 } : undefined, act: c.act ?? 'none',
  });
  const want = await reference.read(reference.ops.matmul(args((x) => reference.upload(x))));
  const plan = planner(gpu.context).plan(args((x) => gpu.upload(x)));
  const got = await gpu.read(gpu.ops.matmul(args((x) => gpu.upload(x))));
  // Σ|a_i b_i| ≤ k·max|a|·max|b| ≤ k for entries in [−1, 1); the bias adds at most 1.
  const bound = (k + 1) * u * (k + 1) + 2 * ACT_ULPS[c.act ?? 'none'] * u;
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!) / (bound * Math.max(1, Math.abs(want[i]!))));
  t.true(worst <= 1, `${JSON.stringify(c)} with plan ${JSON.stringify(plan)}: error ${worst.toFixed(3)} of the bound`);
}

for (const [kernel, tile] of [['subgroup', undefined], ['tiled', 4], ['tiled', 8]] as const) {
  gpuTest(`matmul · ${kernel} kernel${tile ? ` ${tile}×${tile} per invocation` : ''} · every plan and transpose case against the reference`, async (t) => {
    const gpu = await fresh({ matmulKernel: kernel, matmulTile: tile });
    const plans = new Set<string>();
    for (const c of CASES) {
      await check(t, gpu, c);
      const p = planner(gpu.context).plan({ m: c.m, n: c.n, k: c.k, batch: c.batch ?? 1 } as MatmulArgs);
      plans.add(`${p.kernel}${p.transposed ? ' Cᵀ' : ''}${p.splits > 1 ? ' split' : ''}`);
    }
    t.log(`plans: ${[...plans].join(', ')}`);
    if (kernel === 'subgroup' && gpu.context.subgroupSize === 0) t.log('no fixed subgroup size: the tiled kernel ran instead');
    t.true(plans.size >= 3, `plans exercised: ${[...plans].join(', ')}`);
    gpu.dispose();
  });
}

gpuTest('matmul · float32 only, with a message naming the argument', async (t) => {
  const gpu = await fresh();
  const i = gpu.upload(new Int32Array(4)), f = gpu.upload(new Float32Array(4));
  t.throws(() => gpu.ops.matmul({ a: { s: i, offset: 0 }, b: { s: f, offset: 0 }, batch: 1, m: 2, n: 2, k: 2, transA: false, transB: false, strideA: 0, strideB: 0, act: 'none' }),
    { instanceOf: TypeError, message: "matmul: expected a float32 tensor for 'a' but received int32" });
  gpu.dispose();
});

test('matmul plan on a GPU: 128×128 tiles unsplit when they make ≥ 128 workgroups, else 64×64 tiles with K split to ~264 workgroups', (t) => {
  // The planner reads only these fields of the context (no adapter needed).
  const ctx = { options: {}, isSoftware: false, subgroupSize: 32, limits: { maxGroups: 65535 } } as unknown as WebGPUBackend['context'];
  const plan = (m: number, k: number, n: number) => {
    const p = planner(ctx).plan({ m, k, n, batch: 1 } as MatmulArgs);
    return { kernel: p.kernel, rows: p.rows, cols: p.cols, splits: p.splits, kChunk: p.kChunk };
  };
  t.deepEqual(plan(2048, 2048, 2048), { kernel: 'tiled', rows: 128, cols: 128, splits: 1, kChunk: 2048 });
  // 16 × 8 = 128 tiles of 64×64 → 3 slices of K (⌈264/128⌉), each a multiple of 16 long.
  t.deepEqual(plan(1024, 784, 512), { kernel: 'tiled', rows: 64, cols: 64, splits: 3, kChunk: 272 });
  t.deepEqual(plan(1024, 1024, 1024), { kernel: 'tiled', rows: 64, cols: 64, splits: 2, kChunk: 512 });
  // The 10-class head: Cᵀ (M = 10 rows of 64), 16 tiles, K = 512 split into 8 slices of 64 (at least 4 k-tiles each).
  const head = planner(ctx).plan({ m: 1024, k: 512, n: 10, batch: 1 } as MatmulArgs);
  t.deepEqual([head.transposed, head.rows, head.splits, head.kChunk], [true, 64, 8, 64]);
});
