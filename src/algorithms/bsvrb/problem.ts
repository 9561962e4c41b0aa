// The data-reweighting hyperparameter-optimisation problem of PAPERS.md §9 (synthetic):
// upper variable p ∈ Rⁿ (per-training-sample weights sigm(p_j)); lower problem i (one of m
// blocks) is weighted, L2-regularised logistic regression with temperature σ_i,
//   g_i(p, y_i) = (1/|S|)Σ_{j∈S} sigm(p_j)·log(1 + exp(−b_j a_jᵀy_i/σ_i)) + (λ/2)‖y_i‖²,
// and the upper loss is the validation logistic loss f_i(y_i) = mean_v log(1 + exp(−b_v a_vᵀy_i/σ_i)).
// The blocks are a population: Y [m, d] holds every y_i, g = Σ_i g_i and f = Σ_i f_i, so one
// gradient, HVP or mixed product covers every block at once (the Hessian in Y is block diagonal).

import { add, gather, mul, randomNormal, randomUniform, reshape, sigmoid, softplus, square, stream, sum, tensor, tidy, mean, div, neg } from '../../engine.js';
import type { Tensor } from '../../engine.js';

export interface HOProblem {
  n: number;
  nVal: number;
  d: number;
  m: number;
  /** Training rows [n, d], labels ±1 [n] (with flipped labels), which rows were flipped. */
  Xtr: Tensor;
  ytr: Tensor;
  noisy: Uint8Array;
  Xval: Tensor;
  yval: Tensor;
  /** Temperatures σ_i [m]. */
  sigma: Tensor;
  lambda: number;
}

export interface HOOptions {
  n: number;
  nVal: number;
  d: number;
  m: number;
  noise: number;
  lambda: number;
  seed: number;
  dtype?: 'float32' | 'float64';
}

/** Synthetic HO data: a uniform on the unit sphere, b = sign(aᵀw*), a fraction `noise` of training labels flipped; σ_i evenly on [0.5, 2]. */
export function hoProblem(o: HOOptions): HOProblem {
  const dtype = o.dtype ?? 'float32', opt = { dtype } as const;
  const w = randomNormal([o.d], { seed: o.seed, stream: stream('paper9', 0), dtype: 'float64' }).dataSync();
  const X = randomNormal([o.n + o.nVal, o.d], { seed: o.seed, stream: stream('paper9', 1), dtype: 'float64' }).dataSync();
  const flip = randomUniform([o.n], { seed: o.seed, stream: stream('paper9', 2), dtype: 'float64' }).dataSync();
  const labels = new Float64Array(o.n + o.nVal), noisy = new Uint8Array(o.n);
  for (let r = 0; r < o.n + o.nVal; r++) {
    // Rows scaled to unit norm (like the binary features of a8a), so the lower Hessians' norms are ≤ 1/(4σ²) + λ.
    let nrm = 0;
    for (let k = 0; k < o.d; k++) nrm += X[r * o.d + k]! ** 2;
    for (let k = 0; k < o.d; k++) X[r * o.d + k] = X[r * o.d + k]! / Math.sqrt(nrm);
    let z = 0;
    for (let k = 0; k < o.d; k++) z += X[r * o.d + k]! * w[k]!;
    labels[r] = z >= 0 ? 1 : -1;
    if (r < o.n && flip[r]! < o.noise) { labels[r] = -labels[r]!; noisy[r] = 1; }
  }
  return {
    n: o.n, nVal: o.nVal, d: o.d, m: o.m, noisy, lambda: o.lambda,
    Xtr: tensor(X.subarray(0, o.n * o.d), [o.n, o.d], opt),
    ytr: tensor(labels.subarray(0, o.n), [o.n], opt),
    Xval: tensor(X.subarray(o.n * o.d), [o.nVal, o.d], opt),
    yval: tensor(labels.subarray(o.n), [o.nVal], opt),
    sigma: tensor(Float64Array.from({ length: o.m }, (_, i) => (o.m === 1 ? 1 : 0.5 + 1.5 * i / (o.m - 1))), [o.m], opt),
  };
}

/** Row indices per block [m, B] (int32), or null for the full set in every block. */
export type BlockBatch = Tensor | null;

function rows(X: Tensor, y: Tensor, idx: BlockBatch, m: number): { A: Tensor; b: Tensor } {
  if (!idx) return { A: reshape(X, [1, X.shape[0]!, X.shape[1]!]), b: reshape(y, [1, y.shape[0]!]) };
  const B = idx.shape[1]!, flat = reshape(idx, [m * B]);
  return { A: reshape(gather(X, flat, 0), [m, B, X.shape[1]!]), b: reshape(gather(y, flat, 0), [m, B]) };
}

/** Per-block margins b·aᵀy_i/σ_i: [m, B]. */
function margins(A: Tensor, b: Tensor, Y: Tensor, sigma: Tensor): Tensor {
  const m = Y.shape[0]!;
  const z = sum(mul(A, reshape(Y, [m, 1, Y.shape[1]!])), -1);
  return div(mul(z, b), reshape(sigma, [m, 1]));
}

/** g(p, Y) = Σ_i g_i(p, y_i) on the blocks' batches (idx [m, B] or null = all rows). */
export function lowerLoss(pr: HOProblem, p: Tensor, Y: Tensor, idx: BlockBatch): Tensor {
  const { A, b } = rows(pr.Xtr, pr.ytr, idx, pr.m);
  const w = sigmoid(idx ? reshape(gather(p, reshape(idx, [-1]), 0), idx.shape) : reshape(p, [1, pr.n]));
  const data = sum(mean(mul(w, softplus(neg(margins(A, b, Y, pr.sigma)))), -1));
  return add(data, mul(sum(square(Y)), pr.lambda / 2));
}

/** f(Y) = Σ_i f_i(y_i): validation logistic loss per block, summed (idx [m, B] or null). */
export function upperLoss(pr: HOProblem, Y: Tensor, idx: BlockBatch): Tensor {
  const { A, b } = rows(pr.Xval, pr.yval, idx, pr.m);
  return sum(mean(softplus(neg(margins(A, b, Y, pr.sigma))), -1));
}

/** Uniform row indices [m, B] for each block (with replacement) from a Philox stream. */
export function blockBatch(m: number, B: number, n: number, seed: number, streamIndex: number, offset: number): Tensor {
  return tidy(() => {
    const u = randomUniform([m * B], { seed, stream: stream('paper9', streamIndex), offset, dtype: 'float64' }).dataSync();
    return tensor(Int32Array.from(u, (v) => Math.min(n - 1, Math.floor(v * n))), [m, B], { dtype: 'int32' });
  });
}
