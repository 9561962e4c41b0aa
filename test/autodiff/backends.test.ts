// The autodiff entry points on every backend under test, against the reference backend in
// float32 (each op rounded once from float64). Only public tensor ops run, so a backend that
// passes its op conformance tests must give the same numbers up to float32 rounding:
// tolerance ε·max|reference| with ε = 4·√K·u (u = 2^-24), K = 64 the longest reduction here,
// for rounding errors of random sign through about four chained reductions.

import * as d from '../../src/index.js';
import type { Backend, Tensor } from '../../src/index.js';
import { eachBackend } from '../helpers/cases.js';
import { randn } from '../helpers/gen.js';

const EPS = 4 * Math.sqrt(64) * 2 ** -24;
const N = 64;
const net = new d.MLP([20, 16, 12, 5], { activation: 'tanh' });

function problem(b: Backend) {
  const o = { backend: b };
  return {
    p: net.init({ seed: 1, backend: b }),
    x: d.tensor(randn(N * 20, 2), [N, 20], o),
    y: d.tensor(Int32Array.from({ length: N }, (_, i) => (i * 7) % 5), [N], { dtype: 'int32', ...o }),
    v: d.tensor(randn(net.size, 3), [net.size], o),
    V: d.tensor(randn(net.size * 3, 4), [net.size, 3], o),
  };
}

type Case = (q: ReturnType<typeof problem>) => Tensor;

const CASES: Record<string, Case> = {
  grad: ({ p, x, y }) => d.grad((w: Tensor) => d.softmaxCrossEntropy(net.apply(w, x), y))(p),
  hvp: ({ p, x, y, v }) => d.hvp((w) => d.softmaxCrossEntropy(net.apply(w, x), y), p, v),
  'reverse-over-reverse': ({ p, x, y, v }) => d.grad((w: Tensor) => d.dot(d.grad((u: Tensor) => d.softmaxCrossEntropy(net.apply(u, x), y))(w), v))(p),
  ggnvp: ({ p, x, y, v }) => d.ggnvp((w) => net.apply(w, x), (z) => d.softmaxCrossEntropy(z, y), p, v),
  'hessianOperator, 3 probes, batches of 24': ({ p, x, y, V }) => d.modelHessian(net, d.softmaxCrossEntropy, p, { x, y }, { batchSize: 24 }).apply(V),
  'ggnOperator, layer 2': ({ p, x, y, V }) => {
    const { begin, end } = net.layerRange(2);
    return d.modelGGN(net, d.softmaxCrossEntropy, p, { x, y }, { block: 2 }).apply(d.slice(V, [begin, 0], [end - begin, 3]));
  },
  'per-example gradients': ({ p, x, y }) => d.perExampleGradients(net, d.softmaxCrossEntropy, p, d.slice(x, [0], [8]), d.slice(y, [0], [8])),
  'population gradient': ({ x, y }) => {
    const P = net.init({ seed: 4, replicas: 3, backend: x.backend });
    return d.grad((w: Tensor) => d.sum(d.softmaxCrossEntropy(net.apply(w, x), d.broadcastTo(y, [3, N]))))(P);
  },
};

for (const [name, run] of Object.entries(CASES)) {
  eachBackend(`autodiff · ${name}`, async (t, b) => {
    const want = await d.tidy(() => run(problem(d.reference))).data();
    const got = await d.tidy(() => run(problem(b))).data();
    t.is(got.length, want.length);
    let scale = 0, err = 0;
    for (let i = 0; i < want.length; i++) {
      scale = Math.max(scale, Math.abs(want[i]!));
      err = Math.max(err, Math.abs(got[i]! - want[i]!));
    }
    t.true(err <= EPS * scale, `max error ${err} > ${EPS * scale}`);
  });
}
