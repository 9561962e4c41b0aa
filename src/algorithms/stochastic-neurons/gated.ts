// A gated MLP (PAPERS.md §18's conditional computation): hidden units relu(xW₁ + b₁) are
// multiplied by stochastic gates g (one per hidden unit) with pre-activations xW_g + b_g,
// and the output is (hidden ⊙ g)W₂ + b₂. The gates' gradient comes from one of the
// estimators; every other parameter gets its ordinary gradient.

import {
  add, createOptimizer, dispose, gatherRows, matmul, mean, minibatches, mul, randomNormal, randomUniform, relu, reshape, sigmoid, slice,
  softmaxCrossEntropy, stream, tensor, valueAndGrad, concat, zeros,
} from '../../engine.js';
import type { ClassificationData, Tensor } from '../../engine.js';
import { binaryNeuron, MovingBaseline, reinforceSurrogate, stochasticTimesSmooth, straightThrough } from './estimators.js';
import type { StraightThroughScale } from './estimators.js';
import type { EstimatorKind } from './enumeration.js';

export interface GatedTraining {
  hidden: number;
  epochs: number;
  batchSize: number;
  lr: number;
  seed: number;
  stScale: StraightThroughScale;
  /** Decay of REINFORCE's moving-average baseline. */
  baselineDecay: number;
}

/** Mean training loss (cross-entropy of the sampled network) per epoch. */
export async function trainGated(data: ClassificationData, kind: EstimatorKind, o: GatedTraining): Promise<number[]> {
  const D = data.features, H = o.hidden, C = data.classes;
  const shapes: [number, number][] = [[D, H], [1, H], [D, H], [1, H], [H, C], [1, C]];
  const sizes = shapes.map(([r, c]) => r * c);
  const offsets = sizes.map((_, i) => sizes.slice(0, i).reduce((x, y) => x + y, 0));
  // He-normal weights (fan-in), zero biases; gate biases start at 0 (p = ½).
  const parts = shapes.map(([r, c], i) => (r === 1 ? zeros([r * c]) : mul(randomNormal([r * c], { seed: o.seed, stream: stream('paper18', 10 + i) }), Math.sqrt(2 / r))));
  const params = concat(parts, 0);
  dispose(parts);
  const view = (p: Tensor, i: number) => reshape(slice(p, [offsets[i]!], [sizes[i]!]), shapes[i]![0] === 1 ? [shapes[i]![1]] : shapes[i]!);
  const opt = createOptimizer('Adam', params, { lr: o.lr });
  const baseline = new MovingBaseline(H, o.baselineDecay);
  const curve: number[] = [];
  let step = 0;
  try {
    for (let epoch = 1; epoch <= o.epochs; epoch++) {
      let total = 0, count = 0;
      for (const rows of minibatches(data.n, { batchSize: o.batchSize, seed: o.seed, epoch })) {
        const B = rows.length;
        const x = tensor(gatherRows(data.x, D, rows), [B, D]);
        const y = tensor(gatherRows(data.y, 1, rows), [B], { dtype: 'int32' });
        const U = randomUniform([B, H], { seed: o.seed, stream: stream('paper18', 3), offset: step * B * H });
        const b = baseline.tensor(x);
        let sampled: { gate: Float32Array; p: Float32Array; ce: Float32Array } | null = null;
        const { value, grad } = valueAndGrad((p: Tensor) => {
          const hid = relu(add(matmul(x, view(p, 0)), view(p, 1)));
          const ag = add(matmul(x, view(p, 2)), view(p, 3));
          const gate = kind === 'straightThrough' ? straightThrough(ag, U, o.stScale) : kind === 'sts' ? stochasticTimesSmooth(ag, U) : binaryNeuron(ag, U);
          const logits = add(matmul(mul(hid, gate), view(p, 4)), view(p, 5));
          const ce = softmaxCrossEntropy(logits, y, { reduction: 'none' });
          const loss = mean(ce);
          if (kind !== 'reinforce') return loss;
          sampled = { gate: gate.dataSync() as Float32Array, p: sigmoid(ag).dataSync() as Float32Array, ce: ce.dataSync() as Float32Array };
          // The surrogate's value is not the loss: report the loss, differentiate both.
          return add(loss, reinforceSurrogate(ag, gate, ce, b));
        })(params);
        if (kind === 'reinforce' && sampled) {
          const s = sampled as { gate: Float32Array; p: Float32Array; ce: Float32Array };
          baseline.update(s.gate, s.p, s.ce);
          total += s.ce.reduce((u, v) => u + v, 0) / B;
        } else {
          total += (await value.data())[0]!;
        }
        opt.step(grad);
        count++;
        step++;
        dispose([x, y, U, b, value, grad]);
      }
      curve.push(total / count);
      if (!Number.isFinite(curve[curve.length - 1]!)) throw new RangeError(`trainGated: the ${kind} training loss became non-finite in epoch ${epoch}; lower lr`);
    }
  } finally {
    opt.dispose();
    params.dispose();
  }
  return curve;
}
