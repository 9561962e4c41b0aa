// Exact simulation of the OU vector (Y_1..Y_K) driven by one Brownian motion, for R paths as
// a population ([R, K] tensors, one launch per step). Over a step dt the stochastic parts
// ξ_k = ∫ e^{−γ_k(dt−s)} dW_s are jointly Gaussian with covariance
// C_ij = (1 − e^{−(γ_i+γ_j)dt})/(γ_i+γ_j) (nearly rank one for small dt): ξ = z·M with
// M = √Λ·Vᵀ from the eigendecomposition C = VΛVᵀ (negative round-off eigenvalues set to 0),
// z ~ N(0, I_K); each coordinate then goes through the engine's exact ouStep with its noise
// normalised by √C_kk, which makes the transition exact in law for any dt.

import { div, matmul, ouStep, randomNormal, stream, symEig, tensor, tidy, keep, zeros } from '../../engine.js';
import type { Tensor } from '../../engine.js';

/** The K×K factor M (row-major) with Mᵀ M = C for the step dt: noise rows z·M. */
export function ouNoiseFactor(gamma: ArrayLike<number>, dt: number): Float64Array {
  const K = gamma.length, C = new Float64Array(K * K);
  for (let i = 0; i < K; i++) for (let j = 0; j < K; j++) { const s = gamma[i]! + gamma[j]!; C[i * K + j] = -Math.expm1(-s * dt) / s; }
  const { values, vectors } = symEig(C, K);
  const M = new Float64Array(K * K);
  for (let l = 0; l < K; l++) {
    const r = Math.sqrt(Math.max(0, values[l]!));
    for (let k = 0; k < K; k++) M[l * K + k] = r * vectors[k * K + l]!;
  }
  return M;
}

export interface SimulateOptions {
  gamma: ArrayLike<number>;
  /** Paths. */
  R: number;
  steps: number;
  T: number;
  seed: number;
  /** Stream index within stream('paper19', ·). */
  streamIndex?: number;
  /** Called after each step k (1-based) with Y [R, K] (valid during the call only). */
  onStep?: (Y: Tensor, k: number) => void;
  dtype?: 'float32' | 'float64';
}

/** Simulates Y [R, K] from Y(0) = 0 (type II) to T by exact OU transitions; returns Y(T). */
export function simulateOU(o: SimulateOptions): Tensor {
  const K = o.gamma.length, dt = o.T / o.steps, dtype = o.dtype ?? 'float64';
  const M = tensor(ouNoiseFactor(o.gamma, dt), [K, K], { dtype });
  const theta = tensor(Float64Array.from(o.gamma), [K], { dtype });
  const sd = tensor(Float64Array.from(o.gamma, (g) => Math.sqrt(-Math.expm1(-2 * g * dt) / (2 * g))), [K], { dtype });
  let Y = keep(zeros([o.R, K], { dtype }));
  const s = stream('paper19', o.streamIndex ?? 0);
  for (let k = 1; k <= o.steps; k++) {
    const next = keep(tidy(() => {
      const z = randomNormal([o.R, K], { seed: o.seed, stream: s, offset: (k - 1) * o.R * K, dtype });
      return ouStep(Y, { theta, mu: 0, sigma: 1, dt, noise: div(matmul(z, M), sd) });
    }));
    Y.dispose();
    Y = next;
    o.onStep?.(Y, k);
  }
  M.dispose();
  theta.dispose();
  sd.dispose();
  return Y;
}
