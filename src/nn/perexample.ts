// Per-example losses and per-example gradients of a model on a batch.
//
// Per-example gradients use the population form of the model: the arena is broadcast to
// [N, P] (a view, no copy) and example i is evaluated by replica i alone, so the gradient
// with respect to the broadcast arena has ∇ℓ_i in row i. The forward pass reads the shared
// weights once per example through batched products; the backward pass writes the N
// per-example gradients (N·P numbers, the size of the answer).

import { ShapeError, typeError } from '../errors.js';
import { sum } from '../ops/reduce.js';
import { broadcastTo, reshape } from '../ops/views.js';
import { fmt } from '../shape.js';
import { Tensor, tidy } from '../tensor.js';
import { grad } from '../autodiff/grad.js';
import type { Loss } from './losses.js';
import type { Model } from './model.js';

function checkBatch(fn: string, model: Model, params: Tensor, x: unknown, targets: unknown): number {
  model.layout.check(fn, params);
  if (params.rank !== 1) throw new RangeError(`${fn}: expected a parameter arena of shape [${model.layout.size}] for 'params' but received ${fmt(params.shape)}`);
  if (!(x instanceof Tensor)) throw typeError(fn, 'x', 'a Tensor', x);
  if (!(targets instanceof Tensor)) throw typeError(fn, 'targets', 'a Tensor', targets);
  if (x.rank < 2 || targets.rank < 1 || targets.shape[0] !== x.shape[0]) {
    throw new ShapeError(`${fn}: expected inputs [N, ...] and targets [N, ...] with one N but received ${fmt(x.shape)} and ${fmt(targets.shape)}`);
  }
  return x.shape[0]!;
}

/**
 * ℓ_i = loss(model(params, x_i), t_i) for each example: shape [N].
 * @example
 * const losses = perExampleLosses(net, softmaxCrossEntropy, params, x, y);
 */
export function perExampleLosses(model: Model, loss: Loss, params: Tensor, x: Tensor, targets: Tensor): Tensor {
  checkBatch('perExampleLosses', model, params, x, targets);
  return tidy(() => loss(model.apply(params, x), targets, { reduction: 'none' }));
}

/**
 * ∇ℓ_i(params) for each example i: shape [N, P], row i in the arena's layout. (The gradient
 * of the mean loss is the mean of the rows.)
 * @example
 * const G = perExampleGradients(net, softmaxCrossEntropy, params, x, y); // [N, P]
 */
export function perExampleGradients(model: Model, loss: Loss, params: Tensor, x: Tensor, targets: Tensor): Tensor {
  const n = checkBatch('perExampleGradients', model, params, x, targets);
  const P = model.layout.size;
  return tidy(() => {
    const replicated = broadcastTo(reshape(params, [1, P]), [n, P]);
    const xs = reshape(x, [n, 1, ...x.shape.slice(1)]);
    const ts = reshape(targets, [n, 1, ...targets.shape.slice(1)]);
    return grad((p) => sum(loss(model.apply(p, xs), ts, { reduction: 'none' })))(replicated);
  });
}
