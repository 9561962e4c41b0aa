// Training one optimizer on a population of seeds: the arena [R, P] holds R independently
// initialised copies of an MLP, stepped in one launch per minibatch (the population runs
// in one fused optimizer step, not a JS loop over seeds). Used by the diffgrad experiment
// to compare Adam, diffGrad and diffGrad with the published constant friction.

import { MLP, classificationMetrics, createOptimizer, dispose, gatherRows, minibatches, mul, softmaxCrossEntropy, tensor, valueAndGrad } from '../../engine.js';
import type { ClassificationData, Tensor } from '../../engine.js';

export interface PopulationTraining {
  /** Hidden layer widths of the MLP (784-…-10 for Fashion-MNIST). */
  hidden: readonly number[];
  /** An optimizer kind of the engine's registry: 'Adam', 'DiffGrad'... */
  optimizer: string;
  /** Its options (lr, legacyConstantFriction...). */
  options: Record<string, unknown>;
  epochs: number;
  batchSize: number;
  /** Replica r is initialised from seed `seed` and replica index r (initParams' streams). */
  seed: number;
  replicas: number;
  /** Called after each epoch with its index (1-based). */
  onEpoch?: (epoch: number) => void;
}

/** Per epoch (index e = epoch e + 1): each replica's test loss and accuracy, and the replicas' mean minibatch loss. */
export interface PopulationCurves {
  testAccuracy: number[][];
  testLoss: number[][];
  /** Mean over the epoch's minibatches of the replicas' mean loss. */
  trainLoss: number[];
}

/**
 * Trains `replicas` copies of an MLP on `train` with one optimizer, all copies seeing the
 * same minibatches (shuffled per epoch from `seed`), and evaluates each on `test` after
 * every epoch. Each replica's gradient is that of its own mean minibatch loss: the loss is
 * Σ_r mean_b ℓ_rb (a sum over replicas, so no replica's gradient is divided by R).
 */
export async function trainPopulation(train: ClassificationData, test: ClassificationData, o: PopulationTraining): Promise<PopulationCurves> {
  const net = new MLP([train.features, ...o.hidden, train.classes]);
  const params = net.init({ seed: o.seed, replicas: o.replicas });
  const opt = createOptimizer(o.optimizer, params, o.options);
  const lossAndGrad = valueAndGrad((p: Tensor, x: Tensor, y: Tensor) => mul(softmaxCrossEntropy(net.apply(p, x), y, { reduction: 'sum' }), 1 / x.shape[0]!));
  const curves: PopulationCurves = { testAccuracy: [], testLoss: [], trainLoss: [] };
  try {
    for (let epoch = 1; epoch <= o.epochs; epoch++) {
      let sum = 0, batches = 0;
      for (const rows of minibatches(train.n, { batchSize: o.batchSize, seed: o.seed, epoch })) {
        const x = tensor(gatherRows(train.x, train.features, rows), [rows.length, train.features]);
        const labels = gatherRows(train.y, 1, rows);
        const tiled = new Int32Array(o.replicas * rows.length);
        for (let r = 0; r < o.replicas; r++) tiled.set(labels, r * rows.length);
        const y = tensor(tiled, [o.replicas, rows.length], { dtype: 'int32' });
        const { value, grad } = lossAndGrad(params, x, y);
        opt.step(grad);
        sum += (await value.data())[0]! / o.replicas;
        batches++;
        dispose([x, y, value, grad]);
      }
      const m = await classificationMetrics(net, params, test);
      curves.testAccuracy.push(m.accuracy);
      curves.testLoss.push(m.loss);
      curves.trainLoss.push(sum / batches);
      if (!m.loss.every(Number.isFinite)) throw new RangeError(`trainPopulation: the test loss of ${o.optimizer} became non-finite (${m.loss.join(', ')}) in epoch ${epoch}; lower options.lr`);
      o.onEpoch?.(epoch);
    }
  } finally {
    opt.dispose();
    params.dispose();
  }
  return curves;
}
