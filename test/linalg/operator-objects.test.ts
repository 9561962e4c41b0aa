// The spectrum functions take an operator object that knows its size (the curvature operators
// are such objects) as well as the old (function, n) form; powerIteration's result has eigsh's
// shape (values, residuals, vectors) besides its own (issue 17).

import test from 'ava';
import * as d from '../../src/index.js';

const n = 30;
const spectrum = Float64Array.from({ length: n }, (_, i) => (i === 0 ? 10 : i === 1 ? 6 : 1 / (i + 1)));
const m = d.symmetricWithSpectrum(spectrum, { seed: 3, dtype: 'float64', backend: 'reference' });
const fn = d.matrixOperator(m.matrix);
const sized: d.SizedOperator = { size: n, apply: fn };
const opts = { seed: 1, dtype: 'float64' as const, backend: 'reference' as const };

test('eigsh, slq, hutchinson, hutchPlusPlus, lanczos and powerIteration agree in both call forms', async (t) => {
  const a = await d.eigsh(fn, n, { k: 2, tol: 1e-8, ...opts });
  const b = await d.eigsh(sized, { k: 2, tol: 1e-8, ...opts });
  t.deepEqual([...b.values], [...a.values]);
  t.true(Math.abs(b.values[0]! - 10) <= 1e-6 * 10);
  t.deepEqual((await d.hutchinson(sized, { probes: 5, ...opts })).samples, (await d.hutchinson(fn, n, { probes: 5, ...opts })).samples);
  t.is((await d.hutchPlusPlus(sized, { matvecs: 9, ...opts })).trace, (await d.hutchPlusPlus(fn, n, { matvecs: 9, ...opts })).trace);
  t.deepEqual((await d.slq(sized, { probes: 2, steps: 10, ...opts })).rules[0]!.nodes, (await d.slq(fn, n, { probes: 2, steps: 10, ...opts })).rules[0]!.nodes);
  const l1 = await d.lanczos(sized, { steps: 5, ...opts }), l2 = await d.lanczos(fn, n, { steps: 5, ...opts });
  t.deepEqual(l1.tridiagonal(0).diag, l2.tridiagonal(0).diag);
  const p = await d.powerIteration(sized, { maxIter: 300, tol: 1e-7, ...opts });
  t.is(p.values.length, 1);
  t.is(p.values[0], p.value);
  t.is(p.residuals[0], p.residual);
  t.is(p.vectors, p.vector);
  t.true(Math.abs(p.value - 10) <= 1e-5 * 10);
});

test('a curvature operator goes straight in: eigsh(hessianOperator(...), opts)', async (t) => {
  const net = new d.MLP([4, 3, 2]);
  const params = net.init({ seed: 2, dtype: 'float64', backend: 'reference' });
  const x = d.randomNormal([6, 4], { seed: 3, dtype: 'float64', backend: 'reference' });
  const y = d.tensor(new Int32Array([0, 1, 1, 0, 1, 0]), [6], { backend: 'reference' });
  const H = d.hessianOperator((p: d.Tensor) => d.softmaxCrossEntropy(net.apply(p, x), y), params);
  const viaObject = await d.eigsh(H, { k: 1, tol: 1e-8, ...opts });
  const viaFunction = await d.eigsh((v) => H.apply(v), net.size, { k: 1, tol: 1e-8, ...opts });
  t.deepEqual([...viaObject.values], [...viaFunction.values]);
});

test('bad call forms name the argument', async (t) => {
  await t.throwsAsync(d.eigsh(fn as unknown as d.SizedOperator, { k: 1 }), { instanceOf: TypeError, message: /^eigsh: expected the operator's order .* for 'n'/ });
  await t.throwsAsync(d.eigsh(sized, n + 1, { k: 1 }), { instanceOf: RangeError, message: /^eigsh: expected the operator's own size 30 .* for 'n' but received 31/ });
  await t.throwsAsync(d.hutchinson({ size: 3 } as unknown as d.SizedOperator), { instanceOf: TypeError, message: /^hutchinson: expected a function V => A·V or an operator object \{ size, apply \} for 'op'/ });
});
