// Classification metrics of a model on a host data set: mean cross-entropy and accuracy,
// for one arena [P] or each replica of a population [R, P], in chunks of rows so that
// large sets fit in memory. Used by `descent train` and by the algorithm layer's experiments.

import type { Backend } from '../backend/ops.js';
import { checkInt, typeError } from '../errors.js';
import { tensor } from '../ops/creation.js';
import { argmax, sum } from '../ops/reduce.js';
import { dispose, Tensor, tidy } from '../tensor.js';
import { softmaxCrossEntropy } from './losses.js';

/** What classificationMetrics needs of a data set (ClassificationData fits). */
export interface LabelledRows {
  /** n × features, row-major. */
  x: Float32Array;
  /** n labels in [0, classes). */
  y: Int32Array;
  n: number;
  features: number;
}

export interface MetricsOptions {
  /** Rows per forward pass (default 2000). */
  chunk?: number;
  backend?: Backend;
}

/** Per replica (one entry for an arena [P]): mean cross-entropy loss and accuracy in [0, 1]. */
export interface ClassificationMetrics {
  loss: number[];
  accuracy: number[];
}

/**
 * Mean softmax cross-entropy and accuracy (fraction of rows whose largest logit is the
 * label; ties go to the lowest class, as argmax does) of `model` with `params` on `data`.
 * `params` is [P] (one entry in each result array) or [R, P] (one per replica, all
 * replicas seeing the same rows). A non-finite loss is returned as it is (NaN, ∞), never
 * hidden: callers decide whether that is an error.
 * @example
 * const { loss, accuracy } = classificationMetrics(net, params, testSet);
 */
export async function classificationMetrics(
  model: { apply(params: Tensor, x: Tensor): Tensor },
  params: Tensor,
  data: LabelledRows,
  opts: MetricsOptions = {},
): Promise<ClassificationMetrics> {
  const fn = 'classificationMetrics';
  if (!(params instanceof Tensor)) throw typeError(fn, 'params', 'a Tensor', params);
  if (params.rank !== 1 && params.rank !== 2) throw typeError(fn, 'params', 'an arena [P] or a population [R, P]', params.shape);
  const chunk = checkInt(fn, 'opts.chunk', opts.chunk ?? 2000, 1);
  checkInt(fn, 'data.n', data.n, 1);
  const replicas = params.rank === 2 ? params.shape[0]! : 1;
  const loss = new Float64Array(replicas), correct = new Float64Array(replicas);
  const b = opts.backend ?? params.backend;
  for (let at = 0; at < data.n; at += chunk) {
    const n = Math.min(chunk, data.n - at);
    const labels = data.y.subarray(at, at + n);
    const x = tensor(data.x.subarray(at * data.features, (at + n) * data.features), [n, data.features], { backend: b });
    // Targets for every replica: the same labels, R times.
    const yHost = new Int32Array(replicas * n);
    for (let r = 0; r < replicas; r++) yHost.set(labels, r * n);
    const y = tensor(yHost, params.rank === 2 ? [replicas, n] : [n], { backend: b, dtype: 'int32' });
    const [l, pred] = tidy(() => {
      const logits = model.apply(params, x);
      const perRow = softmaxCrossEntropy(logits, y, { reduction: 'none' });
      return [params.rank === 2 ? sum(perRow, 1) : sum(perRow), argmax(logits, -1)];
    });
    const ls = await l.data(), p = await pred.data();
    for (let r = 0; r < replicas; r++) {
      loss[r]! += ls[r]!;
      let c = 0;
      for (let i = 0; i < n; i++) if (p[r * n + i] === labels[i]) c++;
      correct[r]! += c;
    }
    dispose([x, y, l, pred]);
  }
  return { loss: Array.from(loss, (v) => v / data.n), accuracy: Array.from(correct, (v) => v / data.n) };
}
