// Curvature operators of a model's loss on a data set: the Hessian or the generalised
// Gauss-Newton matrix, averaged over the examples in batches of a given size, for the whole
// arena or one layer's block. They are the `op(V) = M·V` that the spectrum layer calls.

import { checkInt, typeError } from '../errors.js';
import { slice } from '../ops/views.js';
import { keep, Tensor } from '../tensor.js';
import { ggnOperator } from '../autodiff/ggnvp.js';
import { hessianOperator } from '../autodiff/hvp.js';
import type { CurvatureOperator } from '../autodiff/operator.js';
import type { Range } from './layout.js';
import type { Loss } from './losses.js';
import { softmaxCrossEntropy } from './losses.js';
import { MLP } from './mlp.js';
import { mlpQuadraticForms } from './quadratic.js';
import type { Model } from './model.js';

export interface DataBatch {
  x: Tensor;
  y: Tensor;
}

export interface ModelCurvatureOptions {
  /** Examples per forward pass (default: all at once). The operator is the mean over all examples. */
  batchSize?: number;
  /** Keep every batch's forward pass between products (default true). */
  cache?: boolean;
  /** One layer's block: a layer number (1-based, models with layers) or an arena range. */
  block?: number | Range;
}

function setup(fn: string, model: Model, data: DataBatch, opts: ModelCurvatureOptions) {
  if (!data || !(data.x instanceof Tensor) || !(data.y instanceof Tensor)) throw typeError(fn, 'data', 'an object { x: Tensor, y: Tensor }', data);
  const n = data.x.shape[0] ?? 0;
  if (n === 0 || data.y.shape[0] !== n) {
    throw new RangeError(`${fn}: expected data.x and data.y with one non-zero leading length but received ${data.x.shape[0]} and ${data.y.shape[0]}`);
  }
  const size = opts.batchSize === undefined ? n : checkInt(fn, 'opts.batchSize', opts.batchSize, 1);
  const batches: DataBatch[] = [];
  const weights: number[] = [];
  for (let i = 0; i < n; i += size) {
    const m = Math.min(size, n - i);
    batches.push({ x: keep(slice(data.x, [i], [m])), y: keep(slice(data.y, [i], [m])) });
    weights.push(m / n);
  }
  let range: Range | undefined;
  if (typeof opts.block === 'number') {
    if (!model.layerRange) throw typeError(fn, 'opts.block', 'an arena range { begin, end } (this model has no layers)', opts.block);
    range = model.layerRange(opts.block);
  } else range = opts.block;
  const release = (op: CurvatureOperator, extra?: { forms: (G: Tensor) => Tensor; dispose: () => void }): CurvatureOperator => ({
    ...op,
    apply: op.apply,
    gradient: () => op.gradient(),
    ...(extra ? { quadratic: (G: Tensor) => checkedForms(fn, op.size, G, extra.forms) } : {}),
    dispose() {
      op.dispose();
      extra?.dispose();
      for (const b of batches) { b.x.dispose(); b.y.dispose(); }
    },
  });
  return { batches, weights, range, release };
}

function checkedForms(fn: string, n: number, G: unknown, forms: (G: Tensor) => Tensor): Tensor {
  if (!(G instanceof Tensor)) throw typeError(`${fn}.quadratic`, 'G', 'a Tensor [b, n]', G);
  if (G.rank !== 2 || G.shape[1] !== n) throw new RangeError(`${fn}.quadratic: expected shape [b, ${n}] for 'G' but received [${G.shape.join(', ')}]`);
  return forms(G);
}

/** Taylor-mode quadratic forms (quadratic.ts) where they apply: an MLP, one arena, cross-entropy on labels. */
function taylorForms(model: Model, loss: Loss, params: Tensor, batches: DataBatch[], weights: number[], kind: 'hessian' | 'ggn', range: Range | undefined) {
  if (!(model instanceof MLP) || loss !== softmaxCrossEntropy || params.rank !== 1 || batches.some((b) => b.y.dtype !== 'int32' || b.y.rank !== 1)) return undefined;
  return mlpQuadraticForms(model, params, batches, weights, kind, range);
}

/**
 * The Hessian of the mean loss of `model` on `data` at params, as an operator.
 * @example
 * const H = modelHessian(net, softmaxCrossEntropy, params, { x, y }, { batchSize: 1024 });
 * const hv = H.apply(v);
 */
export function modelHessian(model: Model, loss: Loss, params: Tensor, data: DataBatch, opts: ModelCurvatureOptions = {}): CurvatureOperator {
  const { batches, weights, range, release } = setup('modelHessian', model, data, opts);
  return release(hessianOperator((p, b: DataBatch) => loss(model.apply(p, b.x), b.y), params, {
    batches, weights, ...(range ? { range } : {}), ...(opts.cache === undefined ? {} : { cache: opts.cache }),
  }), taylorForms(model, loss, params, batches, weights, 'hessian', range));
}

/** The generalised Gauss-Newton matrix of the mean loss of `model` on `data` at params, as an operator. */
export function modelGGN(model: Model, loss: Loss, params: Tensor, data: DataBatch, opts: ModelCurvatureOptions = {}): CurvatureOperator {
  const { batches, weights, range, release } = setup('modelGGN', model, data, opts);
  return release(ggnOperator((p, b: DataBatch) => model.apply(p, b.x), (z, b: DataBatch) => loss(z, b.y), params, {
    batches, weights, ...(range ? { range } : {}), ...(opts.cache === undefined ? {} : { cache: opts.cache }),
  }), taylorForms(model, loss, params, batches, weights, 'ggn', range));
}
