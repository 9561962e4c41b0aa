// Hessian- and Gauss-Newton-vector products against dense matrices assembled in float64 on
// tiny models: the Hessian from finite differences of the gradient, the Gauss-Newton matrix
// as Jᵀ·H_L·J from a finite-difference Jacobian and the loss's Hessian in closed form. Also
// the operator forms: symmetry, positive semi-definiteness of the GGN, minibatch
// accumulation, one layer's block, blocks of probes, and reuse without recomputation.

import test from 'ava';
import * as d from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { uniform } from '../../src/random.js';
import { FD_RTOL, fdJacobian, maxAbs, maxAbsDiff, read, symmetricEigenvalues, t64 } from './fd.js';

// Two exact computations of one product differ by the rounding of their float64 operations
// (a few hundred here, on intermediates of the result's scale): 1e-12 ≈ 4500u relative.
const EXACT_RTOL = 1e-12;

function gen(n: number, seed: number, lo = -1, hi = 1): Float64Array {
  return Float64Array.from(uniform(seed, n), (v) => lo + (hi - lo) * v);
}
const labels = (v: number[]) => d.tensor(v, undefined, { dtype: 'int32', backend: 'reference' });

/** The n×n matrix whose column j is op(e_j), from one block product with the identity. */
function dense(op: (V: Tensor) => Tensor, n: number): Float64Array[] {
  const M = read(op(d.eye(n, { dtype: 'float64', backend: 'reference' })));
  return Array.from({ length: n }, (_, i) => M.subarray(i * n, (i + 1) * n));
}

function flat(rows: readonly ArrayLike<number>[]): Float64Array {
  return Float64Array.from(rows.flatMap((r) => Array.from(r)));
}

function transposeOf(rows: readonly Float64Array[]): Float64Array[] {
  return rows[0]!.length === 0 ? [] : Array.from(rows[0]!, (_, j) => Float64Array.from(rows, (r) => r[j]!));
}

function matmulDense(a: readonly ArrayLike<number>[], b: readonly ArrayLike<number>[]): Float64Array[] {
  const k = b.length, m = b[0]!.length;
  return a.map((row) => {
    const out = new Float64Array(m);
    for (let p = 0; p < k; p++) for (let j = 0; j < m; j++) out[j]! += row[p]! * b[p]![j]!;
    return out;
  });
}

const N = 6;
const net = new d.MLP([3, 4, 3], { activation: 'tanh' });
const X = t64(gen(N * 3, 1), [N, 3]);
const Y = labels([0, 2, 1, 1, 0, 2]);
const P0 = gen(net.size, 2);
const loss = (p: Tensor) => d.softmaxCrossEntropy(net.apply(p, X), Y);
const n = net.size;

test('hessian · the operator matches finite differences of the gradient and is symmetric', (t) => {
  const H = d.hessianOperator(loss, t64(P0));
  const Hd = dense(H.apply, n);
  const Hfd = fdJacobian((p) => read(d.grad(loss)(t64(p))), P0);
  const scale = Math.max(1, maxAbs(flat(Hfd)));
  t.true(maxAbsDiff(flat(Hd), flat(Hfd)) <= FD_RTOL * scale, `vs finite differences: ${maxAbsDiff(flat(Hd), flat(Hfd))}`);
  t.true(maxAbsDiff(flat(Hd), flat(transposeOf(Hd))) <= EXACT_RTOL * scale, `asymmetry ${maxAbsDiff(flat(Hd), flat(transposeOf(Hd)))}`);
  const v = gen(n, 3);
  const hv = read(d.hvp(loss, t64(P0), t64(v)));
  const want = Hd.map((row) => row.reduce((s, h, j) => s + h * v[j]!, 0));
  t.true(maxAbsDiff(hv, want) <= EXACT_RTOL * Math.max(1, maxAbs(want)), 'hvp() = the operator');
  t.true(Math.abs(read(H.value)[0]! - read(loss(t64(P0)))[0]!) === 0, 'value');
  t.deepEqual(Array.from(read(H.gradient())), Array.from(read(d.grad(loss)(t64(P0)))), 'gradient');
  H.dispose();
  t.throws(() => H.apply(t64(v)), { message: 'hessianOperator.apply: the operator was disposed' });
});

test('hessian · relu and gelu networks and MSE', (t) => {
  for (const [act, lossFn, targets] of [['relu', d.softmaxCrossEntropy, Y], ['gelu', d.mse, t64(gen(N * 3, 4), [N, 3])]] as const) {
    const m = new d.MLP([3, 4, 3], { activation: act });
    const f = (p: Tensor) => lossFn(m.apply(p, X), targets);
    const Hd = dense(d.hessianOperator(f, t64(P0)).apply, n);
    const Hfd = fdJacobian((p) => read(d.grad(f)(t64(p))), P0);
    t.true(maxAbsDiff(flat(Hd), flat(Hfd)) <= FD_RTOL * Math.max(1, maxAbs(flat(Hfd))), `${act}: ${maxAbsDiff(flat(Hd), flat(Hfd))}`);
  }
});

test('ggn · Jᵀ·H_L·J for softmax cross-entropy and MSE; symmetric and positive semi-definite', (t) => {
  const model = (p: Tensor) => net.apply(p, X);
  const J = fdJacobian((p) => read(model(t64(p))), P0); // [N·3, n]
  const probs = read(d.softmax(model(t64(P0))));
  // softmax cross-entropy, mean over N: H_L = blockdiag((diag(p_i) − p_i p_iᵀ)/N).
  const HL = Array.from({ length: N * 3 }, (_, r) => Float64Array.from({ length: N * 3 }, (_, c) => {
    const i = Math.floor(r / 3);
    if (Math.floor(c / 3) !== i) return 0;
    return ((r === c ? probs[r]! : 0) - probs[r]! * probs[c]!) / N;
  }));
  const Gwant = matmulDense(transposeOf(J), matmulDense(HL, J));
  const G = d.ggnOperator((p) => model(p), (z) => d.softmaxCrossEntropy(z, Y), t64(P0));
  const Gd = dense(G.apply, n);
  const scale = Math.max(1, maxAbs(flat(Gwant)));
  t.true(maxAbsDiff(flat(Gd), flat(Gwant)) <= FD_RTOL * scale, `vs Jᵀ·H_L·J: ${maxAbsDiff(flat(Gd), flat(Gwant))}`);
  t.true(maxAbsDiff(flat(Gd), flat(transposeOf(Gd))) <= EXACT_RTOL * scale, 'symmetric');
  const eig = symmetricEigenvalues(Gd);
  t.true(eig[0]! >= -EXACT_RTOL * scale, `smallest eigenvalue ${eig[0]}`);
  const v = gen(n, 5);
  const gv = read(d.ggnvp(model, (z) => d.softmaxCrossEntropy(z, Y), t64(P0), t64(v)));
  const want = Gd.map((row) => row.reduce((s, g, j) => s + g * v[j]!, 0));
  t.true(maxAbsDiff(gv, want) <= EXACT_RTOL * Math.max(1, maxAbs(want)), 'ggnvp() = the operator');
  t.deepEqual(Array.from(read(G.gradient())), Array.from(read(d.grad(loss)(t64(P0)))), 'the gradient Jᵀ∇L');

  // MSE, mean over N·3 elements: H_L = 2/(3N)·I.
  const T = t64(gen(N * 3, 6), [N, 3]);
  const Gm = dense(d.ggnOperator((p) => model(p), (z) => d.mse(z, T), t64(P0)).apply, n);
  const Gmwant = matmulDense(transposeOf(J), J).map((r) => r.map((x) => (2 / (3 * N)) * x));
  t.true(maxAbsDiff(flat(Gm), flat(Gmwant)) <= FD_RTOL * Math.max(1, maxAbs(flat(Gmwant))), `MSE: ${maxAbsDiff(flat(Gm), flat(Gmwant))}`);
});

test('ggn · equals the Hessian for a model linear in its parameters', (t) => {
  const sr = d.softmaxRegression(3, 3);
  const p = t64(gen(sr.size, 7));
  const H = dense(d.hessianOperator((q) => d.softmaxCrossEntropy(sr.apply(q, X), Y), p).apply, sr.size);
  const G = dense(d.ggnOperator((q) => sr.apply(q, X), (z) => d.softmaxCrossEntropy(z, Y), p).apply, sr.size);
  t.true(maxAbsDiff(flat(H), flat(G)) <= EXACT_RTOL * Math.max(1, maxAbs(flat(H))), `${maxAbsDiff(flat(H), flat(G))}`);
});

test('operators · minibatches (weighted by size), recomputation and one layer\'s block agree with the full matrix', (t) => {
  const p = t64(P0);
  const full = dense(d.modelHessian(net, d.softmaxCrossEntropy, p, { x: X, y: Y }).apply, n);
  const scale = Math.max(1, maxAbs(flat(full)));
  const batched = d.modelHessian(net, d.softmaxCrossEntropy, p, { x: X, y: Y }, { batchSize: 4 });
  t.true(maxAbsDiff(flat(dense(batched.apply, n)), flat(full)) <= EXACT_RTOL * scale, 'batches of 4 and 2');
  t.true(Math.abs(read(batched.value)[0]! - read(loss(p))[0]!) <= EXACT_RTOL, 'the value is the mean over all examples');
  const fresh = d.modelHessian(net, d.softmaxCrossEntropy, p, { x: X, y: Y }, { batchSize: 4, cache: false });
  t.true(maxAbsDiff(flat(dense(fresh.apply, n)), flat(full)) <= EXACT_RTOL * scale, 'cache: false');
  t.true(maxAbsDiff(read(fresh.gradient()), read(d.grad(loss)(p))) <= EXACT_RTOL, 'cache: false, gradient');

  const { begin, end } = net.layerRange(2);
  const block = d.modelHessian(net, d.softmaxCrossEntropy, p, { x: X, y: Y }, { block: 2, batchSize: 5 });
  t.is(block.size, end - begin);
  const Hb = dense(block.apply, end - begin);
  const sub = full.slice(begin, end).map((r) => r.subarray(begin, end));
  t.true(maxAbsDiff(flat(Hb), flat(sub)) <= EXACT_RTOL * scale, 'layer 2 block');
  t.deepEqual(block.gradient().shape, [end - begin]);
  // A block that cuts through parameters (part of W1 and all of b1).
  const cut = { begin: 5, end: 16 };
  const Hc = dense(d.hessianOperator(loss, p, { range: cut }).apply, 11);
  t.true(maxAbsDiff(flat(Hc), flat(full.slice(5, 16).map((r) => r.subarray(5, 16)))) <= EXACT_RTOL * scale, 'a block across parameters');

  const G = dense(d.modelGGN(net, d.softmaxCrossEntropy, p, { x: X, y: Y }).apply, n);
  const Gb = d.modelGGN(net, d.softmaxCrossEntropy, p, { x: X, y: Y }, { batchSize: 4, block: 1 });
  const { begin: b1, end: e1 } = net.layerRange(1);
  t.true(maxAbsDiff(flat(dense(Gb.apply, e1 - b1)), flat(G.slice(b1, e1).map((r) => r.subarray(b1, e1)))) <= EXACT_RTOL * scale, 'GGN: batches and layer 1');
  const Gf = d.modelGGN(net, d.softmaxCrossEntropy, p, { x: X, y: Y }, { batchSize: 4, cache: false });
  t.true(maxAbsDiff(flat(dense(Gf.apply, n)), flat(G)) <= EXACT_RTOL * scale, 'GGN: cache: false');
});

test('operators · a block of probes [n, b] (one tangent pass per 16 probes) equals the products one at a time; errors name the argument', (t) => {
  const H = d.hessianOperator(loss, t64(P0));
  const G = d.ggnOperator((p) => net.apply(p, X), (z) => d.softmaxCrossEntropy(z, Y), t64(P0));
  const b = 20;
  const V = gen(n * b, 8);
  for (const [name, op] of [['hessian', H], ['ggn', G]] as const) {
    const MV = read(op.apply(t64(V, [n, b])));
    for (let j = 0; j < b; j++) {
      const col = Float64Array.from({ length: n }, (_, i) => V[i * b + j]!);
      const mv = read(op.apply(t64(col)));
      const got = Float64Array.from({ length: n }, (_, i) => MV[i * b + j]!);
      t.true(maxAbsDiff(got, mv) <= EXACT_RTOL * Math.max(1, maxAbs(mv)), `${name}, column ${j}: ${maxAbsDiff(got, mv)}`);
    }
  }
  t.throws(() => H.apply(t64(V.subarray(0, 3 * 10), [10, 3])), { instanceOf: RangeError, message: `hessianOperator.apply: expected shape [${n}] or [${n}, b] for 'V' but received [10, 3]` });
  t.throws(() => d.hessianOperator(loss, t64(P0, [1, n])), { instanceOf: RangeError, message: `hessianOperator: expected a 1-D parameter arena for 'params' but received shape [1, ${n}]` });
  t.throws(() => d.hessianOperator(loss, t64(P0), { batches: [1, 2], weights: [1] }), { instanceOf: RangeError, message: "hessianOperator: expected 2 weights for 'opts.weights' (one per batch) but received 1" });
});

test('operators · products reuse the recorded passes: no op runs on a whole batch twice', (t) => {
  // Count the matrix products per HVP through the operator: for a 2-layer MLP the tangent pass
  // needs x·V1, ȧ1·W2, a1·V2 forward and ġ·W2ᵀ, g·V2ᵀ, xᵀ·δ̇1, ȧ1ᵀ·g, a1ᵀ·ġ backward: 8.
  let products = 0;
  const counting: d.Backend = { ...d.reference, ops: { ...d.reference.ops, matmul: (a) => { products++; return d.reference.ops.matmul(a); } } };
  const x = d.tensor(read(X), [N, 3], { dtype: 'float64', backend: counting });
  const p = d.tensor(P0, [n], { dtype: 'float64', backend: counting });
  const y = d.tensor([0, 2, 1, 1, 0, 2], undefined, { dtype: 'int32', backend: counting });
  const H = d.hessianOperator((q) => d.softmaxCrossEntropy(net.apply(q, x), y), p);
  products = 0;
  H.apply(d.tensor(gen(n, 9), [n], { dtype: 'float64', backend: counting }));
  t.is(products, 8);
  H.dispose();
});

test('pullback and linearize · reusable reverse and forward passes equal vjp and jvp', (t) => {
  const model = (p: Tensor) => net.apply(p, X);
  const p = t64(P0);
  const u = t64(gen(N * 3, 10), [N, 3]), v = t64(gen(n, 11));
  const pb = d.pullback(model, p), lin = d.linearize(model, p);
  for (let i = 0; i < 2; i++) {
    t.deepEqual(Array.from(read(pb.apply(u))), Array.from(read(d.vjp(model, p, u).vjp)), `pullback, call ${i + 1}`);
    t.deepEqual(Array.from(read(lin.apply(v))), Array.from(read(d.jvp(model, p, v).jvp)), `linearize, call ${i + 1}`);
  }
  t.deepEqual(Array.from(read(pb.value)), Array.from(read(model(p))));
  pb.dispose();
  lin.dispose();
  t.throws(() => lin.apply(v), { message: 'linearize.apply: the linearization was disposed' });
  t.throws(() => pb.apply(u), { message: 'pullback.apply: the pullback was disposed' });
});
