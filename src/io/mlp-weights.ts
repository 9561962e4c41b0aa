// MLP weights in PyTorch's layout, in and out of safetensors.
//
// Contract. PyTorch saves `nn.Sequential(Linear, act, Linear, …)` as a state_dict with keys
// `<i>.weight` of shape [out, in] and `<i>.bias` of shape [out], where i is the module's
// position (0, 2, 4, … when one activation sits between Linears; other parameter-free modules
// such as Dropout shift the positions, which is fine). An optional common prefix (`model.`,
// `net.`) is allowed, and a lone `nn.Linear` (keys `weight`, `bias`) is a one-layer MLP.
// `mlpFromStateDict` infers the widths [in, h1, …, out] from the shapes and returns each
// layer's W transposed to descent's layout, [in, out] row-major (y = x·W + b), and b. Keys
// that are not Linear parameters, a missing weight or bias, a non-2-D weight, a bias of the
// wrong length, or layers that do not chain (in_features ≠ the previous out_features) are
// errors naming the key. `mlpToStateDict` is the inverse; `writeMlpSafetensors` saves it
// with metadata {format: 'pt', 'descent.widths', 'descent.activation'} so that
// `safetensors.torch.load_file` + `load_state_dict` restore the same network in PyTorch.

import { checkInt, rangeError, typeError } from '../errors.js';
import { DataFileError } from './files.js';
import type { SafeTensor, SafetensorsDtype, TensorToWrite } from './safetensors.js';
import { readSafetensors, writeSafetensors } from './safetensors.js';

export interface MlpLayer {
  /** in × out, row-major: y = x·W + b. */
  W: Float32Array;
  /** out */
  b: Float32Array;
}

export interface MlpWeights {
  /** [in, h1, …, out]: layer l maps widths[l] → widths[l+1]. */
  widths: number[];
  layers: MlpLayer[];
}

export interface LoadedMlp extends MlpWeights {
  /** The Sequential positions of the Linear layers (e.g. [0, 2, 4]); [] for a lone Linear. */
  moduleIndices: number[];
  /** The prefix the keys shared ('' for a plain Sequential). */
  prefix: string;
}

export interface StateDictOptions {
  /** Names the state dict in errors (a file path). */
  source?: string;
  /** A Linear saved without bias (bias=False): 'error' (default) or 'zeros'. */
  missingBias?: 'error' | 'zeros';
  fn?: string;
}

const KEY = /^(.*?)(?:(\d+)\.)?(weight|bias)$/;

function transpose(src: ArrayLike<number>, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[c * rows + r] = src[r * cols + c]!;
  }
  return out;
}

/**
 * Interprets a PyTorch `nn.Sequential` of Linear layers (read from safetensors) as an MLP.
 * @example
 * const { widths, layers } = mlpFromStateDict(readSafetensors('mlp.safetensors').tensors);
 */
export function mlpFromStateDict(tensors: Map<string, SafeTensor> | Record<string, SafeTensor>,
  options: StateDictOptions = {}): LoadedMlp {
  const fn = options.fn ?? 'mlpFromStateDict';
  const source = options.source ?? 'the state dict';
  const missingBias = options.missingBias ?? 'error';
  if (missingBias !== 'error' && missingBias !== 'zeros') {
    throw rangeError(fn, 'missingBias', "'error' or 'zeros'", missingBias);
  }
  if (typeof tensors !== 'object' || tensors === null) throw typeError(fn, 'tensors', 'a Map or an object of tensors', tensors);
  const entries = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  const fail = (msg: string) => new DataFileError(`${fn}: ${source}: ${msg}`, source, 'mismatch');
  if (entries.length === 0) throw fail('holds no tensors; expected the state_dict of an nn.Sequential of Linear layers');

  const prefixes = new Set<string>();
  const layersAt = new Map<number, { weight?: [string, SafeTensor]; bias?: [string, SafeTensor] }>();
  let lone = false;
  for (const [key, t] of entries) {
    const m = KEY.exec(key);
    if (!m || (m[2] === undefined && m[1] !== '')) {
      throw fail(`key '${key}' is not '<index>.weight' or '<index>.bias' of an nn.Sequential of Linear layers ` +
        '(normalisation layers, embeddings and other modules are not part of an MLP)');
    }
    const [, prefix, index, kind] = m as unknown as [string, string, string | undefined, 'weight' | 'bias'];
    if (index === undefined) lone = true;
    prefixes.add(prefix);
    const at = index === undefined ? -1 : Number(index);
    const slot = layersAt.get(at) ?? {};
    slot[kind] = [key, t];
    layersAt.set(at, slot);
  }
  if (prefixes.size > 1) {
    throw fail(`keys carry different prefixes (${[...prefixes].map((p) => `'${p}'`).join(', ')}); ` +
      'expected the state_dict of one nn.Sequential');
  }
  if (lone && layersAt.size > 1) {
    throw fail("mixes a lone Linear's 'weight'/'bias' with indexed Sequential keys");
  }
  const prefix = [...prefixes][0]!;
  const indices = [...layersAt.keys()].sort((a, b) => a - b);

  const widths: number[] = [];
  const layers: MlpLayer[] = [];
  let previous = '';
  for (const index of indices) {
    const slot = layersAt.get(index)!;
    const name = (kind: string) => (index < 0 ? `${prefix}${kind}` : `${prefix}${index}.${kind}`);
    if (!slot.weight) throw fail(`'${name('bias')}' has no matching '${name('weight')}'`);
    const [wKey, w] = slot.weight;
    if (!(w.data instanceof Float32Array)) {
      throw fail(`'${wKey}' has dtype ${w.dtype}; a Linear weight must be floating point`);
    }
    if (w.shape.length !== 2) {
      throw fail(`'${wKey}' has shape [${w.shape.join(', ')}]; a Linear weight must be 2-D [out_features, in_features]`);
    }
    const [out, inp] = w.shape as [number, number];
    if (layers.length > 0 && inp !== widths[widths.length - 1]) {
      throw fail(`'${wKey}' has shape [${out}, ${inp}] (in_features ${inp}) but the previous Linear '${previous}' has ` +
        `out_features ${widths[widths.length - 1]}: the layers do not chain (is a Linear missing between them?)`);
    }
    let b: Float32Array;
    if (slot.bias) {
      const [bKey, bt] = slot.bias;
      if (!(bt.data instanceof Float32Array)) throw fail(`'${bKey}' has dtype ${bt.dtype}; a Linear bias must be floating point`);
      if (bt.shape.length !== 1 || bt.shape[0] !== out) {
        throw fail(`'${bKey}' has shape [${bt.shape.join(', ')}] but '${wKey}' has out_features ${out}, so the bias ` +
          `must have shape [${out}]`);
      }
      b = bt.data.slice();
    } else if (missingBias === 'zeros') {
      b = new Float32Array(out);
    } else {
      throw fail(`'${name('bias')}' is missing (a Linear saved with bias=False? pass missingBias: 'zeros')`);
    }
    if (layers.length === 0) widths.push(inp);
    widths.push(out);
    layers.push({ W: transpose(w.data, out, inp), b });
    previous = wKey;
  }
  return { widths, layers, moduleIndices: indices.filter((i) => i >= 0), prefix };
}

/** Checks that `weights` is a consistent MLP; returns the parameter count. */
export function checkMlpWeights(fn: string, weights: MlpWeights): number {
  if (typeof weights !== 'object' || weights === null) throw typeError(fn, 'weights', 'an object {widths, layers}', weights);
  const { widths, layers } = weights;
  if (!Array.isArray(widths) || widths.length < 2) throw typeError(fn, 'weights.widths', 'an array of at least 2 widths', widths);
  widths.forEach((w, i) => checkInt(fn, `weights.widths[${i}]`, w, 1));
  if (!Array.isArray(layers) || layers.length !== widths.length - 1) {
    throw rangeError(fn, 'weights.layers', `an array of ${widths.length - 1} layers`, layers);
  }
  let total = 0;
  layers.forEach((layer, l) => {
    const inp = widths[l]!, out = widths[l + 1]!;
    if (!(layer?.W instanceof Float32Array)) throw typeError(fn, `weights.layers[${l}].W`, 'a Float32Array', layer?.W);
    if (!(layer.b instanceof Float32Array)) throw typeError(fn, `weights.layers[${l}].b`, 'a Float32Array', layer.b);
    if (layer.W.length !== inp * out) {
      throw rangeError(fn, `weights.layers[${l}].W`, `a Float32Array of length ${inp * out} (${inp}×${out})`, layer.W);
    }
    if (layer.b.length !== out) throw rangeError(fn, `weights.layers[${l}].b`, `a Float32Array of length ${out}`, layer.b);
    total += inp * out + out;
  });
  return total;
}

export interface ToStateDictOptions {
  /** Sequential positions of the Linears; default 0, 2, 4, … (one activation between Linears). */
  moduleIndices?: number[];
  /** Key prefix, e.g. 'model.'; default ''. */
  prefix?: string;
  /** On-disk float type; default F32. */
  dtype?: Extract<SafetensorsDtype, 'F32' | 'F16' | 'BF16' | 'F64'>;
}

/** descent MLP weights → a PyTorch `nn.Sequential` state_dict (weights [out, in]). */
export function mlpToStateDict(weights: MlpWeights, options: ToStateDictOptions = {}): Map<string, TensorToWrite> {
  const fn = 'mlpToStateDict';
  checkMlpWeights(fn, weights);
  const { widths, layers } = weights;
  const indices = options.moduleIndices ?? layers.map((_, l) => 2 * l);
  if (!Array.isArray(indices) || indices.length !== layers.length) {
    throw rangeError(fn, 'moduleIndices', `an array of ${layers.length} positions`, indices);
  }
  indices.forEach((v, i) => {
    checkInt(fn, `moduleIndices[${i}]`, v, 0);
    if (i > 0 && v <= indices[i - 1]!) throw rangeError(fn, `moduleIndices[${i}]`, `a position > ${indices[i - 1]}`, v);
  });
  const prefix = options.prefix ?? '';
  const dtype = options.dtype ?? 'F32';
  const dict = new Map<string, TensorToWrite>();
  layers.forEach((layer, l) => {
    const inp = widths[l]!, out = widths[l + 1]!;
    const W = dtype === 'F64' ? Float64Array.from(transpose(layer.W, inp, out)) : transpose(layer.W, inp, out);
    const b = dtype === 'F64' ? Float64Array.from(layer.b) : layer.b;
    dict.set(`${prefix}${indices[l]}.weight`, { data: W, shape: [out, inp], dtype });
    dict.set(`${prefix}${indices[l]}.bias`, { data: b, shape: [out], dtype });
  });
  return dict;
}

export interface ReadMlpOptions {
  /** Activation between layers; default: the file's 'descent.activation' metadata, if any. */
  activation?: string;
  missingBias?: 'error' | 'zeros';
}

export interface MlpFile extends LoadedMlp {
  /** From options, else the file's metadata; undefined when neither says. */
  activation: string | undefined;
  metadata: Record<string, string>;
}

/**
 * Reads an MLP saved from PyTorch (`safetensors.torch.save_file(model.state_dict(), path)`).
 * @example
 * const mlp = readMlpSafetensors('mlp.safetensors', { activation: 'relu' });
 * mlp.widths; // e.g. [784, 256, 10]
 */
export function readMlpSafetensors(path: string, options: ReadMlpOptions = {}): MlpFile {
  const fn = 'readMlpSafetensors';
  if (typeof path !== 'string') throw typeError(fn, 'path', 'a file path', path);
  const { tensors, metadata } = readSafetensors(path);
  const mlp = mlpFromStateDict(tensors, { source: path, fn, missingBias: options.missingBias });
  return { ...mlp, activation: options.activation ?? metadata['descent.activation'], metadata };
}

export interface WriteMlpOptions extends ToStateDictOptions {
  activation?: string;
  metadata?: Record<string, string>;
}

/** Writes MLP weights as a PyTorch-loadable safetensors state_dict. */
export function writeMlpSafetensors(path: string, weights: MlpWeights, options: WriteMlpOptions = {}): void {
  const fn = 'writeMlpSafetensors';
  if (typeof path !== 'string') throw typeError(fn, 'path', 'a file path', path);
  const dict = mlpToStateDict(weights, options);
  const metadata: Record<string, string> = { format: 'pt', 'descent.widths': weights.widths.join(',') };
  if (options.activation !== undefined) metadata['descent.activation'] = options.activation;
  writeSafetensors(path, dict, { ...metadata, ...options.metadata });
}

/** Concatenates [W1, b1, W2, b2, …] into one flat array (descent's parameter order). */
export function flattenMlp(weights: MlpWeights): Float32Array {
  const out = new Float32Array(checkMlpWeights('flattenMlp', weights));
  let at = 0;
  for (const { W, b } of weights.layers) {
    out.set(W, at); at += W.length;
    out.set(b, at); at += b.length;
  }
  return out;
}

/** Splits a flat [W1, b1, W2, b2, …] array into layers (copies). */
export function unflattenMlp(widths: readonly number[], flat: Float32Array): MlpWeights {
  const fn = 'unflattenMlp';
  if (!Array.isArray(widths) || widths.length < 2) throw typeError(fn, 'widths', 'an array of at least 2 widths', widths);
  widths.forEach((w, i) => checkInt(fn, `widths[${i}]`, w, 1));
  let total = 0;
  for (let l = 0; l + 1 < widths.length; l++) total += widths[l]! * widths[l + 1]! + widths[l + 1]!;
  if (!(flat instanceof Float32Array)) throw typeError(fn, 'flat', `a Float32Array of length ${total}`, flat);
  if (flat.length !== total) throw rangeError(fn, 'flat', `a Float32Array of length ${total}`, flat);
  const layers: MlpLayer[] = [];
  let at = 0;
  for (let l = 0; l + 1 < widths.length; l++) {
    const inp = widths[l]!, out = widths[l + 1]!;
    const W = flat.slice(at, at + inp * out); at += inp * out;
    const b = flat.slice(at, at + out); at += out;
    layers.push({ W, b });
  }
  return { widths: [...widths], layers };
}
