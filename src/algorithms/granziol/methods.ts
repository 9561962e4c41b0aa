// §6 Granziol, Zohren & Roberts (2006.09092, JMLR 2022): learning rates as a function of
// batch size from the minibatch Hessian H_B = H_emp + ε(B), Var ε ∝ 1/B.
//
// - fitBatchScaling: λ_max(H_B) ≈ a + c·(1/B − 1/N) for B-subsets of N rows (the 1/N term
//   makes B = N give exactly a; the spiked-RMT shift is ∝ 1/B for an outlier above the noise
//   edge, Granziol et al. §4).
// - stableLearningRates: the largest non-diverging learning rate of SGD or Adam at batch
//   size B, from one population whose replicas share the init and the minibatches and differ
//   only in their learning rate (a per-replica hyperparameter): one launch per step.
// - slqLearner [recon]: learning rate and momentum from the extreme Ritz values of a few
//   Lanczos steps (Polyak's heavy-ball optimum for a quadratic); PAPERS.md §6 marks the rule as
//   a reconstruction, so it is pluggable.

import {
  Adam, broadcastTo, fitLinear, gatherRows, mean, permutation, reshape, SGD, slq, subsetIndices, sum, tensor, valueAndGrad,
} from '../../engine.js';
import type { LinearFit, Loss, Model, Operator, Tensor } from '../../engine.js';
import type { HostData } from '../curvature/index.js';

export interface BatchScalingFit {
  /** λ_max of the full-data Hessian (the intercept). */
  a: number;
  /** The 1/B coefficient. */
  c: number;
  se_a: number;
  se_c: number;
  r2: number;
}

/**
 * Least-squares fit of λ(B) = a + c·(1/B − 1/N) (Granziol et al. §4: the minibatch
 * Hessian's outliers exceed the full one's by a term ∝ 1/B), with standard errors.
 * @example
 * const { a, c, se_c } = fitBatchScaling([64, 128, 256], [5.1, 3.9, 3.3], 2048);
 */
export function fitBatchScaling(batchSizes: ArrayLike<number>, lambdas: ArrayLike<number>, n: number): BatchScalingFit {
  if (batchSizes.length !== lambdas.length || batchSizes.length < 3) {
    throw new RangeError(`fitBatchScaling: expected as many λ values as batch sizes (at least 3) but received ${lambdas.length} and ${batchSizes.length}`);
  }
  const x = Float64Array.from(batchSizes as ArrayLike<number>, (b) => {
    if (!(b > 0 && b <= n)) throw new RangeError(`fitBatchScaling: expected batch sizes in (0, ${n}] but received ${b}`);
    return 1 / b - 1 / n;
  });
  const f: LinearFit = fitLinear(x, lambdas);
  return { a: f.intercept, c: f.slope, se_a: f.seIntercept, se_c: f.seSlope, r2: f.r2 };
}

export interface StableLrOptions {
  optimizer: 'sgd' | 'adam';
  /** Learning rates, one replica each. */
  lrs: readonly number[];
  batchSize: number;
  /** Steps (default 200). */
  steps?: number;
  /** Divergence: a replica's loss on the evaluation rows exceeds `factor` × the initial one, or is not finite (default 2). */
  factor?: number;
  /** Evaluation rows (default 512; a seeded subset when fewer than n) and the steps between evaluations (default 25; also after the last step). */
  evalRows?: number;
  evalEvery?: number;
  seed?: number;
}

export interface StableLrResult {
  /** The largest learning rate none of whose steps diverged (0 when all did). */
  stableLr: number;
  /** Per replica: whether it diverged, and at which step (0 = never). */
  diverged: boolean[];
  divergedAt: number[];
  initialLoss: number;
}

/**
 * The largest non-diverging learning rate at batch size B: R = lrs.length replicas, one
 * population [R, P] from one init, the same minibatch every step, each replica its own lr
 * (Granziol et al. §6's protocol, PAPERS.md §6: loss not above 2× initial in 200 steps; the loss
 * on a fixed evaluation set, checked every `evalEvery` steps).
 * The replicas' losses are summed (each replica's gradient is its own mean-loss gradient).
 * @example
 * const r = await stableLearningRates(net, softmaxCrossEntropy, init, data, { optimizer: 'sgd', lrs, batchSize: 64 });
 */
export async function stableLearningRates(model: Model, loss: Loss, init: Tensor, data: HostData, opts: StableLrOptions): Promise<StableLrResult> {
  const R = opts.lrs.length, P = init.shape[0]!, n = data.n;
  if (R < 1) throw new RangeError('stableLearningRates: expected at least one learning rate in \'opts.lrs\' but received none');
  if (init.rank !== 1) throw new RangeError(`stableLearningRates: expected an arena [P] for 'init' but received shape [${init.shape.join(', ')}]`);
  const B = opts.batchSize, steps = opts.steps ?? 200, factor = opts.factor ?? 2;
  if (!Number.isInteger(B) || B < 1 || B > n) throw new RangeError(`stableLearningRates: expected 'opts.batchSize' in [1, ${n}] but received ${B}`);
  const width = data.y.length / n;
  const like = { backend: init.backend };
  const batch = (rows: ArrayLike<number> | null) => {
    const m = rows ? rows.length : n;
    const xs = rows ? gatherRows(data.x, data.features, rows) : data.x;
    const ys = rows ? (data.y instanceof Int32Array ? gatherRows(data.y, width, rows) : gatherRows(data.y, width, rows)) : data.y;
    const x = tensor(xs, [m, data.features], like);
    const y = data.y instanceof Int32Array ? tensor(ys, width === 1 ? [m] : [m, width], { dtype: 'int32', ...like }) : tensor(ys, [m, width], like);
    return { x, y, m };
  };
  // Per-replica mean loss of a population on one batch: [R].
  const perReplica = (p: Tensor, x: Tensor, y: Tensor, m: number) => {
    const xr = broadcastTo(reshape(x, [1, ...x.shape]), [R, ...x.shape]);
    const yr = broadcastTo(reshape(y, [1, ...y.shape]), [R, ...y.shape]);
    return mean(reshape(loss(model.apply(p, xr), yr, { reduction: 'none' }), [R, m]), 1);
  };
  // One init for every replica: R copies of `init` as a contiguous [R, P] arena.
  const host = await init.data();
  const rows = new Float32Array(R * P);
  for (let r = 0; r < R; r++) rows.set(host, r * P);
  const arena = tensor(rows, [R, P], like);
  // Divergence is judged on a fixed evaluation set (seeded rows, the same for every replica and
  // every check), not on the minibatch: at B = 16 one batch's loss can exceed 2× the mean by noise.
  const evalCount = Math.min(n, opts.evalRows ?? 512), evalEvery = opts.evalEvery ?? 25;
  const evalSet = batch(evalCount === n ? null : subsetIndices(n, evalCount, opts.seed ?? 0, 1 << 20));
  const evalLoss = async () => {
    const l = perReplica(arena, evalSet.x, evalSet.y, evalCount);
    const v = await l.data();
    l.dispose();
    return v;
  };
  const initialLoss = (await evalLoss())[0]!;
  const opt = opts.optimizer === 'adam' ? new Adam(arena, { lr: [...opts.lrs] }) : new SGD(arena, { lr: [...opts.lrs] });
  const f = valueAndGrad((p: Tensor, x: Tensor, y: Tensor, m: number) => sum(perReplica(p, x, y, m)));
  const divergedAt = new Array<number>(R).fill(0);
  const perEpoch = Math.floor(n / B);
  let order: Int32Array | null = null;
  try {
    for (let t = 0; t < steps; t++) {
      const j = t % perEpoch;
      if (j === 0) order = permutation(n, opts.seed ?? 0, Math.floor(t / perEpoch));
      const b = batch(order!.subarray(j * B, (j + 1) * B));
      const { value, grad } = f(arena, b.x, b.y, B);
      opt.step(grad);
      value.dispose(); grad.dispose(); b.x.dispose(); b.y.dispose();
      if ((t + 1) % evalEvery === 0 || t + 1 === steps) {
        const lv = await evalLoss();
        for (let r = 0; r < R; r++) if (divergedAt[r] === 0 && !(lv[r]! <= factor * initialLoss)) divergedAt[r] = t + 1;
      }
    }
  } finally {
    opt.dispose();
    arena.dispose();
    evalSet.x.dispose(); evalSet.y.dispose();
  }
  const diverged = divergedAt.map((s) => s > 0);
  let stableLr = 0;
  opts.lrs.forEach((lr, r) => { if (!diverged[r] && lr > stableLr) stableLr = lr; });
  return { stableLr, diverged, divergedAt, initialLoss };
}

/** A rule turning the extreme Ritz values into (learning rate, momentum). */
export type LearnerRule = (lambdaMax: number, lambdaMinPositive: number) => { lr: number; momentum: number };

/** Polyak's heavy-ball optimum for a quadratic with spectrum in [μ, L]: α = 4/(√L + √μ)², ρ = ((√κ − 1)/(√κ + 1))². */
export const polyakRule: LearnerRule = (L, mu) => {
  const sl = Math.sqrt(L), sm = Math.sqrt(mu), k = Math.sqrt(L / mu);
  return { lr: 4 / (sl + sm) ** 2, momentum: ((k - 1) / (k + 1)) ** 2 };
};

/** The fallback: α = 1/λ_max with a fixed momentum. */
export const inverseSharpnessRule = (momentum = 0.9): LearnerRule => (L) => ({ lr: 1 / L, momentum });

export interface SlqLearnerOptions {
  /** Lanczos steps (default 20) and probes (default 1). */
  steps?: number;
  probes?: number;
  /** Ritz values whose SLQ weight is below this are ignored for λ_min⁺ (default 1e-3). */
  minWeight?: number;
  /** Ritz values below this fraction of λ_max count as zero (default 1e-6). */
  zeroTol?: number;
  rule?: LearnerRule;
  seed?: number;
  dtype?: 'float32' | 'float64';
}

/**
 * The SLQ learning-rate/momentum learner [recon of Granziol et al. §7]: m Lanczos steps of
 * the (minibatch) Hessian or GGN; λ_max = the largest Ritz value, λ_min⁺ = the smallest
 * positive Ritz value with SLQ weight τ ≥ minWeight; then `rule` (default Polyak's
 * heavy-ball optimum). The paper's exact rule was not verified: pass your own `rule`.
 * @example
 * const { lr, momentum } = await slqLearner(H.apply, H.size, { steps: 20 });
 */
export async function slqLearner(op: Operator, n: number, opts: SlqLearnerOptions = {}): Promise<{ lambdaMax: number; lambdaMinPositive: number; lr: number; momentum: number; matvecs: number }> {
  const { rules, run, matvecs } = await slq(op, n, { steps: Math.min(n, opts.steps ?? 20), probes: opts.probes ?? 1, seed: opts.seed ?? 0, ...(opts.dtype ? { dtype: opts.dtype } : {}) });
  run.dispose();
  let L = -Infinity;
  for (const r of rules) for (const x of r.nodes) L = Math.max(L, x);
  const minWeight = opts.minWeight ?? 1e-3, zero = (opts.zeroTol ?? 1e-6) * Math.abs(L);
  let mu = Infinity;
  for (const r of rules) r.nodes.forEach((x, i) => { if (x > zero && r.weights[i]! >= minWeight) mu = Math.min(mu, x); });
  if (!(L > 0) || !Number.isFinite(mu)) throw new RangeError(`slqLearner: expected a positive spectrum part but the Ritz values span [${Math.min(...rules.flatMap((r) => Array.from(r.nodes)))}, ${L}]`);
  const h = (opts.rule ?? polyakRule)(L, mu);
  return { lambdaMax: L, lambdaMinPositive: mu, lr: h.lr, momentum: h.momentum, matvecs };
}
