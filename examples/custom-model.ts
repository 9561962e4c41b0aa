// docs/API.md, "A custom model": any object with a ParamLayout and apply(params, x) is a Model;
// initialisers, autodiff (gradients, Hessian and Gauss-Newton products), optimizers and
// populations then work on it unchanged. Here: a low-rank linear map y = x·U·V + b.
// The test suite runs it (test/examples-api.test.ts).
import * as d from '../src/index.js';

/** y = x·U·V + b with U [inputs, rank], V [rank, outputs]: a rank-limited linear model. */
export class LowRankLinear implements d.Model {
  readonly layout: d.ParamLayout;

  constructor(readonly inputs: number, readonly rank: number, readonly outputs: number) {
    // Each parameter: a name, a shape, its role (weights are drawn by the initialisers,
    // biases start at zero) and the fan-in/out that He/Glorot scaling uses.
    this.layout = new d.ParamLayout([
      { name: 'U', shape: [inputs, rank], role: 'weight', fanIn: inputs, fanOut: rank },
      { name: 'V', shape: [rank, outputs], role: 'weight', fanIn: rank, fanOut: outputs },
      { name: 'b', shape: [outputs], role: 'bias', fanIn: rank, fanOut: outputs },
    ]);
  }

  /** params [P] with x [B, inputs] → [B, outputs]; params [R, P] with x [B, ...] or [R, B, ...] → [R, B, outputs]. */
  apply(params: d.Tensor, x: d.Tensor): d.Tensor {
    this.layout.check('LowRankLinear.apply', params);
    const U = this.layout.view(params, 'U'), V = this.layout.view(params, 'V'), b = this.layout.view(params, 'b');
    if (params.rank === 1) return d.add(d.matmul(d.matmul(x, U), V), b);
    // Views of a population arena carry the replica axis first: U [R, in, k], b [R, out].
    const R = params.shape[0]!;
    return d.add(d.matmul(d.matmul(x, U), V), d.reshape(b, [R, 1, this.outputs]));
  }
}

export async function customModel(): Promise<{ before: number; after: number; model: LowRankLinear }> {
  // Data from a rank-2 teacher: y = x·W* with W* = A·B, plus a little noise.
  const F = 20, C = 5, n = 256;
  const x = d.randomNormal([n, F], { seed: 1 });
  const W = d.matmul(d.randomNormal([F, 2], { seed: 2 }), d.randomNormal([2, C], { seed: 3 }));
  const y = d.add(d.matmul(x, W), d.mul(d.randomNormal([n, C], { seed: 4 }), 0.01));

  const model = new LowRankLinear(F, 2, C);
  const params = d.initParams(model.layout, { seed: 0, scheme: 'glorot' });
  const loss = (p: d.Tensor) => d.mse(model.apply(p, x), y);
  const before = await loss(params).item();
  const opt = new d.Adam(params, { lr: 0.02 });
  for (let step = 0; step < 300; step++) d.tidy(() => opt.step(d.grad(loss)(params)));
  const after = await loss(params).item();
  opt.dispose();
  d.dispose([x, W, y, params]);
  return { before, after, model };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { before, after } = await customModel();
  console.log({ before, after });
}
