// Test problems with known minimisers, gradients computed on the backend under test.
//
// quadratic: f(x) = ½ Σ a_i (x_i − c_i)², a_i from 1 to κ = 10 evenly, c_i ∈ (0.5, 1.5),
// x0 ∈ (0.5, 1.5) (positive, so multiplicative methods apply); minimiser c.
// logistic: L2-regularised logistic regression on n = 256 Gaussian points in d = 8 with
// labels drawn from a logistic teacher (not separable), μ = 0.01, so strongly convex with
// a unique minimiser, found here by Newton's method in float64.

import * as d from '../../src/index.js';
import type { Backend, Tensor } from '../../src/index.js';
import { createOptimizer } from '../../src/optim/index.js';
import { normal, uniform } from '../../src/random.js';

export const QD = 50;
export const KAPPA = 10;
const qa = Float32Array.from({ length: QD }, (_, i) => 1 + (KAPPA - 1) * i / (QD - 1));
export const qc = uniform(3, QD).map((v) => 0.5 + v);
const qx0 = uniform(4, QD).map((v) => 0.5 + v);

function dist(x: ArrayLike<number>, c: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < c.length; i++) s += (x[i]! - c[i]!) ** 2;
  return Math.sqrt(s);
}

/** ‖x_t − c‖ at t = 0 and after each of `samples` equal stretches of `steps` steps. */
export async function runQuadratic(b: Backend, kind: string, options: Record<string, unknown>, steps: number, samples = 5): Promise<number[]> {
  const A = d.tensor(qa, [QD], { backend: b }), C = d.tensor(qc, [QD], { backend: b });
  const x = d.tensor(qx0, [QD], { backend: b });
  const opt = createOptimizer(kind, x, options);
  const out = [dist(qx0, qc)];
  for (let s = 1; s <= steps; s++) {
    const g = d.tidy(() => d.mul(A, d.sub(x, C)));
    opt.step(g);
    g.dispose();
    if (s % Math.floor(steps / samples) === 0) out.push(dist(await x.data(), qc));
  }
  opt.dispose();
  d.dispose([A, C, x]);
  return out;
}

const LN = 256, LD = 8, MU = 0.01;
const lx = normal(11, LN * LD);
const teacher = normal(12, LD).map((v) => 1.5 * v);
const ly = (() => {
  const u = uniform(13, LN), y = new Float32Array(LN);
  for (let i = 0; i < LN; i++) {
    let z = 0;
    for (let j = 0; j < LD; j++) z += lx[i * LD + j]! * teacher[j]!;
    y[i] = u[i]! < 1 / (1 + Math.exp(-z)) ? 1 : 0;
  }
  return y;
})();

/** The regularised logistic loss of w, in float64. */
export function logisticLoss(w: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < LN; i++) {
    let z = 0;
    for (let j = 0; j < LD; j++) z += lx[i * LD + j]! * w[j]!;
    s += (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z))) - ly[i]! * z;
  }
  let r = 0;
  for (let j = 0; j < LD; j++) r += w[j]! ** 2;
  return s / LN + MU / 2 * r;
}

/** The minimum of the logistic loss by Newton's method in float64 (converges quadratically). */
export const logisticMin: number = (() => {
  const w = new Float64Array(LD);
  for (let it = 0; it < 50; it++) {
    const g = new Float64Array(LD), H = new Float64Array(LD * LD);
    for (let i = 0; i < LN; i++) {
      let z = 0;
      for (let j = 0; j < LD; j++) z += lx[i * LD + j]! * w[j]!;
      const p = 1 / (1 + Math.exp(-z));
      for (let j = 0; j < LD; j++) {
        g[j]! += (p - ly[i]!) * lx[i * LD + j]! / LN;
        for (let k = 0; k < LD; k++) H[j * LD + k]! += p * (1 - p) * lx[i * LD + j]! * lx[i * LD + k]! / LN;
      }
    }
    for (let j = 0; j < LD; j++) { g[j]! += MU * w[j]!; H[j * LD + j]! += MU; }
    // Solve H δ = g by Gaussian elimination (H is symmetric positive definite).
    const M = H.slice(), r = g.slice();
    for (let k = 0; k < LD; k++) {
      for (let i = k + 1; i < LD; i++) {
        const f = M[i * LD + k]! / M[k * LD + k]!;
        for (let j = k; j < LD; j++) M[i * LD + j]! -= f * M[k * LD + j]!;
        r[i]! -= f * r[k]!;
      }
    }
    for (let k = LD - 1; k >= 0; k--) {
      let s = r[k]!;
      for (let j = k + 1; j < LD; j++) s -= M[k * LD + j]! * r[j]!;
      r[k] = s / M[k * LD + k]!;
    }
    for (let j = 0; j < LD; j++) w[j]! -= r[j]!;
  }
  return logisticLoss(w);
})();

/** f(w_t) − f* at t = 0 and after each of `samples` stretches of `steps` steps, from w0 = 0.1·N(0, 1). */
export async function runLogistic(b: Backend, kind: string, options: Record<string, unknown>, steps: number, samples = 5): Promise<number[]> {
  const X = d.tensor(lx, [LN, LD], { backend: b }), Y = d.tensor(ly, [LN, 1], { backend: b });
  const w0 = normal(14, LD).map((v) => 0.1 * v);
  const w = d.tensor(w0, [LD], { backend: b });
  const opt = createOptimizer(kind, w, options);
  const out = [logisticLoss(w0) - logisticMin];
  for (let s = 1; s <= steps; s++) {
    const g: Tensor = d.tidy(() => {
      const r = d.sub(d.sigmoid(d.matmul(X, d.reshape(w, [LD, 1]))), Y);
      return d.reshape(d.add(d.mul(d.matmul(d.transpose(X), r), 1 / LN), d.mul(d.reshape(w, [LD, 1]), MU)), [LD]);
    });
    opt.step(d.contiguous(g));
    g.dispose();
    if (s % Math.floor(steps / samples) === 0) out.push(logisticLoss(await w.data()) - logisticMin);
  }
  opt.dispose();
  d.dispose([X, Y, w]);
  return out;
}

/**
 * simplex: f(x) = ½‖x − y‖² with y in the interior of the probability simplex (n = 20), from
 * the uniform point; the minimiser over the simplex (and over all x) is y. Returns ‖x_t − y‖
 * at t = 0 and after each of `samples` stretches, and the largest |Σx − 1| seen.
 */
export async function runSimplex(b: Backend, kind: string, options: Record<string, unknown>, steps: number, signed = false, samples = 5): Promise<{ dist: number[]; mass: number }> {
  const n = 20;
  const w = uniform(21, n).map((v) => 0.2 + v);
  const tot = w.reduce((a, v) => a + v, 0);
  const sign = signed ? normal(22, n).map((v) => (v < 0 ? -1 : 1)) : new Float32Array(n).fill(1);
  const y = w.map((v, i) => sign[i]! * v / tot);
  const Y = d.tensor(y, [n], { backend: b });
  const x = d.tensor(new Float32Array(n).fill(signed ? 0 : 1 / n), [n], { backend: b });
  const opt = createOptimizer(kind, x, options);
  const dist = [dist2(await x.data(), y)];
  let mass = 0;
  for (let s = 1; s <= steps; s++) {
    const g = d.tidy(() => d.sub(x, Y));
    opt.step(g);
    g.dispose();
    if (!signed) mass = Math.max(mass, Math.abs(Array.from(await x.data()).reduce((a, v) => a + v, 0) - 1));
    if (s % Math.floor(steps / samples) === 0) dist.push(dist2(await x.data(), y));
  }
  opt.dispose();
  d.dispose([Y, x]);
  return { dist, mass };
}

function dist2(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += (x[i]! - y[i]!) ** 2;
  return Math.sqrt(s);
}
