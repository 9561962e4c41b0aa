// Generalised Gauss-Newton products G·v = Jᵀ·H_L·J·v, with J the Jacobian of the model's
// outputs z = model(params) and H_L the Hessian of the loss in z (positive semi-definite for
// convex losses such as softmax cross-entropy and MSE). J·v is a tangent pass over the
// model's tape, H_L·(Jv) a Hessian-vector product of the loss alone (cheap: it sees only
// the outputs), and Jᵀ·u a backward pass over the same tape; the operator form records
// the tape, its masks and the loss's linearisation once and reuses them for every product.

import { zeros } from '../ops/creation.js';
import { keep, tidy } from '../tensor.js';
import type { Tensor } from '../tensor.js';
import { fmt } from '../shape.js';
import { grad, valueAndGrad } from './grad.js';
import { forward, jvp, linearizeOutputs, plan } from './jvp.js';
import type { Linearization, Plan } from './jvp.js';
import { cachingMemo, oneShotMemo } from './memo.js';
import type { MemoStore } from './memo.js';
import { batchedCurvature, batchWeights } from './operator.js';
import type { BatchCurvature, BatchOptions, CurvatureOperator } from './operator.js';
import type { LeafRange, Tape } from './tape.js';
import { backward, checkLike, checkPrimal, checkRange, trace } from './vjp.js';
import type { TraceOptions } from './vjp.js';

function gaussNewton(tape: Tape, p: Plan, z: Tensor, v: Tensor, memos: MemoStore, lossHvp: (u: Tensor) => Tensor): Tensor {
  const jv = forward(tape, p, z, v, memos) ?? zeros(z.shape, { dtype: z.dtype, backend: z.backend });
  const hjv = lossHvp(jv);
  jv.dispose();
  const out = backward(tape, z, hjv, memos);
  hjv.dispose();
  return out;
}

/**
 * G·v = Jᵀ·H_L·J·v at params, for outputs z = model(params) and a scalar loss(z).
 * @example
 * const gv = ggnvp((p) => net.apply(p, x), (z) => softmaxCrossEntropy(z, y), params, v);
 */
export function ggnvp(model: (params: Tensor) => Tensor, loss: (outputs: Tensor) => Tensor, params: Tensor, v: Tensor, opts: TraceOptions = {}): Tensor {
  checkPrimal('ggnvp', 'params', params);
  const range = checkRange('ggnvp', params, opts.range);
  checkLike('ggnvp', 'v', v, range ? [range.end - range.begin] : params.shape, params);
  return tidy(() => {
    const { tape, out: z } = trace('ggnvp', model, params, range);
    try {
      return gaussNewton(tape, plan(tape, z), z, v, oneShotMemo(), (u) => jvp(grad(loss), z, u).jvp);
    } finally {
      tape.dispose();
    }
  });
}

/** One batch's recorded model pass and loss linearisation. */
function recordBatch<B>(fn: string, model: (p: Tensor, b: B) => Tensor, loss: (z: Tensor, b: B) => Tensor, params: Tensor, batch: B, range: LeafRange | null): BatchCurvature {
  const { tape, out: z } = trace(fn, (p) => keep(tidy(() => model(p, batch))), params, range);
  let lossLin: Linearization;
  try {
    lossLin = linearizeOutputs(fn, (zz) => {
      const { value, grad: g } = valueAndGrad((q: Tensor) => loss(q, batch))(zz);
      return [g, value];
    }, z, { pick: 0 });
  } catch (err) {
    tape.dispose();
    z.dispose();
    throw err;
  }
  const p = plan(tape, z);
  const used = new Set(p.entries);
  tape.retainOnly((e) => used.has(e));
  const memos = cachingMemo();
  return {
    value: lossLin.outputs[1]!,
    apply: (v) => gaussNewton(tape, p, z, v, memos, (u) => lossLin.apply(u)),
    gradient: () => backward(tape, z, lossLin.outputs[0]!, memos),
    dispose() {
      lossLin.dispose();
      memos.dispose();
      tape.dispose();
      z.dispose();
    },
  };
}

/**
 * The generalised Gauss-Newton matrix at fixed params as an operator `apply(V) = G·V`,
 * V of shape [n] or [n, b]; with batches, G = Σ_i weights[i]·G_i for model(params,
 * batches[i]) and loss(outputs, batches[i]).
 * @example
 * const G = ggnOperator((p, b) => net.apply(p, b.x), (z, b) => softmaxCrossEntropy(z, b.y), params, { batches });
 */
export function ggnOperator<B = undefined>(model: (params: Tensor, batch: B) => Tensor, loss: (outputs: Tensor, batch: B) => Tensor, params: Tensor, opts: BatchOptions<B> = {}): CurvatureOperator {
  const fn = 'ggnOperator';
  checkPrimal(fn, 'params', params);
  if (params.rank !== 1) throw new RangeError(`${fn}: expected a 1-D parameter arena for 'params' but received shape ${fmt(params.shape)}`);
  const range = checkRange(fn, params, opts.range);
  const { batches, weights } = batchWeights(fn, opts);
  const cache = opts.cache ?? true;
  const n = range ? range.end - range.begin : params.size;
  return batchedCurvature(fn, n, params, batches, weights, cache, false, (b) => recordBatch(fn, model, loss, params, b as B, range));
}
