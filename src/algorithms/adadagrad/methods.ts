// §13 Lau, Liu & Kolar (2402.11215): adaptive batch sizes for AdaGrad and AdaGradNorm.
//
// Streamed per-example statistics. For a batch of b examples with per-example gradients g_i
// and their mean ḡ, the tests need ‖g_i‖², ⟨g_i, ḡ⟩ and Σ_i g_ij² per coordinate j. They are
// computed chunk by chunk: a chunk of c examples gives its [c, P] per-example gradients
// (perExampleGradients), which are reduced on the device to [c], [c] and [P] and freed; [b, P]
// never exists. ḡ comes first from one ordinary gradient of the batch's mean loss.
//
// Tests [code: timlautk/AdAdaGrad tests.py, read not copied], each returning the batch size it
// asks for, T, and b_{k+1} = min(bMax, max(b_k, ⌈T⌉)):
//   norm:          T = ‖Var_i g_i‖₁ / (η²‖ḡ‖²),   ‖Var‖₁ = (Σ‖g_i‖² − b‖ḡ‖²)/(b − 1)
//   inner product: T = Var_i⟨g_i, ḡ⟩ / (θ²‖ḡ‖⁴)
//   orthogonality: T = Σ_j Var_i(g_i − (⟨g_i,ḡ⟩/‖ḡ‖²)ḡ)_j / (ν²‖ḡ‖²) = Σ_i(‖g_i‖² − ⟨g_i,ḡ⟩²/‖ḡ‖²)/((b − 1)ν²‖ḡ‖²)
//   augmented inner product: the larger of the last two;
//   coordinate-wise [recon]: the median over coordinates with ḡ_j ≠ 0 of Var_i(g_ij)/(η² ḡ_j²).
// (The authors' code sums the inner-product variances per parameter tensor; here the inner
// product is over the whole flat arena, the paper's definition.)

import {
  add, cast, concat, grad, matmul, mul, oneHot, perExampleGradients, permutation, reshape, slice, softmax, square, sub, sum, sumSquares, tidy, transpose,
} from '../../engine.js';
import type { Loss, Model, Tensor } from '../../engine.js';

export interface GradientStats {
  /** Examples b. */
  n: number;
  /** ḡ (P numbers). */
  mean: Float64Array;
  /** ‖g_i‖² per example. */
  sqNorms: Float64Array;
  /** ⟨g_i, ḡ⟩ per example. */
  inner: Float64Array;
  /** Σ_i g_ij² per coordinate. */
  coordSumSq: Float64Array;
}

/**
 * Per-example gradient statistics of the mean loss on (x, targets), streamed in chunks of
 * `chunk` examples (default 256) so that at most [chunk, P] per-example gradients exist at once.
 * @example
 * const s = await streamedGradientStats(net, softmaxCrossEntropy, params, x, y, { chunk: 128 });
 */
export async function streamedGradientStats(model: Model, loss: Loss, params: Tensor, x: Tensor, targets: Tensor, opts: { chunk?: number } = {}): Promise<GradientStats> {
  const n = x.shape[0]!, P = params.shape[0]!;
  const chunk = opts.chunk ?? 256;
  if (!Number.isInteger(chunk) || chunk < 1) throw new RangeError(`streamedGradientStats: expected a positive integer for 'opts.chunk' but received ${chunk}`);
  if (targets.shape[0] !== n || n < 1) throw new RangeError(`streamedGradientStats: expected x and targets with one non-zero leading length but received ${n} and ${targets.shape[0]}`);
  const gbar = grad((p: Tensor) => loss(model.apply(p, x), targets))(params);
  const sqNorms = new Float64Array(n), inner = new Float64Array(n), coordSumSq = new Float64Array(P);
  try {
    for (let i = 0; i < n; i += chunk) {
      const c = Math.min(chunk, n - i);
      const out = tidy(() => {
        const xs = slice(x, [i], [c]);
        const ts = slice(targets, [i], [c]);
        const G = perExampleGradients(model, loss, params, xs, ts); // [c, P]
        return { sq: sumSquares(G, 1), ip: reshape(matmul(G, reshape(gbar, [P, 1])), [c]), cs: sum(square(G), 0) };
      });
      const [sq, ip, cs] = await Promise.all([out.sq.data(), out.ip.data(), out.cs.data()]);
      out.sq.dispose(); out.ip.dispose(); out.cs.dispose();
      sqNorms.set(sq, i);
      inner.set(ip, i);
      for (let j = 0; j < P; j++) coordSumSq[j]! += cs[j]!;
    }
    return { n, mean: Float64Array.from(await gbar.data()), sqNorms, inner, coordSumSq };
  } finally {
    gbar.dispose();
  }
}

/** The statistics from a materialised [b, P] matrix of per-example gradients (row-major): the oracle. */
export function gradientStatsFromMatrix(g: ArrayLike<number>, n: number, P: number): GradientStats {
  const mean = new Float64Array(P), sqNorms = new Float64Array(n), inner = new Float64Array(n), coordSumSq = new Float64Array(P);
  for (let i = 0; i < n; i++) for (let j = 0; j < P; j++) { const v = g[i * P + j]!; mean[j]! += v / n; sqNorms[i]! += v * v; coordSumSq[j]! += v * v; }
  for (let i = 0; i < n; i++) for (let j = 0; j < P; j++) inner[i]! += g[i * P + j]! * mean[j]!;
  return { n, mean, sqNorms, inner, coordSumSq };
}

export type BatchTest = 'norm' | 'innerProduct' | 'orthogonality' | 'augmentedInnerProduct' | 'coordinate';

export interface TestConstants {
  /** η of the norm and coordinate-wise tests (default 0.1). */
  eta?: number;
  /** θ of the inner-product test (default 0.1). */
  theta?: number;
  /** ν of the orthogonality test (default 0.1). */
  nu?: number;
}

/** The batch size T a test asks for (see the file header); b = stats.n ≥ 2. */
export function batchTestStatistic(test: BatchTest, s: GradientStats, c: TestConstants = {}): number {
  const b = s.n, eta = c.eta ?? 0.1, theta = c.theta ?? 0.1, nu = c.nu ?? 0.1;
  if (b < 2) throw new RangeError(`batchTestStatistic: expected statistics of at least 2 examples but received ${b}`);
  let g2 = 0;
  for (const v of s.mean) g2 += v * v;
  if (!(g2 > 0)) return b;
  let sumSq = 0, sumIp = 0, sumIp2 = 0;
  for (let i = 0; i < b; i++) { sumSq += s.sqNorms[i]!; sumIp += s.inner[i]!; sumIp2 += s.inner[i]! ** 2; }
  const varIp = (sumIp2 - (sumIp * sumIp) / b) / (b - 1);
  const normT = (sumSq - b * g2) / (b - 1) / (eta * eta * g2);
  const ipT = varIp / (theta * theta * g2 * g2);
  const orthT = (sumSq - sumIp2 / g2) / (b - 1) / (nu * nu * g2);
  switch (test) {
    case 'norm': return normT;
    case 'innerProduct': return ipT;
    case 'orthogonality': return orthT;
    case 'augmentedInnerProduct': return Math.max(ipT, orthT);
    case 'coordinate': {
      const r: number[] = [];
      for (let j = 0; j < s.mean.length; j++) {
        const m = s.mean[j]!;
        if (m === 0) continue;
        r.push((s.coordSumSq[j]! - b * m * m) / (b - 1) / (eta * eta * m * m));
      }
      if (r.length === 0) return b;
      r.sort((p, q) => p - q);
      const h = r.length >> 1;
      return r.length % 2 ? r[h]! : 0.5 * (r[h - 1]! + r[h]!);
    }
    default: throw new RangeError(`batchTestStatistic: expected 'norm', 'innerProduct', 'orthogonality', 'augmentedInnerProduct' or 'coordinate' for 'test' but received ${String(test)}`);
  }
}

/** b_{k+1} = min(bMax, max(b_k, ⌈T⌉)): the batch size never decreases. */
export function nextBatchSize(current: number, statistic: number, bMax: number): number {
  return Math.min(bMax, Math.max(current, Number.isFinite(statistic) ? Math.ceil(statistic) : bMax));
}

/**
 * A growing-batch sampler: consecutive draws of any size read one seeded stream of epochs
 * (epoch e is permutation(n, seed, e)), so every row is used once per epoch whatever the
 * batch sizes; a batch larger than what is left of an epoch continues into the next.
 */
export class GrowingBatchSampler {
  private epoch = 0;
  private at = 0;
  private order: Int32Array;
  /** Rows drawn so far. */
  examples = 0;

  constructor(readonly n: number, readonly seed: number) {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`GrowingBatchSampler: expected a positive integer for 'n' but received ${n}`);
    this.order = permutation(n, seed, 0);
  }

  /** The next `size` row indices. */
  next(size: number): Int32Array {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`GrowingBatchSampler.next: expected a positive integer for 'size' but received ${size}`);
    const out = new Int32Array(size);
    for (let k = 0; k < size; k++) {
      if (this.at === this.n) { this.epoch++; this.order = permutation(this.n, this.seed, this.epoch); this.at = 0; }
      out[k] = this.order[this.at++]!;
    }
    this.examples += size;
    return out;
  }
}

/**
 * The same statistics in closed form for softmax regression (an MLP [d, k] with identity
 * activation, arena [W (d×k, x·W), b (k)], mean cross-entropy): with D = softmax(xW + b) − onehot(y),
 * g_i = (x̃_i ⊗ D_i) for x̃_i = (x_i, 1), so ‖g_i‖² = ‖D_i‖²(‖x_i‖² + 1), ⟨g_i, ḡ⟩ = Σ_c D_ic (x_i·Ḡ_W + ḡ_b)_c
 * and Σ_i g_i² = [(x²)ᵀ(D²); Σ_i D_i²] (PAPERS.md §13). No per-example gradients at all.
 */
export async function softmaxRegressionGradientStats(params: Tensor, x: Tensor, labels: Tensor, classes: number): Promise<GradientStats> {
  const n = x.shape[0]!, d = x.shape[1]!, P = params.shape[0]!;
  if (P !== d * classes + classes) throw new RangeError(`softmaxRegressionGradientStats: expected an arena of ${d}·${classes} + ${classes} = ${d * classes + classes} parameters but received ${P}`);
  const out = tidy(() => {
    const W = reshape(slice(params, [0], [d * classes]), [d, classes]);
    const bias = reshape(slice(params, [d * classes], [classes]), [1, classes]);
    const D = sub(softmax(add(matmul(x, W), bias)), cast(oneHot(labels, classes), params.dtype));
    const gW = mul(matmul(transpose(x), D), 1 / n), gb = mul(sum(D, 0), 1 / n);
    const D2 = square(D);
    const sq = mul(sum(D2, 1), add(sumSquares(x, 1), 1));
    const ip = sum(mul(D, add(matmul(x, gW), reshape(gb, [1, classes]))), 1);
    const cs = concat([reshape(matmul(transpose(square(x)), D2), [d * classes]), sum(D2, 0)], 0);
    return { mean: concat([reshape(gW, [d * classes]), gb], 0), sq, ip, cs };
  });
  const [mean, sq, ip, cs] = await Promise.all([out.mean.data(), out.sq.data(), out.ip.data(), out.cs.data()]);
  out.mean.dispose(); out.sq.dispose(); out.ip.dispose(); out.cs.dispose();
  return { n, mean: Float64Array.from(mean), sqNorms: Float64Array.from(sq), inner: Float64Array.from(ip), coordSumSq: Float64Array.from(cs) };
}
