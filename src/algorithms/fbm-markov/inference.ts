// Variational inference for an SDE driven by MA-fBM (PAPERS.md §19): the fractional OU
// process dX = −θX dt + σ dB̂^H, B̂^H = Σ_k ω_k(H) Y_k, is Markov in (X, Y_1..Y_K). The
// variational posterior adds a control u to the driving noise (dW → dW + u dt) [paper; the
// authors' JAX `solve` applies it to every dY_k]:
//
//   dY_k = (−γ_k Y_k + u) dt + dW,   dX = −θX dt + σ Σ_k ω_k dY_k,
//   ELBO = E[Σ_i log N(y_i; X(t_i), s²)] − E[½∫u² dt]   (Girsanov: the KL of path measures).
//
// Here u(t, X) = a_m(t) + c·(y_next(t) − X): an open-loop part, one value per Euler step and
// sequence m, plus a learned feedback gain c toward the observation ahead (a simple
// state-dependent control; the paper's is a neural network of (t, X, Y)), the SDE is stepped by Euler–Maruyama for R sample paths of every
// sequence as one population ([M·R, K] tensors), and H is learned through ω(H): a customVjp op
// whose backward rule is ∂ω/∂H = A⁻¹∂b/∂H (f64, with ∂P/∂a from src/special).

import {
  add, createOptimizer, customVjp, dispose, exp, matmul, mul, randomNormal, reshape, sigmoid, slice, square, stream, sub, sum, tensor, tidy,
  valueAndGrad, broadcastTo, concat, zeros,
} from '../../engine.js';
import type { Tensor } from '../../engine.js';
import { gammaGrid, optimalOmega } from './mafbm.js';

/** ω(H) as a differentiable op: H [1] → ω [K] (f64 solve on the host; backward ∂ω/∂H). */
export function omegaOp(K: number, gammaMax: number, T: number): (H: Tensor) => Tensor {
  return customVjp((H: Tensor) => {
    const o = optimalOmega(H.dataSync()[0]!, { K, gammaMax, T });
    return tensor(o.omega, [K], { dtype: H.dtype, backend: H.backend });
  }, {
    vjp: (g, [H]) => {
      const o = optimalOmega(H!.dataSync()[0]!, { K, gammaMax, T });
      return [reshape(sum(mul(g, tensor(o.domegadH, [K], { dtype: g.dtype, backend: g.backend }))), [1])];
    },
  }, 'maFbmOmega');
}

export interface FouData {
  /** Observations y [M, N] at t_i = i·T/N, i = 1..N. */
  y: Float32Array;
  M: number;
  N: number;
}

export interface FouModel {
  K: number;
  gammaMax: number;
  T: number;
  /** Euler–Maruyama steps per observation interval. */
  substeps: number;
  sigma: number;
  /** Observation noise standard deviation s. */
  obsNoise: number;
}

/**
 * Synthetic fractional OU observations: M sequences of the MA-fBM-driven OU process with
 * Hurst index H and drift θ (the model class of the fit), observed with noise at N times.
 */
export function simulateFou(H: number, theta: number, M: number, N: number, m: FouModel, seed: number): FouData {
  return tidy(() => {
    const o = optimalOmega(H, { K: m.K, gammaMax: m.gammaMax, T: m.T });
    const steps = N * m.substeps, dt = m.T / steps, K = m.K;
    const f32 = { dtype: 'float32' } as const;
    const g = tensor(o.gamma, [1, K], f32), w = tensor(o.omega, [K, 1], f32);
    let Y = zeros([M, K]), X = zeros([M, 1]);
    const y = new Float32Array(M * N);
    const dW = randomNormal([steps, M, 1], { seed, stream: stream('paper19', 20) });
    const eps = randomNormal([M, N], { seed, stream: stream('paper19', 21) }).dataSync();
    for (let k = 0; k < steps; k++) {
      const dw = mul(slice(dW, [k, 0, 0], [1, M, 1]), Math.sqrt(dt));
      const dY = add(mul(mul(Y, g), -dt), reshape(dw, [M, 1]));
      X = add(X, add(mul(X, -theta * dt), mul(matmul(dY, w), m.sigma)));
      Y = add(Y, dY);
      if ((k + 1) % m.substeps === 0) {
        const xs = X.dataSync(), i = (k + 1) / m.substeps - 1;
        for (let r = 0; r < M; r++) y[r * N + i] = xs[r]! + m.obsNoise * eps[r * N + i]!;
      }
    }
    return { y, M, N };
  });
}

export interface FitOptions extends FouModel {
  /** Sample paths per sequence for the ELBO's expectation. */
  R: number;
  iterations: number;
  lr: number;
  seed: number;
  /** Initial H, θ and feedback gain c. */
  H0: number;
  theta0: number;
  gain0: number;
}

export interface FitResult {
  H: number;
  theta: number;
  /** ELBO per iteration (per sequence). */
  elbo: number[];
  Htrace: number[];
}

/** Maximises the ELBO over H (through ω(H)), θ and the control; returns the fitted H and θ. */
export async function fitFou(data: FouData, o: FitOptions): Promise<FitResult> {
  const { M, N } = data, K = o.K, R = o.R, steps = N * o.substeps, dt = o.T / steps;
  const omega = omegaOp(K, o.gammaMax, o.T);
  const gamma = gammaGrid(K, o.gammaMax);
  // Parameters: [logit H, log θ, u (M·N)], H = sigmoid(·) keeps 0 < H < 1.
  // [logit H, log θ, log gain, u (M·steps)]
  const init = new Float32Array(3 + M * steps);
  init[2] = Math.log(o.gain0);
  init[0] = Math.log(o.H0 / (1 - o.H0));
  init[1] = Math.log(o.theta0);
  const params = tensor(init, [3 + M * steps]);
  // The observation each step leads to, per path: [M·R, steps].
  const target = new Float32Array(M * R * steps);
  for (let r = 0; r < M * R; r++) for (let k = 0; k < steps; k++) target[r * steps + k] = data.y[Math.floor(r / R) * N + Math.floor(k / o.substeps)]!;
  const yNext = tensor(target, [M * R, steps]);
  const opt = createOptimizer('Adam', params, { lr: o.lr });
  const yObs = tensor(data.y, [M, 1, N]);
  const g = tensor(gamma, [1, K], { dtype: 'float32' });
  const elbo: number[] = [], Htrace: number[] = [];
  try {
    for (let it = 0; it < o.iterations; it++) {
      const noise = randomNormal([steps, M * R, 1], { seed: o.seed, stream: stream('paper19', 30), offset: it * steps * M * R });
      const { value, grad } = valueAndGrad((p: Tensor) => {
        const H = sigmoid(slice(p, [0], [1]));
        const theta = exp(slice(p, [1], [1]));
        const w = reshape(omega(H), [K, 1]);
        const gain = exp(slice(p, [2], [1]));
        const u = reshape(slice(p, [3], [M * steps]), [M, 1, steps]);
        const uPaths = reshape(broadcastTo(u, [M, R, steps]), [M * R, steps]);
        let Y = zeros([M * R, K]), X = zeros([M * R, 1]);
        const xs: Tensor[] = [];
        const klTerms: Tensor[] = [];
        for (let k = 0; k < steps; k++) {
          // u = a_m(t) + c·(y_next − X): an open-loop part and a feedback toward the next observation.
          const uk = add(slice(uPaths, [0, k], [M * R, 1]), mul(sub(slice(yNext, [0, k], [M * R, 1]), X), gain));
          klTerms.push(square(uk));
          const dw = reshape(mul(slice(noise, [k, 0, 0], [1, M * R, 1]), Math.sqrt(dt)), [M * R, 1]);
          const dY = add(mul(sub(uk, mul(Y, g)), dt), dw);
          X = add(X, add(mul(mul(X, theta), -dt), mul(matmul(dY, w), o.sigma)));
          Y = add(Y, dY);
          if ((k + 1) % o.substeps === 0) xs.push(X);
        }
        const Xobs = reshape(concat(xs, 1), [M, R, N]);
        const ll = mul(sum(square(sub(Xobs, yObs))), -0.5 / (o.obsNoise ** 2 * R));
        // E[½∫u² dt], averaged over the R paths of each sequence, summed over sequences.
        const kl = mul(sum(concat(klTerms, 1)), 0.5 * dt / R);
        return mul(sub(kl, ll), 1 / M); // minimise −ELBO per sequence (constants dropped)
      })(params);
      opt.step(grad);
      const p = params.dataSync();
      elbo.push(-(await value.data())[0]!);
      Htrace.push(1 / (1 + Math.exp(-p[0]!)));
      dispose([noise, value, grad]);
    }
    const p = params.dataSync();
    return { H: 1 / (1 + Math.exp(-p[0]!)), theta: Math.exp(p[1]!), elbo, Htrace };
  } finally {
    opt.dispose();
    params.dispose();
    dispose([yObs, g, yNext]);
  }
}
