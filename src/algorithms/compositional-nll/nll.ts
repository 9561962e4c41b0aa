// Learning unnormalized models by stochastic compositional optimization of the NLL (Jiang, Qin,
// Wu, Chen, Yang, Zhang, ICML 2023, arXiv 2306.07485; PAPERS.md §12), and NCE with a learned
// offset as the baseline.
//
// Model p_θ(x) = exp(−E_θ(x))/Z(θ), noise density q. NLL(θ) = E_data[E_θ(x)] + log Z(θ) with
// Z(θ) = E_q[exp(−E_θ(x'))/q(x')], i.e. log Z = f(g(θ)) with f = log and g an expectation. Per
// step (PAPERS.md §12; the moving-average form is [recon]):
//
//     ĝ_t = Σ_k ν_k w(x'_k),   w(x') = exp(−E_θt(x'))/q(x')
//     u_t = (1 − γ) u_{t−1} + γ ĝ_t                     (kept as log u_t, log-sum-exp)
//     ∇̂_t = Σ_j β_j ∇E_θ(x_j) − (1/u_t) Σ_k ν_k w(x'_k) ∇E_θ(x'_k)
//
// where (x_j, β_j) are data points with weights summing to 1 (a batch: β = 1/|B|; the exact
// mode: a quadrature rule of the data distribution) and (x'_k, ν_k) noise points likewise
// (samples of q, or a quadrature rule of q). γ = 1 is the plain per-batch plug-in. The energy is
// any differentiable function of (θ, x) returning one energy per point.

import { add, keep, mul, neg, reshape, slice, softplus, sub, sum, tensor, tidy, valueAndGrad } from '../../engine.js';
import type { Tensor } from '../../engine.js';

/** An energy E_θ(x): parameters θ and points x [n, ...] → energies [n]. */
export type Energy = (theta: Tensor, x: Tensor) => Tensor;

/** Points with weights summing to 1 (a batch, or a quadrature rule of a distribution). */
export interface WeightedPoints {
  /** Points [n, ...] in the parameters' dtype. */
  x: Tensor;
  /** Weights [n] (default 1/n each). */
  weights?: Float64Array;
}

/** Noise points: weighted points of q and log q at each of them. */
export interface NoisePoints extends WeightedPoints {
  logq: Float64Array;
}

function weightsOf(fn: string, arg: string, p: WeightedPoints): Float64Array {
  const n = p.x.shape[0]!;
  if (p.weights === undefined) return new Float64Array(n).fill(1 / n);
  if (p.weights.length !== n) throw new RangeError(`${fn}: expected ${n} weights for '${arg}.weights' (one per point) but received ${p.weights.length}`);
  return p.weights;
}

function logSumExp(xs: ArrayLike<number>): number {
  let m = -Infinity;
  for (let i = 0; i < xs.length; i++) m = Math.max(m, xs[i]!);
  if (m === -Infinity) return m;
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += Math.exp(xs[i]! - m);
  return m + Math.log(s);
}

function energies(energy: Energy, theta: Tensor, x: Tensor): Float64Array {
  return tidy(() => Float64Array.from(energy(theta, x).dataSync()));
}

/** log ĝ = log Σ_k ν_k exp(−E_θ(x'_k) − log q(x'_k)) (the log partition-function estimate). */
export function logPartitionEstimate(energy: Energy, theta: Tensor, noise: NoisePoints): number {
  const nu = weightsOf('logPartitionEstimate', 'noise', noise);
  const e = energies(energy, theta, noise.x);
  return logSumExp(e.map((v, k) => Math.log(nu[k]!) - v - noise.logq[k]!));
}

export interface CompositionalOptions {
  energy: Energy;
  /** Moving-average weight γ ∈ (0, 1] of the inner estimate (1: plain plug-in). */
  gamma: number;
}

/**
 * The compositional NLL gradient estimator with the moving-average partition estimate u_t kept
 * in log space (PAPERS.md §12).
 * @example
 * const est = new CompositionalNLL({ energy: (th, x) => mul(square(sub(x, th)), 0.5), gamma: 0.1 });
 * const g = est.gradient(theta, { x: batch }, { x: noise, logq }); // ∇̂_t, updates log u
 */
export class CompositionalNLL {
  readonly energy: Energy;
  readonly gamma: number;
  /** log u_{t} after the last gradient (null before the first: u_1 = ĝ_1). */
  logU: number | null = null;

  constructor(opts: CompositionalOptions) {
    if (typeof opts?.energy !== 'function') throw new TypeError(`CompositionalNLL: expected a function (theta, x) → energies for 'opts.energy' but received ${typeof opts?.energy}`);
    if (!(opts.gamma > 0 && opts.gamma <= 1)) throw new RangeError(`CompositionalNLL: expected a number in (0, 1] for 'opts.gamma' but received ${String(opts.gamma)}`);
    this.energy = opts.energy;
    this.gamma = opts.gamma;
  }

  /** ∇̂_t at θ from data and noise points; advances log u. */
  gradient(theta: Tensor, data: WeightedPoints, noise: NoisePoints): { grad: Tensor; logU: number; logGhat: number } {
    const fn = 'CompositionalNLL.gradient';
    const beta = weightsOf(fn, 'data', data), nu = weightsOf(fn, 'noise', noise);
    if (noise.logq.length !== nu.length) throw new RangeError(`${fn}: expected ${nu.length} values for 'noise.logq' but received ${noise.logq.length}`);
    const e = energies(this.energy, theta, noise.x);
    const logw = e.map((v, k) => Math.log(nu[k]!) - v - noise.logq[k]!);
    const logGhat = logSumExp(logw);
    const logU = this.logU === null || this.gamma === 1
      ? logGhat
      : logSumExp([Math.log1p(-this.gamma) + this.logU, Math.log(this.gamma) + logGhat]);
    this.logU = logU;
    const coef = logw.map((v) => Math.exp(v - logU));
    const grad = tidy(() => {
      const dt = theta.dtype;
      const b = tensor(beta, [beta.length], { dtype: dt, backend: theta.backend });
      const c = tensor(coef, [coef.length], { dtype: dt, backend: theta.backend });
      // Σ β_j E_θ(x_j) − Σ c_k E_θ(x'_k), c held constant: its gradient is ∇̂_t.
      const surrogate = (th: Tensor) => sub(sum(mul(b, this.energy(th, data.x))), sum(mul(c, this.energy(th, noise.x))));
      return keep(valueAndGrad(surrogate)(theta).grad);
    });
    return { grad, logU, logGhat };
  }
}

/**
 * The NCE loss with a learned offset c (Gutmann & Hyvärinen 2010; the baseline of PAPERS.md
 * §12): logistic regression of data (label 1) against as many noise points (label 0) with
 * logit s(x) = −E_θ(x) − c − log q(x). `params` = [θ..., c] (c last).
 * Returns J = −Σ β_j log σ(s(x_j)) − Σ ν_k log(1 − σ(s(x'_k))) and its gradient in params.
 */
export function nceValueAndGrad(energy: Energy, params: Tensor, data: WeightedPoints & { logq: Float64Array }, noise: NoisePoints): { value: number; grad: Tensor } {
  const fn = 'nceValueAndGrad';
  if (params.rank !== 1 || params.size < 2) throw new RangeError(`${fn}: expected 'params' of shape [p + 1] (θ then c) but received [${params.shape.join(', ')}]`);
  const beta = weightsOf(fn, 'data', data), nu = weightsOf(fn, 'noise', noise);
  const p = params.size - 1;
  return tidy(() => {
    const dt = params.dtype, backend = params.backend;
    const b = tensor(beta, [beta.length], { dtype: dt, backend });
    const v = tensor(nu, [nu.length], { dtype: dt, backend });
    const lqd = tensor(data.logq, [data.logq.length], { dtype: dt, backend });
    const lqn = tensor(noise.logq, [noise.logq.length], { dtype: dt, backend });
    const loss = (pc: Tensor) => {
      const th = slice(pc, [0], [p]);
      const c = reshape(slice(pc, [p], [1]), [1]);
      const sd = sub(sub(neg(energy(th, data.x)), c), lqd); // s(x) on data
      const sn = sub(sub(neg(energy(th, noise.x)), c), lqn); // s(x') on noise
      // −log σ(s) = softplus(−s); −log(1 − σ(s)) = softplus(s)
      return add(sum(mul(b, softplus(neg(sd)))), sum(mul(v, softplus(sn))));
    };
    const { value, grad } = valueAndGrad(loss)(params);
    return { value: value.dataSync()[0]!, grad: keep(grad) };
  });
}
