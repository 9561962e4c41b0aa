// ODE and SDE integrators over tensors of any shape (a population is [R, d]: R replicas of a
// d-dimensional state, stepped together in one launch per op). Everything runs through the
// engine's ops, so the same code runs on reference, cpu and webgpu.
//
// Contract. A grid t_0, …, t_N (timeGrid) with steps dt_k = t_{k+1} − t_k, all positive or all
// negative (a backward grid integrates backward in time). The noise of step k is the standard
// normal tensor of x's shape at element offset k·size of the Philox stream (seed, stream), as
// randomNormal draws it: step k's noise depends on (seed, stream, k) alone, so a run resumed from
// step k (opts.from = k, x0 = the state at t_k) is bit-identical to the uninterrupted one.

import { checkInt, rangeError, typeError } from '../errors.js';
import { Tensor, tidy } from '../tensor.js';
import { randomNormal } from '../ops/creation.js';
import { add, div, exp, expm1, greater, log, mul, neg, sqrt, sub, where } from '../ops/elementwise.js';
import { checkGrid } from './grid.js';

/** A vector field (x, t) ↦ f(x, t), returning a tensor of x's shape (or one that broadcasts to it). */
export type VectorField = (x: Tensor, t: number) => Tensor;

/** Called after step k (the state at grid[k]); x belongs to the solver and is disposed after the next step. */
export type StepCallback = (x: Tensor, t: number, k: number) => void;

interface CommonOptions {
  /** The initial state at grid[from]. Not disposed by the solver. */
  x0: Tensor;
  /** Times t_0 … t_N (timeGrid); strictly monotone. */
  grid: readonly number[];
  /** Start at this grid index (x0 is the state at grid[from]); default 0. */
  from?: number;
  /** Stop at this grid index; default grid.length − 1. */
  to?: number;
  onStep?: StepCallback;
}

export interface OdeOptions extends CommonOptions {
  /** 'euler' (order 1) or 'heun' (explicit trapezoid, order 2). Default 'heun'. */
  method?: 'euler' | 'heun';
  drift: VectorField;
}

export interface SdeOptions extends CommonOptions {
  /**
   * 'euler-maruyama': x' = x + f·dt + g·√|dt|·ξ (strong order ½, weak order 1; Kloeden & Platen,
   * Numerical Solution of SDEs, §9.1, §14.1).
   * 'log-euler-maruyama' for positive states with multiplicative noise: steps Y = ln X by
   * Euler–Maruyama with Itô's correction, Y' = Y + (f/X)·dt − ½(g/X)²·|dt| + (g/X)·√|dt|·ξ, and
   * returns X' = exp(Y'), so every state stays > 0 (exact in law for geometric Brownian motion
   * f = μX, g = σX). x0 must be > 0.
   */
  method?: 'euler-maruyama' | 'log-euler-maruyama';
  drift: VectorField;
  /** The diagonal noise amplitude g(x, t): a tensor (elementwise, broadcast to x) or a number. */
  diffusion: (x: Tensor, t: number) => Tensor | number;
  seed: number;
  /** Philox stream of the noise (use your purpose's range: stream('paper8', 0)); default 0. */
  stream?: number;
}

function checkCommon(fn: string, opts: CommonOptions): { grid: readonly number[]; from: number; to: number } {
  if (opts === null || typeof opts !== 'object') throw typeError(fn, 'opts', 'an options object', opts);
  if (!(opts.x0 instanceof Tensor)) throw typeError(fn, 'opts.x0', 'a Tensor', opts.x0);
  const grid = checkGrid(fn, opts.grid);
  const to = checkInt(fn, 'opts.to', opts.to ?? grid.length - 1, 1, grid.length - 1);
  const from = checkInt(fn, 'opts.from', opts.from ?? 0, 0, to - 1);
  if (opts.onStep !== undefined && typeof opts.onStep !== 'function') throw typeError(fn, 'opts.onStep', 'a function (x, t, k) => void', opts.onStep);
  return { grid, from, to };
}

function checkField(fn: string, arg: string, f: unknown): void {
  if (typeof f !== 'function') throw typeError(fn, arg, 'a function (x: Tensor, t: number) => Tensor', f);
}

/** Runs steps from..to-1, disposing intermediate states (never x0). */
function march(opts: CommonOptions, from: number, to: number, grid: readonly number[],
  step: (x: Tensor, t: number, dt: number, k: number) => Tensor): Tensor {
  let x = opts.x0;
  for (let k = from; k < to; k++) {
    const t = grid[k]!, dt = grid[k + 1]! - t;
    const prev = x;
    x = tidy(() => step(prev, t, dt, k));
    if (prev !== opts.x0) prev.dispose();
    opts.onStep?.(x, grid[k + 1]!, k + 1);
  }
  return x;
}

/**
 * Integrates dx/dt = f(x, t) over the grid (forward or backward) from x0 and returns the state at
 * grid[to]. Euler: x' = x + f(x, t)·dt. Heun (explicit trapezoid): x̃ = x + f(x, t)·dt,
 * x' = x + ½(f(x, t) + f(x̃, t + dt))·dt (Hairer, Nørsett & Wanner, Solving ODEs I, §II.1).
 * @example
 * const x1 = odeSolve({ method: 'heun', drift: (x, t) => velocity(x, t), x0, grid: timeGrid(0, 1, 50) });
 */
export function odeSolve(opts: OdeOptions): Tensor {
  const { grid, from, to } = checkCommon('odeSolve', opts);
  checkField('odeSolve', 'opts.drift', opts.drift);
  const method = opts.method ?? 'heun';
  if (method !== 'euler' && method !== 'heun') throw typeError('odeSolve', 'opts.method', "'euler' or 'heun'", method);
  const f = opts.drift;
  return march(opts, from, to, grid, (x, t, dt) => {
    const k1 = f(x, t);
    const euler = add(x, mul(k1, dt));
    if (method === 'euler') return euler;
    const k2 = f(euler, t + dt);
    return add(x, mul(add(k1, k2), 0.5 * dt));
  });
}

/**
 * Integrates the Itô SDE dX = f(X, t)·dt + g(X, t)·dW (diagonal noise) over the grid from x0 and
 * returns the state at grid[to]; see SdeOptions.method for the two schemes. On a backward grid
 * (dt < 0) the same update runs with √|dt| (a reverse-time SDE given with its reverse drift).
 * Step k's noise ξ_k is randomNormal(x0.shape, {seed, stream, offset: k·x0.size}) in x0's dtype.
 * @example
 * // Geometric Brownian motion for R paths, kept positive by the log-space scheme:
 * const xT = sdeSolve({ method: 'log-euler-maruyama', drift: (x) => mul(x, mu), diffusion: (x) => mul(x, sigma),
 *   x0: ones([R, d]), grid: timeGrid(0, 1, 100), seed, stream: stream('paper8', 0) });
 */
export function sdeSolve(opts: SdeOptions): Tensor {
  const { grid, from, to } = checkCommon('sdeSolve', opts);
  checkField('sdeSolve', 'opts.drift', opts.drift);
  checkField('sdeSolve', 'opts.diffusion', opts.diffusion);
  const method = opts.method ?? 'euler-maruyama';
  if (method !== 'euler-maruyama' && method !== 'log-euler-maruyama') {
    throw typeError('sdeSolve', 'opts.method', "'euler-maruyama' or 'log-euler-maruyama'", method);
  }
  if (typeof opts.seed !== 'number') throw typeError('sdeSolve', 'opts.seed', 'a seed number', opts.seed);
  const stream = opts.stream ?? 0;
  const x0 = opts.x0, size = x0.size;
  const f = opts.drift, g = opts.diffusion;
  return march(opts, from, to, grid, (x, t, dt, k) => {
    const xi = randomNormal(x0.shape, { seed: opts.seed, stream, offset: k * size, dtype: x0.dtype, backend: x0.backend });
    const sq = Math.sqrt(Math.abs(dt));
    const gx = g(x, t);
    if (method === 'euler-maruyama') {
      return add(add(x, mul(f(x, t), dt)), mul(xi, typeof gx === 'number' ? gx * sq : mul(gx, sq)));
    }
    const a = div(f(x, t), x);
    const b = div(gx, x);
    const y = add(add(log(x), mul(a, dt)), sub(mul(mul(xi, b), sq), mul(mul(b, b), 0.5 * Math.abs(dt))));
    return exp(y);
  });
}

export interface OUStepOptions {
  /** Mean-reversion rate θ ≥ 0 (a number or a tensor broadcasting to x). */
  theta: number | Tensor;
  /** Long-run mean μ. */
  mu: number | Tensor;
  /** Noise amplitude σ ≥ 0. */
  sigma: number | Tensor;
  /** Time step dt ≥ 0. */
  dt: number;
  /** Standard normal noise of x's shape (e.g. randomNormal(x.shape, {seed, stream, offset})). */
  noise: Tensor;
}

/**
 * One exact transition of the Ornstein–Uhlenbeck process dX = θ(μ − X)dt + σ dW over dt:
 * X' = μ + (X − μ)e^{−θdt} + σ·√((1 − e^{−2θdt})/(2θ))·ξ (Gardiner, Stochastic Methods, §3.8.4);
 * at θ = 0 the variance factor is its limit dt. Exact in law for any dt, so no discretisation error.
 * @example
 * const x1 = ouStep(x, { theta: 2, mu: 0, sigma: 1, dt: 0.1, noise: randomNormal(x.shape, { seed, stream: stream('paper19', 0) }) });
 */
export function ouStep(x: Tensor, opts: OUStepOptions): Tensor {
  if (!(x instanceof Tensor)) throw typeError('ouStep', 'x', 'a Tensor', x);
  if (opts === null || typeof opts !== 'object') throw typeError('ouStep', 'opts', 'an options object', opts);
  const { theta, mu, sigma, dt, noise } = opts;
  if (typeof dt !== 'number' || !(dt >= 0) || !Number.isFinite(dt)) throw rangeError('ouStep', 'opts.dt', 'a finite number ≥ 0', dt);
  if (!(noise instanceof Tensor)) throw typeError('ouStep', 'opts.noise', 'a Tensor of standard normals', noise);
  for (const [k, v] of [['opts.theta', theta], ['opts.mu', mu], ['opts.sigma', sigma]] as const) {
    if (typeof v === 'number') {
      if (!Number.isFinite(v) || (k !== 'opts.mu' && v < 0)) throw rangeError('ouStep', k, k === 'opts.mu' ? 'a finite number' : 'a finite number ≥ 0', v);
    } else if (!(v instanceof Tensor)) {
      throw typeError('ouStep', k, 'a number or a Tensor', v);
    }
  }
  return tidy(() => {
    let decay: Tensor | number, sd: Tensor | number;
    if (typeof theta === 'number') {
      decay = Math.exp(-theta * dt);
      const v = theta === 0 ? dt : -Math.expm1(-2 * theta * dt) / (2 * theta);
      sd = typeof sigma === 'number' ? sigma * Math.sqrt(v) : mul(sigma, Math.sqrt(v));
    } else {
      // −expm1(−2θdt)/(2θ), and its limit dt where θ = 0 (where() drops the 0/0 of that branch).
      decay = exp(mul(theta, -dt));
      const v = where(greater(theta, 0), div(neg(expm1(mul(theta, -2 * dt))), mul(theta, 2)), dt);
      sd = mul(sigma, sqrt(v));
    }
    const dev = mul(sub(x, mu), decay);
    return add(add(dev, mu), mul(noise, sd));
  });
}
