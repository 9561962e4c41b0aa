// Time grids for the integrators: uniform, backward (dt < 0) and shifted.

import { checkFinite, checkInt, rangeError } from '../errors.js';

export interface TimeGridOptions {
  /**
   * Warp each point s of the uniform grid to shift·s/(1 + (shift − 1)·s) (the timestep shift of
   * rectified-flow samplers, e.g. Esser et al., "Scaling rectified flow transformers", 2024, §5.3.2;
   * G²RPO's σ schedule). Default 1 (no warp). With shift ≠ 1, t0 and t1 must lie in [0, 1]; shift > 1
   * spends more steps near 1 (high noise), shift < 1 near 0. The warp fixes 0 and 1.
   */
  shift?: number;
}

/**
 * steps + 1 times from t0 to t1 inclusive, uniformly spaced (t_k = t0 + k·(t1 − t0)/steps, the last
 * exactly t1), then warped by `shift`. t1 < t0 gives a backward grid: every dt = t_{k+1} − t_k < 0,
 * which the solvers integrate backward in time.
 * @example
 * timeGrid(0, 1, 4);               // [0, 0.25, 0.5, 0.75, 1]
 * timeGrid(1, 0, 4, { shift: 3 }); // G²RPO's σ schedule for S = 4, shift 3: [1, 0.9, 0.75, 0.5, 0]
 */
export function timeGrid(t0: number, t1: number, steps: number, opts: TimeGridOptions = {}): number[] {
  checkFinite('timeGrid', 't0', t0);
  checkFinite('timeGrid', 't1', t1);
  checkInt('timeGrid', 'steps', steps, 1);
  if (t0 === t1) throw rangeError('timeGrid', 't1', `a time different from t0 = ${t0}`, t1);
  const shift = checkFinite('timeGrid', 'opts.shift', opts.shift ?? 1);
  if (!(shift > 0)) throw rangeError('timeGrid', 'opts.shift', 'a positive number', shift);
  if (shift !== 1) {
    for (const [k, v] of [['t0', t0], ['t1', t1]] as const) {
      if (v < 0 || v > 1) throw rangeError('timeGrid', k, 'a time in [0, 1] (a shifted grid warps [0, 1])', v);
    }
  }
  const out = new Array<number>(steps + 1);
  for (let k = 0; k <= steps; k++) {
    const s = k === steps ? t1 : t0 + (k * (t1 - t0)) / steps;
    out[k] = shift === 1 ? s : (shift * s) / (1 + (shift - 1) * s);
  }
  return out;
}

/** Checks a grid: at least 2 finite times, strictly monotone (all increasing or all decreasing). */
export function checkGrid(fn: string, grid: unknown): readonly number[] {
  if (!Array.isArray(grid) || grid.length < 2) throw rangeError(fn, 'opts.grid', 'an array of at least 2 times (see timeGrid)', grid);
  const dir = Math.sign(grid[1] - grid[0]);
  for (let k = 0; k < grid.length; k++) {
    if (typeof grid[k] !== 'number' || !Number.isFinite(grid[k])) {
      throw new RangeError(`${fn}: expected finite times in 'opts.grid' but element ${k} is ${String(grid[k])}`);
    }
    if (k > 0 && (dir === 0 || Math.sign(grid[k] - grid[k - 1]) !== dir)) {
      throw new RangeError(`${fn}: expected a strictly monotone 'opts.grid' but times ${k - 1} and ${k} are ${grid[k - 1]} and ${grid[k]}`);
    }
  }
  return grid as number[];
}
