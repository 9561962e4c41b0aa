// Estimator statistics on a small binary-neuron problem (PAPERS.md §18 reproduction): n binary
// units h = 1[u < sigm(a)], loss L(h) = ‖W h − y‖². The exact gradient ∂E[L]/∂a and each
// estimator's exact mean and per-sample variance come from enumerating the 2ⁿ states;
// Monte Carlo estimates from S samples are per-sample gradients averaged (all samples of all
// repetitions are rows of one tensor: one launch).

import { broadcastTo, contiguous, grad, matmul, mul, ones, reshape, sigmoid, sqrt, square, sub, sum, tensor, tidy, transpose, exp, log, add } from '../../engine.js';
import type { Tensor } from '../../engine.js';
import { binaryNeuron, binaryStates, optimalBaseline, reinforceSurrogate, stochasticTimesSmooth, straightThrough } from './estimators.js';
import type { StraightThroughScale } from './estimators.js';

export interface BinaryProblem {
  /** Number of units. */
  n: number;
  /** Outputs of W. */
  m: number;
  /** Pre-activations a [n]. */
  a: Float64Array;
  /** W [m, n] row-major. */
  W: Float64Array;
  y: Float64Array;
}

export type EstimatorKind = 'reinforce' | 'straightThrough' | 'sts';
export const ESTIMATORS: readonly EstimatorKind[] = ['reinforce', 'straightThrough', 'sts'];

const F64 = { dtype: 'float64' } as const;

/** L(h) for each row of H [S, n]: [S]. */
export function binaryLoss(pr: BinaryProblem, H: Tensor): Tensor {
  const W = tensor(pr.W, [pr.m, pr.n], { dtype: H.dtype, backend: H.backend });
  const y = tensor(pr.y, [pr.m], { dtype: H.dtype, backend: H.backend });
  return sum(square(sub(matmul(H, transpose(W)), y)), -1);
}

/** log P(state) for each row of states [K, n] under unit probabilities q [n] (a tensor of a). */
function logProb(states: Tensor, q: Tensor): Tensor {
  return sum(add(mul(states, log(q)), mul(sub(1, states), log(sub(1, q)))), -1);
}

/** The exact gradient ∂E[L]/∂a by enumerating the 2ⁿ states (autodiff through the probabilities). */
export function exactGradient(pr: BinaryProblem): Float64Array {
  return tidy(() => {
    const states = tensor(binaryStates(pr.n), [1 << pr.n, pr.n], F64);
    const L = binaryLoss(pr, states);
    const g = grad((a: Tensor) => sum(mul(exp(logProb(states, sigmoid(a))), L)))(tensor(pr.a, [pr.n], F64));
    return Float64Array.from(g.dataSync());
  });
}

/**
 * Per-sample gradients [S, n] of an estimator for noise U [S, n] (row s: the estimate from
 * sample s alone). REINFORCE uses `baseline` (a unit row, or 0).
 */
export function perSampleGradients(pr: BinaryProblem, kind: EstimatorKind, U: Tensor, baseline: Tensor | number = 0, stScale: StraightThroughScale = 'sigmoid'): Tensor {
  const S = U.shape[0]!;
  const A = contiguous(broadcastTo(tensor(pr.a, [1, pr.n], { dtype: U.dtype, backend: U.backend }), [S, pr.n]));
  return grad((Z: Tensor) => {
    if (kind === 'reinforce') {
      const H = binaryNeuron(Z, U);
      return reinforceSurrogate(Z, H, binaryLoss(pr, H), baseline, ones([S], { dtype: U.dtype, backend: U.backend }));
    }
    const H = kind === 'straightThrough' ? straightThrough(Z, U, stScale) : stochasticTimesSmooth(Z, U);
    return sum(binaryLoss(pr, H));
  })(A);
}

export interface ExactEstimatorStats {
  /** E[ĝ] over the 2ⁿ states. */
  mean: Float64Array;
  /** Per-sample variance tr Cov[ĝ] = E‖ĝ‖² − ‖E ĝ‖². */
  variance: number;
  /** cos(E[ĝ], ∂E[L]/∂a). */
  cosine: number;
}

export function cosine(u: ArrayLike<number>, v: ArrayLike<number>): number {
  let uv = 0, uu = 0, vv = 0;
  for (let i = 0; i < u.length; i++) { uv += u[i]! * v[i]!; uu += u[i]! ** 2; vv += v[i]! ** 2; }
  return uv / Math.sqrt(uu * vv);
}

/** The noise rows that force each state (u = 1 − state) and the states' probabilities. */
function enumeration(pr: BinaryProblem, kind: EstimatorKind): { U: Tensor; w: Float64Array; states: Tensor } {
  const states = tensor(binaryStates(pr.n), [1 << pr.n, pr.n], F64);
  const p = sigmoid(tensor(pr.a, [pr.n], F64));
  const q = kind === 'sts' ? sqrt(p) : p;
  const w = Float64Array.from(exp(logProb(states, q)).dataSync());
  return { U: sub(1, states), w, states };
}

/** The variance-minimising REINFORCE baseline per unit, exact (by enumeration). */
export function exactOptimalBaseline(pr: BinaryProblem): Float64Array {
  return tidy(() => {
    const { w, states } = enumeration(pr, 'reinforce');
    const p = sigmoid(tensor(pr.a, [pr.n], F64));
    return Float64Array.from(optimalBaseline(states, reshape(p, [1, pr.n]), binaryLoss(pr, states), tensor(w, [w.length], F64)).dataSync());
  });
}

/** An estimator's exact mean, variance and cosine to the exact gradient (2ⁿ enumeration). */
export function exactEstimatorStats(pr: BinaryProblem, kind: EstimatorKind, exact: ArrayLike<number>, baseline: ArrayLike<number> | null = null, stScale: StraightThroughScale = 'sigmoid'): ExactEstimatorStats {
  return tidy(() => {
    const { U, w } = enumeration(pr, kind);
    const b = baseline ? tensor(Float64Array.from(baseline), [pr.n], F64) : 0;
    const G = perSampleGradients(pr, kind, U, b, stScale).dataSync();
    const n = pr.n, mean = new Float64Array(n);
    let sq = 0;
    for (let k = 0; k < w.length; k++) {
      for (let i = 0; i < n; i++) { mean[i] += w[k]! * G[k * n + i]!; sq += w[k]! * G[k * n + i]! ** 2; }
    }
    let mm = 0;
    for (let i = 0; i < n; i++) mm += mean[i]! ** 2;
    return { mean, variance: sq - mm, cosine: cosine(mean, exact) };
  });
}
