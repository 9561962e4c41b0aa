// A small in-process trainer for the curvature studies: a model, host data, an optimizer,
// and seeded minibatches (or full batch). The studies train their own weights with it so
// every experiment is self-contained; `descent train` does the same at the command line.

import { Adam, gatherRows, mlpFromWeights, permutation, readMlpSafetensors, SGD, tensor, valueAndGrad } from '../../engine.js';
import type { Activation, Loss, MLP, Model, Tensor } from '../../engine.js';
import type { HostData } from './studies.js';

export interface FitOptions {
  optimizer?: 'sgd' | 'adam';
  lr: number;
  momentum?: number;
  /** Rows per step (default: all rows, full-batch). */
  batchSize?: number;
  /** Optimizer steps (or use `epochs`). */
  steps?: number;
  epochs?: number;
  /** Seed of the minibatch order (epoch e reads permutation(n, seed, e)). */
  seed?: number;
  /** Called after each step with the step number (1-based) and the step's minibatch loss. */
  onStep?: (step: number, loss: number) => void | Promise<void>;
}

/**
 * Trains `params` in place on `data` (mean loss; classification targets int32) and returns the
 * minibatch losses. Minibatches: the rows of permutation(n, seed, epoch) in order, the last
 * partial batch dropped.
 * @example
 * await fit(net, softmaxCrossEntropy, params, data, { optimizer: 'adam', lr: 1e-2, steps: 500 });
 */
export async function fit(model: Model, loss: Loss, params: Tensor, data: HostData, opts: FitOptions): Promise<number[]> {
  const n = data.n, B = Math.min(opts.batchSize ?? n, n);
  const perEpoch = Math.floor(n / B);
  const steps = opts.steps ?? (opts.epochs ?? 1) * perEpoch;
  if (!Number.isInteger(steps) || steps < 0) throw new RangeError(`fit: expected a non-negative integer number of steps but received ${steps}`);
  const like = { backend: params.backend };
  const xType = params.dtype === 'float64' ? 'float64' : 'float32';
  const width = data.y.length / n;
  const upload = (rows: ArrayLike<number> | null) => {
    const xs = rows ? gatherRows(data.x, data.features, rows) : data.x;
    const ys = rows ? (data.y instanceof Int32Array ? gatherRows(data.y, width, rows) : gatherRows(data.y, width, rows)) : data.y;
    const count = rows ? rows.length : n;
    return {
      x: tensor(xType === 'float64' ? Float64Array.from(xs) : xs, [count, data.features], { dtype: xType, ...like }),
      y: data.y instanceof Int32Array
        ? tensor(ys, width === 1 ? [count] : [count, width], { dtype: 'int32', ...like })
        : tensor(xType === 'float64' ? Float64Array.from(ys) : ys, width === 1 ? [count] : [count, width], { dtype: xType, ...like }),
    };
  };
  const opt = opts.optimizer === 'adam' ? new Adam(params, { lr: opts.lr }) : new SGD(params, { lr: opts.lr, momentum: opts.momentum ?? 0 });
  const f = valueAndGrad((p: Tensor, x: Tensor, y: Tensor) => loss(model.apply(p, x), y));
  const full = B === n ? upload(null) : null;
  const losses: number[] = [];
  let order: Int32Array | null = null;
  try {
    for (let t = 0; t < steps; t++) {
      const epoch = Math.floor(t / perEpoch), j = t % perEpoch;
      let batch = full;
      if (!full) {
        if (j === 0) order = permutation(n, opts.seed ?? 0, epoch);
        batch = upload(order!.subarray(j * B, (j + 1) * B));
      }
      const { value, grad } = f(params, batch!.x, batch!.y);
      opt.step(grad);
      const l = (await value.data())[0]!;
      value.dispose();
      grad.dispose();
      if (!full) { batch!.x.dispose(); batch!.y.dispose(); }
      losses.push(l);
      await opts.onStep?.(t + 1, l);
    }
  } finally {
    opt.dispose();
    if (full) { full.x.dispose(); full.y.dispose(); }
  }
  return losses;
}

/**
 * An MLP and its arena from a weights file written by `descent train` (DIR/weights.safetensors,
 * a PyTorch nn.Sequential state_dict; the activation from its metadata, default relu).
 * @example
 * const { model, params } = loadTrainedMlp('out/weights.safetensors');
 */
export function loadTrainedMlp(path: string, opts: { dtype?: 'float32' | 'float64' } = {}): { model: MLP; params: Tensor; widths: number[] } {
  const file = readMlpSafetensors(path);
  const activation = (file.activation ?? 'relu') as Activation;
  const { model, params } = mlpFromWeights({ widths: file.widths, layers: file.layers }, { activation, ...(opts.dtype ? { dtype: opts.dtype } : {}) });
  return { model, params, widths: file.widths };
}
