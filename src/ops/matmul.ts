// Matrix products: plain, batched (leading axes broadcast), and `linear` with a fused
// bias-and-activation epilogue. Transposed views are passed to the kernels as transpose
// flags, not copied.

import { ShapeError } from '../errors.js';
import { isTracing, record } from '../trace.js';
import type { Act, Contig } from '../backend/ops.js';
import { ACT } from '../backend/ops.js';
import { broadcastShapes, fmt, sizeOf } from '../shape.js';
import { contiguousCopy, Tensor } from '../tensor.js';
import { add, gelu, relu, sigmoid, tanh } from './elementwise.js';
import { broadcastTo } from './views.js';
import { checkDtypes, checkFloat, checkTensor, commonBackend } from './util.js';

interface MatView {
  src: Tensor; // the tensor whose storage the kernel reads (x itself or a contiguous copy)
  at: Contig;
  trans: boolean;
  batchStride: number;
}

/** How the kernel can read the last two axes of x (rows × cols) across `batch` leading elements. */
function matView(x: Tensor): MatView {
  const r = x.rank, rows = x.shape[r - 2]!, cols = x.shape[r - 1]!;
  const sr = x.strides[r - 2]!, sc = x.strides[r - 1]!;
  let trans: boolean | null = null;
  if ((sc === 1 || cols === 1) && (sr === cols || rows === 1)) trans = false;
  else if ((sr === 1 || rows === 1) && (sc === rows || cols === 1)) trans = true;
  // The leading axes must step uniformly by one matrix (or all be broadcast).
  // Any uniform step works (a replica's matrix in a [R, P] arena steps by P), so the step is
  // the innermost non-trivial axis's stride and the outer ones must continue it.
  const lead = x.shape.slice(0, r - 2), ls = x.strides.slice(0, r - 2);
  const axes = lead.flatMap((d, i) => (d === 1 ? [] : [i]));
  let batchStride: number | null = rows * cols;
  if (axes.every((i) => ls[i] === 0)) batchStride = sizeOf(lead) > 1 ? 0 : rows * cols;
  else {
    batchStride = ls[axes.at(-1)!]!;
    let expect = batchStride;
    for (let j = axes.length - 1; j >= 0; j--) {
      const i = axes[j]!;
      if (ls[i] !== expect || expect === 0) { batchStride = null; break; }
      expect *= lead[i]!;
    }
  }
  if (trans === null || batchStride === null) {
    const c = contiguousCopy(x);
    return { src: c, at: c.contig, trans: false, batchStride: rows * cols };
  }
  return { src: x, at: x.contig, trans, batchStride };
}

function product(op: string, a: Tensor, b: Tensor, bias: Tensor | undefined, act: Act): Tensor {
  checkTensor(op, 'a', a);
  checkTensor(op, 'b', b);
  const backend = commonBackend(op, bias ? [a, b, bias] : [a, b]);
  checkDtypes(op, a, b);
  checkFloat(op, 'a', a);
  if (a.rank < 2 || b.rank < 2) throw new ShapeError(`${op}: expected tensors of rank ≥ 2 but received ${fmt(a.shape)} and ${fmt(b.shape)}`);
  const m = a.shape[a.rank - 2]!, k = a.shape[a.rank - 1]!, n = b.shape[b.rank - 1]!;
  if (b.shape[b.rank - 2] !== k) {
    throw new ShapeError(`${op}: inner dimensions differ: ${fmt(a.shape)} · ${fmt(b.shape)} (${k} vs ${b.shape[b.rank - 2]})`);
  }
  if (bias && (bias.rank !== 1 || bias.shape[0] !== n || bias.dtype !== a.dtype)) {
    throw new ShapeError(`${op}: expected a ${a.dtype} bias of shape [${n}] but received ${bias.dtype} ${fmt(bias.shape)}`);
  }
  const lead = broadcastShapes(op, a.shape.slice(0, -2), b.shape.slice(0, -2));
  const batch = sizeOf(lead);
  const ba = a.rank - 2 === lead.length && a.shape.slice(0, -2).every((d, i) => d === lead[i]) ? a : broadcastTo(a, [...lead, m, k]);
  const bb = b.rank - 2 === lead.length && b.shape.slice(0, -2).every((d, i) => d === lead[i]) ? b : broadcastTo(b, [...lead, k, n]);
  const va = matView(ba), vb = matView(bb);
  const vbias = bias && !bias.isContiguous ? contiguousCopy(bias) : bias;
  const s = backend.ops.matmul({
    a: va.at, b: vb.at, batch, m, n, k,
    transA: va.trans, transB: vb.trans,
    strideA: batch === 1 ? 0 : va.batchStride, strideB: batch === 1 ? 0 : vb.batchStride,
    ...(vbias ? { bias: vbias.contig } : {}),
    act,
  });
  for (const [v, t] of [[va.src, ba], [vb.src, bb], [ba, a], [bb, b], [vbias, bias]] as const) if (v !== t) v?.dispose();
  return Tensor.fromStorage(backend, s, [...lead, m, n]);
}

/**
 * The matrix product a·b over the last two axes; leading axes broadcast.
 * @example
 * const c = matmul(a, transpose(b)); // a·bᵀ without copying b
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  return record('matmul', [a, b], product('matmul', a, b, undefined, 'none'));
}

const ACT_FNS: { [K in Act]: ((x: Tensor) => Tensor) | null } = { none: null, relu, tanh, sigmoid, gelu };

/**
 * act(x·w + bias) in one kernel. Under autodiff the activation is recorded as its own op so
 * that its derivative can read the pre-activation.
 */
export function linear(x: Tensor, w: Tensor, bias?: Tensor, act: Act = 'none'): Tensor {
  if (!(act in ACT)) throw new RangeError(`linear: expected one of ${Object.keys(ACT).join(', ')} for 'act' but received '${act}'`);
  if (isTracing() && act !== 'none') return ACT_FNS[act]!(linear(x, w, bias, 'none'));
  const out = product('linear', x, w, bias, act);
  return record('linear', bias ? [x, w, bias] : [x, w], out);
}

/** x·w + bias, unfused (for callers that want the pre-activation). */
export function affine(x: Tensor, w: Tensor, bias: Tensor): Tensor {
  return add(matmul(x, w), bias);
}
