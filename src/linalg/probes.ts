// Random probe vectors for the stochastic estimators, drawn from the shared Philox
// generator (src/random.ts) so that every backend, block size and resumed run sees the
// same numbers: probe i of (seed, stream) is elements [i·n, (i+1)·n) of that stream.
// Each estimator uses its own stream (PROBE_STREAM, in the registry's 'probes' range, disjoint
// from initialisation and shuffling) so their probes are independent.

import type { DType } from '../dtype.js';
import { checkInt, rangeError } from '../errors.js';
import type { Backend, BackendName } from '../backend/ops.js';
import * as random from '../random.js';
import { tensor } from '../ops/creation.js';
import type { Tensor } from '../tensor.js';

export type ProbeDistribution = 'rademacher' | 'gaussian';

/** The Philox stream of each estimator's probes. */
export const PROBE_STREAM = {
  lanczos: random.stream('probes', 1),
  hutchinson: random.stream('probes', 2),
  hutchppSketch: random.stream('probes', 3),
  hutchppProbe: random.stream('probes', 4),
  power: random.stream('probes', 5),
  deflation: random.stream('probes', 6),
} as const;

export interface ProbeOptions {
  seed: number;
  stream: number;
  /** Index of the first probe (default 0). */
  first?: number;
  dtype?: DType;
  backend?: Backend | BackendName;
  /** Scale each probe to unit norm (default false). */
  normalize?: boolean;
}

/** Probe values on the host: `count` rows of n, row-major, float32 (exact: ±1) or float64. */
function hostProbes(dist: ProbeDistribution, n: number, count: number, opts: ProbeOptions, dtype: 'float32' | 'float64'): Float32Array | Float64Array {
  checkInt('probes', 'n', n, 1);
  checkInt('probes', 'count', count, 0);
  if (dist !== 'rademacher' && dist !== 'gaussian') throw rangeError('probes', 'distribution', "'rademacher' or 'gaussian'", dist);
  const first = opts.first ?? 0;
  const raw = dist === 'rademacher'
    ? random.rademacher(opts.seed, n * count, first * n, opts.stream)
    : random.normal(opts.seed, n * count, first * n, opts.stream);
  // Normalising rounds once from float64; otherwise the float32 values are the values.
  if (!opts.normalize) return dtype === 'float32' ? raw : Float64Array.from(raw);
  const out = Float64Array.from(raw);
  for (let r = 0; r < count; r++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += out[r * n + i]! ** 2;
    const inv = 1 / Math.sqrt(s);
    for (let i = 0; i < n; i++) out[r * n + i]! *= inv;
  }
  return dtype === 'float32' ? Float32Array.from(out) : out;
}

/** Probe values on the host: `count` rows of n, row-major, float64. */
export function probeValues(dist: ProbeDistribution, n: number, count: number, opts: ProbeOptions): Float64Array {
  return hostProbes(dist, n, count, opts, 'float64') as Float64Array;
}

/** Probes as a tensor of shape [count, n] (one probe per row). */
export function probeRows(dist: ProbeDistribution, n: number, count: number, opts: ProbeOptions): Tensor {
  const dtype = opts.dtype ?? 'float32';
  if (dtype !== 'float32' && dtype !== 'float64') throw rangeError('probes', 'opts.dtype', "'float32' or 'float64'", dtype);
  return tensor(hostProbes(dist, n, count, opts, dtype), [count, n], {
    dtype,
    ...(opts.backend ? { backend: opts.backend } : {}),
  });
}
