// Every differentiable op's derivative rules against float64 finite differences on the
// reference backend: the gradient (reverse mode), the Jacobian-vector product (forward
// mode), the Hessian-vector product (forward-over-reverse, which runs each rule's own
// rules) and its agreement with reverse-over-reverse.

import test from 'ava';
import * as d from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { uniform } from '../../src/random.js';
import { FD_RTOL, fdDirectional, fdGradient, maxAbs, maxAbsDiff, read, t64 } from './fd.js';

// Forward-over-reverse and reverse-over-reverse are both exact; they differ only by the
// rounding of ≤ 50 float64 operations each, on intermediates at most 10× the result's
// scale: 2·50·10·u ≈ 1e-13 relative. EXACT_RTOL = 1e-12 allows for that.
const EXACT_RTOL = 1e-12;

type Domain = 'any' | 'pos' | 'kink';

/** n inputs: uniform on [-1, 1]; [0.5, 1.5] for 'pos'; |x| ∈ [0.2, 1] for 'kink' (far from 0 at the stencil's scale). */
function gen(n: number, seed: number, dom: Domain): Float64Array {
  const u = uniform(seed, n);
  return Float64Array.from(u, (v) => (dom === 'pos' ? 0.5 + v : dom === 'kink' ? Math.sign(v - 0.5) * (0.2 + 1.6 * Math.abs(v - 0.5)) : 2 * v - 1));
}

/** Splits a flat x into tensors of the given shapes (slices and reshapes, themselves differentiated). */
function split(x: Tensor, ...shapes: number[][]): Tensor[] {
  let at = 0;
  return shapes.map((s) => {
    const n = s.reduce((p, q) => p * q, 1);
    const part = d.reshape(d.slice(x, [at], [n]), s);
    at += n;
    return part;
  });
}

interface Case { name: string; n: number; dom?: Domain; f: (x: Tensor) => Tensor }

const UNARY: [string, Domain][] = [
  ['neg', 'any'], ['abs', 'kink'], ['exp', 'any'], ['log', 'pos'], ['sqrt', 'pos'], ['rsqrt', 'pos'],
  ['square', 'any'], ['reciprocal', 'pos'], ['relu', 'kink'], ['tanh', 'any'], ['sigmoid', 'any'],
  ['gelu', 'any'], ['geluGrad', 'any'], ['sin', 'any'], ['cos', 'any'], ['log1p', 'pos'], ['expm1', 'any'],
  ['softplus', 'any'],
];

const idx = (v: number[]) => d.tensor(v, undefined, { dtype: 'int32', backend: 'reference' });

const CASES: Case[] = [
  ...UNARY.map(([op, dom]): Case => ({ name: op, n: 6, dom, f: (x) => (d as unknown as Record<string, (t: Tensor) => Tensor>)[op]!(d.reshape(x, [2, 3])) })),
  ...(['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'atan2'] as const).flatMap((op): Case[] => {
    const dom: Domain = op === 'div' || op === 'pow' ? 'pos' : 'any';
    const fn = d[op] as (a: Tensor, b: Tensor) => Tensor;
    return [
      { name: `${op} [3,4]·[4]`, n: 16, dom, f: (x) => { const [a, b] = split(x, [3, 4], [4]); return fn(a!, b!); } },
      { name: `${op} [2,1]·[1,3]`, n: 5, dom, f: (x) => { const [a, b] = split(x, [2, 1], [1, 3]); return fn(a!, b!); } },
      { name: `${op} with a constant`, n: 4, dom, f: (x) => fn(x, t64([0.7, 1.3, 0.9, 1.1])) },
    ];
  }),
  { name: 'where [2,3]·[3]', n: 9, f: (x) => { const [a, b] = split(x, [2, 3], [3]); return d.mul(d.where(t64([1, 0, 1, 0, 0, 1], [2, 3]), a!, b!), a!); } },
  { name: 'contiguous of a transpose', n: 12, f: (x) => d.sin(d.contiguous(d.transpose(d.reshape(x, [3, 4])))) },
  { name: 'permute [2,3,4] → [2,0,1]', n: 24, f: (x) => d.sin(d.permute(d.reshape(x, [2, 3, 4]), [2, 0, 1])) },
  { name: 'overlapping slices', n: 8, f: (x) => d.mul(d.slice(x, [0], [5]), d.slice(x, [3], [5])) },
  { name: 'slice in two axes', n: 20, f: (x) => d.sin(d.slice(d.reshape(x, [4, 5]), [1, 2], [2, 3])) },
  { name: 'broadcastTo [3] → [2,3]', n: 9, f: (x) => { const [a, b] = split(x, [3], [2, 3]); return d.mul(d.broadcastTo(a!, [2, 3]), b!); } },
  { name: 'concat axis 1 with a constant', n: 6, f: (x) => d.sin(d.concat([d.reshape(x, [2, 3]), t64([1, 2], [2, 1]), d.reshape(x, [2, 3])], 1)) },
  { name: 'stack and squeeze', n: 6, f: (x) => { const [a, b] = split(x, [3], [3]); return d.squeeze(d.mul(d.stack([a!, b!], 0), d.expandDims(a!, 0))); } },
  { name: 'sum axis 1', n: 12, f: (x) => d.sum(d.sin(d.reshape(x, [3, 4])), 1) },
  { name: 'sum axes [0,2] keepDims', n: 24, f: (x) => d.sum(d.sin(d.reshape(x, [2, 3, 4])), [0, 2], true) },
  { name: 'sum of all', n: 6, f: (x) => d.sum(d.mul(x, x)) },
  { name: 'sumSquares axis 0', n: 12, f: (x) => d.sumSquares(d.sin(d.reshape(x, [3, 4])), 0) },
  { name: 'max axis 1', n: 12, f: (x) => d.max(d.sin(d.reshape(x, [3, 4])), 1) },
  { name: 'min axis 0 keepDims', n: 12, f: (x) => d.min(d.sin(d.reshape(x, [3, 4])), 0, true) },
  { name: 'mean, norm, dot', n: 8, f: (x) => { const [a, b] = split(x, [4], [4]); return d.stack([d.mean(d.sin(a!)), d.norm(b!), d.dot(a!, b!)]); } },
  { name: 'matmul [3,4]·[4,5]', n: 32, f: (x) => { const [a, b] = split(x, [3, 4], [4, 5]); return d.matmul(a!, b!); } },
  { name: 'matmul batched [2,3,4]·[2,4,5]', n: 64, f: (x) => { const [a, b] = split(x, [2, 3, 4], [2, 4, 5]); return d.matmul(a!, b!); } },
  { name: 'matmul broadcast [3,4]·[2,4,5]', n: 52, f: (x) => { const [a, b] = split(x, [3, 4], [2, 4, 5]); return d.matmul(a!, b!); } },
  { name: 'matmul shared b [2,3,4]·[4,5]', n: 44, f: (x) => { const [a, b] = split(x, [2, 3, 4], [4, 5]); return d.matmul(a!, b!); } },
  { name: 'matmul of transposed views', n: 32, f: (x) => { const [a, b] = split(x, [4, 3], [5, 4]); return d.matmul(d.transpose(a!), d.transpose(b!)); } },
  // A small inner dimension takes the one-product form [Ȧ, A]·[B; Ḃ] of the tangent.
  { name: 'matmul [8,2]·[2,9]', n: 34, f: (x) => { const [a, b] = split(x, [8, 2], [2, 9]); return d.matmul(a!, b!); } },
  { name: 'linear [8,2]·[2,9] + bias, tanh', n: 43, f: (x) => { const [a, w, b] = split(x, [8, 2], [2, 9], [9]); return d.linear(a!, w!, b!, 'tanh'); } },
  { name: 'linear without bias', n: 32, f: (x) => { const [a, w] = split(x, [3, 4], [4, 5]); return d.linear(a!, w!); } },
  ...(['none', 'relu', 'tanh', 'sigmoid', 'gelu'] as const).map((act): Case => ({
    name: `linear [2,3,4]·[4,5] + bias, ${act}`, n: 49, dom: act === 'relu' ? 'kink' : 'any',
    f: (x) => { const [a, w, b] = split(x, [2, 3, 4], [4, 5], [5]); return d.linear(a!, w!, b!, act); },
  })),
  { name: 'softmax', n: 12, f: (x) => d.softmax(d.reshape(x, [3, 4])) },
  { name: 'logSoftmax', n: 12, f: (x) => d.logSoftmax(d.reshape(x, [3, 4])) },
  { name: 'softmax axis 0', n: 12, f: (x) => d.softmax(d.reshape(x, [3, 4]), 0) },
  { name: 'gather axis 0', n: 12, f: (x) => d.sin(d.gather(d.reshape(x, [4, 3]), idx([2, 0, 2]), 0)) },
  { name: 'gather axis 1', n: 12, f: (x) => d.sin(d.gather(d.reshape(x, [3, 4]), idx([3, 3, 1, 0, 2]), 1)) },
  { name: 'scatterAdd axis 0', n: 6, f: (x) => d.sin(d.scatterAdd(d.reshape(x, [3, 2]), idx([1, 1, 0]), 4, 0)) },
];

CASES.forEach((c, ci) => {
  test(`derivatives · ${c.name}`, (t) => {
    const dom = c.dom ?? 'any';
    const x0 = gen(c.n, 100 + ci, dom);
    const X = t64(x0);
    const out = c.f(X);
    const w = t64(gen(out.size, 200 + ci, 'any'), out.shape.slice());
    const s = (x: Tensor) => d.sum(d.mul(c.f(x), w));
    const sAt = (xa: Float64Array) => read(s(t64(xa)))[0]!;

    const g = read(d.grad(s)(X));
    const gfd = fdGradient(sAt, x0);
    t.true(maxAbsDiff(g, gfd) <= FD_RTOL * Math.max(1, maxAbs(gfd)), `gradient: max error ${maxAbsDiff(g, gfd)}`);
    t.deepEqual(Array.from(read(d.vjp(c.f, X, w).vjp)), Array.from(g), 'vjp(f, x, w) is the gradient of Σ w·f');

    const v = gen(c.n, 300 + ci, 'any');
    const jv = read(d.jvp(c.f, X, t64(v)).jvp);
    const jfd = fdDirectional((xa) => read(c.f(t64(xa))), x0, v);
    t.true(maxAbsDiff(jv, jfd) <= FD_RTOL * Math.max(1, maxAbs(jfd)), `jvp: max error ${maxAbsDiff(jv, jfd)}`);

    // A block of three tangents in one pass (a probe axis in front of every tangent).
    const rows = [v, gen(c.n, 400 + ci, 'any'), gen(c.n, 500 + ci, 'any')];
    const lin = d.linearize(c.f, X);
    const block = read(lin.applyRows(t64(rows.flatMap((r) => Array.from(r)), [3, c.n])));
    rows.forEach((r, i) => {
      const one = read(lin.apply(t64(r)));
      const got = block.subarray(i * one.length, (i + 1) * one.length);
      t.true(maxAbsDiff(got, one) <= EXACT_RTOL * Math.max(1, maxAbs(one)), `block row ${i}: ${maxAbsDiff(got, one)}`);
    });
    lin.dispose();

    const hv = read(d.hvp(s, X, t64(v)));
    const hfd = fdDirectional((xa) => read(d.grad(s)(t64(xa))), x0, v);
    t.true(maxAbsDiff(hv, hfd) <= FD_RTOL * Math.max(1, maxAbs(hfd)), `hvp: max error ${maxAbsDiff(hv, hfd)}`);
    const rr = read(d.grad((x: Tensor) => d.dot(d.grad(s)(x), t64(v)))(X));
    t.true(maxAbsDiff(rr, hv) <= EXACT_RTOL * Math.max(1, maxAbs(hv)), `reverse-over-reverse vs forward-over-reverse: ${maxAbsDiff(rr, hv)}`);
  });
});

test('derivatives · cast float64 → float32 → float64 passes the cotangent through, rounded', (t) => {
  const w = [0.1, -1 / 3, 2 / 7];
  const g = read(d.grad((x: Tensor) => d.sum(d.mul(d.cast(d.cast(x, 'float32'), 'float64'), t64(w))))(t64([1, 2, 3])));
  t.deepEqual(Array.from(g), w.map(Math.fround));
  const jv = read(d.jvp((x) => d.cast(d.cast(x, 'float32'), 'float64'), t64([1, 2, 3]), t64(w)).jvp);
  t.deepEqual(Array.from(jv), w.map(Math.fround));
});

test('derivatives · comparisons, step, sign and argmax are constants', (t) => {
  const x = t64([0.5, -1, 2]);
  const f = (z: Tensor) => d.sum(d.mul(d.add(d.add(d.greater(z, 0), d.step(z)), d.sign(z)), z));
  t.deepEqual(Array.from(read(d.grad(f)(x))), [3, -1, 3]);
});

test('grad · a function of something else has a zero gradient', (t) => {
  const g = d.grad(() => d.sum(t64([1, 2])))(t64([3, 4, 5]));
  t.deepEqual(Array.from(read(g)), [0, 0, 0]);
  t.is(g.dtype, 'float64');
});

test('grad · errors name the function and the argument', (t) => {
  const x = t64([1, 2]);
  t.throws(() => d.grad((z: Tensor) => d.mul(z, 2))(x), { message: 'valueAndGrad: expected f to return a tensor of size 1 but it returned shape [2] (use vjp for other outputs)' });
  t.throws(() => d.grad((z: Tensor) => d.sum(z))(d.tensor([1], undefined, { dtype: 'int32', backend: 'reference' })), { instanceOf: TypeError, message: 'valueAndGrad: expected a float32 or float64 tensor for \'x\' but received int32' });
  t.throws(() => d.jvp((z) => z, x, t64([1, 2, 3])), { message: 'jvp: expected shape [2] for \'v\' but received [3]' });
  t.throws(() => d.hvp((z) => d.sum(z), x, d.tensor([1, 2], undefined, { backend: 'reference' })), { instanceOf: TypeError, message: 'hvp: expected a float64 tensor for \'v\' but received float32' });
  t.throws(() => d.grad((z: Tensor) => d.sum(z), { range: { begin: 1, end: 5 } })(x), { instanceOf: RangeError, message: 'valueAndGrad: expected 0 ≤ begin < end ≤ 2 for \'range\' but received [1, 5)' });
});

test('grad · differentiates through tidy() inside f and frees its intermediates', (t) => {
  const x = t64([0.3, -0.2, 0.9]);
  const f = (z: Tensor) => d.tidy(() => d.sum(d.tanh(d.mul(z, z))));
  const g = read(d.grad(f)(x));
  const want = read(x).map((v) => 2 * v * (1 - Math.tanh(v * v) ** 2));
  t.true(maxAbsDiff(g, want) <= 4 * 2 ** -53 * 10, `max error ${maxAbsDiff(g, want)}`);
});

test('grad · a range differentiates only that block of a 1-D x', (t) => {
  const x0 = gen(10, 9, 'any');
  const f = (z: Tensor) => { const [a, b, c] = split(z, [3], [4], [3]); return d.add(d.add(d.sum(d.mul(a!, b!.shape[0] === 4 ? d.slice(b!, [0], [3]) : b!)), d.sum(d.sin(b!))), d.sum(d.mul(c!, c!))); };
  const full = read(d.grad(f)(t64(x0)));
  const part = read(d.grad(f, { range: { begin: 2, end: 8 } })(t64(x0)));
  t.deepEqual(Array.from(part), Array.from(full.slice(2, 8)));
  const v = gen(6, 10, 'any');
  const hPart = read(d.hvp(f, t64(x0), t64(v), { range: { begin: 2, end: 8 } }));
  const vFull = new Float64Array(10);
  vFull.set(v, 2);
  const hFull = read(d.hvp(f, t64(x0), t64(vFull)));
  t.true(maxAbsDiff(hPart, hFull.slice(2, 8)) <= EXACT_RTOL * Math.max(1, maxAbs(hFull)), `block hvp: ${maxAbsDiff(hPart, hFull.slice(2, 8))}`);
});

