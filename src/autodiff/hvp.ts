// Hessian-vector products, exact, by forward-over-reverse: the gradient's computation (the
// forward pass and the backward pass, both recorded) is linearised, and H·v is the tangent
// of the gradient for the parameter tangent v. The operator form records once and pushes
// many tangents, so each product costs only the tangent pass (about three forward passes of
// matrix products for an MLP: Pearlmutter's R-operator); masks, softmax probabilities and
// every activation are computed once. A block of probes [n, b] goes through one tangent pass
// with a probe axis in front of every tangent, so its products are matrix products.

import { tidy } from '../tensor.js';
import type { Tensor } from '../tensor.js';
import { fmt } from '../shape.js';
import { valueAndGrad } from './grad.js';
import { jvp, linearizeOutputs } from './jvp.js';
import type { Linearization } from './jvp.js';
import { alias, batchedCurvature, batchWeights } from './operator.js';
import type { BatchOptions, CurvatureOperator } from './operator.js';
import { checkLike, checkPrimal, checkRange } from './vjp.js';
import type { TraceOptions } from './vjp.js';

/**
 * H·v, with H the Hessian of the scalar function f at params (exact; forward-over-reverse).
 * With `range`, the block of H on params[begin, end) of a 1-D params times v of that length.
 * @example
 * const hv = hvp((p) => loss(model.apply(p, x), y), params, v);
 */
export function hvp(f: (params: Tensor) => Tensor, params: Tensor, v: Tensor, opts: TraceOptions = {}): Tensor {
  checkPrimal('hvp', 'params', params);
  const range = checkRange('hvp', params, opts.range);
  checkLike('hvp', 'v', v, range ? [range.end - range.begin] : params.shape, params);
  return tidy(() => jvp((p) => valueAndGrad(f, opts)(p).grad, params, v, opts).jvp);
}

function checkArena(fn: string, params: Tensor): void {
  checkPrimal(fn, 'params', params);
  if (params.rank !== 1) throw new RangeError(`${fn}: expected a 1-D parameter arena for 'params' but received shape ${fmt(params.shape)}`);
}

/**
 * The Hessian at fixed params as an operator `apply(V) = H·V`, V of shape [n] or [n, b].
 * The forward and backward passes are recorded once per batch and reused by every product.
 * With batches, H = Σ_i weights[i]·∇²f(params, batches[i]).
 * @example
 * const H = hessianOperator((p) => loss(model.apply(p, x), y), params);
 * const HV = H.apply(V); // V: [n, 8], eight probes
 * H.dispose();
 */
export function hessianOperator<B = undefined>(f: (params: Tensor, batch: B) => Tensor, params: Tensor, opts: BatchOptions<B> = {}): CurvatureOperator {
  const fn = 'hessianOperator';
  checkArena(fn, params);
  const range = checkRange(fn, params, opts.range);
  const { batches, weights } = batchWeights(fn, opts);
  const cache = opts.cache ?? true;
  const n = range ? range.end - range.begin : params.size;
  const traceOpts = range ? { range } : {};
  const linearise = (b: B | undefined): Linearization => linearizeOutputs(fn, (p) => {
    const { value, grad } = valueAndGrad((q: Tensor) => f(q, b as B), traceOpts)(p);
    return [grad, value];
  }, params, { ...traceOpts, pick: 0 });
  return batchedCurvature(fn, n, params, batches, weights, cache, true, (b) => {
    const lin = linearise(b);
    return {
      value: lin.outputs[1]!,
      apply: (v) => lin.apply(v),
      applyRows: (R) => lin.applyRows(R),
      gradient: () => alias(lin.outputs[0]!),
      dispose: () => lin.dispose(),
    };
  });
}
