// Stochastic Lanczos quadrature (SLQ): the spectral density of a symmetric operator from a
// few Lanczos runs (Lin, Saad & Yang, SIAM Review 58, 2016; Ubaru, Chen & Saad, SIMAX 38, 2017).
//
// For a unit probe v, the measure μ_v = Σ_i (u_iᵀv)² δ(λ_i) (u_i the eigenvectors of A) is
// approximated by the m-point Gauss quadrature rule of the Lanczos run started at v:
// nodes θ_i (eigenvalues of T_m) and weights τ_i = (e_1ᵀ s_i)², the squared FIRST component
// of the i-th eigenvector of T_m (Golub & Meurant 2010, Thm 6.2). The weights of one probe
// sum to 1. With random probes E[μ_v] = (1/n) Σ_i δ(λ_i), so averaging the rules of b probes
// estimates the normalised eigenvalue density; n·Σ_i τ_i θ_i = n·vᵀAv estimates the trace.
// (PyHessian's weights τ_i = s_{1,i}² are right; using the eigenvectors' last components, or
// complex eigenvalues from a non-symmetric solver, is wrong.)

import { checkInt } from '../errors.js';
import { Lanczos } from './lanczos.js';
import type { LanczosOptions, LanczosStepInfo } from './lanczos.js';
import { operatorCall } from './operators.js';
import type { Operator, OperatorLike, SizedOperator } from './operators.js';
import { tridiagEig } from './tridiag.js';

/** A quadrature rule: nodes (ascending) and their weights. */
export interface QuadratureRule {
  nodes: Float64Array;
  weights: Float64Array;
}

/** The Gauss quadrature rule of the Jacobi matrix T = (diag, off): nodes θ_i, weights (e₁ᵀs_i)². */
export async function gaussRule(diag: Float64Array, off: Float64Array): Promise<QuadratureRule> {
  const eig = await tridiagEig(diag, off);
  return { nodes: eig.values, weights: Float64Array.from(eig.first, (s) => s * s) };
}

/** The Gauss quadrature rule of probe p of a Lanczos run (weights sum to 1). */
export async function quadratureRule(run: Lanczos, p: number): Promise<QuadratureRule> {
  checkInt('quadratureRule', 'p', p, 0, run.probes - 1);
  const { diag, off } = run.tridiagonal(p);
  return gaussRule(diag, off);
}

/** The rules of all probes of a run. */
export async function quadratureRules(run: Lanczos): Promise<QuadratureRule[]> {
  const out: QuadratureRule[] = [];
  for (let p = 0; p < run.probes; p++) out.push(await quadratureRule(run, p));
  return out;
}

export interface SlqOptions extends Omit<LanczosOptions, 'steps' | 'probes'> {
  /** Number of probe vectors (default 8). */
  probes?: number;
  /** Lanczos steps per probe (default 80, capped at n). */
  steps?: number;
  onStep?: (info: LanczosStepInfo) => void | Promise<void>;
}

export interface SlqResult {
  rules: QuadratureRule[];
  run: Lanczos;
  matvecs: number;
}

/**
 * SLQ: `probes` Lanczos runs of `steps` steps in lockstep and their quadrature rules.
 * @example
 * const { rules } = await slq(matrixOperator(a), n, { probes: 8, steps: 80, seed: 1 });
 * const { grid, density } = spectralDensity(rules, { sigma: 0.05 });
 */
export function slq(op: SizedOperator, opts?: SlqOptions): Promise<SlqResult>;
export function slq(op: Operator, n: number, opts?: SlqOptions): Promise<SlqResult>;
export async function slq(opIn: OperatorLike, nOrOpts?: number | SlqOptions, optsIn?: SlqOptions): Promise<SlqResult> {
  const { op, n, opts } = operatorCall('slq', opIn, nOrOpts, optsIn);
  checkInt('slq', 'n', n, 1);
  const { onStep, steps, probes, ...rest } = opts;
  const run = await Lanczos.create(op, n, { ...rest, steps: Math.min(steps ?? 80, n), probes: probes ?? 8 }).run(onStep);
  return { rules: await quadratureRules(run), run, matvecs: run.matvecs };
}

export interface StochasticTrace {
  trace: number;
  stdError: number;
  /** One estimate per probe: n·Σ_i τ_i θ_i. */
  samples: Float64Array;
}

/** The trace estimate carried by SLQ rules: n times the mean of Σ τ_i θ_i, with its standard error. */
export function traceFromRules(rules: readonly QuadratureRule[], n: number): StochasticTrace {
  const samples = Float64Array.from(rules, (r) => {
    let s = 0;
    for (let i = 0; i < r.nodes.length; i++) s += r.weights[i]! * r.nodes[i]!;
    return n * s;
  });
  return { ...meanAndError(samples, 'traceFromRules'), samples };
}

/**
 * Sample mean and its standard error (sample standard deviation / √count; 0 for one sample).
 * A non-finite sample is an error naming `fn` (every trace estimator reports through here), never
 * a NaN estimate.
 */
export function meanAndError(samples: ArrayLike<number>, fn = 'meanAndError'): { trace: number; stdError: number } {
  const c = samples.length;
  for (let i = 0; i < c; i++) {
    if (!Number.isFinite(samples[i]!)) throw new RangeError(`${fn}: the operator produced a non-finite value: sample ${i} of ${c} is ${samples[i]}`);
  }
  let mean = 0;
  for (let i = 0; i < c; i++) mean += samples[i]!;
  mean /= Math.max(c, 1);
  let ss = 0;
  for (let i = 0; i < c; i++) ss += (samples[i]! - mean) ** 2;
  return { trace: mean, stdError: c > 1 ? Math.sqrt(ss / (c - 1) / c) : 0 };
}
