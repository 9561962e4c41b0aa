// Learning from aggregate responses: bag-level, instance-level and interpolating estimators
// (Javanmard, Chen, Mirrokni, Badanidiyuru, Fu, ICLR 2024, arXiv 2401.11081; PAPERS.md §16).
//
// Data are split into m bags of k instances (n = mk); only the bag means ȳ_a are observed.
//   L_bag(θ)  = (1/m) Σ_a ℓ(ȳ_a, f̄_{θ,a})        f̄_{θ,a} = (1/k) Σ_{i∈a} f_θ(x_i)
//   L_inst(θ) = (1/n) Σ_a Σ_{i∈a} ℓ(ȳ_a, f_θ(x_i))
// For the squared loss L_inst = L_bag + R(θ), R = (1/n) ΣΣ (f_θ(x_i) − f̄_{θ,a})², and the
// interpolating estimator is θ̂_ρ = argmin L_bag + ρR = argmin (1 − ρ)L_bag + ρL_inst
// ([recon] ρ-form). The second form defines it for any loss; this module uses it for the
// logistic loss too (bag prediction: the mean of the instance probabilities).
//
// Layout: instances are stored in bag order (bag a = rows a·k … a·k + k − 1); `randomBags`
// draws the assignment and `bagOrder` gathers rows into it.

import { Rng, add, gather, lstsq, solve, log, mean, mul, reshape, sigmoid, square, sub, tensor } from '../../engine.js';
import type { Model, Tensor } from '../../engine.js';

function fail(fn: string, arg: string, expected: string, got: unknown): never {
  throw new RangeError(`${fn}: expected ${expected} for '${arg}' but received ${String(got)}`);
}

function checkBags(fn: string, n: number, k: number): number {
  if (!Number.isInteger(k) || k < 1) fail(fn, 'k', 'an integer bag size ≥ 1', k);
  if (n % k !== 0) fail(fn, 'k', `a divisor of the number of instances ${n}`, k);
  return n / k;
}

/** A uniformly random assignment of n instances to n/k bags: a permutation; bag a = perm[a·k … a·k + k − 1]. */
export function randomBags(n: number, k: number, seed: number, streamWord = 0): Int32Array {
  checkBags('randomBags', n, k);
  const rng = new Rng(seed, streamWord);
  const perm = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = perm[i]!;
    perm[i] = perm[j]!;
    perm[j] = t;
  }
  return perm;
}

/** Rows of x in bag order (gather by the permutation). */
export function bagOrder(x: Tensor, perm: Int32Array): Tensor {
  return gather(x, tensor(perm, [perm.length]));
}

/** Segment means: values [n, ...] in bag order → [n/k, ...] (the mean over each bag). */
export function bagMeans(values: Tensor, k: number): Tensor {
  const n = values.shape[0]!;
  const m = checkBags('bagMeans', n, k);
  return mean(reshape(values, [m, k, ...values.shape.slice(1)]), 1);
}

export type AggregateLossKind = 'squared' | 'logistic';

/**
 * The interpolating aggregate loss (1 − ρ)L_bag + ρL_inst of a model on instances x [n, ...]
 * in bag order with bag means ȳ [n/k] (ρ = 0: bag level; ρ = 1: instance level). For the
 * squared loss it equals L_bag + ρR (PAPERS.md §16). The model must output one value per
 * instance ([n] or [n, 1]): a prediction (squared) or a logit (logistic, ȳ ∈ [0, 1]).
 */
export function aggregateLoss(model: Model, params: Tensor, x: Tensor, ybar: Tensor, k: number, opts: { rho: number; loss?: AggregateLossKind }): Tensor {
  const fn = 'aggregateLoss';
  const n = x.shape[0]!;
  const m = checkBags(fn, n, k);
  if (!(opts.rho >= 0 && opts.rho <= 1)) fail(fn, 'opts.rho', 'a number in [0, 1]', opts.rho);
  if (ybar.size !== m) fail(fn, 'ybar', `${m} bag means`, `${ybar.size} values`);
  const kind = opts.loss ?? 'squared';
  const out = model.apply(params, x);
  if (out.size !== n) fail(fn, 'model', 'one output per instance', `outputs of shape [${out.shape.join(', ')}]`);
  const f = reshape(out, [m, k]);
  const yb = reshape(ybar, [m, 1]);
  if (kind === 'squared') {
    const bag = mean(square(sub(mean(f, 1, true), yb)));
    const inst = mean(square(sub(f, yb)));
    return add(mul(bag, 1 - opts.rho), mul(inst, opts.rho));
  }
  if (kind !== 'logistic') fail(fn, 'opts.loss', "'squared' or 'logistic'", kind);
  const xent = (p: Tensor, y: Tensor) => mean(mul(-1, add(mul(y, log(p)), mul(sub(1, y), log(sub(1, p))))));
  const p = sigmoid(f);
  const bag = xent(mean(p, 1, true), yb);
  const inst = xent(p, yb);
  return add(mul(bag, 1 - opts.rho), mul(inst, opts.rho));
}

/** The moments of the linear interpolating estimator: A_bag = X̄ᵀX̄/m, A_within = X̃ᵀX̃/n, b = X̄ᵀȳ/m. */
export interface AggregateMoments {
  d: number;
  aBag: Float64Array;
  aWithin: Float64Array;
  b: Float64Array;
}

/** The moments of rows X [n×d] (bag order, row-major, float64) with bag means ȳ [n/k]. */
export function aggregateMoments(xs: ArrayLike<number>, ybar: ArrayLike<number>, n: number, d: number, k: number): AggregateMoments {
  const m = checkBags('aggregateMoments', n, k);
  if (xs.length !== n * d) fail('aggregateMoments', 'xs', `${n * d} numbers (n × d)`, xs.length);
  if (ybar.length !== m) fail('aggregateMoments', 'ybar', `${m} bag means`, ybar.length);
  const aBag = new Float64Array(d * d), aWithin = new Float64Array(d * d), b = new Float64Array(d);
  const xbar = new Float64Array(d), dev = new Float64Array(d);
  for (let a = 0; a < m; a++) {
    xbar.fill(0);
    for (let i = a * k; i < a * k + k; i++) for (let j = 0; j < d; j++) xbar[j] += xs[i * d + j]! / k;
    for (let p = 0; p < d; p++) {
      b[p] += (xbar[p]! * ybar[a]!) / m;
      for (let q = 0; q <= p; q++) aBag[p * d + q] += (xbar[p]! * xbar[q]!) / m;
    }
    for (let i = a * k; i < a * k + k; i++) {
      for (let j = 0; j < d; j++) dev[j] = xs[i * d + j]! - xbar[j]!;
      for (let p = 0; p < d; p++) for (let q = 0; q <= p; q++) aWithin[p * d + q] += (dev[p]! * dev[q]!) / n;
    }
  }
  for (let p = 0; p < d; p++) for (let q = 0; q < p; q++) { aBag[q * d + p] = aBag[p * d + q]!; aWithin[q * d + p] = aWithin[p * d + q]!; }
  return { d, aBag, aWithin, b };
}

/**
 * The closed-form interpolating least-squares estimator (linear model, no intercept):
 * θ̂_ρ = argmin (1/m)‖X̄θ − ȳ‖² + ρ(1/n)‖X̃θ‖², i.e. (A_bag + ρA_within)θ = b, solved in f64
 * by LU (`solve`), or by minimum-norm least squares (`lstsq`) when the matrix is singular (an
 * underdetermined bag-level problem, m < d, then gives the minimum-norm solution).
 */
export function interpolatingLeastSquares(mo: AggregateMoments, rho: number): Float64Array {
  if (!(rho >= 0)) fail('interpolatingLeastSquares', 'rho', 'a number ≥ 0', rho);
  const d = mo.d;
  const a = mo.aBag.map((v, i) => v + rho * mo.aWithin[i]!);
  try {
    return solve(a, mo.b, d);
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    return lstsq(a, mo.b, d, d).x;
  }
}

/** The population limit of θ̂_ρ's projection ratio θ̂ᵀθ* / ‖θ*‖² for x ~ N(0, I) and random bags: 1/(1 + ρ(k − 1)) [derived]. */
export function populationShrinkage(k: number, rho: number): number {
  return 1 / (1 + rho * (k - 1));
}

/**
 * The Laplace label-DP mechanism on bag means: ȳ_a + Laplace(0, Δ/ε), Δ = (hi − lo)/k the
 * sensitivity of a bag mean to one label in [lo, hi]. ε-label-DP per bag.
 */
export function laplaceBagMeans(ybar: ArrayLike<number>, k: number, opts: { epsilon: number; lo: number; hi: number; seed: number; stream?: number }): Float64Array {
  if (!(opts.epsilon > 0)) fail('laplaceBagMeans', 'opts.epsilon', 'a number > 0', opts.epsilon);
  if (!(opts.hi > opts.lo)) fail('laplaceBagMeans', 'opts.hi', `a number > opts.lo (${opts.lo})`, opts.hi);
  const scale = (opts.hi - opts.lo) / k / opts.epsilon;
  const u = new Rng(opts.seed, opts.stream ?? 0).uniform(ybar.length);
  return Float64Array.from(ybar, (y, i) => {
    const v = u[i]! - 0.5;
    return y - scale * Math.sign(v) * Math.log(1 - 2 * Math.abs(v));
  });
}
