// docs/API.md, "Curvature operators": the Hessian and the Gauss-Newton matrix of a model's
// loss as operators V ↦ M·V (exact products, the forward pass recorded once), their top
// eigenvalues by Lanczos, a trace estimate, and one layer's block. The test suite runs it
// (test/examples-api.test.ts) and checks the numbers against the dense matrices.
import * as d from '../src/index.js';

/** A small tanh MLP, its parameters and a batch, all float64 (the spectrum to ~1e-10). */
export function curvatureProblem(): { net: d.MLP; params: d.Tensor; x: d.Tensor; y: d.Tensor } {
  const net = new d.MLP([8, 6, 3], { activation: 'tanh' });
  const params = net.init({ seed: 0, dtype: 'float64' });
  const x = d.randomNormal([64, 8], { seed: 1, dtype: 'float64' });
  const y = d.tensor(Int32Array.from({ length: 64 }, (_, i) => (i * 5) % 3), [64]);
  return { net, params, x, y };
}

export async function curvature(): Promise<{ size: number; top: number[]; ggnTop: number[]; trace: { estimate: number; stdError: number }; layer2: number }> {
  const { net, params, x, y } = curvatureProblem();

  // Hessian of the mean loss; Gauss-Newton from the model and the loss separately.
  const H = d.hessianOperator((p: d.Tensor) => d.softmaxCrossEntropy(net.apply(p, x), y), params);
  const G = d.ggnOperator((p: d.Tensor) => net.apply(p, x), (z: d.Tensor) => d.softmaxCrossEntropy(z, y), params);

  // Three largest eigenvalues by Lanczos (operators know their size n).
  const top = Array.from((await d.eigsh(H, { k: 3, tol: 1e-10, seed: 2, dtype: 'float64' })).values);
  const ggnTop = Array.from((await d.eigsh(G, { k: 3, tol: 1e-10, seed: 2, dtype: 'float64' })).values);
  // Hutchinson's trace estimate of G (Rademacher probes), with its standard error.
  const t = await d.hutchinson(G, { probes: 200, seed: 3, dtype: 'float64' });

  // One layer's block: the Hessian restricted to layer 2's weights and bias.
  const H2 = d.hessianOperator((p: d.Tensor) => d.softmaxCrossEntropy(net.apply(p, x), y), params, { range: net.layerRange(2) });
  const layer2 = (await d.eigsh(H2, { k: 1, tol: 1e-10, seed: 4, dtype: 'float64' })).values[0]!;

  for (const op of [H, G, H2]) op.dispose();
  d.dispose([params, x, y]);
  return { size: net.size, top, ggnTop, trace: { estimate: t.trace, stdError: t.stdError }, layer2 };
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await curvature());
