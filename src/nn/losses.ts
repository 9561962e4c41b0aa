// Losses. Each takes the model's outputs and the targets and returns the loss per example
// (reduction 'none', shape = the outputs' shape without the last axis), their mean (the
// default: a scalar), their sum, or — for a population's outputs [R, B, ...] — the sum over
// replicas of each replica's mean ('replicaMean'), whose gradient with respect to replica r's
// parameters is exactly that replica's own mean-loss gradient ('mean' over [R, B] would divide
// every replica's gradient by R). Targets without the replica axis (labels [B] against
// outputs [R, B, C]) are shared by every replica, as inputs [B, ...] are. All are written in
// differentiable tensor ops, so grad, hvp and ggnvp apply to them.

import { rangeError, ShapeError, typeError } from '../errors.js';
import { cast, mul, neg, softplus, square, sub } from '../ops/elementwise.js';
import { logSoftmax, oneHot } from '../ops/nn.js';
import { mean, sum } from '../ops/reduce.js';
import { reshape } from '../ops/views.js';
import { fmt, sameShape } from '../shape.js';
import { Tensor } from '../tensor.js';

/**
 * 'mean' (default): over every element; 'sum'; 'none': per example; 'replicaMean': Σ over
 * the first (replica) axis of the mean over the others — the loss of a population [R, B, ...]
 * whose per-replica gradients are the replicas' own mean-loss gradients.
 */
export type Reduction = 'mean' | 'sum' | 'none' | 'replicaMean';

export interface LossOptions {
  reduction?: Reduction;
}

/** A loss: outputs and targets in, a scalar (or per-example values) out. */
export type Loss = (outputs: Tensor, targets: Tensor, opts?: LossOptions) => Tensor;

function reduce(fn: string, perExample: Tensor, opts: LossOptions): Tensor {
  const r = opts.reduction ?? 'mean';
  if (r === 'none') return perExample;
  if (r === 'mean') return mean(perExample);
  if (r === 'sum') return sum(perExample);
  if (r === 'replicaMean') {
    if (perExample.rank <= 1) return mean(perExample);
    const rest = Array.from({ length: perExample.rank - 1 }, (_, i) => i + 1);
    return sum(mean(perExample, rest));
  }
  throw rangeError(fn, 'opts.reduction', "'mean', 'sum', 'none' or 'replicaMean'", r);
}

/** Whether targets of shape `got` are `want` without its first (replica) axis: shared by every replica. */
function sharedAcrossReplicas(got: readonly number[], want: readonly number[]): boolean {
  return want.length >= 2 && sameShape(got, want.slice(1));
}

function checkOutputs(fn: string, outputs: unknown): Tensor {
  if (!(outputs instanceof Tensor)) throw typeError(fn, 'outputs', 'a Tensor', outputs);
  if (outputs.dtype === 'int32') throw new TypeError(`${fn}: expected float32 or float64 'outputs' but received int32`);
  if (outputs.rank < 1) throw new ShapeError(`${fn}: expected 'outputs' of rank ≥ 1 but received a scalar`);
  return outputs;
}

/**
 * Softmax cross-entropy −log softmax(z)[y] over the last axis of the logits z. Targets are
 * int32 class labels of shape z.shape[:-1], or float class probabilities of z's shape.
 * @example
 * const loss = softmaxCrossEntropy(logits, labels); // mean over the batch
 */
export function softmaxCrossEntropy(logits: Tensor, targets: Tensor, opts: LossOptions = {}): Tensor {
  const fn = 'softmaxCrossEntropy';
  checkOutputs(fn, logits);
  if (!(targets instanceof Tensor)) throw typeError(fn, 'targets', 'a Tensor', targets);
  const classes = logits.shape.at(-1)!;
  const lead = logits.shape.slice(0, -1);
  let probs: Tensor;
  if (targets.dtype === 'int32') {
    if (!sameShape(targets.shape, lead) && !sharedAcrossReplicas(targets.shape, lead)) {
      throw new ShapeError(`${fn}: expected int32 labels of shape ${fmt(lead)}${lead.length >= 2 ? ` or ${fmt(lead.slice(1))} (shared by the replicas)` : ''} for 'targets' (the logits' shape without the class axis) but received ${fmt(targets.shape)}`);
    }
    const oh = reshape(oneHot(reshape(targets, [targets.size]), classes), [...targets.shape, classes]);
    probs = oh.dtype === logits.dtype ? oh : cast(oh, logits.dtype);
  } else {
    if (!sameShape(targets.shape, logits.shape) && !sharedAcrossReplicas(targets.shape, logits.shape)) {
      throw new ShapeError(`${fn}: expected class probabilities of shape ${fmt(logits.shape)}${logits.rank >= 2 ? ` or ${fmt(logits.shape.slice(1))} (shared by the replicas)` : ''} for 'targets' but received ${fmt(targets.shape)}`);
    }
    if (targets.dtype !== logits.dtype) throw new TypeError(`${fn}: expected ${logits.dtype} 'targets' (the logits' dtype) but received ${targets.dtype}`);
    probs = targets;
  }
  return reduce(fn, neg(sum(mul(logSoftmax(logits), probs), -1)), opts);
}

/**
 * Mean squared error: per example the mean over the last axis of (prediction − target)²;
 * with the default reduction the mean over all elements (PyTorch's MSELoss).
 */
export function mse(predictions: Tensor, targets: Tensor, opts: LossOptions = {}): Tensor {
  const fn = 'mse';
  checkOutputs(fn, predictions);
  if (!(targets instanceof Tensor)) throw typeError(fn, 'targets', 'a Tensor', targets);
  if (!sameShape(targets.shape, predictions.shape) && !sharedAcrossReplicas(targets.shape, predictions.shape)) {
    throw new ShapeError(`${fn}: expected targets of shape ${fmt(predictions.shape)} (the predictions' shape)${predictions.rank >= 2 ? ` or ${fmt(predictions.shape.slice(1))} (shared by the replicas)` : ''} but received ${fmt(targets.shape)}`);
  }
  const t = targets.dtype === predictions.dtype ? targets : cast(targets, predictions.dtype);
  return reduce(fn, mean(square(sub(predictions, t)), -1), opts);
}

/**
 * Logistic loss log(1 + e^z) − y·z of one logit z per example against labels y ∈ {0, 1}
 * (int32 or float). Logits may carry a trailing axis of length 1.
 */
export function logisticLoss(logits: Tensor, targets: Tensor, opts: LossOptions = {}): Tensor {
  const fn = 'logisticLoss';
  checkOutputs(fn, logits);
  if (!(targets instanceof Tensor)) throw typeError(fn, 'targets', 'a Tensor', targets);
  const z = logits.shape.at(-1) === 1 ? reshape(logits, logits.shape.slice(0, -1)) : logits;
  if (!sameShape(targets.shape, z.shape) && !sharedAcrossReplicas(targets.shape, z.shape)) {
    throw new ShapeError(`${fn}: expected labels of shape ${fmt(z.shape)}${z.rank >= 2 ? ` or ${fmt(z.shape.slice(1))} (shared by the replicas)` : ''} for 'targets' but received ${fmt(targets.shape)}`);
  }
  const y = targets.dtype === logits.dtype ? targets : cast(targets, logits.dtype);
  return reduce(fn, sub(softplus(z), mul(y, z)), opts);
}

export const LOSSES = { softmaxCrossEntropy, mse, logisticLoss } as const;
export type LossName = keyof typeof LOSSES;
