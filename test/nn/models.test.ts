// Models over the flat arena, losses and initialisers: forward passes against plain
// float64 loops, gradients of every model/loss pair against finite differences, the
// population form against replica-by-replica evaluation, and per-example gradients against
// one-at-a-time gradients.

import test from 'ava';
import * as d from '../../src/index.js';
import type { Activation, Loss, Tensor } from '../../src/index.js';
import { uniform } from '../../src/random.js';
import { FD_RTOL, fdGradient, maxAbs, maxAbsDiff, read, t64 } from '../autodiff/fd.js';

const U64 = 2 ** -53;

function gen(n: number, seed: number, lo = -1, hi = 1): Float64Array {
  return Float64Array.from(uniform(seed, n), (v) => lo + (hi - lo) * v);
}

const ACT: Record<Activation, (z: number) => number> = {
  relu: (z) => Math.max(z, 0),
  tanh: Math.tanh,
  sigmoid: (z) => 1 / (1 + Math.exp(-z)),
  identity: (z) => z,
  gelu: (z) => z * phi(z),
};

/** Φ(z) = ½(1 + erf(z/√2)) by the Maclaurin series of erf (|z| ≤ 3 here: error < 1e-15). */
function phi(z: number): number {
  const x = z / Math.SQRT2;
  let term = x, sum = x;
  for (let n = 1; n < 100; n++) {
    term *= (-x * x) / n;
    sum += term / (2 * n + 1);
  }
  return 0.5 * (1 + (2 / Math.sqrt(Math.PI)) * sum);
}

/** The MLP by plain loops in float64, from the arena in the documented layout. */
function mlpLoops(sizes: number[], act: Activation, p: Float64Array, x: Float64Array, batch: number): Float64Array {
  let h = x, off = 0;
  for (let l = 1; l < sizes.length; l++) {
    const n = sizes[l - 1]!, m = sizes[l]!;
    const W = p.subarray(off, off + n * m), b = p.subarray(off + n * m, off + n * m + m);
    off += n * m + m;
    const out = new Float64Array(batch * m);
    for (let i = 0; i < batch; i++) {
      for (let j = 0; j < m; j++) {
        let s = b[j]!;
        for (let k = 0; k < n; k++) s += h[i * n + k]! * W[k * m + j]!;
        out[i * m + j] = l < sizes.length - 1 ? ACT[act](s) : s;
      }
    }
    h = out;
  }
  return h;
}

test('MLP · the layout is W1 [n0,n1], b1, W2, ... row-major (the reference problem has 269322 parameters)', (t) => {
  const net = new d.MLP([784, 256, 256, 10]);
  t.is(net.size, 269322);
  t.deepEqual(net.layout.params.map((p) => [p.name, p.shape, p.offset]), [
    ['W1', [784, 256], 0], ['b1', [256], 200704], ['W2', [256, 256], 200960], ['b2', [256], 266496], ['W3', [256, 10], 266752], ['b3', [10], 269312],
  ]);
  t.deepEqual(net.layerRange(2), { begin: 200960, end: 266752 });
  t.throws(() => net.layerRange(4), { instanceOf: RangeError, message: "MLP.layerRange: expected an integer in [1, 3] for 'l' but received 4" });
  t.throws(() => new d.MLP([3]), { instanceOf: TypeError, message: "MLP: expected an array of at least two layer widths for 'sizes' but received an array of length 1" });
  t.throws(() => new d.MLP([3, 2], { activation: 'swish' as Activation }), { instanceOf: RangeError, message: /MLP: expected 'relu', 'tanh', 'gelu', 'sigmoid', 'identity' for 'opts.activation' but received 'swish'/ });
});

for (const act of ['relu', 'tanh', 'gelu', 'sigmoid', 'identity'] as const) {
  test(`MLP · forward pass matches float64 loops · ${act}`, (t) => {
    const sizes = [5, 7, 6, 3], batch = 4;
    const net = new d.MLP(sizes, { activation: act });
    const p = gen(net.size, 1), x = gen(batch * 5, 2);
    const got = read(net.apply(t64(p), t64(x, [batch, 5])));
    const want = mlpLoops(sizes, act, p, x, batch);
    // Three layers of dots of length ≤ 8 over terms ≤ 1 (each off by ≤ 8·8u), each error
    // amplified by the later layers' row sums (≤ 7): (1 + 7 + 49)·64u < 4096u.
    t.true(maxAbsDiff(got, want) <= 4096 * U64, `max error ${maxAbsDiff(got, want)}`);
    const one = read(net.apply(t64(p), t64(x.subarray(0, 5))));
    t.deepEqual(Array.from(one), Array.from(got.subarray(0, 3)), 'a single example [n0] gives [nL]');
  });
}

test('MLP · a population [R, P] equals its replicas one at a time, with shared or per-replica inputs', (t) => {
  const net = new d.MLP([4, 5, 3], { activation: 'tanh' });
  const R = 3, B = 2;
  const P = gen(R * net.size, 3), xs = gen(B * 4, 4), xr = gen(R * B * 4, 5);
  const shared = read(net.apply(t64(P, [R, net.size]), t64(xs, [B, 4])));
  const own = read(net.apply(t64(P, [R, net.size]), t64(xr, [R, B, 4])));
  // The same sums in the same order, in float64: equal up to the activation's last-bit rounding.
  for (let r = 0; r < R; r++) {
    const pr = t64(P.subarray(r * net.size, (r + 1) * net.size));
    const a = read(net.apply(pr, t64(xs, [B, 4]))), b = read(net.apply(pr, t64(xr.subarray(r * B * 4, (r + 1) * B * 4), [B, 4])));
    t.true(maxAbsDiff(shared.subarray(r * B * 3, (r + 1) * B * 3), a) <= 16 * U64 * 8, `replica ${r}, shared x`);
    t.true(maxAbsDiff(own.subarray(r * B * 3, (r + 1) * B * 3), b) <= 16 * U64 * 8, `replica ${r}, own x`);
  }
  const w1 = net.layout.view(t64(P, [R, net.size]), 'W1');
  t.deepEqual([w1.shape, w1.strides], [[R, 4, 5], [net.size, 5, 1]], 'a replica\'s weights are a strided view of the arena, not a copy');
  t.throws(() => net.apply(t64(P, [R, net.size]), t64(xr.subarray(0, 2 * B * 4), [2, B, 4])), { message: /MLP.apply: expected inputs of shape \[B, 4\] or \[3, B, 4\] for 'x' with 3 replicas but received \[2, 2, 4\]/ });
});

interface LossCase { name: string; net: d.MLP; loss: Loss; targets: () => Tensor; dom?: 'kink' }

const labels = (v: number[]) => d.tensor(v, undefined, { dtype: 'int32', backend: 'reference' });
const LOSS_CASES: LossCase[] = [
  ...(['relu', 'tanh', 'gelu', 'sigmoid', 'identity'] as const).flatMap((act): LossCase[] => [
    { name: `MLP ${act} + softmax cross-entropy`, net: new d.MLP([3, 4, 3], { activation: act }), loss: d.softmaxCrossEntropy, targets: () => labels([2, 0, 1, 2]) },
    { name: `MLP ${act} + MSE`, net: new d.MLP([3, 4, 2], { activation: act }), loss: d.mse, targets: () => t64(gen(8, 7), [4, 2]) },
  ]),
  { name: 'linear regression + MSE', net: d.linearRegression(3, 2), loss: d.mse, targets: () => t64(gen(8, 8), [4, 2]) },
  { name: 'logistic regression + logistic loss', net: d.logisticRegression(3), loss: d.logisticLoss, targets: () => labels([1, 0, 0, 1]) },
  { name: 'softmax regression + softmax cross-entropy', net: d.softmaxRegression(3, 4), loss: d.softmaxCrossEntropy, targets: () => labels([3, 0, 1, 1]) },
  { name: 'softmax regression + cross-entropy on class probabilities', net: d.softmaxRegression(3, 3), loss: d.softmaxCrossEntropy, targets: () => d.softmax(t64(gen(12, 9, -2, 2), [4, 3])) },
];

LOSS_CASES.forEach((c, ci) => {
  test(`gradient · ${c.name}`, (t) => {
    const x = t64(gen(12, 10 + ci), [4, 3]);
    const y = c.targets();
    const p0 = gen(c.net.size, 20 + ci);
    const f = (p: Tensor) => c.loss(c.net.apply(p, x), y);
    const { value, grad } = d.valueAndGrad(f)(t64(p0));
    const gfd = fdGradient((pa) => read(f(t64(pa)))[0]!, p0);
    const g = read(grad);
    t.true(maxAbsDiff(g, gfd) <= FD_RTOL * Math.max(1, maxAbs(gfd)), `max error ${maxAbsDiff(g, gfd)}`);
    t.is(value.size, 1);
    const per = read(c.loss(c.net.apply(t64(p0), x), y, { reduction: 'none' }));
    t.is(per.length, 4);
    const mean = per.reduce((s, v) => s + v, 0) / 4;
    t.true(Math.abs(mean - read(value)[0]!) <= 8 * U64 * Math.abs(mean), 'the mean of the per-example losses is the loss');
  });
});

test('losses · values against float64 formulas', (t) => {
  const z = [[1, 2, 0.5], [-1, 0, 3]];
  const ce = read(d.softmaxCrossEntropy(t64(z.flat(), [2, 3]), labels([1, 2]), { reduction: 'none' }));
  const lse = (r: number[]) => Math.log(r.reduce((s, v) => s + Math.exp(v), 0));
  t.true(maxAbsDiff(ce, [lse(z[0]!) - 2, lse(z[1]!) - 3]) <= 8 * U64 * 4);
  const m = read(d.mse(t64([1, 2, 3, 4], [2, 2]), t64([0, 2, 5, 4], [2, 2])));
  t.is(m[0], (1 + 0 + 4 + 0) / 4);
  const lg = read(d.logisticLoss(t64([0.5, -2], [2, 1]), labels([1, 0]), { reduction: 'sum' }));
  t.true(Math.abs(lg[0]! - (Math.log1p(Math.exp(-0.5)) + Math.log1p(Math.exp(-2)))) <= 8 * U64 * 2);
  t.throws(() => d.softmaxCrossEntropy(t64(z.flat(), [2, 3]), labels([1])), { message: "softmaxCrossEntropy: expected int32 labels of shape [2] for 'targets' (the logits' shape without the class axis) but received [1]" });
  t.throws(() => d.mse(t64([1, 2]), t64([1, 2, 3])), { message: "mse: expected targets of shape [2] (the predictions' shape) but received [3]" });
  t.throws(() => d.mse(t64([1, 2]), t64([1, 2]), { reduction: 'avg' as 'mean' }), { instanceOf: RangeError, message: "mse: expected 'mean', 'sum', 'none' or 'replicaMean' for 'opts.reduction' but received 'avg'" });
});

test('population · the gradient of Σ_r loss_r is each replica\'s own gradient, through batched products', (t) => {
  const net = new d.MLP([3, 4, 3], { activation: 'gelu' });
  const R = 3;
  const P = gen(R * net.size, 30), x = t64(gen(R * 2 * 3, 31), [R, 2, 3]);
  const y = labels([0, 2, 1, 1, 2, 0]);
  const g = read(d.grad((p: Tensor) => d.sum(d.mean(d.softmaxCrossEntropy(net.apply(p, x), d.reshape(y, [R, 2]), { reduction: 'none' }), 1)))(t64(P, [R, net.size])));
  for (let r = 0; r < R; r++) {
    const xr = d.slice(x, [r], [1]);
    const gr = read(d.grad((p: Tensor) => d.softmaxCrossEntropy(net.apply(p, d.reshape(xr, [2, 3])), d.slice(y, [2 * r], [2])))(t64(P.subarray(r * net.size, (r + 1) * net.size))));
    t.true(maxAbsDiff(g.subarray(r * net.size, (r + 1) * net.size), gr) <= 64 * U64 * Math.max(1, maxAbs(gr)), `replica ${r}: ${maxAbsDiff(g.subarray(r * net.size, (r + 1) * net.size), gr)}`);
  }
});

test('per-example · losses and gradients equal one example at a time', (t) => {
  const net = new d.MLP([3, 5, 4], { activation: 'tanh' });
  const N = 5;
  const p = t64(gen(net.size, 40)), x = t64(gen(N * 3, 41), [N, 3]), y = labels([3, 1, 0, 2, 3]);
  const losses = read(d.perExampleLosses(net, d.softmaxCrossEntropy, p, x, y));
  const G = d.perExampleGradients(net, d.softmaxCrossEntropy, p, x, y);
  t.deepEqual(G.shape, [N, net.size]);
  const Gd = read(G);
  let mean = new Float64Array(net.size);
  for (let i = 0; i < N; i++) {
    const xi = d.slice(x, [i], [1]), yi = d.slice(y, [i], [1]);
    const { value, grad } = d.valueAndGrad((q: Tensor) => d.softmaxCrossEntropy(net.apply(q, xi), yi))(p);
    const gi = read(grad);
    t.true(Math.abs(losses[i]! - read(value)[0]!) <= 8 * U64 * Math.abs(losses[i]!), `loss ${i}`);
    t.true(maxAbsDiff(Gd.subarray(i * net.size, (i + 1) * net.size), gi) <= 64 * U64 * Math.max(1, maxAbs(gi)), `gradient ${i}: ${maxAbsDiff(Gd.subarray(i * net.size, (i + 1) * net.size), gi)}`);
    mean = mean.map((m, j) => m + gi[j]! / N);
  }
  const full = read(d.grad((q: Tensor) => d.softmaxCrossEntropy(net.apply(q, x), y))(p));
  t.true(maxAbsDiff(full, mean) <= 64 * U64 * Math.max(1, maxAbs(full)), 'the mean of the rows is the gradient of the mean loss');
  const mg = d.perExampleGradients(d.linearRegression(3, 2), d.mse, t64(gen(8, 42)), x, t64(gen(N * 2, 43), [N, 2]));
  t.deepEqual(mg.shape, [N, 8]);
});

test('init · He and Glorot variances, seeded streams, replica 0 = the single model, zero biases', (t) => {
  const net = new d.MLP([784, 256, 10]);
  const he = read(net.init({ seed: 5, dtype: 'float64', backend: 'reference' }));
  const w1 = net.layout.get('W1'), b1 = net.layout.get('b1');
  const sample = he.subarray(w1.offset, w1.offset + w1.size);
  const variance = sample.reduce((s, v) => s + v * v, 0) / sample.length;
  // The variance estimate of n normal draws has standard error σ²·√(2/n) (0.3% here); allow 5 of them.
  t.true(Math.abs(variance - 2 / 784) <= 5 * (2 / 784) * Math.sqrt(2 / sample.length), `He variance ${variance}`);
  t.true(he.subarray(b1.offset, b1.offset + b1.size).every((v) => v === 0));
  const glorot = read(net.init({ seed: 5, scheme: 'glorot', distribution: 'uniform', dtype: 'float64', backend: 'reference' }));
  const a = Math.sqrt(6 / (784 + 256));
  const gw = glorot.subarray(w1.offset, w1.offset + w1.size);
  t.true(gw.every((v) => Math.abs(v) <= a));
  const gv = gw.reduce((s, v) => s + v * v, 0) / gw.length;
  // A uniform draw's square has variance (4/45)·a⁴; the mean of n of them has standard error a²·√(4/45/n).
  t.true(Math.abs(gv - a * a / 3) <= 5 * a * a * Math.sqrt(4 / 45 / gw.length), `Glorot variance ${gv}`);
  const pop = read(net.init({ seed: 5, replicas: 3, dtype: 'float64', backend: 'reference' }));
  t.deepEqual(Array.from(pop.subarray(0, net.size)), Array.from(he));
  t.notDeepEqual(Array.from(pop.subarray(net.size, net.size + 10)), Array.from(he.subarray(0, 10)));
  t.deepEqual(Array.from(read(net.init({ seed: 5, dtype: 'float64', backend: 'reference' }))), Array.from(he));
  t.deepEqual(new d.MLP([2, 2], { activation: 'tanh' }).init({ seed: 1, backend: 'reference' }).shape, [6]);
  t.throws(() => net.init({ seed: 1, replicas: 0 }), { instanceOf: RangeError, message: "initParams: expected an integer ≥ 1 for 'opts.replicas' but received 0" });
});

test('mlpFromWeights · PyTorch [out, in] weights load transposed into the arena', (t) => {
  // nn.Linear(2, 3) weight [[1,2],[3,4],[5,6]] (out × in), bias [7,8,9]; nn.Linear(3, 1).
  const { model, params } = d.mlpFromWeights([
    { weight: Float64Array.of(1, 2, 3, 4, 5, 6), bias: Float64Array.of(7, 8, 9), inFeatures: 2, outFeatures: 3, layout: 'out-in' },
    { weight: Float64Array.of(1, -1, 2), bias: Float64Array.of(0.5), inFeatures: 3, outFeatures: 1, layout: 'out-in' },
  ], { activation: 'relu', dtype: 'float64', backend: 'reference' });
  t.deepEqual(model.sizes, [2, 3, 1]);
  t.deepEqual(Array.from(read(params)), [1, 3, 5, 2, 4, 6, 7, 8, 9, 1, -1, 2, 0.5]);
  // x = [1, 1]: h = relu([3, 7, 11] + [7, 8, 9]) = [10, 15, 20]; y = 10 − 15 + 40 + 0.5.
  t.deepEqual(Array.from(read(model.apply(params, t64([1, 1], [1, 2])))), [35.5]);
  t.throws(() => d.mlpFromWeights([
    { weight: new Float32Array(6), bias: new Float32Array(3), inFeatures: 2, outFeatures: 3 },
    { weight: new Float32Array(4), bias: new Float32Array(1), inFeatures: 4, outFeatures: 1 },
  ]), { message: 'mlpFromWeights: layer 1 takes 4 inputs but layer 0 gives 3 outputs' });
  t.throws(() => d.mlpFromWeights([{ weight: new Float32Array(5), bias: new Float32Array(3), inFeatures: 2, outFeatures: 3 }]), { instanceOf: RangeError, message: "mlpFromWeights: expected 6 values for 'layers[0].weight' but received 5" });
});

