// Markov-approximate fractional Brownian motion (PAPERS.md §19; Daems, Opper, Crevecoeur,
// Birdal, arXiv 2310.12975). fBM B^H is approximated by B̂^H(t) = Σ_k ω_k Y_k(t) with K
// Ornstein–Uhlenbeck processes dY_k = −γ_k Y_k dt + dW_t driven by the same W (type II,
// Riemann–Liouville: Y_k(0) = 0), or Σ_k ω_k (Y_k(t) − Y_k(0)) with stationary Y_k(0) (type I,
// Mandelbrot–Van Ness). The weights ω minimise E∫₀ᵀ(B^H − B̂^H)²dt, i.e. solve A ω = b in
// float64 (A becomes severely ill-conditioned as K grows).
//
// Type II [code: R. Daems's omega_optimized, PyTorch; MAFBM omega_optimized_2, JAX]:
//   A_ij = [T + (e^{−(γ_i+γ_j)T} − 1)/(γ_i+γ_j)]/(γ_i+γ_j)
//   b_k  = T γ_k^{−(H+½)} P(H+½, γ_kT) − (H+½) γ_k^{−(H+3/2)} P(H+3/2, γ_kT)
//   c    = T^{2H+1}/(2H(2H+1)Γ(H+½)²),  relative error 1 − bᵀω/c.
// Type I [code: MAFBM omega_optimized_1, JAX; its A checked here against E[(Y_i(t)−Y_i(0))(Y_j(t)−Y_j(0))]]:
//   A_ij = [2T + (e^{−γ_iT} − 1)/γ_i + (e^{−γ_jT} − 1)/γ_j]/(γ_i+γ_j)
//   b_k  = 2T γ_k^{−(H+½)} − T^{H+½}/(γ_k Γ(H+3/2)) + (e^{−γ_kT} − e^{γ_kT}Q(H+½, γ_kT))/γ_k^{H+3/2}
//   c    = T^{2H+1}/(2H+1).

import { cholesky, choleskySolve, cond, gammaP, gammaPDerivA, gammaQ, lgamma, lstsq, digamma } from '../../engine.js';

export type FbmType = 1 | 2;

/** The geometric grid γ_k = r^{k − (K+1)/2}, r = γ_max^{2/(K−1)}, k = 1..K (K = 1: γ = 1) [code]. */
export function gammaGrid(K: number, gammaMax: number): Float64Array {
  if (!Number.isInteger(K) || K < 1) throw new RangeError(`gammaGrid: expected an integer K ≥ 1 for 'K' but received ${K}`);
  if (!(gammaMax > 1) || !Number.isFinite(gammaMax)) throw new RangeError(`gammaGrid: expected a finite gammaMax > 1 for 'gammaMax' but received ${gammaMax}`);
  if (K === 1) return Float64Array.of(1);
  const r = gammaMax ** (2 / (K - 1));
  return Float64Array.from({ length: K }, (_, i) => r ** (i + 1 - (K + 1) / 2));
}

export interface MaFbmSystem {
  /** A (K×K row-major, symmetric positive definite), b (K), c (the fBM's ∫₀ᵀ E[B^H(t)²] dt). */
  A: Float64Array;
  b: Float64Array;
  c: number;
  /** ∂b/∂H and ∂c/∂H (A does not depend on H). */
  dbdH: Float64Array;
  dcdH: number;
}

function checkHurst(fn: string, H: number, T: number): void {
  if (!(H > 0 && H < 1)) throw new RangeError(`${fn}: expected 0 < H < 1 for 'H' but received ${H}`);
  if (!(T > 0) || !Number.isFinite(T)) throw new RangeError(`${fn}: expected a finite T > 0 for 'T' but received ${T}`);
}

/** The normal equations A ω = b of the optimal weights (and their derivatives in H), in float64. */
export function maFbmSystem(gamma: ArrayLike<number>, H: number, T: number, type: FbmType = 2): MaFbmSystem {
  checkHurst('maFbmSystem', H, T);
  if (type !== 1 && type !== 2) throw new RangeError(`maFbmSystem: expected 1 or 2 for 'type' but received ${type}`);
  const K = gamma.length;
  const A = new Float64Array(K * K), b = new Float64Array(K), dbdH = new Float64Array(K);
  for (let i = 0; i < K; i++) {
    for (let j = 0; j < K; j++) {
      const gi = gamma[i]!, gj = gamma[j]!, s = gi + gj;
      A[i * K + j] = type === 2
        ? (T + Math.expm1(-s * T) / s) / s
        : (2 * T + Math.expm1(-gi * T) / gi + Math.expm1(-gj * T) / gj) / s;
    }
  }
  const a = H + 0.5;
  for (let k = 0; k < K; k++) {
    const g = gamma[k]!, x = g * T, lg = Math.log(g);
    if (type === 2) {
      const p1 = gammaP(a, x), p2 = gammaP(a + 1, x);
      const t1 = T * g ** -a, t2 = a * g ** -(a + 1);
      b[k] = t1 * p1 - t2 * p2;
      // d/dH: γ^{−a} → −log γ·γ^{−a}; P(a, x) → ∂P/∂a.
      dbdH[k] = T * g ** -a * (-lg * p1 + gammaPDerivA(a, x)) - (g ** -(a + 1) * p2 + t2 * (-lg * p2 + gammaPDerivA(a + 1, x)));
    } else {
      // e^{x}Q(a, x) = e^{x − lgamma... } formed as Q·e^x (x ≤ a few hundred here).
      const qe = gammaQ(a, x) * Math.exp(x);
      const gam = Math.exp(lgamma(a + 1));
      b[k] = 2 * T * g ** -a - T ** a / (g * gam) + (Math.exp(-x) - qe) / g ** (a + 1);
      // ∂Q/∂a = −∂P/∂a; d/da Γ(a+1) = Γ(a+1)ψ(a+1).
      const dqe = -gammaPDerivA(a, x) * Math.exp(x);
      dbdH[k] = -2 * T * lg * g ** -a - (Math.log(T) - digamma(a + 1)) * T ** a / (g * gam)
        + (-lg) * (Math.exp(-x) - qe) / g ** (a + 1) - dqe / g ** (a + 1);
    }
  }
  let c: number, dcdH: number;
  if (type === 2) {
    c = T ** (2 * H + 1) / (2 * H * (2 * H + 1) * Math.exp(2 * lgamma(a)));
    dcdH = c * (2 * Math.log(T) - 1 / H - 2 / (2 * H + 1) - 2 * digamma(a));
  } else {
    c = T ** (2 * H + 1) / (2 * H + 1);
    dcdH = c * (2 * Math.log(T) - 2 / (2 * H + 1));
  }
  return { A, b, c, dbdH, dcdH };
}

export type OmegaSolver = 'cholesky' | 'lstsq';

export interface OptimalOmega {
  gamma: Float64Array;
  omega: Float64Array;
  /** ∂ω/∂H = A⁻¹ ∂b/∂H. */
  domegadH: Float64Array;
  /** 1 − bᵀω/c (the approximation's relative L² error on [0, T]; type I: see the file header). */
  relError: number;
  /** The 2-norm condition number of A. */
  cond: number;
  /** ‖A ω − b‖₂/‖b‖₂ in float64. */
  residual: number;
  system: MaFbmSystem;
}

export interface OmegaOptions {
  K: number;
  gammaMax?: number;
  T?: number;
  type?: FbmType;
  /** 'lstsq' (default: minimum-norm through the SVD, robust when A is numerically singular) or 'cholesky' (with `jitter`·max A_ii added to the diagonal; fails when A is not positive definite to working precision). */
  solver?: OmegaSolver;
  jitter?: number;
}

/**
 * The optimal MA-fBM weights ω(H) for K OU processes on the geometric γ grid, by a float64
 * solve of A ω = b, with cond(A), the solve's relative residual and ∂ω/∂H (for learning H).
 * @example
 * const { omega, gamma, relError, cond } = optimalOmega(0.7, { K: 5, gammaMax: 20, T: 1 });
 */
export function optimalOmega(H: number, opts: OmegaOptions): OptimalOmega {
  const { K, gammaMax = 20, T = 1, type = 2, solver = 'lstsq', jitter = 0 } = opts;
  const gamma = gammaGrid(K, gammaMax);
  const sys = maFbmSystem(gamma, H, T, type);
  const rhs = new Float64Array(2 * K);
  for (let k = 0; k < K; k++) { rhs[2 * k] = sys.b[k]!; rhs[2 * k + 1] = sys.dbdH[k]!; }
  let x: Float64Array;
  if (solver === 'cholesky') {
    let maxDiag = 0;
    for (let k = 0; k < K; k++) maxDiag = Math.max(maxDiag, sys.A[k * K + k]!);
    x = choleskySolve(cholesky(sys.A, K, { jitter: jitter * maxDiag }), rhs, K, 2);
  } else if (solver === 'lstsq') {
    x = lstsq(sys.A, rhs, K, K, 2).x;
  } else {
    throw new RangeError(`optimalOmega: expected 'cholesky' or 'lstsq' for 'solver' but received '${String(solver)}'`);
  }
  const omega = Float64Array.from({ length: K }, (_, k) => x[2 * k]!);
  const domegadH = Float64Array.from({ length: K }, (_, k) => x[2 * k + 1]!);
  let bw = 0, rr = 0, bb = 0;
  for (let i = 0; i < K; i++) {
    bw += sys.b[i]! * omega[i]!;
    let r = -sys.b[i]!;
    for (let j = 0; j < K; j++) r += sys.A[i * K + j]! * omega[j]!;
    rr += r * r;
    bb += sys.b[i]! ** 2;
  }
  return { gamma, omega, domegadH, relError: 1 - bw / sys.c, cond: cond(sys.A, K), residual: Math.sqrt(rr / bb), system: sys };
}

/** Var B̂^H(t) of type II: Σ_ij ω_iω_j(1 − e^{−(γ_i+γ_j)t})/(γ_i+γ_j) [derived]. */
export function maFbmVariance(omega: ArrayLike<number>, gamma: ArrayLike<number>, t: number): number {
  let v = 0;
  for (let i = 0; i < omega.length; i++) {
    for (let j = 0; j < omega.length; j++) {
      const s = gamma[i]! + gamma[j]!;
      v += omega[i]! * omega[j]! * -Math.expm1(-s * t) / s;
    }
  }
  return v;
}

/** Var B^H(t) of type II (Riemann–Liouville) fBM: t^{2H}/(2H Γ(H+½)²). */
export function fbmVariance(H: number, t: number): number {
  return t ** (2 * H) / (2 * H * Math.exp(2 * lgamma(H + 0.5)));
}
