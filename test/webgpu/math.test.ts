// Accuracy of kernels/math.wgsl, through the unary op, against float64 (the bounds stated in
// that file's header). An ulp here is that of the float32 result: 2^(⌊log2|y|⌋ − 23).

import type { ExecutionContext } from 'ava';
import { UNARY } from '../../src/backend/ops.js';
import type { UnaryOp } from '../../src/backend/ops.js';
import { UNARY_FN } from '../../src/backend/reference/elementwise.js';
import { erf } from '../../src/backend/reference/math.js';
import { backend, gpuTest } from './gpu.js';

/** |got − want| in ulps of max(|want|, scale): `scale` is the size of the terms of a sum that cancels. */
function ulpsOff(got: number, want: number, scale = 0): number {
  if (Number.isNaN(want)) return Number.isNaN(got) ? 0 : Infinity;
  if (got === want) return 0;
  const w = Math.fround(Math.max(Math.abs(want), scale));
  if (w === 0) return Math.abs(got) <= 2 ** -149 ? 0 : Infinity;
  const ulp = 2 ** (Math.floor(Math.log2(Math.abs(w))) - 23);
  return Math.abs(got - want) / ulp;
}

/** erfc(z) for z ≥ 0 to ~1e-15 relative: 1 − erf(z) below 3, its continued fraction (Lentz) above. */
function erfc(z: number): number {
  if (z < 3) return 1 - erf(z);
  let f = z, c = z, d = 0;
  for (let n = 1; n < 500; n++) {
    d = 1 / (z + (n / 2) * d);
    c = z + (n / 2) / c;
    f *= c * d;
    if (Math.abs(c * d - 1) < 1e-16) break;
  }
  return Math.exp(-z * z) / (f * Math.sqrt(Math.PI));
}

/** Φ(x) with relative accuracy in both tails (the reference's 1 + erf loses the lower tail). */
function Phi(x: number): number {
  return x < 0 ? 0.5 * erfc(-x * Math.SQRT1_2) : 1 - 0.5 * erfc(x * Math.SQRT1_2);
}

/** Size of the terms of functions that are sums with a zero inside the domain. */
const SCALE: Partial<Record<UnaryOp, (x: number) => number>> = {
  gelugrad: (x) => Phi(x),
};

/** Oracles: the reference's functions, except where its float64 formula cancels. */
const ORACLE: Partial<Record<UnaryOp, (x: number) => number>> = {
  gelu: (x) => x * Phi(x),
  gelugrad: (x) => Phi(x) + x * Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI),
};

/** Points spread over [lo, hi]: uniform, or log-uniform when `log` (lo > 0). */
function points(lo: number, hi: number, n: number, log = false): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = (i + 0.5) / n;
    x[i] = log ? Math.exp(Math.log(lo) + u * (Math.log(hi) - Math.log(lo))) : lo + u * (hi - lo);
  }
  return x;
}

async function worst(t: ExecutionContext, op: UnaryOp, x: Float32Array): Promise<{ ulps: number; at: number }> {
  const gpu = await backend();
  const xs = gpu.upload(x);
  const ys = gpu.ops.unary(op, { s: xs, offset: 0 }, x.length);
  const y = await gpu.read(ys);
  gpu.free(xs);
  gpu.free(ys);
  const f = ORACLE[op] ?? UNARY_FN[op];
  let w = 0, at = NaN;
  for (let i = 0; i < x.length; i++) {
    const e = ulpsOff(y[i]!, f(x[i]!), SCALE[op]?.(x[i]!) ?? 0);
    if (e > w) { w = e; at = x[i]!; }
  }
  t.log(`${op}: worst ${w.toFixed(2)} ulps at x = ${at}`);
  return { ulps: w, at };
}

const N = 20000;
const CASES: [UnaryOp, number, [number, number, boolean?][]][] = [
  ['exp', 1.5, [[-87, 88], [-1e-3, 1e-3]]],
  ['log', 1.5, [[1e-30, 1e30, true], [0.5, 2]]],
  ['expm1', 2, [[-5, 5], [-1e-4, 1e-4]]],
  ['log1p', 2.5, [[-0.99, 10], [-1e-4, 1e-4]]],
  ['sin', 2, [[-6000, 6000], [-4, 4], [-1e-3, 1e-3]]],
  ['cos', 2, [[-6000, 6000], [-4, 4]]],
  ['tanh', 3, [[-10, 10], [-1e-3, 1e-3]]],
  ['sigmoid', 3, [[-80, 80]]],
  ['softplus', 3, [[-80, 80]]],
  ['gelu', 4, [[-12, 12], [-1e-3, 1e-3]]],
  ['gelugrad', 5, [[-12, 12]]],
];

for (const [op, bound, ranges] of CASES) {
  gpuTest(`math.wgsl · ${op} within ${bound} ulps (op code ${UNARY[op]})`, async (t) => {
    for (const [lo, hi, log] of ranges) {
      const { ulps, at } = await worst(t, op, points(lo, hi, N, log));
      t.true(ulps <= bound, `${op} on [${lo}, ${hi}]: ${ulps.toFixed(2)} ulps at x = ${at}`);
    }
  });
}

gpuTest('math.wgsl · special values follow Math.*', async (t) => {
  const gpu = await backend();
  const specials = new Float32Array([NaN, Infinity, -Infinity, 0, -0, 1, -1, 1e-45, 3.4e38, -3.4e38, 100, -100]);
  const xs = gpu.upload(specials);
  for (const op of ['exp', 'log', 'expm1', 'log1p', 'tanh', 'sigmoid', 'softplus', 'sqrt', 'rsqrt', 'gelu', 'gelugrad'] as const) {
    const ys = gpu.ops.unary(op, { s: xs, offset: 0 }, specials.length);
    const y = await gpu.read(ys);
    gpu.free(ys);
    for (let i = 0; i < specials.length; i++) {
      const want = Math.fround((ORACLE[op] ?? UNARY_FN[op])(specials[i]!));
      const got = y[i]!;
      const ok = Number.isNaN(want) ? Number.isNaN(got) : !Number.isFinite(want) ? got === want : Math.abs(got - want) <= 4 * 2 ** -23 * Math.abs(want) + 2 ** -126;
      t.true(ok, `${op}(${specials[i]}) = ${got}, expected ${want}`);
    }
  }
  gpu.free(xs);
});

gpuTest('math.wgsl · sin and cos of huge or non-finite arguments are finite or NaN, never ±inf', async (t) => {
  const gpu = await backend();
  const x = new Float32Array([1e5, -3e7, 3.4e38, Infinity, NaN]);
  const xs = gpu.upload(x);
  for (const op of ['sin', 'cos'] as const) {
    const ys = gpu.ops.unary(op, { s: xs, offset: 0 }, x.length);
    const y = await gpu.read(ys);
    gpu.free(ys);
    for (let i = 0; i < 3; i++) t.true(Math.abs(y[i]!) <= 1, `${op}(${x[i]}) = ${y[i]}`);
    t.true(Number.isNaN(y[3]) && Number.isNaN(y[4]), `${op}(±inf, NaN) = ${y[3]}, ${y[4]}`);
  }
  gpu.free(xs);
});
