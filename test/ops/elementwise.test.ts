// Every elementwise op on every backend against the reference backend.

import * as d from '../../src/index.js';
import type { Backend, Tensor } from '../../src/index.js';
import { assertClose, FUNCTION_ULPS, U } from '../helpers/close.js';
import { eachBackend } from '../helpers/cases.js';
import { AWKWARD, label, randu } from '../helpers/gen.js';

const ref = d.reference;
const on = (b: Backend, data: Float32Array, shape: number[]) => d.tensor(data, shape, { backend: b });

/** Input domain of each unary op (where it is defined and well conditioned). */
const DOMAIN: Record<string, [number, number]> = {
  log: [0.01, 10], sqrt: [0, 10], rsqrt: [0.01, 10], reciprocal: [0.1, 10], log1p: [-0.9, 10],
  exp: [-20, 20], expm1: [-5, 5], sin: [-6, 6], cos: [-6, 6], softplus: [-30, 30],
};
const UNARY = ['neg', 'abs', 'exp', 'log', 'sqrt', 'rsqrt', 'square', 'reciprocal', 'relu', 'tanh',
  'sigmoid', 'gelu', 'geluGrad', 'sign', 'step', 'sin', 'cos', 'log1p', 'expm1', 'softplus', 'floor', 'ceil'] as const;

for (const op of UNARY) {
  for (const n of [0, 1, 7, 17, 1000, 4099]) {
    eachBackend(`${op} · ${label({ n })}`, async (t, b) => {
      const key = op === 'geluGrad' ? 'gelugrad' : op;
      const [lo, hi] = DOMAIN[key] ?? [-8, 8];
      const x = randu(n, 11 + n, lo, hi);
      if (n > 3 && (op === 'sign' || op === 'step' || op === 'relu')) x[2] = 0;
      const want = await (d[op] as (x: Tensor) => Tensor)(on(ref, x, [n])).data();
      const got = await (d[op] as (x: Tensor) => Tensor)(on(b, x, [n])).data();
      const ulps = FUNCTION_ULPS[key]!;
      // Near zeros of f, relative error is meaningless: allow the error of an input perturbed by p ulps.
      assertClose(t, got, want, (i) => 2 * ulps * U.float32 * Math.max(Math.abs(want[i]!), Math.abs(x[i]!), ulps ? 1 : 0), op);
    });
  }
}

const BINARY = ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'atan2', 'less', 'lessEqual',
  'greater', 'greaterEqual', 'equal', 'notEqual'] as const;
const ULP_KEY: Record<string, string> = { maximum: 'max', minimum: 'min', less: 'lt', lessEqual: 'le', greater: 'gt', greaterEqual: 'ge', equal: 'eq', notEqual: 'ne' };
const SHAPE_PAIRS: [number[], number[]][] = [
  [[17], [17]], [[3, 1, 5], [4, 5]], [[0, 3], [3]], [[], [2, 3]], [[33, 65], [33, 1]], [[1], [129]], [[2, 3, 4, 5], [3, 1, 5]],
];

for (const op of BINARY) {
  for (const [sa, sb] of SHAPE_PAIRS) {
    eachBackend(`${op} · ${label({ a: sa, b: sb })}`, async (t, b) => {
      const na = sa.reduce((p, v) => p * v, 1), nb = sb.reduce((p, v) => p * v, 1);
      const pos = op === 'pow' || op === 'div';
      const xa = randu(na, 3, pos ? 0.5 : -4, 4), xb = randu(nb, 5, pos ? 0.5 : -4, pos ? 3 : 4);
      if (na > 2 && nb > 2) xb[1] = xa[1]!; // exercise equality
      const f = d[op] as (a: Tensor, b: Tensor) => Tensor;
      const want = await f(on(ref, xa, sa), on(ref, xb, sb)).data();
      const got = await f(on(b, xa, sa), on(b, xb, sb)).data();
      const ulps = FUNCTION_ULPS[ULP_KEY[op] ?? op]!;
      assertClose(t, got, want, (i) => 2 * ulps * U.float32 * Math.max(Math.abs(want[i]!), op === 'atan2' ? 1 : 0), op);
    });
  }
}

eachBackend('add · strided views · transposed and sliced inputs', async (t, b) => {
  const x = randu(6 * 7, 9), y = randu(7 * 6, 10);
  const run = async (be: Backend) => {
    const a = d.transpose(on(be, x, [6, 7]));
    const c = d.slice(on(be, y, [7, 6]), [0, 0], [7, 6]);
    return d.add(a, d.mul(c, 2)).data();
  };
  assertClose(t, await run(b), await run(ref), () => 0, 'add');
});

eachBackend('add · scalar operands', async (t, b) => {
  const x = randu(10, 4);
  const got = await d.sub(3, d.mul(on(b, x, [10]), 0.5)).data();
  const want = await d.sub(3, d.mul(on(ref, x, [10]), 0.5)).data();
  assertClose(t, got, want, () => 0, 'scalar');
});

eachBackend('where · broadcast condition', async (t, b) => {
  const x = randu(4 * 5, 1), y = randu(5, 2), c = new Float32Array([1, 0, 0, 1, 1, 0, 1, 0, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1, 0, 1]);
  const run = async (be: Backend) => d.where(on(be, c, [4, 5]), on(be, x, [4, 5]), on(be, y, [5])).data();
  assertClose(t, await run(b), await run(ref), () => 0, 'where');
});

eachBackend('cast · float32 → int32 → float32', async (t, b) => {
  const x = new Float32Array([-2.7, -0.5, 0, 0.5, 1.99, 1e6]);
  const i = d.cast(on(b, x, [6]), 'int32');
  t.is(i.dtype, 'int32');
  t.deepEqual(Array.from(await i.data()), [-2, 0, 0, 0, 1, 1000000]);
  t.deepEqual(Array.from(await d.cast(i, 'float32').data()), [-2, 0, 0, 0, 1, 1000000]);
});

for (const n of AWKWARD) {
  eachBackend(`contiguous · ${label({ n })} · transposed copy`, async (t, b) => {
    const x = randu(n * 3, n);
    const got = await d.contiguous(d.transpose(on(b, x, [n, 3]))).data();
    const want = await d.contiguous(d.transpose(on(ref, x, [n, 3]))).data();
    assertClose(t, got, want, () => 0, 'contiguous');
  });
}
