// The shared reference problem (../shared/reference/mlp-fmnist-init): a 784-256-256-10 ReLU
// MLP at a seeded initialisation, 2,048 Fashion-MNIST training rows, a probe vector v0, and
// float64 results (loss, gradient norm, v0·H·v0, ‖H v0‖, top eigenvalues) from an independent
// implementation.
//
// Contract: `loadReferenceProblem(dir?)` reads manifest.json and the float32/int32
// little-endian .bin files it names, checks each file's size against its declared shape and
// (when SHA256SUMS is present) its checksum, reads the rows at indices_i32.bin from the
// Fashion-MNIST training images, and checks that the training labels at those rows equal
// y_i32.bin. It returns typed arrays: the parameters per name, as MLP layers ([in, out]
// weights) and flattened in the manifest's param_order, plus x, y, v0 and the manifest's
// expected float64 values. `dir` defaults to ../shared/reference/mlp-fmnist-init beside
// descent's own folder.

import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { typeError } from '../errors.js';
import { DataFileError, findPackageRoot, readBytes } from '../io/files.js';
import type { MlpLayer } from '../io/mlp-weights.js';
import { FASHION_MNIST_DIR, loadFashionMnist } from './fashion-mnist.js';

export interface ReferenceExpected {
  loss: number;
  grad_norm: number;
  v0_H_v0: number;
  Hv0_norm: number;
  top5_eigenvalues: number[];
  hutchinson_trace_100_rademacher: { mean: number; standard_error: number; note?: string };
  [other: string]: unknown;
}

export interface ReferenceParam {
  shape: number[];
  data: Float32Array;
}

export interface ReferenceProblem {
  dir: string;
  /** The parsed manifest.json, as is. */
  manifest: Record<string, unknown>;
  /** Layer widths from the weight shapes: [784, 256, 256, 10]. */
  widths: number[];
  paramOrder: string[];
  params: Record<string, ReferenceParam>;
  /** [W, b] per layer, W as [in, out] row-major (y = x·W + b), the manifest's own layout. */
  layers: MlpLayer[];
  /** All parameters in param_order, each flattened row-major: the layout of v0. */
  flat: Float32Array;
  /** Rows of the Fashion-MNIST training set used, 0-based. */
  indices: Int32Array;
  /** n × 784 pixels u/255, row-major. */
  x: Float32Array;
  y: Int32Array;
  n: number;
  features: number;
  classes: number;
  /** Unit probe vector over `flat`'s layout. */
  v0: Float32Array;
  expected: ReferenceExpected;
}

export interface ReferenceOptions {
  /** Folder with the Fashion-MNIST IDX files; default /usr/share/datasets/fashion-mnist. */
  fashionMnistDir?: string;
}

/** ../shared/reference/mlp-fmnist-init, resolved against descent's own folder. */
export function defaultReferenceDir(): string {
  return resolve(findPackageRoot(), '..', 'shared', 'reference', 'mlp-fmnist-init');
}

interface FileSpec { file: string; dtype: string; shape: number[] }

/** The files are little-endian: on such a machine their bytes are the typed arrays' bytes. */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function isSpec(v: unknown): v is FileSpec {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Record<string, unknown>;
  return typeof s.file === 'string' && typeof s.dtype === 'string' && Array.isArray(s.shape) &&
    s.shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0);
}

/**
 * Loads the reference problem.
 * @example
 * const ref = loadReferenceProblem();
 * ref.widths;        // [784, 256, 256, 10]
 * ref.expected.loss; // 2.304371623458172 (float64)
 */
export function loadReferenceProblem(dir: string = defaultReferenceDir(), options: ReferenceOptions = {}): ReferenceProblem {
  const fn = 'loadReferenceProblem';
  if (typeof dir !== 'string') throw typeError(fn, 'dir', 'a folder path', dir);
  const root = resolve(dir);
  const manifestPath = join(root, 'manifest.json');
  const hint = existsSync(root) ? '' : ` (the folder ${root} does not exist: the reference problem lives in the ` +
    "project's shared/ folder, ../shared from descent's root)";
  const manifestText = new TextDecoder().decode(readBytes(fn, manifestPath, hint));
  let manifest: Record<string, unknown>;
  try {
    manifest = JSON.parse(manifestText) as Record<string, unknown>;
  } catch (e) {
    throw new DataFileError(`${fn}: ${manifestPath} is not valid JSON (${(e as Error).message})`, manifestPath, 'format');
  }
  const bad = (msg: string) => new DataFileError(`${fn}: ${manifestPath}: ${msg}`, manifestPath, 'format');

  const sums = new Map<string, string>();
  const sumsPath = join(root, 'SHA256SUMS');
  if (existsSync(sumsPath)) {
    for (const line of readFileSync(sumsPath, 'utf8').split('\n')) {
      const m = /^([0-9a-f]{64})\s+\*?(.+)$/.exec(line.trim());
      if (m) sums.set(m[2]!, m[1]!);
    }
  }
  const read = (what: string, spec: unknown, dtype: 'float32' | 'int32'): { shape: number[]; data: Float32Array | Int32Array } => {
    if (!isSpec(spec)) throw bad(`'${what}' must be {file, dtype, shape} but is ${JSON.stringify(spec)}`);
    if (spec.dtype !== dtype) throw bad(`'${what}' has dtype '${spec.dtype}', expected '${dtype}'`);
    const path = join(root, spec.file);
    const bytes = readBytes(fn, path);
    const count = spec.shape.reduce((a, b) => a * b, 1);
    if (bytes.length !== 4 * count) {
      const short = bytes.length < 4 * count;
      throw new DataFileError(`${fn}: ${path} ${short ? 'is truncated: it holds' : 'holds'} ${bytes.length} bytes ` +
        `but the manifest's shape [${spec.shape.join(', ')}] of ${dtype} needs ${4 * count}`,
      path, short ? 'truncated' : 'mismatch');
    }
    const want = sums.get(spec.file);
    if (want !== undefined) {
      const got = createHash('sha256').update(bytes).digest('hex');
      if (got !== want) {
        throw new DataFileError(`${fn}: ${path} has sha256 ${got} but SHA256SUMS lists ${want}`, path, 'mismatch');
      }
    }
    const data = dtype === 'float32' ? new Float32Array(count) : new Int32Array(count);
    if (LITTLE_ENDIAN) {
      new Uint8Array(data.buffer).set(bytes);
    } else {
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      for (let i = 0; i < count; i++) data[i] = dtype === 'float32' ? view.getFloat32(4 * i, true) : view.getInt32(4 * i, true);
    }
    return { shape: spec.shape.slice(), data };
  };

  const paramOrder = manifest.param_order;
  const paramSpecs = manifest.params as Record<string, unknown> | undefined;
  if (!Array.isArray(paramOrder) || !paramOrder.every((p) => typeof p === 'string')) {
    throw bad(`'param_order' must be an array of names but is ${JSON.stringify(paramOrder)}`);
  }
  if (typeof paramSpecs !== 'object' || paramSpecs === null) throw bad("'params' is missing");
  if (paramOrder.length % 2 !== 0 || paramOrder.length === 0) {
    throw bad(`'param_order' must alternate weight and bias names but is ${JSON.stringify(paramOrder)}`);
  }
  const params: Record<string, ReferenceParam> = {};
  for (const name of paramOrder as string[]) params[name] = read(`params.${name}`, paramSpecs[name], 'float32') as ReferenceParam;

  const widths: number[] = [];
  const layers: MlpLayer[] = [];
  for (let l = 0; l < paramOrder.length; l += 2) {
    const wName = paramOrder[l] as string, bName = paramOrder[l + 1] as string;
    const W = params[wName]!, b = params[bName]!;
    if (W.shape.length !== 2 || b.shape.length !== 1 || b.shape[0] !== W.shape[1] ||
        (widths.length > 0 && W.shape[0] !== widths[widths.length - 1])) {
      throw bad(`'${wName}' [${W.shape.join(', ')}] and '${bName}' [${b.shape.join(', ')}] do not form the next ` +
        `layer of an MLP with widths so far [${widths.join(', ')}] (expected W as [in, out] and b as [out])`);
    }
    if (widths.length === 0) widths.push(W.shape[0]!);
    widths.push(W.shape[1]!);
    layers.push({ W: W.data, b: b.data });
  }
  const nParams = Object.values(params).reduce((a, p) => a + p.data.length, 0);
  if (manifest.n_params !== undefined && manifest.n_params !== nParams) {
    throw bad(`'n_params' says ${String(manifest.n_params)} but the parameter files hold ${nParams} values`);
  }
  const flat = new Float32Array(nParams);
  let at = 0;
  for (const name of paramOrder as string[]) { flat.set(params[name]!.data, at); at += params[name]!.data.length; }

  const v0 = read('v0', manifest.v0, 'float32').data as Float32Array;
  if (v0.length !== nParams) throw bad(`'v0' holds ${v0.length} values but the parameters number ${nParams}`);
  const indices = read('indices', manifest.indices, 'int32').data as Int32Array;
  const y = read('y', manifest.y, 'int32').data as Int32Array;
  if (y.length !== indices.length) throw bad(`'y' holds ${y.length} labels but 'indices' holds ${indices.length} rows`);

  const data = loadFashionMnist({ split: 'train', dir: options.fashionMnistDir ?? FASHION_MNIST_DIR, indices });
  if (data.features !== widths[0]) {
    throw bad(`the images have ${data.features} pixels but the first layer takes ${widths[0]} inputs`);
  }
  for (let i = 0; i < y.length; i++) {
    if (data.y[i] !== y[i]) {
      const yPath = join(root, (manifest.y as FileSpec).file);
      throw new DataFileError(`${fn}: ${yPath} gives label ${y[i]} for row ${indices[i]} (position ${i}) but ` +
        `${data.files.labels} holds ${data.y[i]}: the reference does not match this copy of Fashion-MNIST`,
      yPath, 'mismatch');
    }
  }
  const expected = manifest.expected_float64 as ReferenceExpected | undefined;
  if (typeof expected !== 'object' || expected === null || typeof expected.loss !== 'number') {
    throw bad("'expected_float64' is missing or has no 'loss'");
  }
  return {
    dir: root, manifest, widths, paramOrder: paramOrder as string[], params, layers, flat, indices,
    x: data.x, y, n: y.length, features: data.features, classes: data.classes, v0, expected,
  };
}
