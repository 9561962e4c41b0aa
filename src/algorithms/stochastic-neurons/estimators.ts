// Stochastic neurons and their gradient estimators (PAPERS.md §18; Bengio, Léonard and
// Courville, arXiv 1308.3432). Each is an op on tensors of any shape, usable in any model:
//
//   binary neuron      p = sigm(a), h = 1[u < p], u ~ U(0, 1)
//   straight-through   h forward; backward ∂L/∂a = ∂L/∂h (identity) or ∂L/∂h·sigm′(a)  (customVjp)
//   STS                h = b·√p, b = 1[u < √p] held fixed: ∂h/∂a = b·∂√p/∂a          (stopGradient)
//   noisy rectifier    h = max(0, a + σz), z ~ N(0, 1)
//   REINFORCE          a surrogate whose gradient in a is Σ_s w_s (L_s − L̄)(h_s − p_s), the
//                      unbiased estimator of ∂E[L]/∂a, with the variance-minimising baseline
//                      L̄_i = E[(h_i − p_i)² L]/E[(h_i − p_i)²] (per unit; moving averages).
//
// The noise u (or z) is an input, drawn by the caller from Philox streams, so an estimate is
// reproducible and a state h can be forced (u = 1 − h gives h exactly when 0 < p < 1).

import {
  add, customVjp, div, log, mul, relu, sigmoid, sqrt, stopGradient, step, sub, sum, square, reshape, tensor,
} from '../../engine.js';
import type { Tensor } from '../../engine.js';

/** 1[u < p] as a constant tensor (p, u of one shape). */
function below(u: Tensor, p: Tensor): Tensor {
  return stopGradient(step(sub(p, u)));
}

/**
 * A stochastic binary neuron's sample h = 1[u < sigm(a)], with no gradient (REINFORCE
 * differentiates its log-probability instead; see reinforceSurrogate).
 */
export function binaryNeuron(a: Tensor, u: Tensor): Tensor {
  return below(u, stopGradient(sigmoid(a)));
}

/** The straight-through backward rule: identity, or times sigm′(a) (the paper's variant). */
export type StraightThroughScale = 'identity' | 'sigmoid';

const stIdentity = customVjp((a: Tensor, u: Tensor) => binaryNeuron(a, u), {
  vjp: (g) => [g, null],
  jvp: ([ta]) => ta,
}, 'straightThrough');

const stSigmoid = customVjp((a: Tensor, u: Tensor) => binaryNeuron(a, u), {
  vjp: (g, [a]) => { const p = sigmoid(a!); return [mul(g, mul(p, sub(1, p))), null]; },
  jvp: ([ta], [a], _y, lead) => {
    if (!ta) return null;
    const p = sigmoid(a!);
    const d = mul(p, sub(1, p));
    return mul(ta, lead ? reshape(d, [1, ...d.shape]) : d);
  },
}, 'straightThroughSigmoid');

/**
 * Straight-through binary neuron (§18): forward h = 1[u < sigm(a)]; backward ∂L/∂h is passed
 * to a as it is ('identity') or times sigm′(a) ('sigmoid', default). A biased estimator of
 * ∂E[L]/∂a with low variance.
 * @example
 * const h = straightThrough(preactivation, randomUniform(preactivation.shape, { seed, stream: stream('paper18') }));
 */
export function straightThrough(a: Tensor, u: Tensor, scale: StraightThroughScale = 'sigmoid'): Tensor {
  if (scale !== 'identity' && scale !== 'sigmoid') throw new RangeError(`straightThrough: expected 'identity' or 'sigmoid' for 'scale' but received '${String(scale)}'`);
  return scale === 'identity' ? stIdentity(a, u) : stSigmoid(a, u);
}

/**
 * Stochastic-times-smooth unit (§18): h = b·√p with p = sigm(a) and b = 1[u < √p], so that
 * E[h] = p; the gradient flows through √p with b held fixed.
 */
export function stochasticTimesSmooth(a: Tensor, u: Tensor): Tensor {
  const r = sqrt(sigmoid(a));
  return mul(below(u, stopGradient(r)), r);
}

/** Noisy rectifier (§18): h = max(0, a + σ·z) for standard normal noise z. */
export function noisyRectifier(a: Tensor, z: Tensor, sigma: number): Tensor {
  if (!(sigma >= 0) || !Number.isFinite(sigma)) throw new RangeError(`noisyRectifier: expected a finite σ ≥ 0 for 'sigma' but received ${sigma}`);
  return relu(add(a, mul(z, sigma)));
}

/**
 * The REINFORCE surrogate of binary neurons (§18): a scalar whose gradient in a is
 * Σ_s w_s·(L_s − L̄)⊙(h_s − sigm(a_s)), an unbiased estimate of ∂E[L]/∂a for any baseline L̄
 * independent of the samples. a, h: [S, ...units] (or units alone with S = 1 rows broadcast);
 * loss: [S] (held constant); baseline: broadcastable to a unit row (held constant); weights:
 * [S] (default 1/S: the sample mean; enumeration passes state probabilities).
 */
export function reinforceSurrogate(a: Tensor, h: Tensor, loss: Tensor, baseline: Tensor | number = 0, weights?: Tensor): Tensor {
  const S = loss.shape[0]!;
  const rest = new Array<number>(Math.max(0, h.rank - 1)).fill(1);
  const Lc = reshape(stopGradient(loss), [S, ...rest]);
  const adv = sub(Lc, typeof baseline === 'number' ? baseline : stopGradient(baseline));
  // log P(h | a) = h·log p + (1 − h)·log(1 − p); its derivative in a is h − p.
  const p = sigmoid(a);
  const logp = add(mul(h, log(p)), mul(sub(1, h), log(sub(1, p))));
  const w = weights ? reshape(stopGradient(weights), [S, ...rest]) : 1 / S;
  return sum(mul(mul(adv, logp), w));
}

/**
 * The variance-minimising baseline per unit, L̄_i = Σ_s w_s (h_si − p_si)² L_s / Σ_s w_s (h_si − p_si)²
 * (§18), from samples (w = 1) or from an enumeration (w = state probabilities). Shapes as in
 * reinforceSurrogate; the result has a unit row's shape.
 */
export function optimalBaseline(h: Tensor, p: Tensor, loss: Tensor, weights?: Tensor): Tensor {
  const S = loss.shape[0]!;
  const rest = new Array<number>(Math.max(0, h.rank - 1)).fill(1);
  const e2 = square(sub(h, p));
  const w = weights ? mul(e2, reshape(weights, [S, ...rest])) : e2;
  return div(sum(mul(w, reshape(loss, [S, ...rest])), 0), sum(w, 0));
}

/**
 * The variance-minimising baseline estimated by moving averages (§18): numerator and
 * denominator E[(h − p)²L] and E[(h − p)²] per unit, each an exponential moving average.
 */
export class MovingBaseline {
  private num: Float64Array;
  private den: Float64Array;
  constructor(readonly units: number, readonly decay = 0.9) {
    if (!(decay >= 0 && decay < 1)) throw new RangeError(`MovingBaseline: expected 0 ≤ decay < 1 for 'decay' but received ${decay}`);
    this.num = new Float64Array(units);
    this.den = new Float64Array(units);
  }

  /** Folds in a batch: h, p [S, units], loss [S] (host arrays, row-major). */
  update(h: ArrayLike<number>, p: ArrayLike<number>, loss: ArrayLike<number>): void {
    const S = loss.length, n = this.units;
    if (h.length !== S * n || p.length !== S * n) throw new RangeError(`MovingBaseline.update: expected h and p of length ${S}·${n} but received ${h.length} and ${p.length}`);
    for (let i = 0; i < n; i++) {
      let a = 0, b = 0;
      for (let s = 0; s < S; s++) {
        const e2 = (h[s * n + i]! - p[s * n + i]!) ** 2;
        a += e2 * loss[s]!;
        b += e2;
      }
      this.num[i] = this.decay * this.num[i]! + (1 - this.decay) * a / S;
      this.den[i] = this.decay * this.den[i]! + (1 - this.decay) * b / S;
    }
  }

  /** The current baseline per unit (0 before any update). */
  value(): Float64Array {
    return this.num.map((v, i) => (this.den[i]! > 0 ? v / this.den[i]! : 0));
  }

  tensor(like: Tensor): Tensor {
    return tensor(this.value(), [this.units], { dtype: like.dtype, backend: like.backend });
  }
}

/** All 2ⁿ binary states as rows [2ⁿ, n] (row k holds the bits of k, unit 0 the lowest). */
export function binaryStates(n: number): Float64Array {
  if (!Number.isInteger(n) || n < 1 || n > 20) throw new RangeError(`binaryStates: expected an integer 1 ≤ n ≤ 20 for 'n' but received ${n}`);
  const out = new Float64Array((1 << n) * n);
  for (let k = 0; k < 1 << n; k++) for (let i = 0; i < n; i++) out[k * n + i] = (k >> i) & 1;
  return out;
}
