// Batched matrix products with a fused bias and activation on the GPU: the variant and its
// blocking are chosen by shape and adapter (kernels/matmul_subgroup.wgsl, kernels/matmul.wgsl;
// the tuning is recorded in kernels/README.md).
//
// Plan. (1) When N is small against M (the N = 10 of a classifier head), compute
// Cᵀ = op(B)ᵀ·op(A)ᵀ instead, so that the long dimension runs along the lanes, and store it
// transposed. (2) On an adapter with one fixed subgroup size and a software (CPU) adapter, use
// the subgroup kernel (operands shared by shuffles, since lavapipe's loads cost per element);
// elsewhere the workgroup-memory tiled kernel: 128×128 tiles when they are enough workgroups for
// a large GPU, else 64×64. (3) When the output tiles are too few to occupy the device and K is
// long, split K into slices written as partial sums (a pooled buffer handed back once the sum
// pass is recorded) and add them in a second pass (splitk_sum) that also applies bias and
// activation.

import { cpus } from 'node:os';
import { ACT } from '../../ops.js';
import type { MatmulArgs, OpSignatures, Storage } from '../../ops.js';
import type { WebGPUContext } from '../context.js';

/** Subgroup kernel blocking: at most R rows per subgroup, WG invocations per workgroup (tuned on lavapipe; kernels/README.md). */
export const SUBGROUP_TUNING = { R: 16, WG: 32 };
/**
 * Tiled kernel on a GPU: 8×8 blocks (128×128 tiles) when those tiles alone are at least this many workgroups (about
 * one per SM of a 132-SM H100/H200), and then K is never split; else 4×4 blocks (64×64 tiles), K split until `busy`
 * workgroups (kernels/README.md: H200 measurements of each choice).
 */
const WIDE_TILES = 128;
/** Tiled kernel: outputs per invocation along rows and columns (4 or 8; the tile is 16× that). */
function tiledBlock(ctx: WebGPUContext, M: number, N: number, batch: number): number {
  const forced = ctx.options.matmulTile ?? Number(process.env.DESCENT_MATMUL_TILE);
  if (forced === 4 || forced === 8) return forced;
  if (ctx.isSoftware) return M >= 256 && N >= 256 ? 8 : 4;
  return Math.ceil(M / 128) * Math.ceil(N / 128) * batch >= WIDE_TILES ? 8 : 4;
}
/** Tiled kernel: k-steps per workgroup-memory tile (the WGSL override KT; 32 measured slower on the H200). */
const TILED_KT = 16;

export type MatmulKernel = 'subgroup' | 'tiled';

export interface MatmulPlan {
  kernel: MatmulKernel;
  transposed: boolean;
  /** Rows per subgroup (subgroup kernel) or per tile (tiled). */
  rows: number;
  /** Columns per workgroup. */
  cols: number;
  splits: number;
  kChunk: number;
  /** k-steps per tile: the tiled kernel's KT, or 4·SG for the subgroup kernel. */
  kStep: number;
}

export function matmul(ctx: WebGPUContext): Pick<OpSignatures, 'matmul'> & { plan(a: MatmulArgs): MatmulPlan } {
  const forced = ctx.options.matmulKernel ?? (process.env.DESCENT_MATMUL as MatmulKernel | undefined);
  const kernel: MatmulKernel = forced === 'tiled' || forced === 'subgroup'
    ? (forced === 'subgroup' && !ctx.subgroupSize ? 'tiled' : forced)
    : ctx.subgroupSize && ctx.isSoftware ? 'subgroup' : 'tiled';
  // Workgroups that keep the device busy: a few per core on a CPU adapter; on a GPU two 256-invocation workgroups per
  // SM of a large GPU (264 on the 132 SMs of an H100/H200), or WIDE_TILES for 128×128 tiles (kernels/README.md has the
  // measurements). $DESCENT_MATMUL_BUSY overrides it (for tuning).
  const busyEnv = Number(process.env.DESCENT_MATMUL_BUSY);
  const softBusy = ctx.isSoftware ? 4 * cpus().length : 0; // os.cpus() reads /proc: once, not per product

  function plan(a: MatmulArgs): MatmulPlan & { M: number; N: number } {
    const transposed = a.n < 16 && a.m >= 4 * a.n;
    const M = transposed ? a.n : a.m, N = transposed ? a.m : a.n;
    const sg = ctx.subgroupSize;
    // Fewer rows than R: the smallest multiple of 4 that covers them (R = 12 for the N = 10 head).
    const block = tiledBlock(ctx, M, N, a.batch);
    const rows = kernel === 'subgroup' ? Math.min(SUBGROUP_TUNING.R, 4 * Math.ceil(M / 4)) : 16 * block;
    const cols = kernel === 'subgroup' ? 4 * SUBGROUP_TUNING.WG : 16 * block;
    const kStep = kernel === 'subgroup' ? 4 * sg : TILED_KT;
    const busy = busyEnv || (ctx.isSoftware ? softBusy : kernel === 'tiled' && block === 8 ? WIDE_TILES : 264);
    const tiles = Math.ceil(M / rows) * Math.ceil(N / cols) * a.batch;
    let splits = 1;
    if (tiles < busy && a.k >= 8 * kStep) splits = Math.min(Math.ceil(busy / tiles), Math.floor(a.k / (4 * kStep)), 64);
    const kChunk = Math.max(kStep, Math.ceil(Math.ceil(a.k / Math.max(1, splits)) / kStep) * kStep);
    splits = Math.max(1, Math.ceil(a.k / kChunk));
    return { kernel, transposed, rows, cols, splits, kChunk, kStep, M, N };
  }

  return {
    plan,
    matmul(args: MatmulArgs): Storage {
      const { batch, m, n, k, transA, transB, strideA, strideB, bias, act } = args;
      const sa = ctx.storage('matmul', 'a', args.a.s), sb = ctx.storage('matmul', 'b', args.b.s);
      for (const [name, s] of [['a', sa], ['b', sb]] as const) {
        if (s.dtype !== 'float32') throw new TypeError(`matmul: expected a float32 tensor for '${name}' but received ${s.dtype}`);
      }
      const sbias = bias ? ctx.storage('matmul', 'bias', bias.s) : null;
      if (sbias && sbias.dtype !== 'float32') throw new TypeError(`matmul: expected a float32 tensor for 'bias' but received ${sbias.dtype}`);
      const out = ctx.alloc('matmul', 'float32', batch * m * n);
      if (batch * m * n === 0) return out;

      const p = plan(args);
      // Operands as the kernel sees them (swapped and transposed for the Cᵀ plan).
      const A = p.transposed ? { s: sb, off: args.b.offset, stride: strideB, trans: !transB } : { s: sa, off: args.a.offset, stride: strideA, trans: transA };
      const B = p.transposed ? { s: sa, off: args.a.offset, stride: strideA, trans: !transA } : { s: sb, off: args.b.offset, stride: strideB, trans: transB };
      const { M, N } = p;
      const common = {
        TRANS_A: A.trans ? 1 : 0, TRANS_B: B.trans ? 1 : 0, HAS_BIAS: sbias ? 1 : 0, ACT: ACT[act], TRANS_C: p.transposed ? 1 : 0,
      };
      const biasBuf = sbias ?? ctx.dummy;
      const offBias = bias ? bias.offset : 0;

      const maxZ = ctx.limits.maxGroups;
      const { rows, cols } = p;
      const gx = Math.ceil(N / cols), gy = Math.ceil(M / rows);
      if (gx > maxZ || gy > maxZ) {
        throw new RangeError(`matmul: a ${m}×${n} result needs ${gx}×${gy} workgroups but this adapter allows ${maxZ} per dimension (maxComputeWorkgroupsPerDimension); split the product, or use the cpu backend`);
      }
      // Batches beyond the z limit go in chunks; each chunk writes from its own output offset.
      const perChunk = Math.max(1, Math.floor(maxZ / p.splits));
      for (let b0 = 0; b0 < batch; b0 += perChunk) {
        const nb = Math.min(perChunk, batch - b0);
        const params = new Uint32Array([
          M, N, k, nb,
          A.off + b0 * A.stride, B.off + b0 * B.stride, A.stride, B.stride,
          p.kChunk, p.splits, offBias, p.splits > 1 ? 0 : b0 * m * n,
        ]);
        // Partial sums of split K: a pooled buffer handed back as soon as the sum pass is recorded, so that the next
        // split product of the same batch reuses it (dispatches of a batch run in order; see BufferPool) instead of
        // creating (and Dawn zero-filling) a new one per product.
        let partial: GPUBuffer | null = null;
        if (p.splits > 1 && k > 0) {
          const bytes = 4 * nb * p.splits * M * N;
          ctx.checkBindable('matmul', bytes, 'the partial sums of split K');
          partial = ctx.storagePool.acquire(bytes);
          ctx.batch.used.add(partial);
        }
        const target = partial ?? out;
        const constants = { ...common, SPLIT: p.splits > 1 ? 1 : 0 };
        if (k > 0) {
          if (p.kernel === 'subgroup') {
            const vecA = (A.trans ? M % 4 === 0 : k % 4 === 0) && A.off % 4 === 0 && (A.stride % 4 === 0 || nb === 1);
            const vecB = (B.trans ? k % 4 === 0 : N % 4 === 0) && B.off % 4 === 0 && (B.stride % 4 === 0 || nb === 1);
            ctx.run('matmul_subgroup.wgsl', 'main', { ...constants, SG: ctx.subgroupSize, WG: SUBGROUP_TUNING.WG, R: p.rows, VEC_A: vecA ? 1 : 0, VEC_B: vecB ? 1 : 0 },
              [A.s, A.s, B.s, B.s, biasBuf, target], params, [gx, gy, nb * p.splits]);
          } else {
            const t = rows / 16;
            // vec4 tile loads: the operand's contiguous dimension (M or K for A, K or N for B) and every batch's start are multiples of 4.
            const offA = A.off + b0 * A.stride, offB = B.off + b0 * B.stride;
            const vecA = (A.trans ? M % 4 === 0 : k % 4 === 0) && offA % 4 === 0 && (A.stride % 4 === 0 || nb === 1);
            const vecB = (B.trans ? k % 4 === 0 : N % 4 === 0) && offB % 4 === 0 && (B.stride % 4 === 0 || nb === 1);
            ctx.run('matmul.wgsl', 'main', { ...constants, TM: t, TN: t, KT: p.kStep, AS_LEN: 4 * t * p.kStep, BS_LEN: 4 * t * p.kStep, VEC_A: vecA ? 1 : 0, VEC_B: vecB ? 1 : 0 },
              [A.s, A.s, B.s, B.s, biasBuf, target], params, [gx, gy, nb * p.splits]);
          }
        }
        if (p.splits > 1 || k === 0) {
          // k = 0: no slices at all, so the sum pass writes act(bias) (or act(0)).
          const sumParams = params.slice();
          sumParams[9] = k === 0 ? 0 : p.splits;
          sumParams[11] = b0 * m * n;
          ctx.run('matmul.wgsl', 'splitk_sum', common, [partial ?? ctx.dummy, biasBuf, out], sumParams, ctx.groups1d(nb * M * N, 64));
        }
        if (partial) {
          ctx.storagePool.release(partial);
          if (ctx.storagePool.evict()) ctx.batch.afterSubmit(() => ctx.storagePool.evict());
        }
      }
      return out;
    },
  };
}
