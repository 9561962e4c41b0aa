// Hidden features of a model: one layer at a time, and every layer's output. Methods that
// read or rewrite a network's intermediate features (ensembles that aggregate experts' block
// features, probes of representations) step an MLP layer by layer with these instead of
// apply(), which returns only the last layer.
//
// Contract (the same as MLP.apply): params [P] with h [B, n] → [B, n'], or a population
// params [R, P] with h [B, n] (shared by every replica) or [R, B, n] → [R, B, n']. Layer l
// (1-based) computes act(h·W_l + b_l); the last layer has no activation. Composing mlpLayer for
// l = 1..depth is exactly MLP.apply (same ops, same order).

import { checkInt, ShapeError, typeError } from '../errors.js';
import { ACTIVATION_FN } from '../ops/activations.js';
import { add } from '../ops/elementwise.js';
import { linear, matmul } from '../ops/matmul.js';
import { reshape } from '../ops/views.js';
import { fmt } from '../shape.js';
import { Tensor } from '../tensor.js';
import { MLP } from './mlp.js';

/**
 * Layer l (1-based) of an MLP applied to features h: act(h·W_l + b_l), no activation on the
 * last layer.
 * @example
 * const h1 = mlpLayer(net, params, 1, x); // first hidden features
 */
export function mlpLayer(model: MLP, params: Tensor, l: number, h: Tensor): Tensor {
  const fn = 'mlpLayer';
  if (!(model instanceof MLP)) throw typeError(fn, 'model', 'an MLP', model);
  model.layout.check(fn, params);
  checkInt(fn, 'l', l, 1, model.depth);
  if (!(h instanceof Tensor)) throw typeError(fn, 'h', 'a Tensor', h);
  const n = model.sizes[l - 1]!, out = model.sizes[l]!;
  if (h.shape.at(-1) !== n) throw new ShapeError(`${fn}: expected features of shape [..., ${n}] for 'h' at layer ${l} but received ${fmt(h.shape)}`);
  const last = l === model.depth;
  const w = model.layout.view(params, `W${l}`), b = model.layout.view(params, `b${l}`);
  if (params.rank === 1) {
    const flat = h.rank === 2 ? h : reshape(h, [h.size / n, n]);
    const y = linear(flat, w, b, last ? 'none' : model.activation === 'identity' ? 'none' : model.activation);
    return h.rank === 2 ? y : reshape(y, [...h.shape.slice(0, -1), out]);
  }
  const r = params.shape[0]!;
  if (h.rank !== 2 && !(h.rank === 3 && h.shape[0] === r)) {
    throw new ShapeError(`${fn}: expected features of shape [B, ${n}] or [${r}, B, ${n}] for 'h' with ${r} replicas but received ${fmt(h.shape)}`);
  }
  const y = add(matmul(h, w), reshape(b, [r, 1, out]));
  return last ? y : ACTIVATION_FN[model.activation](y);
}

/**
 * Every layer's output for inputs x: [h_1, ..., h_{L−1}, output] (hidden features after their
 * activation, then the outputs; the last entry equals model.apply(params, x)).
 */
export function mlpFeatures(model: MLP, params: Tensor, x: Tensor): Tensor[] {
  const out: Tensor[] = [];
  let h = x;
  for (let l = 1; l <= model.depth; l++) {
    h = mlpLayer(model, params, l, h);
    out.push(h);
  }
  return out;
}
