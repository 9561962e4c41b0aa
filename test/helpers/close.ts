// Comparing results with an oracle under tolerances derived from the float format and
// the problem size, never chosen per test.
//
// u is the unit roundoff (2^-24 for float32). Bounds used here:
// - a correctly rounded op: |ŷ − y| ≤ u|y|;
// - a library function within p ulps: |ŷ − y| ≤ 2p·u·|y| (an ulp is at most 2u|y|);
// - a dot product of length k in any order (with or without FMA): |ŝ − s| ≤ k·u·Σ|a_i b_i| + O(u²)
//   (Higham, Accuracy and Stability, §3.1, γ_k);
// - a pairwise sum of n terms: |ŝ − s| ≤ (⌈log2 n⌉ + 1)·u·Σ|x_i|.

import type { ExecutionContext } from 'ava';
import type { DType } from '../../src/index.js';

export const U: Record<DType, number> = { float32: 2 ** -24, float64: 2 ** -53, int32: 0 };

/**
 * Accuracy of each elementwise function, in ulps, as WGSL guarantees it (the least accurate
 * backend); functions WGSL defines by formula get the sum of their parts' bounds.
 */
export const FUNCTION_ULPS: Record<string, number> = {
  neg: 0, abs: 0, relu: 0, step: 0, sign: 0, floor: 0, ceil: 0, square: 0.5,
  add: 0.5, sub: 0.5, mul: 0.5, max: 0, min: 0, lt: 0, le: 0, gt: 0, ge: 0, eq: 0, ne: 0,
  div: 2.5, reciprocal: 2.5, sqrt: 2.5, rsqrt: 2,
  exp: 4, expm1: 8, log: 4, log1p: 8, pow: 16, atan2: 4096,
  tanh: 8, sigmoid: 8, softplus: 8, gelu: 16, gelugrad: 16, sin: 8, cos: 8,
};

export type Bound = (i: number) => number;

/** Relative-to-value bound of p ulps plus an absolute floor (for results near 0). */
export function ulpBound(expected: ArrayLike<number>, ulps: number, dtype: DType, floor = 0): Bound {
  const u = U[dtype];
  return (i) => Math.max(2 * ulps * u * Math.abs(expected[i]!), floor) + (ulps === 0 ? 0 : u * 1e-30);
}

/**
 * Asserts |actual[i] − expected[i]| ≤ bound(i) for all i (NaN must match NaN), reporting the
 * worst element with its index, both values and the bound.
 */
export function assertClose(t: ExecutionContext, actual: ArrayLike<number>, expected: ArrayLike<number>, bound: Bound, label = ''): void {
  if (actual.length !== expected.length) {
    t.fail(`${label} length ${actual.length} ≠ expected ${expected.length}`);
    return;
  }
  let worst = -1, worstRatio = 0, failures = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!, e = expected[i]!;
    if (Number.isNaN(e) || Number.isNaN(a)) {
      if (Number.isNaN(e) !== Number.isNaN(a)) { failures++; worst = i; worstRatio = Infinity; }
      continue;
    }
    if (a === e) continue;
    const err = Math.abs(a - e), b = bound(i);
    if (!(err <= b)) {
      failures++;
      const r = b === 0 ? Infinity : err / b;
      if (r > worstRatio) { worstRatio = r; worst = i; }
    }
  }
  if (failures === 0) t.pass();
  else {
    t.fail(`${label} ${failures}/${actual.length} elements out of tolerance; worst at ${worst}: got ${actual[worst]}, expected ${expected[worst]}, |err| = ${Math.abs(actual[worst]! - expected[worst]!)} > bound ${bound(worst)}`);
  }
}
