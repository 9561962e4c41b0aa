// Creating tensors: from data, constants, ranges and the shared seeded generator.

import { arrayFor, checkDType } from '../dtype.js';
import type { DType } from '../dtype.js';
import { rangeError, typeError } from '../errors.js';
import type { Backend, BackendName, HostArray } from '../backend/ops.js';
import { backendSync } from '../backend/backend.js';
import * as random from '../random.js';
import { checkShape, sizeOf } from '../shape.js';
import type { Shape } from '../shape.js';
import { allocStorage, Tensor } from '../tensor.js';

export interface CreateOptions {
  dtype?: DType;
  /** A backend or its name; default: the default backend (see useBackend). */
  backend?: Backend | BackendName;
}

function flatten(fn: string, data: unknown, shape: number[], out: number[], depth = 0): void {
  if (Array.isArray(data)) {
    if (shape.length === depth) shape.push(data.length);
    else if (shape[depth] !== data.length) throw new RangeError(`${fn}: expected a rectangular nested array for 'data' but the rows at depth ${depth} have lengths ${shape[depth]} and ${data.length}`);
    for (const v of data) flatten(fn, v, shape, out, depth + 1);
  } else if (typeof data === 'number') {
    if (depth !== shape.length) throw new RangeError(`${fn}: expected a rectangular nested array for 'data' but found a number at depth ${depth}`);
    out.push(data);
  } else {
    throw typeError(fn, 'data', 'numbers, nested arrays of numbers, or a typed array', data);
  }
}

/**
 * A tensor from numbers, nested arrays or a typed array (with an explicit shape).
 * @example
 * const x = tensor([[1, 2], [3, 4]]);      // float32, shape [2, 2]
 * const y = tensor(new Float32Array(6), [2, 3]);
 */
export function tensor(data: number | readonly unknown[] | HostArray, shape?: Shape, opts: CreateOptions = {}): Tensor {
  if (opts.dtype !== undefined) checkDType('tensor', 'opts.dtype', opts.dtype);
  let flat: HostArray;
  let dims: number[];
  if (ArrayBuffer.isView(data)) {
    if (!(data instanceof Float32Array || data instanceof Float64Array || data instanceof Int32Array)) {
      throw typeError('tensor', 'data', 'a Float32Array, Float64Array or Int32Array', data);
    }
    dims = shape ? checkShape('tensor', 'shape', shape) : [data.length];
    const own = data instanceof Float64Array ? 'float64' : data instanceof Int32Array ? 'int32' : 'float32';
    const dtype = opts.dtype ?? own;
    // upload() copies, so data of the right type goes to it as is.
    if (dtype === own) {
      flat = data;
    } else {
      flat = arrayFor(dtype, data.length);
      flat.set(data);
    }
  } else {
    const values: number[] = [];
    dims = [];
    flatten('tensor', data, dims, values);
    if (shape) dims = checkShape('tensor', 'shape', shape);
    flat = arrayFor(opts.dtype ?? 'float32', values.length);
    flat.set(values);
  }
  if (sizeOf(dims) !== flat.length) {
    throw new RangeError(`tensor: expected ${sizeOf(dims)} elements for shape [${dims.join(', ')}] but 'data' has ${flat.length}`);
  }
  const b = backendSync(opts.backend);
  return Tensor.fromStorage(b, b.upload(flat), dims);
}

/** A tensor of `shape` with every element `value`. */
export function full(shape: Shape, value: number, opts: CreateOptions = {}): Tensor {
  const dims = checkShape('full', 'shape', shape);
  if (opts.dtype !== undefined) checkDType('full', 'opts.dtype', opts.dtype);
  if (typeof value !== 'number') throw typeError('full', 'value', 'a number', value);
  const b = backendSync(opts.backend);
  return Tensor.fromStorage(b, b.ops.fill(sizeOf(dims), value, opts.dtype ?? 'float32'), dims);
}

/**
 * A tensor of `shape` whose elements are arbitrary (torch.empty): memory that the caller
 * overwrites completely before reading, without the cost of filling it first. On the cpu and
 * webgpu backends it may hold a freed tensor's values; elsewhere zeros.
 */
export function empty(shape: Shape, opts: CreateOptions = {}): Tensor {
  const dims = checkShape('empty', 'shape', shape);
  if (opts.dtype !== undefined) checkDType('empty', 'opts.dtype', opts.dtype);
  const b = backendSync(opts.backend);
  return Tensor.fromStorage(b, allocStorage(b, sizeOf(dims), opts.dtype ?? 'float32'), dims);
}

export function zeros(shape: Shape, opts: CreateOptions = {}): Tensor {
  return full(shape, 0, opts);
}

export function ones(shape: Shape, opts: CreateOptions = {}): Tensor {
  return full(shape, 1, opts);
}

export function zerosLike(x: Tensor): Tensor {
  return full(x.shape, 0, { dtype: x.dtype, backend: x.backend });
}

export function onesLike(x: Tensor): Tensor {
  return full(x.shape, 1, { dtype: x.dtype, backend: x.backend });
}

/** [start, start + step, ...) up to but excluding `stop`. */
export function arange(start: number, stop?: number, step = 1, opts: CreateOptions = {}): Tensor {
  if (stop === undefined) [start, stop] = [0, start];
  for (const [k, v] of [['start', start], ['stop', stop], ['step', step]] as const) {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw rangeError('arange', k, 'a finite number', v);
  }
  if (step === 0) throw rangeError('arange', 'step', 'a non-zero number', step);
  const n = Math.max(0, Math.ceil((stop - start) / step));
  const out = arrayFor(opts.dtype ?? 'float32', n);
  for (let i = 0; i < n; i++) out[i] = start + i * step;
  return tensor(out, [n], opts);
}

/** The n×n identity. */
export function eye(n: number, opts: CreateOptions = {}): Tensor {
  const out = arrayFor(opts.dtype ?? 'float32', n * n);
  for (let i = 0; i < n; i++) out[i * n + i] = 1;
  return tensor(out, [n, n], opts);
}

export interface RandomOptions extends CreateOptions {
  seed: number;
  /** Independent sub-stream under one seed (default 0). */
  stream?: number;
  /** Start at this element of the stream (default 0). */
  offset?: number;
}

function randomTensor(kind: 'normal' | 'uniform' | 'rademacher', shape: Shape, opts: RandomOptions): Tensor {
  const dims = checkShape(kind, 'shape', shape);
  if (opts === undefined || typeof opts.seed !== 'number') throw typeError(kind, 'opts.seed', 'a seed number', opts?.seed);
  const n = sizeOf(dims);
  const v = random[kind](opts.seed, n, opts.offset ?? 0, opts.stream ?? 0);
  return tensor(v, dims, opts);
}

/** Standard normal numbers from the shared Philox stream (identical on every backend). */
export function randomNormal(shape: Shape, opts: RandomOptions): Tensor {
  return randomTensor('normal', shape, opts);
}

/** Uniform numbers on (0, 1). */
export function randomUniform(shape: Shape, opts: RandomOptions): Tensor {
  return randomTensor('uniform', shape, opts);
}

/** ±1 with equal probability. */
export function randomRademacher(shape: Shape, opts: RandomOptions): Tensor {
  return randomTensor('rademacher', shape, opts);
}

/** Copies a tensor to another backend. */
export async function toBackend(x: Tensor, backend: Backend | BackendName): Promise<Tensor> {
  const b = typeof backend === 'string' ? backendSync(backend) : backend;
  const data = await x.data();
  return Tensor.fromStorage(b, b.upload(data), x.shape);
}

function randomCheck(fn: string, shape: Shape, opts: RandomOptions): number[] {
  const dims = checkShape(fn, 'shape', shape);
  if (opts === undefined || typeof opts.seed !== 'number') throw typeError(fn, 'opts.seed', 'a seed number', opts?.seed);
  return dims;
}

/**
 * Bernoulli(p) draws as 0/1 (random.bernoulli: element g is 1 when its 53-bit uniform is below
 * p), identical on every backend.
 * @example
 * const mask = randomBernoulli([R, d], 0.9, { seed, stream: stream('paper3', 0) });
 */
export function randomBernoulli(shape: Shape, p: number, opts: RandomOptions): Tensor {
  const dims = randomCheck('randomBernoulli', shape, opts);
  return tensor(random.bernoulli(opts.seed, sizeOf(dims), p, opts.offset ?? 0, opts.stream ?? 0), dims, { dtype: opts.dtype ?? 'float32', backend: opts.backend });
}

/**
 * Geometric(p) draws on {1, 2, …} (trials up to the first success; random.geometric).
 * Default dtype float32 (exact up to 2^24); pass dtype 'int32' or 'float64' for larger counts.
 */
export function randomGeometric(shape: Shape, p: number, opts: RandomOptions): Tensor {
  const dims = randomCheck('randomGeometric', shape, opts);
  return tensor(random.geometric(opts.seed, sizeOf(dims), p, opts.offset ?? 0, opts.stream ?? 0), dims, { dtype: opts.dtype ?? 'float32', backend: opts.backend });
}

/** Gamma(α, 1) draws (Marsaglia–Tsang, α < 1 boosted; random.gamma), mean α, variance α. */
export function randomGamma(shape: Shape, alpha: number, opts: RandomOptions): Tensor {
  const dims = randomCheck('randomGamma', shape, opts);
  return tensor(random.gamma(opts.seed, sizeOf(dims), alpha, opts.offset ?? 0, opts.stream ?? 0), dims, { dtype: opts.dtype ?? 'float32', backend: opts.backend });
}

/** Dirichlet(α) draws: a [rows, α.length] tensor whose rows lie on the simplex (random.dirichlet). */
export function randomDirichlet(rows: number, alpha: readonly number[], opts: RandomOptions): Tensor {
  const [r] = randomCheck('randomDirichlet', [rows], opts);
  const v = random.dirichlet(opts.seed, r!, alpha, opts.offset ?? 0, opts.stream ?? 0);
  return tensor(v, [r!, alpha.length], { dtype: opts.dtype ?? 'float32', backend: opts.backend });
}

/** Student-t draws with ν > 0 degrees of freedom (random.studentT). */
export function randomStudentT(shape: Shape, nu: number, opts: RandomOptions): Tensor {
  const dims = randomCheck('randomStudentT', shape, opts);
  return tensor(random.studentT(opts.seed, sizeOf(dims), nu, opts.offset ?? 0, opts.stream ?? 0), dims, { dtype: opts.dtype ?? 'float32', backend: opts.backend });
}

/**
 * One categorical draw per row of `weights` ([R, K], unnormalised, ≥ 0, every row with a positive
 * sum): an int32 [R] tensor of indices in [0, K), row r using element offset + r of the stream
 * (random.categorical: inversion on the row's float64 running sums). The weights are read on the
 * host, so they must live on a backend with synchronous reads (cpu, reference; for webgpu use
 * randomCategoricalAsync); the result goes to opts.backend (default: the weights' backend).
 * `opts.dtype` is ignored (always int32).
 * @example
 * const picks = randomCategorical(weights, { seed, stream: stream('paper5', 0) });
 */
export function randomCategorical(weights: Tensor, opts: RandomOptions): Tensor {
  checkCategorical('randomCategorical', weights, opts);
  if (!weights.backend.readSync) {
    throw new TypeError(`randomCategorical: expected 'weights' on a backend with synchronous reads (cpu, reference) but they are on '${weights.backend.name}'; use 'await randomCategoricalAsync(weights, opts)' (same draws)`);
  }
  const idx = random.categorical(opts.seed, weights.dataSync(), weights.shape[1]!, opts.offset ?? 0, opts.stream ?? 0);
  return tensor(idx, [weights.shape[0]!], { dtype: 'int32', backend: opts.backend ?? weights.backend });
}

/**
 * randomCategorical for weights on any backend (webgpu included): reads them with `await
 * weights.data()`, then draws exactly as randomCategorical does (same indices for the same
 * weights, seed, stream and offset).
 */
export async function randomCategoricalAsync(weights: Tensor, opts: RandomOptions): Promise<Tensor> {
  checkCategorical('randomCategoricalAsync', weights, opts);
  const idx = random.categorical(opts.seed, await weights.data(), weights.shape[1]!, opts.offset ?? 0, opts.stream ?? 0);
  return tensor(idx, [weights.shape[0]!], { dtype: 'int32', backend: opts.backend ?? weights.backend });
}

function checkCategorical(fn: string, weights: Tensor, opts: RandomOptions): void {
  if (!(weights instanceof Tensor)) throw typeError(fn, 'weights', 'a Tensor [R, K]', weights);
  if (weights.shape.length !== 2 || weights.shape[1] === 0) {
    throw rangeError(fn, 'weights', 'a Tensor of shape [R, K] with K ≥ 1', `a Tensor of shape [${weights.shape.join(', ')}]`);
  }
  if (opts === undefined || typeof opts.seed !== 'number') throw typeError(fn, 'opts.seed', 'a seed number', opts?.seed);
}
