// Seeded shuffling, subset selection and minibatching over row indices.
//
// Contract: everything here works on indices (Int32Array), never on the data, and draws its
// randomness from descent's one generator (src/random.ts, Philox4x32-10). A shuffle of seed s
// for epoch e reads the u32 words of stream('shuffle', e) under seed s in order (the 'shuffle'
// range of the stream registry, disjoint from initialisation and probes). Integers uniform on
// [0, b) come from those words by rejection (no modulo bias): a word w is used when
// w < 2^32 − (2^32 mod b) and gives w mod b; a rejected word is skipped. The permutation is a
// forward Fisher–Yates shuffle (for i = 0 … n−2 swap i with i + U[0, n−i)), so the first k
// entries of `permutation(n, s, e)` are exactly `subsetIndices(n, k, s, e)`: a uniform random
// k-subset in random order. Results depend only on (n, seed, epoch), not on call sizes.
// `batches` is the one tensor-valued helper: it gathers each minibatch's rows and uploads them.

import type { Backend, BackendName } from '../backend/ops.js';
import { checkInt, rangeError, typeError } from '../errors.js';
import { tensor } from '../ops/creation.js';
import { stream, STREAM_INDEX_LIMIT, words } from '../random.js';
import type { Tensor } from '../tensor.js';

const CHUNK = 4096;

/** Uniform integers on [0, bound) from one Philox stream, by rejection. */
export class IntStream {
  private buf: Uint32Array = new Uint32Array(0);
  private at = 0;
  private position = 0;

  private readonly chunk: number;

  /** `expectedDraws` only sizes the internal buffer; the numbers drawn do not depend on it. */
  constructor(readonly seed: number, readonly stream = 0, expectedDraws = CHUNK) {
    checkInt('IntStream', 'seed', seed, 0);
    checkInt('IntStream', 'stream', stream, 0, 0xffffffff);
    this.chunk = Math.max(4, Math.min(CHUNK, Math.ceil(expectedDraws / 4) * 4));
  }

  private word(): number {
    if (this.at === this.buf.length) {
      this.buf = words(this.seed, this.chunk, this.position, this.stream);
      this.position += this.chunk;
      this.at = 0;
    }
    return this.buf[this.at++]!;
  }

  /** An integer uniform on [0, bound), bound in [1, 2^32]. */
  next(bound: number): number {
    const limit = 2 ** 32 - (2 ** 32 % bound);
    for (;;) {
      const w = this.word();
      if (w < limit) return w % bound;
    }
  }
}

function checkSeed(fn: string, seed: unknown): number {
  return checkInt(fn, 'seed', seed, 0);
}

function checkEpoch(fn: string, epoch: unknown): number {
  return checkInt(fn, 'epoch', epoch, 0, STREAM_INDEX_LIMIT - 1);
}

/** Shuffles `a` in place with a forward Fisher–Yates driven by stream('shuffle', epoch) of `seed`. */
export function shuffleInPlace<T extends { length: number; [i: number]: number }>(a: T, seed: number, epoch = 0): T {
  checkSeed('shuffleInPlace', seed);
  checkEpoch('shuffleInPlace', epoch);
  const n = a.length;
  const rng = new IntStream(seed, stream('shuffle', epoch), n);
  for (let i = 0; i + 1 < n; i++) {
    const j = i + rng.next(n - i);
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
  return a;
}

/**
 * A seeded permutation of 0 … n−1.
 * @example
 * permutation(5, 42);    // the same 5-permutation on every run and every machine
 * permutation(5, 42, 1); // the next epoch's, independent of epoch 0's
 */
export function permutation(n: number, seed: number, epoch = 0): Int32Array {
  checkInt('permutation', 'n', n, 0, 2 ** 31 - 1);
  checkSeed('permutation', seed);
  checkEpoch('permutation', epoch);
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  return shuffleInPlace(p, seed, epoch);
}

/**
 * `size` row indices out of `total`: the first `size` rows in order when `seed` is omitted,
 * else a uniform random subset in random order (the first `size` entries of
 * `permutation(total, seed, epoch)`, computed in O(size) draws).
 */
export function subsetIndices(total: number, size: number, seed?: number, epoch = 0): Int32Array {
  checkInt('subsetIndices', 'total', total, 0, 2 ** 31 - 1);
  checkInt('subsetIndices', 'size', size, 0, total);
  const out = new Int32Array(size);
  if (seed === undefined) {
    for (let i = 0; i < size; i++) out[i] = i;
    return out;
  }
  checkSeed('subsetIndices', seed);
  checkEpoch('subsetIndices', epoch);
  // A sparse Fisher–Yates: only displaced positions are stored, so memory is O(size).
  const moved = new Map<number, number>();
  const rng = new IntStream(seed, stream('shuffle', epoch), size);
  for (let i = 0; i < size && i + 1 < total; i++) {
    const j = i + rng.next(total - i);
    const vi = moved.get(i) ?? i;
    const vj = moved.get(j) ?? j;
    out[i] = vj;
    moved.set(j, vi);
  }
  if (size === total && total > 0) out[total - 1] = moved.get(total - 1) ?? total - 1;
  return out;
}

export interface MinibatchOptions {
  batchSize: number;
  /** Shuffle with this seed; omit to keep file order. */
  seed?: number;
  /** Which epoch's permutation (stream) to use; 0 by default. */
  epoch?: number;
  /** Drop a last batch smaller than batchSize. Default false. */
  dropLast?: boolean;
}

/** Number of batches `minibatches` yields. */
export function batchCount(n: number, batchSize: number, dropLast = false): number {
  return dropLast ? Math.floor(n / batchSize) : Math.ceil(n / batchSize);
}

/**
 * The row indices of one epoch's minibatches over n rows (views into one index array).
 * @example
 * for (let epoch = 0; epoch < 3; epoch++)
 *   for (const rows of minibatches(60000, { batchSize: 128, seed: 1, epoch })) train(rows);
 */
export function* minibatches(n: number, options: MinibatchOptions): Generator<Int32Array, void, undefined> {
  if (typeof options !== 'object' || options === null) throw typeError('minibatches', 'options', 'an object', options);
  checkInt('minibatches', 'n', n, 0, 2 ** 31 - 1);
  const batchSize = checkInt('minibatches', 'batchSize', options.batchSize, 1);
  const epoch = checkEpoch('minibatches', options.epoch ?? 0);
  let order: Int32Array;
  if (options.seed === undefined) {
    order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
  } else {
    order = permutation(n, checkSeed('minibatches', options.seed), epoch);
  }
  const count = batchCount(n, batchSize, options.dropLast ?? false);
  for (let b = 0; b < count; b++) yield order.subarray(b * batchSize, Math.min(n, (b + 1) * batchSize));
}

/** Rows `rows` of a row-major matrix with `width` columns, gathered in order. */
export function gatherRows<T extends Float32Array | Int32Array>(x: T, width: number, rows: ArrayLike<number>): T {
  checkInt('gatherRows', 'width', width, 0);
  if (width > 0 && x.length % width !== 0) {
    throw new RangeError(`gatherRows: expected a length divisible by width ${width} for 'x' but received length ${x.length}`);
  }
  const total = width > 0 ? x.length / width : 0;
  const out = new (x.constructor as { new(n: number): T })(rows.length * width);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    if (!Number.isInteger(r) || r < 0 || r >= total) {
      throw new RangeError(`gatherRows: expected row indices in [0, ${total}) for 'rows' but received ${r} at position ${i}`);
    }
    out.set(x.subarray(r * width, (r + 1) * width), i * width);
  }
  return out;
}

/** What `batches` reads: a classification or regression set (host arrays, see dataset.ts). */
export interface BatchSource {
  /** n × features, row-major. */
  x: Float32Array;
  /** n int32 labels, or n × outputs float32 targets. */
  y: Int32Array | Float32Array;
  n: number;
  features: number;
}

export interface BatchesOptions extends MinibatchOptions {
  /** Where the tensors go (default: the default backend). */
  backend?: Backend | BackendName;
  /** The dtype of x and of float targets (default float32). */
  dtype?: 'float32' | 'float64';
}

/** One minibatch as tensors; the caller owns (and disposes) all three. */
export interface Batch {
  /** [b, features]. */
  x: Tensor;
  /** int32 labels [b], or float targets [b, outputs]. */
  y: Tensor;
  /** The batch's row numbers in the data set, int32 [b]. */
  indices: Tensor;
}

/**
 * One epoch's minibatches of a data set as tensors: the rows of `minibatches(n, options)`
 * (the seed's permutation for this epoch, stream('shuffle', epoch), or file order without a
 * seed) gathered on the host and uploaded. A population shares each batch: pass x [b, F] to a
 * model with params [R, P] and the labels [b] to a loss with reduction 'replicaMean'.
 * @example
 * for (let epoch = 0; epoch < 3; epoch++) {
 *   for (const { x, y, indices } of batches(train, { batchSize: 128, seed: 1, epoch })) {
 *     step(x, y);
 *     dispose([x, y, indices]);
 *   }
 * }
 */
export function* batches(data: BatchSource, options: BatchesOptions): Generator<Batch, void, undefined> {
  const fn = 'batches';
  if (data === null || typeof data !== 'object' || !(data.x instanceof Float32Array)) {
    throw typeError(fn, 'data', 'a data set { x: Float32Array, y, n, features }', data);
  }
  const n = checkInt(fn, 'data.n', data.n, 0, 2 ** 31 - 1);
  const features = checkInt(fn, 'data.features', data.features, 0);
  if (data.x.length !== n * features) throw new RangeError(`${fn}: expected ${n} × ${features} values in 'data.x' but received ${data.x.length}`);
  if (!(data.y instanceof Int32Array) && !(data.y instanceof Float32Array)) throw typeError(fn, 'data.y', 'an Int32Array of labels or a Float32Array of targets', data.y);
  if (n > 0 && data.y.length % n !== 0) throw new RangeError(`${fn}: expected a multiple of ${n} values in 'data.y' but received ${data.y.length}`);
  if (typeof options !== 'object' || options === null) throw typeError(fn, 'options', 'an object { batchSize, seed?, epoch?, backend? }', options);
  const dtype = options.dtype ?? 'float32';
  if (dtype !== 'float32' && dtype !== 'float64') throw rangeError(fn, 'options.dtype', "'float32' or 'float64'", dtype);
  const outputs = n > 0 ? data.y.length / n : 0;
  const labels = data.y instanceof Int32Array;
  if (labels && outputs !== 1) throw new RangeError(`${fn}: expected one int32 label per row in 'data.y' but received ${outputs} per row`);
  const where = options.backend === undefined ? {} : { backend: options.backend };
  for (const rows of minibatches(n, options)) {
    const b = rows.length;
    const x = tensor(gatherRows(data.x, features, rows), [b, features], { ...where, dtype });
    const y = labels
      ? tensor(gatherRows(data.y as Int32Array, 1, rows), [b], { ...where, dtype: 'int32' })
      : tensor(gatherRows(data.y as Float32Array, outputs, rows), [b, outputs], { ...where, dtype });
    const indices = tensor(Int32Array.from(rows), [b], { ...where, dtype: 'int32' });
    yield { x, y, indices };
  }
}
