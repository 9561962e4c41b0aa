// Consensus-based optimisation (CBO), consensus hopping (CH) and the gradient-descent /
// annealed-Langevin baselines of Riedl, Klock, Geldhauser & Fornasier, "Gradient is All You
// Need? How Consensus-Based Optimization can be Interpreted as a Stochastic Relaxation of
// Gradient Descent" (arXiv 2306.09778); PAPERS.md §3.
//
// Contract. A population of R independent runs, each of N particles in R^d, is one tensor
// V [R, N, d]; every step is a handful of tensor ops over the whole population (no loop over
// runs or particles). The objective is gradient-free: any f(X [M, d]) → [M] built from tensor
// ops (the GD/Langevin baseline differentiates the same function with autodiff). Noise of step
// k is drawn from (seed, stream, offset k·R·N·d), so a run is a pure function of its seed.

import {
  Tensor, abs, add, checkFinite, checkInt, cos, div, exp, grad, max, maximum, min, mul, neg, randomNormal, rangeError,
  reshape, sdeSolve, sign, slice, sqrt, stream, square, sub, sum, tidy, typeError, keep,
} from '../../engine.js';

/** A gradient-free objective: one value per row of X [M, d]. */
export type Objective = (x: Tensor) => Tensor;

/** How the exploration noise scales with the distance to the consensus point. */
export type CboNoise = 'isotropic' | 'anisotropic';

/** The Philox stream of paper 3's noise number k: stream('paper3', k). */
export function cboStream(k = 0): number {
  return stream('paper3', k);
}

/**
 * The consensus points of a population (the Laplace-principle weighted mean, paper eq. (2)):
 * v_α = Σ_i V^i w_i / Σ_i w_i with w_i = exp(−α (f(V^i) − min_j f(V^j))), per run. Subtracting
 * the minimum makes the weights stable for any α (1e15 included): the best particle has weight 1,
 * the others underflow to 0 rather than overflow.
 * @param v particles [R, N, d] (or [N, d] for one run)
 * @param fv their objective values [R, N] (or [N])
 * @returns the consensus points [R, d] (or [d]) and the normalised weights [R, N] (or [N])
 * @example
 * const { point } = consensus(V, objective(reshape(V, [R * N, d])).reshape([R, N]), 100);
 */
export function consensus(v: Tensor, fv: Tensor, alpha: number): { point: Tensor; weights: Tensor } {
  const fn = 'consensus';
  if (!(v instanceof Tensor)) throw typeError(fn, 'v', 'a Tensor [R, N, d] or [N, d]', v);
  if (!(fv instanceof Tensor)) throw typeError(fn, 'fv', 'a Tensor [R, N] or [N]', fv);
  checkFinite(fn, 'alpha', alpha);
  if (alpha < 0) throw rangeError(fn, 'alpha', 'a number ≥ 0', alpha);
  const one = v.rank === 2;
  const V = one ? reshape(v, [1, ...v.shape]) : v;
  if (V.rank !== 3) throw rangeError(fn, 'v', 'a tensor of rank 2 or 3', `shape [${v.shape.join(', ')}]`);
  const [r, n] = V.shape as [number, number, number];
  if (fv.size !== r * n) throw rangeError(fn, 'fv', `${r * n} values (one per particle)`, `shape [${fv.shape.join(', ')}]`);
  return tidy(() => {
    const f = reshape(fv, [r, n]);
    const w = exp(mul(sub(f, min(f, 1, true)), -alpha)); // [R, N], max 1
    const wn = div(w, sum(w, 1, true));
    const point = sum(mul(V, reshape(wn, [r, n, 1])), 1); // [R, d]
    return one ? { point: reshape(point, [V.shape[2]!]), weights: reshape(wn, [n]) } : { point, weights: wn };
  });
}

/** Evaluates f on every particle of V [R, N, d] → [R, N]. */
export function evaluateParticles(f: Objective, v: Tensor): Tensor {
  const [r, n, d] = v.shape as [number, number, number];
  return tidy(() => {
    const out = f(reshape(v, [r * n, d]));
    if (out.size !== r * n) throw rangeError('evaluateParticles', 'f', `an objective returning ${r * n} values for ${r * n} rows`, `shape [${out.shape.join(', ')}]`);
    return reshape(out, [r, n]);
  });
}

export interface CboOptions {
  /** Drift towards the consensus point λ (default 1). */
  lambda?: number;
  /** Exploration σ (default 1.6, the paper's CBO figure). */
  sigma?: number;
  /** Time step Δt (default 0.01). */
  dt?: number;
  /** Laplace-principle weight α (default 100). */
  alpha?: number;
  /** D(u) = ‖u‖₂ I ('isotropic', default) or diag(u) ('anisotropic'). */
  noise?: CboNoise;
  seed: number;
  /** Philox stream (default cboStream(0)). */
  stream?: number;
}

/**
 * One Euler–Maruyama step of the CBO SDE for a population V [R, N, d] (paper eq. (1)):
 * V^i ← V^i − λΔt (V^i − v_α) + σ √Δt D(V^i − v_α) ξ^i, ξ ~ N(0, I), with the noise of step `k`
 * taken from (seed, stream, offset k·R·N·d) (the engine's sdeSolve, step k of its grid). Returns
 * the new particles and the consensus point that drove the step ([R, d]).
 */
export function cboStep(f: Objective, v: Tensor, k: number, opts: CboOptions): { particles: Tensor; consensus: Tensor } {
  const fn = 'cboStep';
  if (!(v instanceof Tensor) || v.rank !== 3) throw typeError(fn, 'v', 'a Tensor [R, N, d]', v);
  checkInt(fn, 'k', k, 0);
  const { lambda = 1, sigma = 1.6, dt = 0.01, alpha = 100, noise = 'isotropic', seed, stream = cboStream(0) } = opts;
  if (noise !== 'isotropic' && noise !== 'anisotropic') throw rangeError(fn, 'opts.noise', "'isotropic' or 'anisotropic'", noise);
  checkFinite(fn, 'opts.dt', dt);
  const [r, , d] = v.shape as [number, number, number];
  // drift and diffusion share one consensus evaluation per state (sdeSolve asks for both)
  let cache: { x: Tensor; u: Tensor; point: Tensor } | null = null;
  const at = (x: Tensor) => {
    if (cache?.x !== x) {
      const { point, weights } = consensus(x, evaluateParticles(f, x), alpha);
      weights.dispose();
      cache?.point.dispose();
      cache = { x, u: sub(x, reshape(point, [r, 1, d])), point: keep(point) };
    }
    return cache;
  };
  // sdeSolve draws step k's noise at offset k·R·N·d of (seed, stream): a grid of k + 2 times
  const grid = Array.from({ length: k + 2 }, (_, i) => i * dt);
  const particles = sdeSolve({
    method: 'euler-maruyama', x0: v, grid, from: k, to: k + 1, seed, stream,
    drift: (x) => mul(at(x).u, -lambda),
    diffusion: (x) => {
      const u = at(x).u;
      return mul(noise === 'isotropic' ? sqrt(sum(square(u), 2, true)) : u, sigma);
    },
  });
  return { particles, consensus: cache!.point };
}

/**
 * One consensus-hopping step (the scheme the paper analyses; authors' CH.m): the new particles
 * are fresh samples around the current consensus point, V^i ← v_α(V) + σ ξ^i. Returns the new
 * particles and the consensus point they were drawn around.
 */
export function consensusHopStep(f: Objective, v: Tensor, k: number, opts: { sigma: number; alpha: number; seed: number; stream?: number }): { particles: Tensor; consensus: Tensor } {
  const fn = 'consensusHopStep';
  if (!(v instanceof Tensor) || v.rank !== 3) throw typeError(fn, 'v', 'a Tensor [R, N, d]', v);
  checkInt(fn, 'k', k, 0);
  const [r, n, d] = v.shape as [number, number, number];
  return tidy(() => {
    const { point } = consensus(v, evaluateParticles(f, v), opts.alpha);
    const xi = randomNormal([r, n, d], { seed: opts.seed, stream: opts.stream ?? cboStream(1), offset: k * r * n * d, dtype: v.dtype, backend: v.backend });
    return { particles: add(reshape(point, [r, 1, d]), mul(xi, opts.sigma)), consensus: point };
  });
}

export interface ParticleRun {
  /** Final particles [R, N, d]. */
  particles: Tensor;
  /** Final consensus points [R, d] (v_α of the final particles). */
  consensus: Tensor;
  /** Consensus points after every `record` steps, each a host copy [R·d] (first: step 0). */
  trajectory: Float32Array[];
}

/**
 * Runs K steps of CBO (`method: 'cbo'`) or consensus hopping (`'ch'`) on a population V0
 * [R, N, d] and returns the final particles, the final consensus points and the recorded
 * consensus trajectory.
 * @example
 * const run = runParticles(grandCanyon3noisy, V0, { method: 'cbo', steps: 250, seed: 0 });
 */
export function runParticles(
  f: Objective,
  v0: Tensor,
  opts: CboOptions & { method?: 'cbo' | 'ch'; steps: number; record?: number },
): ParticleRun {
  const fn = 'runParticles';
  if (!(v0 instanceof Tensor) || v0.rank !== 3) throw typeError(fn, 'v0', 'a Tensor [R, N, d]', v0);
  const steps = checkInt(fn, 'opts.steps', opts.steps, 0);
  const record = checkInt(fn, 'opts.record', opts.record ?? 1, 1);
  const method = opts.method ?? 'cbo';
  if (method !== 'cbo' && method !== 'ch') throw rangeError(fn, 'opts.method', "'cbo' or 'ch'", method);
  let v = v0;
  const trajectory: Float32Array[] = [];
  for (let k = 0; k < steps; k++) {
    const out = method === 'cbo'
      ? cboStep(f, v, k, opts)
      : consensusHopStep(f, v, k, { sigma: opts.sigma ?? 0.7, alpha: opts.alpha ?? 100, seed: opts.seed, ...(opts.stream !== undefined ? { stream: opts.stream } : {}) });
    if (k % record === 0) trajectory.push(Float32Array.from(out.consensus.dataSync()));
    out.consensus.dispose();
    if (v !== v0) v.dispose();
    v = out.particles;
  }
  const point = tidy(() => consensus(v, evaluateParticles(f, v), opts.alpha ?? 100).point);
  trajectory.push(Float32Array.from(point.dataSync()));
  return { particles: v === v0 ? keep(v0) : v, consensus: point, trajectory };
}

/**
 * Gradient descent (σ = 0) or annealed Langevin dynamics on a population X [R, d] of
 * independent runs (authors' GDLangevin.m): X ← X − η ∇f(X) Δt + (σ / log(k + 1)) √Δt ξ,
 * k = 1..K. The gradient is exact (autodiff of the same tensor-op objective; the authors'
 * code takes central differences with h = 1e-5).
 */
export function langevinDescent(
  f: Objective,
  x0: Tensor,
  opts: { steps: number; dt: number; learningRate?: number; sigma?: number; seed: number; stream?: number },
): Tensor {
  const fn = 'langevinDescent';
  if (!(x0 instanceof Tensor) || x0.rank !== 2) throw typeError(fn, 'x0', 'a Tensor [R, d]', x0);
  const steps = checkInt(fn, 'opts.steps', opts.steps, 1);
  checkFinite(fn, 'opts.dt', opts.dt);
  const lr = opts.learningRate ?? 1, sigma = opts.sigma ?? 0;
  const g = grad((x: Tensor) => sum(f(x)));
  const dt = opts.dt;
  // k = 1..K in the authors' loop is grid index k − 1: noise offset (k − 1)·R·d, σ_k = σ/log(k + 1)
  return sdeSolve({
    method: 'euler-maruyama', x0, grid: Array.from({ length: steps + 1 }, (_, i) => i * dt), seed: opts.seed, stream: opts.stream ?? cboStream(2),
    drift: (x) => mul(g(x), -lr),
    diffusion: (_x, t) => (sigma > 0 ? sigma / Math.log(Math.round(t / dt) + 2) : 0),
  });
}

/**
 * The paper's two-dimensional test function `GrandCanyon3noisy` (authors'
 * BenchmarkFunctions/objective_function.m; global minimiser 0 with f(0) = 0): a curved valley
 * v2 = (2/16)(v1 − 1)(v1 − 4)² + 2 through the origin, a block across it, a convex bowl and an
 * oscillating term 8 Σ_j (1 − cos(0.75π v_j)) that makes local minima.
 */
export function grandCanyon3noisy(x: Tensor): Tensor {
  if (!(x instanceof Tensor) || x.rank !== 2 || x.shape[1] !== 2) throw typeError('grandCanyon3noisy', 'x', 'a Tensor [M, 2]', x);
  const m = x.shape[0]!;
  return tidy(() => {
    const x1 = reshape(slice(x, [0, 0], [m, 1]), [m]);
    const x2 = reshape(slice(x, [0, 1], [m, 1]), [m]);
    const a = sub(x1, 1), b = sub(x1, 4);
    const valley = sub(x2, add(mul(mul(a, square(b)), 2 / 16), 2));
    const block = sub(neg(x1), mul(x2, 1.6));
    const valley2 = square(valley);
    const canyon = mul(sub(1, exp(mul(mul(valley2, -1.4), exp(mul(square(square(x1)), -0.002))))), 100);
    const bowl = add(mul(square(x1), 1.6), mul(square(x2), 0.8));
    const wiggle = mul(sum(sub(1, cos(mul(x, 0.75 * Math.PI))), 1), 8);
    const wall = mul(mul(exp(sub(1, mul(square(valley2), 2))), 16), maximum(mul(sub(1, exp(mul(square(block), -9))), sign(block)), 0));
    return add(add(add(canyon, bowl), wiggle), wall);
  });
}

/** f(y) = (a/2)‖y‖² per row: the quadratic of the exact prox check (consensus = x/(1 + ασ²a)). */
export function quadraticObjective(a: number): Objective {
  checkFinite('quadraticObjective', 'a', a);
  return (y) => mul(sum(square(y), 1), a / 2);
}

/** max_j |x_j| per row [R, d] → host Float64Array [R] (the CBO literature's success distance). */
export function supNorm(x: Tensor): Float64Array {
  const v = tidy(() => max(abs(x), 1));
  const out = Float64Array.from(v.dataSync());
  v.dispose();
  return out;
}
