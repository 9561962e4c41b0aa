// The README's example runs, and its numbers obey what they must: the top Hessian eigenvalue
// bounds the Rayleigh quotient gᵀHg/gᵀg of any vector, here the gradient.

import test from 'ava';
import * as d from '../src/index.js';
import { quickstart } from '../examples/quickstart.js';

test('README quickstart · runs, and λ_max ≥ gᵀHg/gᵀg', async (t) => {
  const r = await quickstart();
  const data = d.loadDefaultDataset({ limit: 256 });
  const net = new d.MLP([784, 32, 10]);
  const params = net.init({ seed: 0 });
  const xb = d.tensor(data.x, [data.n, 784]), yb = d.tensor(data.y, [data.n]);
  const g = d.grad((p: d.Tensor) => d.softmaxCrossEntropy(net.apply(p, xb), yb))(params);
  const gg = await d.dot(g, g).item();
  // Lanczos converged to tol 1e-4 relative: allow that much below the bound.
  t.true(r.top >= (r.vHv / gg) * (1 - 1e-4), `λ_max ${r.top} < Rayleigh quotient ${r.vHv / gg}`);
  t.true(Number.isFinite(r.sum) && Number.isFinite(r.loss));
});
