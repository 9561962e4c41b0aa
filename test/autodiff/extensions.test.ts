// The autodiff extensions: stopGradient, customVjp, gradients with respect to several
// arguments and the mixed product ∇²_xy g·v (one-shot and operator), in float64 on the
// reference backend against five-point finite differences (fd.ts: FD_RTOL) and a closed-form
// dense mixed Hessian; then the mixed operator on cpu and webgpu against reference in float32.

import test from 'ava';
import * as d from '../../src/index.js';
import type { Backend, Tensor } from '../../src/index.js';
import { eachBackend } from '../helpers/cases.js';
import { randn } from '../helpers/gen.js';
import { F64, FD_RTOL, fdDirectional, fdGradient, maxAbs, maxAbsDiff, read, t64 } from './fd.js';

const close = (got: ArrayLike<number>, want: ArrayLike<number>, rtol = FD_RTOL) => maxAbsDiff(got, want) <= rtol * Math.max(1, maxAbs(want));

test('stopGradient: a constant to the tape and to an outer tape', (t) => {
  const x = t64([0.3, -0.7, 0.9]);
  // f = Σ x·sg(x): ∇f = sg(x) = x (not 2x).
  const g = read(d.grad((z: Tensor) => d.sum(d.mul(z, d.stopGradient(z))))(x));
  t.deepEqual(Array.from(g), [0.3, -0.7, 0.9]);
  // f = Σ x²·sg(x): ∇f = 2x·x, H = diag(2x), Hv = 2x·v.
  const v = t64([1, 2, -1]);
  const hv = read(d.hvp((z) => d.sum(d.mul(d.square(z), d.stopGradient(z))), x, v));
  t.true(close(hv, [0.6, -2.8, -1.8], 1e-15));
  t.deepEqual(Array.from(read(d.stopGradient(x))), [0.3, -0.7, 0.9]);
});

test('customVjp: straight-through threshold (forward step, backward identity)', (t) => {
  const st = d.customVjp((a: Tensor) => d.step(a), { vjp: (g) => [g], jvp: ([ta]) => ta! }, 'straightThrough');
  const a = t64([-0.5, 0.2, 1.5]), w = t64([2, 3, 5]);
  const { value, grad } = d.valueAndGrad((z: Tensor) => d.sum(d.mul(w, st(z))))(a);
  t.is(value.dataSync()[0]!, 8); // step = [0, 1, 1]
  t.deepEqual(Array.from(read(grad)), [2, 3, 5]);
  t.deepEqual(Array.from(read(d.jvp((z) => st(z), a, w).jvp)), [2, 3, 5]);
});

test('customVjp: rules are differentiated in turn (hvp, reverse-over-reverse) against finite differences', (t) => {
  // A custom sin with a two-input product: y = sin(x)·u, rule written in tensor ops.
  const csin = d.customVjp((x: Tensor, u: Tensor) => d.mul(d.sin(x), u), {
    vjp: (g, [x, u]) => [d.mul(g, d.mul(d.cos(x!), u!)), d.mul(g, d.sin(x!))],
    jvp: ([tx, tu], [x, u]) => {
      const parts = [tx ? d.mul(tx, d.mul(d.cos(x!), u!)) : null, tu ? d.mul(tu, d.sin(x!)) : null].filter((p): p is Tensor => !!p);
      return parts.length === 2 ? d.add(parts[0]!, parts[1]!) : parts[0] ?? null;
    },
  });
  const xs = Float64Array.from([0.4, -0.8, 1.1, 0.05]), us = Float64Array.from([1.5, 0.5, -1, 2]);
  const u = t64(us), x = t64(xs), v = t64([0.3, -1, 0.7, 2]);
  const f = (z: Tensor) => d.sum(d.square(csin(z, u)));
  const host = (z: Float64Array) => z.reduce((s, zi, i) => s + (Math.sin(zi) * us[i]!) ** 2, 0);
  const gradHost = (z: Float64Array) => fdGradient(host, z);
  t.true(close(read(d.grad(f)(x)), gradHost(xs)));
  const want = fdDirectional((z) => Float64Array.from(read(d.grad(f)(t64(z)))), xs, read(v));
  t.true(close(read(d.hvp(f, x, v)), want));
  const ror = read(d.grad((z: Tensor) => d.dot(d.grad(f)(z), v))(x));
  t.true(close(ror, want));
  // The gradient with respect to u flows through the rule's second cotangent.
  const gu = read(d.grad((w: Tensor) => d.sum(d.square(csin(x, w))))(u));
  t.true(close(gu, fdGradient((w) => w.reduce((s, wi, i) => s + (Math.sin(xs[i]!) * wi) ** 2, 0), us)));
});

test('customVjp: forward mode without rule.jvp names the function; a wrong cotangent count is an error', (t) => {
  const f = d.customVjp((a: Tensor) => d.exp(a), { vjp: (g, _x, y) => [d.mul(g, y)] }, 'myExp');
  const x = t64([0.1, 0.2]);
  t.throws(() => d.jvp((z) => f(z), x, x), { message: /customVjp 'myExp'.*rule\.jvp/ });
  const bad = d.customVjp((a: Tensor) => d.exp(a), { vjp: (g) => [g, g] }, 'bad');
  t.throws(() => d.grad((z: Tensor) => d.sum(bad(z)))(x), { message: /customVjp 'bad': expected rule\.vjp to return 1 cotangents/ });
  t.throws(() => d.customVjp((a: Tensor) => a, {} as never), { message: /customVjp.*rule\.vjp/ });
});

test('valueAndGrads / grads: several arguments and argnums against finite differences', (t) => {
  const xs = Float64Array.from([0.5, -0.2, 0.9, 0.3, -0.6, 0.1]), ys = Float64Array.from([0.7, -0.4]), zs = Float64Array.from([0.2, -0.9, 0.4]);
  const X = t64(xs, [2, 3]), y = t64(ys), z = t64(zs);
  // f = Σ_ij tanh(X_ij·y_i + z_j)² + Σ y·y
  const f = (A: Tensor, b: Tensor, c: Tensor) => d.add(d.sum(d.square(d.tanh(d.add(d.mul(A, d.reshape(b, [2, 1])), c)))), d.sum(d.square(b)));
  const host = (a: Float64Array, b: Float64Array, c: Float64Array) => {
    let s = b[0]! ** 2 + b[1]! ** 2;
    for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) s += Math.tanh(a[i * 3 + j]! * b[i]! + c[j]!) ** 2;
    return s;
  };
  const { value, grads: [gX, gy, gz] } = d.valueAndGrads(f)(X, y, z);
  t.true(Math.abs(value.dataSync()[0]! - host(xs, ys, zs)) < 1e-14);
  t.deepEqual(gX!.shape, [2, 3]);
  t.true(close(read(gX!), fdGradient((a) => host(a, ys, zs), xs)));
  t.true(close(read(gy!), fdGradient((b) => host(xs, b, zs), ys)));
  t.true(close(read(gz!), fdGradient((c) => host(xs, ys, c), zs)));
  const [g0, g2] = d.grads(f, { argnums: [2, 0] })(X, y, z);
  t.true(close(read(g0!), read(gz!), 0));
  t.true(close(read(g2!), read(gX!), 0));
  t.throws(() => d.grads(f, { argnums: [0, 0] })(X, y, z), { message: /valueAndGrads: expected distinct argument indices/ });
});

// g(x, y) = Σ_i softplus(a_iᵀx + b_iᵀy) + Σ_j x_j²·y_j: ∇²_xy g = Σ_i σ′(z_i)·a_i b_iᵀ + diag(2x).
const NX = 4, NY = 4, NI = 5;
const A = randn(NI * NX, 11), Bm = randn(NI * NY, 12);
function gT(x: Tensor, y: Tensor): Tensor {
  const o = { dtype: x.dtype, backend: x.backend };
  const a = d.tensor(Float32Array.from(A), [NI, NX], o), b = d.tensor(Float32Array.from(Bm), [NI, NY], o);
  const z = d.add(d.matmul(a, d.reshape(x, [NX, 1])), d.matmul(b, d.reshape(y, [NY, 1])));
  return d.add(d.sum(d.softplus(z)), d.sum(d.mul(d.square(x), y)));
}
function denseMixed(x: Float64Array, y: Float64Array): Float64Array {
  const a = Float64Array.from(Float32Array.from(A)), b = Float64Array.from(Float32Array.from(Bm));
  const M = new Float64Array(NX * NY);
  for (let i = 0; i < NI; i++) {
    let z = 0;
    for (let j = 0; j < NX; j++) z += a[i * NX + j]! * x[j]!;
    for (let j = 0; j < NY; j++) z += b[i * NY + j]! * y[j]!;
    const s = 1 / (1 + Math.exp(-z)), ds = s * (1 - s);
    for (let j = 0; j < NX; j++) for (let k = 0; k < NY; k++) M[j * NY + k] += ds * a[i * NX + j]! * b[i * NY + k]!;
  }
  for (let j = 0; j < NX; j++) M[j * NY + j] += 2 * x[j]!;
  return M;
}
const matvec = (M: Float64Array, v: ArrayLike<number>, rows: number, cols: number) => Float64Array.from({ length: rows }, (_, i) => {
  let s = 0;
  for (let k = 0; k < cols; k++) s += M[i * cols + k]! * v[k]!;
  return s;
});

test('mixedHvp: dense mixed Hessian (closed form) and finite differences of ∇_x g along v', (t) => {
  const xs = Float64Array.from([0.3, -0.5, 0.8, 0.1]), ys = Float64Array.from([-0.2, 0.6, 0.4, -0.9]), vs = Float64Array.from([1, -0.5, 0.25, 2]);
  const x = t64(xs), y = t64(ys), v = t64(vs);
  const got = read(d.mixedHvp(gT, x, y, v));
  const dense = matvec(denseMixed(xs, ys), vs, NX, NY);
  t.true(close(got, dense, 1e-13));
  const fd = fdDirectional((yy) => Float64Array.from(read(d.grad((xx: Tensor) => gT(xx, t64(yy)))(x))), ys, vs);
  t.true(close(got, fd));
  // The definition of PAPERS.md §9: ∇_x ⟨∇_y g, v⟩ (reverse over reverse).
  const ror = read(d.grad((xx: Tensor) => d.dot(d.grad((yy: Tensor) => gT(xx, yy))(y), v))(x));
  t.true(close(got, ror, 1e-13));
  // The transposed product ∇²_yx g·u.
  const u = Float64Array.from([0.5, 1, -1, 0.3]);
  const M = denseMixed(xs, ys);
  const MT = Float64Array.from({ length: NY * NX }, (_, k) => M[(k % NX) * NY + Math.floor(k / NX)]!);
  t.true(close(read(d.mixedHvp((yy, xx) => gT(xx, yy), y, x, t64(u))), matvec(MT, u, NY, NX), 1e-13));
});

test('mixedOperator: blocks of probes and weighted batches against the dense mixed Hessian', (t) => {
  const xs = Float64Array.from([0.3, -0.5, 0.8, 0.1]), ys = Float64Array.from([-0.2, 0.6, 0.4, -0.9]);
  const x = t64(xs), y = t64(ys);
  const Vs = randn(NY * 3, 5);
  const V = d.tensor(Float64Array.from(Vs), [NY, 3], F64);
  // Batch s scales g by s: the operator is (Σ w_s·s)·∇²_xy g.
  const op = d.mixedOperator((a, b, s: number) => d.mul(gT(a, b), s), x, y, { batches: [1, 3], weights: [0.25, 0.5] });
  t.is(op.rows, NX);
  t.is(op.cols, NY);
  const MV = op.apply(V);
  t.deepEqual(MV.shape, [NX, 3]);
  const M = denseMixed(xs, ys), got = read(MV);
  for (let c = 0; c < 3; c++) {
    const want = matvec(M, Array.from({ length: NY }, (_, k) => Vs[k * 3 + c]! * 1.75), NX, NY);
    t.true(close(Array.from({ length: NX }, (_, i) => got[i * 3 + c]!), want, 1e-13));
  }
  const one = read(op.apply(d.tensor(Float64Array.from([1, 0, 0, 0]), [NY], F64)));
  t.true(close(one, Array.from({ length: NX }, (_, i) => 1.75 * M[i * NY]!), 1e-13));
  t.true(close(read(op.gradient()), read(d.mul(d.grad((a: Tensor) => gT(a, y))(x), 1.75)), 1e-14));
  t.true(Math.abs(op.value.dataSync()[0]! - 1.75 * gT(x, y).dataSync()[0]!) < 1e-13);
  op.dispose();
  t.throws(() => op.apply(V), { message: /mixedOperator\.apply: the operator was disposed/ });
  t.throws(() => d.mixedOperator(gT, d.reshape(x, [2, 2]), y), { message: /mixedOperator: expected a 1-D tensor for 'x'/ });
});

// float32 on each backend against reference float32: reductions of at most 8 terms through
// about four chained ops, tolerance 4·√8·u·max|ref| (u = 2^-24), as in backends.test.ts.
const EPS = 4 * Math.sqrt(8) * 2 ** -24;
function mixedCase(b: Backend): Tensor {
  const o = { backend: b };
  const x = d.tensor([0.3, -0.5, 0.8, 0.1], [NX], o), y = d.tensor([-0.2, 0.6, 0.4, -0.9], [NY], o);
  const V = d.tensor(randn(NY * 3, 7), [NY, 3], o), v = d.tensor(randn(NY, 8), [NY], o);
  const op = d.mixedOperator(gT, x, y);
  try {
    return d.concat([d.reshape(op.apply(V), [NX * 3]), d.mixedHvp(gT, x, y, v)], 0);
  } finally {
    op.dispose();
  }
}

eachBackend('mixedOperator · mixedHvp, block of 3 probes', async (t, b) => {
  const want = await d.tidy(() => mixedCase(d.reference)).data();
  const got = await d.tidy(() => mixedCase(b)).data();
  t.is(got.length, want.length);
  t.true(maxAbsDiff(got, want) <= EPS * maxAbs(want), `max error ${maxAbsDiff(got, want)} > ${EPS * maxAbs(want)}`);
});
