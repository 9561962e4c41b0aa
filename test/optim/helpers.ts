// Shared pieces of the optimizer tests: seeded problems and the float32 error bound of a
// trajectory.

import * as d from '../../src/index.js';
import type { Backend } from '../../src/index.js';
import { createOptimizer } from '../../src/optim/index.js';
import type { Optimizer } from '../../src/optim/index.js';
import { uniform, rademacher } from '../../src/random.js';

export const U32 = 2 ** -24;

/**
 * Parameters and gradients with a fixed random sign σ_i per coordinate: p_i = σ_i·(1 + w),
 * g_{t,i} = σ_i·(0.5 + w′), w, w′ uniform on (0, 1). With every gradient, state and update
 * of one sign there is no cancellation inside an update, so each quantity's relative
 * rounding error stays bounded (the premise of `trajectoryBound`).
 */
export function signedProblem(n: number, steps: number, seed: number, positive = false): { p0: Float32Array; grads: Float32Array[] } {
  const sign = positive ? new Float32Array(n).fill(1) : rademacher(seed, n, 0, 1);
  const p0 = uniform(seed, n, 0, 2).map((w, i) => sign[i]! * (1 + w));
  const grads = Array.from({ length: steps }, (_, t) => uniform(seed, n, 0, 10 + t).map((w, i) => sign[i]! * (0.5 + w)));
  return { p0, grads };
}

export interface Trajectory {
  /** p after each step (p[0] = start), as numbers. */
  p: Float64Array[];
  opt: Optimizer;
}

/** Runs `steps` steps of optimizer `kind` on backend b in dtype, from p0 with the given gradients. */
export async function trajectory(b: Backend, dtype: 'float32' | 'float64', kind: string, options: Record<string, unknown>,
  p0: Float32Array, shape: number[], grads: Float32Array[]): Promise<Trajectory> {
  const params = d.tensor(p0, shape, { backend: b, dtype });
  const opt = createOptimizer(kind, params, options);
  const p: Float64Array[] = [Float64Array.from(await params.data())];
  for (const g of grads) {
    const gt = d.tensor(g, shape, { backend: b, dtype });
    opt.step(gt);
    gt.dispose();
    p.push(Float64Array.from(await params.data()));
  }
  return { p, opt };
}

/**
 * The float32 error bound of a trajectory computed exactly (float64) as `ref`:
 * |p̂_T − p_T| ≤ u·Σ_t (A·(|p_t| + floor) + (c0 + c1·t)·|p_t − p_{t−1}|).
 * A counts the roundings that act on p itself each step (2 for keep·p and the subtraction,
 * more for a second iterate or a multiplicative update); c0 counts the roundings inside one
 * update, in units of u (a correctly rounded op is 1; WGSL's div and sqrt are 2.5 ulp = 5,
 * exp 3 + 2|x| ulp ≤ 8 for the small arguments here); c1 the growth per step of the relative
 * error of the state the update reads (each EMA or sum step adds its own roundings, and
 * with no cancellation they add up linearly).
 */
export function trajectoryBound(ref: Float64Array[], A: number, c0: number, c1: number, floor = 0): (i: number) => number {
  const T = ref.length - 1;
  return (i) => {
    let e = 0;
    for (let t = 1; t <= T; t++) {
      e += A * (Math.abs(ref[t]![i]!) + floor) + (c0 + c1 * t) * Math.abs(ref[t]![i]! - ref[t - 1]![i]!);
    }
    return U32 * e;
  };
}
