// Seeded test data from the shared generator.

import { normal, uniform } from '../../src/random.js';

/** n standard normal numbers (float32) for a test, reproducible from `seed`. */
export function randn(n: number, seed: number): Float32Array {
  return normal(seed, n);
}

/** n numbers uniform on (lo, hi). */
export function randu(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  return uniform(seed, n).map((v) => lo + (hi - lo) * v);
}

/** Sizes that stress kernels: empty, one, primes, and just off SIMD widths and block sizes. */
export const AWKWARD = [0, 1, 2, 3, 7, 15, 16, 17, 31, 33, 63, 65, 127, 129] as const;

/** A short, stable label for a case's parameters: `m=3 n=5 transA`. */
export function label(params: Record<string, unknown>): string {
  return Object.entries(params)
    .map(([k, v]) => (v === true ? k : v === false ? '' : `${k}=${Array.isArray(v) ? `[${v.join(',')}]` : v}`))
    .filter(Boolean)
    .join(' ');
}
