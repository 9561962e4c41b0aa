// The README's "API at a glance", as a program the test suite runs (test/examples.test.ts).
import * as d from '../src/index.js';

export async function quickstart(): Promise<{ sum: number; loss: number; vHv: number; top: number }> {
  // Tensors on the default backend (cpu); `await d.useBackend('auto')` picks webgpu on a GPU.
  const x = d.randomNormal([64, 784], { seed: 1 });
  const w = d.randomNormal([784, 10], { seed: 2 });
  const y = d.linear(x, w, undefined, 'relu'); // fused matmul + activation
  const sum = await d.sum(y).item();

  // A model over one flat parameter arena, its loss, gradient and exact curvature.
  const data = d.loadDefaultDataset({ limit: 256 });
  const xb = d.tensor(data.x, [data.n, 784]);
  const yb = d.tensor(data.y, [data.n]);
  const net = new d.MLP([784, 32, 10]);
  const params = net.init({ seed: 0 });
  const loss = (p: d.Tensor) => d.softmaxCrossEntropy(net.apply(p, xb), yb);
  const g = d.grad(loss)(params);                 // same layout as params
  const hv = d.hvp(loss, params, g);              // exact Hessian-vector product
  const vHv = await d.dot(g, hv).item();

  // The Hessian as an operator (forward pass recorded once) and its top eigenvalue.
  const H = d.hessianOperator(loss, params);
  const { values } = await d.eigsh((v) => H.apply(v), net.size, { k: 1, tol: 1e-4, maxSteps: 60, seed: 3 });
  H.dispose();
  return { sum, loss: await loss(params).item(), vHv, top: values[0]! };
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await quickstart());
