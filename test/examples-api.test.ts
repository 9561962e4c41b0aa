// The worked examples of docs/API.md (examples/*.ts) run, and their numbers obey what they
// must: training lowers the loss; a population's replica equals the model trained alone (up
// to float32 rounding) and masked replicas stay bit for bit; a custom Model's gradient
// matches float64 central differences; a restored checkpoint continues bit-identically; the
// curvature operators' eigenvalues and trace match the dense matrices built from them.

import test from 'ava';
import * as d from '../src/index.js';
import { trainingLoop } from '../examples/training-loop.js';
import { populations } from '../examples/populations.js';
import { customModel, LowRankLinear } from '../examples/custom-model.js';
import { checkpoints } from '../examples/checkpoints.js';
import { curvature, curvatureProblem } from '../examples/curvature.js';

test('API example · training loop: the loss falls and accuracy is far above chance', async (t) => {
  const r = await trainingLoop();
  t.is(r.steps, 3 * Math.ceil(800 / 64));
  t.true(r.losses[2]! < r.losses[0]!, `losses ${r.losses.join(', ')}`);
  // Chance is 0.1: 200 test rows at p = 0.1 exceed 0.3 with probability < 1e-9.
  t.true(r.accuracy > 0.3, `accuracy ${r.accuracy}`);
});

test('API example · populations: replica 1 = the model trained alone; inactive replicas untouched', async (t) => {
  const r = await populations();
  t.true(r.untouched, 'replicas 2 and 3 changed during masked steps');
  let rel = 0;
  r.single.forEach((v, i) => { rel = Math.max(rel, Math.abs(v - r.replica1[i]!) / Math.max(Math.abs(v), 1e-3)); });
  // Batched matmul against the fused linear op: float32 rounding over 12 steps (test/nn/population.test.ts).
  t.true(rel <= 2 ** -16, `relative difference ${rel}`);
  t.true(r.losses.every(Number.isFinite));
});

test('API example · custom model: trains, and its gradient matches float64 central differences', async (t) => {
  const r = await customModel();
  t.true(r.after < r.before / 1000, `${r.before} → ${r.after}`);
  const b = d.reference;
  const m = new LowRankLinear(4, 2, 3);
  const p = d.initParams(m.layout, { seed: 5, scheme: 'glorot', dtype: 'float64', backend: b });
  const x = d.randomNormal([6, 4], { seed: 6, dtype: 'float64', backend: b });
  const y = d.randomNormal([6, 3], { seed: 7, dtype: 'float64', backend: b });
  const f = (q: d.Tensor) => d.mse(m.apply(q, x), y);
  const g = await d.grad(f)(p).data();
  const host = Float64Array.from(await p.data());
  const h = 1e-6;
  for (let i = 0; i < host.length; i++) {
    const at = (v: number) => { const c = host.slice(); c[i] = v; return f(d.tensor(c, [host.length], { backend: b })).dataSync()[0]!; };
    const fd = (at(host[i]! + h) - at(host[i]! - h)) / (2 * h);
    // Central difference: truncation h²·|f‴|/6 ≈ 1e-12, rounding ε·|f|/h ≈ 1e-10.
    t.true(Math.abs(g[i]! - fd) < 1e-8, `∂f/∂p[${i}] = ${g[i]} vs ${fd}`);
  }
  // A population of 2 gives each replica's own outputs.
  const pp = d.concat([d.reshape(p, [1, m.layout.size]), d.reshape(d.mul(p, 2), [1, m.layout.size])], 0);
  const out = await m.apply(pp, x).data();
  const one = await m.apply(d.mul(p, 2), x).data();
  t.deepEqual(Array.from(out.slice(18)), Array.from(one));
});

test('API example · checkpoints: the restored run continues bit-identically', async (t) => {
  const r = await checkpoints();
  t.deepEqual(r.info, { step: 10 });
  t.is(r.straight.findIndex((v, i) => !Object.is(v, r.resumed[i])), -1);
});

test('API example · curvature: eigenvalues and trace match the dense matrices', async (t) => {
  const r = await curvature();
  const { net, params, x, y } = curvatureProblem();
  const n = net.size;
  const H = d.hessianOperator((p: d.Tensor) => d.softmaxCrossEntropy(net.apply(p, x), y), params);
  const G = d.ggnOperator((p: d.Tensor) => net.apply(p, x), (z: d.Tensor) => d.softmaxCrossEntropy(z, y), params);
  const eye = d.eye(n, { dtype: 'float64' });
  const dense = async (op: { apply: (v: d.Tensor) => d.Tensor }) => Float64Array.from(await op.apply(eye).data());
  const Hd = await dense(H), Gd = await dense(G);
  // Symmetrise (the products are exact up to float64 rounding) and decompose.
  const sym = (a: Float64Array) => a.map((v, i) => (v + a[(i % n) * n + Math.floor(i / n)]!) / 2);
  const hv = d.symEig(sym(Hd), n).values, gv = d.symEig(sym(Gd), n).values;
  const tol = 1e-8;
  r.top.forEach((v, i) => t.true(Math.abs(v - hv[n - 1 - i]!) < tol, `H eigenvalue ${i}: ${v} vs ${hv[n - 1 - i]}`));
  r.ggnTop.forEach((v, i) => t.true(Math.abs(v - gv[n - 1 - i]!) < tol, `G eigenvalue ${i}: ${v} vs ${gv[n - 1 - i]}`));
  let trace = 0;
  for (let i = 0; i < n; i++) trace += Gd[i * n + i]!;
  t.true(Math.abs(r.trace.estimate - trace) <= 4 * r.trace.stdError, `Hutchinson ${r.trace.estimate} ± ${r.trace.stdError} vs tr G = ${trace}`);
  const { begin, end } = net.layerRange(2), k = end - begin;
  const block = new Float64Array(k * k);
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) block[i * k + j] = (Hd[(begin + i) * n + begin + j]! + Hd[(begin + j) * n + begin + i]!) / 2;
  const bv = d.symEig(block, k).values;
  t.true(Math.abs(r.layer2 - bv[k - 1]!) < tol, `layer-2 block: ${r.layer2} vs ${bv[k - 1]}`);
  H.dispose();
  G.dispose();
});
