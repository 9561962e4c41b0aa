// The 1-D Gaussian-mean problem of PAPERS.md §12: data N(θ*, 1), noise q = N(0, 1), energy
// E_θ(x) = (x − θ)²/2 (so log Z(θ) = log √(2π) is constant in θ and the exact compositional
// gradient is θ − θ* [derived]), with the exact-expectation (Gauss–Hermite) mode and GD step
// counts for the compositional NLL and for NCE.

import { mul, square, sub, tensor } from '../../engine.js';
import type { Tensor } from '../../engine.js';
import { CompositionalNLL, nceValueAndGrad } from './nll.js';
import type { Energy, NoisePoints, WeightedPoints } from './nll.js';
import { normalRule } from './quadrature.js';

/** E_θ(x) = (x − θ)²/2 for θ [1] and points x [n] → [n]. */
export const gaussianMeanEnergy: Energy = (theta, x) => mul(square(sub(x, theta)), 0.5);

/** log N(x; 0, 1). */
export const logStdNormal = (x: number): number => -0.5 * x * x - 0.5 * Math.log(2 * Math.PI);

/** Exact-expectation points: the Gauss–Hermite rules of the data N(θ*, 1) and of q = N(0, 1). */
export function exactPoints(thetaStar: number, nodes: number): { data: WeightedPoints & { logq: Float64Array }; noise: NoisePoints } {
  const d = normalRule(nodes, thetaStar, 1), q = normalRule(nodes, 0, 1);
  return {
    data: { x: tensor(d.points, [nodes], { dtype: 'float64' }), weights: d.weights, logq: d.points.map(logStdNormal) },
    noise: { x: tensor(q.points, [nodes], { dtype: 'float64' }), weights: q.weights, logq: q.points.map(logStdNormal) },
  };
}

export interface StepCountOptions {
  step: number;
  /** Stop when |θ − θ*| < tol. */
  tol: number;
  nodes: number;
  maxSteps: number;
}

/** GD steps of the exact compositional gradient (γ = 1, quadrature) from θ = 0 until |θ − θ*| < tol (maxSteps + 1 if never). */
export function compositionalSteps(thetaStar: number, o: StepCountOptions): { steps: number; path: number[] } {
  const { data, noise } = exactPoints(thetaStar, o.nodes);
  const est = new CompositionalNLL({ energy: gaussianMeanEnergy, gamma: 1 });
  let theta = 0;
  const path = [theta];
  let k = 0;
  while (Math.abs(theta - thetaStar) >= o.tol && k < o.maxSteps) {
    const th = tensor([theta], [1], { dtype: 'float64' });
    const { grad } = est.gradient(th, data, noise);
    theta -= o.step * grad.dataSync()[0]!;
    grad.dispose();
    th.dispose();
    path.push(theta);
    k++;
  }
  data.x.dispose();
  noise.x.dispose();
  return { steps: Math.abs(theta - thetaStar) < o.tol ? k : o.maxSteps + 1, path };
}

/** GD steps of exact NCE (learned c, c₀ = log √(2π)) from θ = 0 until |θ − θ*| < tol. */
export function nceSteps(thetaStar: number, o: StepCountOptions, onPath?: (k: number, theta: number, c: number) => void): { steps: number; theta: number; c: number } {
  const { data, noise } = exactPoints(thetaStar, o.nodes);
  let theta = 0, c = 0.5 * Math.log(2 * Math.PI);
  let k = 0;
  while (Math.abs(theta - thetaStar) >= o.tol && k < o.maxSteps) {
    const pc = tensor([theta, c], [2], { dtype: 'float64' });
    const { grad } = nceValueAndGrad(gaussianMeanEnergy, pc, data, noise);
    const g = grad.dataSync();
    theta -= o.step * g[0]!;
    c -= o.step * g[1]!;
    grad.dispose();
    pc.dispose();
    k++;
    onPath?.(k, theta, c);
  }
  data.x.dispose();
  noise.x.dispose();
  return { steps: Math.abs(theta - thetaStar) < o.tol ? k : o.maxSteps + 1, theta, c };
}
