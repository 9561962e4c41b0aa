// The webgpu backend's optimizer ops: one dispatch of kernels/optim_<family>.wgsl per step
// over the whole [replicas, size] arena (AdaGradNorm adds a one-invocation-per-record
// dispatch that stores b²), and optimSumSq as two dispatches of kernels/optim_sumsq.wgsl
// (per-chunk sums, then per-segment sums of the chunks). The maths is
// src/backend/reference/optim.ts; the bindings and overrides are in each file's header
// (p, g, tables and norms first, as kernels/optim_common.wgsl declares them, then the state).
//
// Per call the small tables (the group bounds followed by the float32 records' bits; the
// chunk and segment tables of the sums) go up as one temporary buffer; the arena, the
// gradient and the state stay where they are, read and written in place at their element
// offsets. State bindings an op does not use get this family's own small buffers, one per
// slot (two writable bindings may not share a buffer). optimSumSq's partial sums live in a
// pooled tensor allocation, not a second temporary, so the two can never be one buffer.

import { checkOptimArgs, OPTIM_HYPER, RMSPROP_VARIANT } from '../../ops.js';
import type { Contig, OpSignatures, OptimArgs, OptimOp, Storage } from '../../ops.js';
import type { WebGPUContext } from '../context.js';
import { USAGE } from '../pool.js';
import type { GPUStorage } from '../pool.js';

/** The kernel files of this family (compiled when the backend is created). */
export const OPTIM_FILES = [
  'optim_sumsq.wgsl', 'optim_sgd.wgsl', 'optim_adam.wgsl', 'optim_adagrad.wgsl', 'optim_adagrad_norm.wgsl',
  'optim_rmsprop.wgsl', 'optim_diffgrad.wgsl', 'optim_eg.wgsl', 'optim_optimistic.wgsl',
];

const WG = 64;
const SUM_WG = 256;
/** Elements per chunk of the first sum pass: 16 per invocation. */
const CHUNK = SUM_WG * 16;

interface StepKernel {
  file: string;
  /** State bindings the kernel declares (s0, s1, ...). */
  slots: number;
  /** How many state buffers a call must pass (from its own state count and variant). */
  expected(a: OptimArgs): number;
  constants(a: OptimArgs): Record<string, number>;
}

const STEPS: { [K in OptimOp]: StepKernel } = {
  sgdStep: { file: 'optim_sgd.wgsl', slots: 1, expected: (a) => (a.state.length === 0 ? 0 : 1), constants: (a) => ({ MOMENTUM: a.state.length > 0 ? 1 : 0 }) },
  adamStep: { file: 'optim_adam.wgsl', slots: 3, expected: (a) => (a.state.length === 3 ? 3 : 2), constants: (a) => ({ AMSGRAD: a.state.length === 3 ? 1 : 0 }) },
  adagradStep: { file: 'optim_adagrad.wgsl', slots: 1, expected: () => 1, constants: () => ({}) },
  adagradNormStep: { file: 'optim_adagrad_norm.wgsl', slots: 1, expected: () => 1, constants: () => ({ ACCUMULATE: 0 }) },
  rmspropStep: {
    file: 'optim_rmsprop.wgsl', slots: 3,
    expected: (a) => 1 + (a.variant & RMSPROP_VARIANT.centered ? 1 : 0) + (a.variant & RMSPROP_VARIANT.momentum ? 1 : 0),
    constants: (a) => ({ CENTERED: a.variant & RMSPROP_VARIANT.centered ? 1 : 0, MOMENTUM: a.variant & RMSPROP_VARIANT.momentum ? 1 : 0 }),
  },
  diffgradStep: { file: 'optim_diffgrad.wgsl', slots: 3, expected: () => 3, constants: () => ({}) },
  egStep: { file: 'optim_eg.wgsl', slots: 2, expected: (a) => (a.state.length === 2 ? 2 : 0), constants: (a) => ({ PM: a.state.length === 2 ? 1 : 0 }) },
  optimisticStep: { file: 'optim_optimistic.wgsl', slots: 1, expected: () => 1, constants: () => ({}) },
};

function u32(op: string, arg: string, n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`${op}: expected a count below 2^32 for '${arg}' on the webgpu backend but received ${n}`);
  return n;
}

export function optim(ctx: WebGPUContext): Pick<OpSignatures, 'optimSumSq' | OptimOp> {
  let spares: GPUBuffer[] | null = null;
  /** Distinct small writable buffers for the state slots an op leaves empty. */
  const spare = (k: number): GPUBuffer => {
    spares ??= [0, 1, 2].map((i) => ctx.device.createBuffer({ label: `descent optim unused state ${i}`, size: 256, usage: USAGE.STORAGE }));
    return spares[k]!;
  };

  function f32(op: string, arg: string, c: Contig): GPUStorage {
    const s = ctx.storage(op, arg, c.s);
    if (s.dtype !== 'float32') throw new TypeError(`${op}: expected a float32 tensor for '${arg}' but received ${s.dtype}`);
    return s;
  }

  function step(op: OptimOp, a: OptimArgs): void {
    checkOptimArgs(op, a);
    const k = STEPS[op], K = OPTIM_HYPER[op].length;
    const G = a.bounds.length - 1, records = a.replicas * G, total = a.replicas * a.size;
    if (a.state.length !== k.expected(a)) throw new RangeError(`${op}: expected ${k.expected(a)} state buffers for variant ${a.variant} but received ${a.state.length}`);
    if (a.hyper.length !== records * K) {
      throw new RangeError(`${op}: expected ${records * K} hyperparameters for 'hyper' ([${a.replicas}, ${G}, ${K}]) but received ${a.hyper.length}`);
    }
    let clips = false;
    for (let i = 0; i < records; i++) clips ||= a.hyper[i * K] !== 0;
    if ((clips || op === 'adagradNormStep') && !a.norms) throw new TypeError(`${op}: expected the squared group norms for 'norms' (a clip or the op needs them) but received undefined`);
    const p = f32(op, 'p', a.p), g = f32(op, 'g', a.g);
    // WebGPU validates usage per buffer: a written binding may not share its buffer with any
    // other binding of the dispatch, even at disjoint offsets.
    const named: [string, Storage][] = [['p', a.p.s], ['g', a.g.s], ...a.state.map((c, i): [string, Storage] => [`state[${i}]`, c.s])];
    for (let i = 0; i < named.length; i++) {
      for (let j = i + 1; j < named.length; j++) {
        if (named[i]![1] === named[j]![1] && (i !== 1 || j !== 1)) {
          throw new RangeError(`${op}: expected '${named[i]![0]}' and '${named[j]![0]}' in different tensors on the webgpu backend (the step writes one of them in place) but both are views of one buffer`);
        }
      }
    }
    const slots: (GPUStorage | GPUBuffer)[] = Array.from({ length: k.slots }, (_, i) => (a.state[i] ? f32(op, `state[${i}]`, a.state[i]!) : spare(i)));
    const so = [0, 1, 2].map((i) => u32(op, `state[${i}] offset`, a.state[i]?.offset ?? 0));
    const tables = new Uint32Array(G + 1 + records * K);
    tables.set(a.bounds, 0);
    const hyper = a.hyper instanceof Float32Array ? a.hyper : Float32Array.from(a.hyper); // WGSL has no float64
    tables.set(new Uint32Array(hyper.buffer, hyper.byteOffset, records * K), G + 1);
    const dims = [
      u32(op, 'replicas·size', total), u32(op, 'size', a.size), u32(op, 'groups', G), u32(op, 'p offset', a.p.offset),
      u32(op, 'g offset', a.g.offset), so[0]!, so[1]!, so[2]!, u32(op, 'norms offset', a.norms?.offset ?? 0), u32(op, 'records', records),
    ];
    const buffers = [p, g, ctx.temp(tables), a.norms ? f32(op, 'norms', a.norms) : ctx.dummy, ...slots];
    const constants = { WG, ...k.constants(a) };
    if (total > 0) ctx.run(k.file, 'main', constants, buffers, dims, ctx.groups1d(total, WG));
    if (op === 'adagradNormStep' && records > 0) ctx.run(k.file, 'main', { ...constants, ACCUMULATE: 1 }, buffers, dims, ctx.groups1d(records, WG));
  }

  return {
    optimSumSq(x: Contig, replicas: number, size: number, bounds: Int32Array): Storage {
      const op = 'optimSumSq';
      const xs = f32(op, 'x', x);
      const G = bounds.length - 1, segs = replicas * G;
      const out = ctx.alloc(op, 'float32', segs);
      if (segs === 0) return out;
      // Each (replica, group) segment cut into chunks of ≤ CHUNK elements; then each segment's chunk range.
      const chunks: number[] = [], ranges: number[] = [];
      for (let r = 0; r < replicas; r++) {
        for (let j = 0; j < G; j++) {
          const first = chunks.length / 2;
          for (let k = bounds[j]!; k < bounds[j + 1]!; k += CHUNK) {
            chunks.push(u32(op, 'x offset', x.offset + r * size + k), Math.min(CHUNK, bounds[j + 1]! - k));
          }
          ranges.push(first, chunks.length / 2);
        }
      }
      const C = chunks.length / 2;
      const partials = ctx.alloc(op, 'float32', Math.max(C, 1));
      const buffers = [xs, ctx.temp(Uint32Array.from([...chunks, ...ranges])), partials, out];
      const dims = [C, segs, chunks.length];
      const constants = { WG: SUM_WG, WG_LEN: SUM_WG };
      if (C > 0) ctx.run('optim_sumsq.wgsl', 'main', { ...constants, FINISH: 0 }, buffers, dims, ctx.groups1d(C * SUM_WG, SUM_WG));
      ctx.run('optim_sumsq.wgsl', 'main', { ...constants, FINISH: 1 }, buffers, dims, ctx.groups1d(segs * SUM_WG, SUM_WG));
      ctx.free(partials);
      return out;
    },
    sgdStep: (a) => step('sgdStep', a),
    adamStep: (a) => step('adamStep', a),
    adagradStep: (a) => step('adagradStep', a),
    adagradNormStep: (a) => step('adagradNormStep', a),
    rmspropStep: (a) => step('rmspropStep', a),
    diffgradStep: (a) => step('diffgradStep', a),
    egStep: (a) => step('egStep', a),
    optimisticStep: (a) => step('optimisticStep', a),
  };
}
