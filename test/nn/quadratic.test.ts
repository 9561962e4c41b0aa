// Taylor-mode quadratic forms gᵀMg of an MLP's cross-entropy Hessian and Gauss-Newton matrix
// (src/nn/quadratic.ts, CurvatureOperator.quadratic) against gᵀ(M·g) from the autodiff
// operators (forward-over-reverse), which share no code with them beyond the forward pass.
//
// Bound. Both sides are exact in exact arithmetic; each value is a sum of products whose
// magnitudes add up to S = Σ_i |g_i (M g)_i| at most a few times over, accumulated through
// the layers in sums of at most P terms (P = the number of parameters). With u the unit
// roundoff, |Δ| ≤ 4·P·u·S (γ_P for each side, a factor 2 for the depth of the chain). For the
// float32 reference problem P is 269,322 and S is taken from the float32 products.

import test from 'ava';
import * as d from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { MLP } from '../../src/nn/mlp.js';
import type { Activation } from '../../src/nn/mlp.js';
import { modelGGN, modelHessian } from '../../src/nn/curvature.js';
import { mse, softmaxCrossEntropy } from '../../src/nn/losses.js';
import { loadReferenceProblem } from '../../src/data/reference.js';
import { U } from '../helpers/close.js';

/** gᵢᵀ(M gᵢ) for the rows of G and Σ_i |g_i (M g)_i|, from the operator's products. */
async function viaProducts(apply: (V: Tensor) => Tensor, G: Tensor): Promise<{ value: number[]; scale: number[] }> {
  const mg = d.transpose(apply(d.transpose(G)));
  const value = Array.from(await d.sum(d.mul(G, mg), 1).data());
  const scale = Array.from(await d.sum(d.abs(d.mul(G, mg)), 1).data());
  return { value, scale };
}

const ACTIVATIONS: Activation[] = ['relu', 'tanh', 'sigmoid', 'gelu', 'identity'];

for (const act of ACTIVATIONS) {
  test(`quadratic · float64 · ${act} · Hessian and Gauss-Newton, whole arena and each layer, in minibatches`, async (t) => {
    const net = new MLP([6, 8, 5, 4], { activation: act });
    const params = net.init({ seed: 1, dtype: 'float64', backend: 'reference' });
    const x = d.randomNormal([13, 6], { seed: 2, dtype: 'float64', backend: 'reference' });
    const y = d.tensor(Int32Array.from({ length: 13 }, (_, i) => (i * 7) % 4), [13], { dtype: 'int32', backend: 'reference' });
    for (const kind of ['hessian', 'ggn'] as const) {
      for (const block of [undefined, 1, 2, 3]) {
        const opts = { batchSize: 5, ...(block ? { block } : {}) };
        const op = kind === 'hessian' ? modelHessian(net, softmaxCrossEntropy, params, { x, y }, opts) : modelGGN(net, softmaxCrossEntropy, params, { x, y }, opts);
        const G = d.randomNormal([3, op.size], { seed: 3, dtype: 'float64', backend: 'reference' });
        const q = Array.from(await op.quadratic!(G).data());
        const ref = await viaProducts(op.apply, G);
        q.forEach((v, i) => {
          const bound = 4 * net.size * U.float64 * ref.scale[i]!;
          t.true(Math.abs(v - ref.value[i]!) <= bound, `${kind} block ${block ?? 'all'} probe ${i}: ${v} vs ${ref.value[i]} (bound ${bound})`);
        });
        op.dispose();
      }
    }
  });
}

test('quadratic · offered only where it applies, and checks its argument', (t) => {
  const net = new MLP([3, 4, 2]);
  const params = net.init({ seed: 1, dtype: 'float64', backend: 'reference' });
  const x = d.randomNormal([5, 3], { seed: 2, dtype: 'float64', backend: 'reference' });
  const target = d.randomNormal([5, 2], { seed: 3, dtype: 'float64', backend: 'reference' });
  const viaMse = modelHessian(net, mse, params, { x, y: target });
  t.is(viaMse.quadratic, undefined);
  const y = d.tensor(Int32Array.from([0, 1, 1, 0, 1]), [5], { dtype: 'int32', backend: 'reference' });
  const op = modelHessian(net, softmaxCrossEntropy, params, { x, y });
  t.throws(() => op.quadratic!(d.zeros([2, 5], { dtype: 'float64', backend: 'reference' })), {
    instanceOf: RangeError, message: `modelHessian.quadratic: expected shape [b, ${net.size}] for 'G' but received [2, 5]`,
  });
  viaMse.dispose();
  op.dispose();
});

let problem: ReturnType<typeof loadReferenceProblem> | null = null;
try {
  problem = loadReferenceProblem();
} catch {
  problem = null;
}

test('quadratic · float32 cpu · the reference problem: gᵀHg of Rademacher probes agrees with gᵀ(H g)', async (t) => {
  if (!problem) return t.fail('the reference problem is missing (../shared/reference/mlp-fmnist-init)');
  const r = problem;
  const { model, params } = d.mlpFromWeights({ widths: r.widths, layers: r.layers }, { activation: 'relu', backend: 'cpu' });
  const x = d.tensor(r.x, [r.n, r.features], { backend: 'cpu' });
  const y = d.tensor(r.y, [r.n], { dtype: 'int32', backend: 'cpu' });
  const op = modelHessian(model, softmaxCrossEntropy, params, { x, y });
  const G = d.probeRows('rademacher', op.size, 3, { seed: 5, stream: 7, backend: 'cpu' });
  const q = Array.from(await op.quadratic!(G).data());
  const ref = await viaProducts(op.apply, G);
  q.forEach((v, i) => {
    const bound = 4 * op.size * U.float32 * ref.scale[i]!;
    t.true(Math.abs(v - ref.value[i]!) <= bound, `probe ${i}: ${v} vs ${ref.value[i]} (bound ${bound})`);
  });
  op.dispose();
});
