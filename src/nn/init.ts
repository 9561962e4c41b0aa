// Seeded initialisers over a parameter layout: He (Kaiming) and Glorot (Xavier), normal or
// uniform, biases zero. Numbers come from the shared Philox generator (src/random.ts), so an
// initialisation is identical on every backend: weight parameter number j (in layout order)
// of replica r takes elements [r·size, (r+1)·size) of stream('init', j) under the seed (the
// 'init' range of the stream registry, disjoint from shuffling and probes), which makes
// replica 0 of a population equal to the single model with the same seed. With `sameInit`
// every replica takes replica 0's elements: R copies of the single model's initialisation.

import { checkInt, rangeError, typeError } from '../errors.js';
import { arrayFor } from '../dtype.js';
import type { DType } from '../dtype.js';
import type { Backend, BackendName } from '../backend/ops.js';
import { tensor } from '../ops/creation.js';
import { normal, stream, uniform } from '../random.js';
import type { Tensor } from '../tensor.js';
import type { ParamInfo, ParamLayout } from './layout.js';

export type InitScheme = 'he' | 'glorot';

export interface InitOptions {
  seed: number;
  /** He: variance 2/fanIn (for relu-like activations); Glorot: variance 2/(fanIn + fanOut). */
  scheme?: InitScheme;
  /** Normal with that variance (default) or uniform on ±√(3·variance). */
  distribution?: 'normal' | 'uniform';
  /** A population arena [replicas, P] instead of [P]. */
  replicas?: number;
  /**
   * The same initialisation in every replica (replica 0's, i.e. the single model's with this
   * seed), e.g. for federated clients or a learning-rate sweep from one starting point.
   * Default false: each replica draws its own elements.
   */
  sameInit?: boolean;
  dtype?: DType;
  backend?: Backend | BackendName;
}

/** The variance of a weight under a scheme. */
export function initVariance(p: ParamInfo, scheme: InitScheme): number {
  return scheme === 'he' ? 2 / p.fanIn : 2 / (p.fanIn + p.fanOut);
}

/**
 * A freshly initialised arena for `layout` ([P], or [replicas, P]).
 * @example
 * const params = initParams(net.layout, { seed: 1, scheme: 'he' });
 */
export function initParams(layout: ParamLayout, opts: InitOptions & { scheme: InitScheme }): Tensor {
  const fn = 'initParams';
  if (!opts || typeof opts.seed !== 'number') throw typeError(fn, 'opts.seed', 'a seed number', opts?.seed);
  if (opts.scheme !== 'he' && opts.scheme !== 'glorot') throw rangeError(fn, 'opts.scheme', "'he' or 'glorot'", opts.scheme);
  const dist = opts.distribution ?? 'normal';
  if (dist !== 'normal' && dist !== 'uniform') throw rangeError(fn, 'opts.distribution', "'normal' or 'uniform'", dist);
  const replicas = opts.replicas === undefined ? 1 : checkInt(fn, 'opts.replicas', opts.replicas, 1);
  if (opts.sameInit !== undefined && typeof opts.sameInit !== 'boolean') throw typeError(fn, 'opts.sameInit', 'a boolean', opts.sameInit);
  const same = opts.sameInit ?? false;
  const dtype = opts.dtype ?? 'float32';
  const P = layout.size;
  const out = arrayFor(dtype, replicas * P);
  layout.params.forEach((p, j) => {
    if (p.role !== 'weight') return;
    const variance = initVariance(p, opts.scheme);
    for (let r = 0; r < replicas; r++) {
      const base = r * P + p.offset;
      if (same && r > 0) {
        out.copyWithin(base, p.offset, p.offset + p.size);
        continue;
      }
      const scale = dist === 'normal' ? Math.sqrt(variance) : Math.sqrt(3 * variance);
      const draws = dist === 'normal' ? normal(opts.seed, p.size, r * p.size, stream('init', j)) : uniform(opts.seed, p.size, r * p.size, stream('init', j));
      for (let i = 0; i < p.size; i++) out[base + i] = dist === 'normal' ? scale * draws[i]! : scale * (2 * draws[i]! - 1);
    }
  });
  const shape = opts.replicas === undefined ? [P] : [replicas, P];
  return tensor(out, shape, { dtype, ...(opts.backend ? { backend: opts.backend } : {}) });
}
