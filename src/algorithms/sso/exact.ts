// The exact statements of PAPERS.md §4 (a)–(c) for SSO, as functions the unit tests and the
// `sso` experiment share. All run in float64 on a linear model f_θ(x) = xW + b.

import {
  Rng, add, keep, linearRegression, logisticLoss, logisticRegression, matmul, mse, mul, sub, sumSquares, tensor, tidy,
  valueAndGrad, max, abs, reshape, transpose, symEig, stream,
} from '../../engine.js';
import type { Tensor } from '../../engine.js';
import { SSO, targetStep } from './sso.js';

/** A float64 synthetic regression or classification problem (x ~ N(0, I), targets from a random w*). */
export function ssoSyntheticProblem(kind: 'regression' | 'logistic', n: number, d: number, seed: number, streamWord = stream('paper4', 0)): { x: Tensor; y: Tensor; wStar: Float64Array } {
  const rng = new Rng(seed, streamWord);
  const xs = Float64Array.from(rng.normal(n * d));
  const w = Float64Array.from(rng.normal(d), (v) => (3 * v) / Math.sqrt(d));
  const u = rng.uniform(n), e = rng.normal(n);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += xs[i * d + j]! * w[j]!;
    y[i] = kind === 'regression' ? s + 0.5 * e[i]! : (u[i]! < 1 / (1 + Math.exp(-s)) ? 1 : 0);
  }
  const x = tensor(xs, [n, d], { dtype: 'float64' });
  const yy = kind === 'regression' ? tensor(y, [n, 1], { dtype: 'float64' }) : tensor(y, [n], { dtype: 'float64' });
  return { x, y: yy, wStar: w };
}

const maxAbs = (a: Tensor, b: Tensor): number => tidy(() => max(abs(sub(a, b))).dataSync()[0]!);

/**
 * (a) m = 1 with one plain GD inner step of size α equals the SGD step θ − α∇L(θ) (the
 * surrogate's gradient at θ_t is the loss gradient). Returns the max |difference|.
 */
export function checkSgdEquivalence(seed: number, alpha = 0.3): { maxError: number; scale: number } {
  return tidy(() => {
    const { x, y } = ssoSyntheticProblem('logistic', 40, 6, seed);
    const net = logisticRegression(6);
    const p0 = mul(net.init({ seed, dtype: 'float64' }), 1);
    const loss = (z: Tensor, t: Tensor) => logisticLoss(z, t);
    const sso = new SSO({ model: net, loss, eta: 0.7, innerSteps: 1, inner: 'gd', innerLr: alpha });
    const { params: p1 } = sso.step(p0, x, y);
    const g = valueAndGrad((p: Tensor) => loss(net.apply(p, x), y))(p0).grad;
    const sgd = sub(p0, mul(g, alpha));
    return { maxError: maxAbs(p1, sgd), scale: tidy(() => max(abs(sgd)).dataSync()[0]!) };
  });
}

/**
 * (b) full batch, squared loss, inner problem solved exactly: the SSO step equals projected GD
 * in target space, θ⁺ = argmin_θ ‖[X 1]θ − (z_t − η∇ℓ(z_t))‖². The inner solve is plain GD with
 * step 1/L_s (L_s = λ_max(AᵀA)/(η n), the surrogate's exact curvature) run to convergence;
 * the least-squares solution is pinned by its normal equations: returns the relative residual
 * ‖Aᵀ(Aθ⁺ − b)‖∞/‖Aᵀb‖∞ and the bound ‖θ⁺ − θ_ls‖₂ ≤ ‖Aᵀ(Aθ⁺ − b)‖₂/λ_min(AᵀA).
 */
export function checkTargetProjection(seed: number, eta = 0.2, innerSteps = 300): { residual: number; distanceBound: number; condition: number } {
  return tidy(() => {
    const n = 60, d = 5;
    const { x, y } = ssoSyntheticProblem('regression', n, d, seed);
    const net = linearRegression(d);
    const p0 = mul(net.init({ seed, dtype: 'float64' }), 1);
    const ones = tensor(new Float64Array(n).fill(1), [n, 1], { dtype: 'float64' });
    const A = tensorConcatCols(x, ones);
    const At = transpose(A);
    const eig = Array.from(symEig(Float64Array.from(matmul(At, A).dataSync()), d + 1).values);
    const lmin = Math.min(...eig), lmax = Math.max(...eig);
    const loss = (z: Tensor, t: Tensor) => mse(z, t);
    const sso = new SSO({ model: net, loss, eta, innerSteps, inner: 'gd', innerLr: (eta * n) / lmax });
    const tg = sso.targetGradient(p0, x, y);
    const target = targetStep(tg, eta);
    const { params: p1 } = sso.step(p0, x, y);
    const normal = matmul(At, sub(matmul(A, reshape(p1, [d + 1, 1])), target));
    const residual = max(abs(normal)).dataSync()[0]! / max(abs(matmul(At, target))).dataSync()[0]!;
    const distanceBound = Math.sqrt(sumSquares(normal).dataSync()[0]!) / lmin;
    return { residual, distanceBound, condition: lmax / lmin };
  });
}

function tensorConcatCols(a: Tensor, b: Tensor): Tensor {
  const [n, d] = a.shape as [number, number];
  const av = a.dataSync(), bv = b.dataSync();
  const out = new Float64Array(n * (d + 1));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) out[i * (d + 1) + j] = av[i * d + j]!;
    out[i * (d + 1) + d] = bv[i]!;
  }
  return tensor(out, [n, d + 1], { dtype: 'float64' });
}

/**
 * (c) full batch, logistic loss (per-example smoothness L = 1/4), 1/η ≥ L: the surrogate plus
 * the constant L(z_t) − ⟨G, z_t⟩ upper-bounds the loss at random θ (returns the largest
 * violation L(f_θ(X)) − bound, ≤ 0 up to rounding), and the full loss never increases over
 * `steps` outer steps (returns the largest increase).
 */
export function checkMajorization(seed: number, eta = 1, steps = 15, probes = 25): { maxViolation: number; maxIncrease: number; losses: number[] } {
  const { x, y } = ssoSyntheticProblem('logistic', 80, 6, seed);
  const net = logisticRegression(6);
  const loss = (z: Tensor, t: Tensor) => logisticLoss(z, t);
  const sso = new SSO({ model: net, loss, eta, innerSteps: 5 });
  let p = keep(mul(net.init({ seed, dtype: 'float64' }), 1));
  let maxViolation = -Infinity;
  tidy(() => {
    const tg = sso.targetGradient(p, x, y);
    const rng = new Rng(seed, stream('paper4', 2));
    for (let k = 0; k < probes; k++) {
      tidy(() => {
        const q = add(p, tensor(Float64Array.from(rng.normal(p.size), (v) => v * (k + 1) * 0.5), [p.size], { dtype: 'float64' }));
        const f = net.apply(q, x);
        const lq = loss(f, y).dataSync()[0]!;
        const bound = tg.loss
          + hostDot(tg.g, sub(f, tg.z))
          + sumSquares(sub(f, tg.z)).dataSync()[0]! / (2 * eta * 80);
        maxViolation = Math.max(maxViolation, lq - bound);
      });
    }
  });
  const losses: number[] = [];
  for (let s = 0; s < steps; s++) {
    const { params, info } = sso.step(p, x, y);
    losses.push(info.loss);
    p.dispose();
    p = keep(params);
  }
  losses.push(tidy(() => loss(net.apply(p, x), y).dataSync()[0]!));
  p.dispose();
  let maxIncrease = -Infinity;
  for (let i = 1; i < losses.length; i++) maxIncrease = Math.max(maxIncrease, losses[i]! - losses[i - 1]!);
  return { maxViolation, maxIncrease, losses };
}

function hostDot(a: Tensor, b: Tensor): number {
  const av = a.dataSync(), bv = b.dataSync();
  let s = 0;
  for (let i = 0; i < av.length; i++) s += av[i]! * bv[i]!;
  return s;
}
