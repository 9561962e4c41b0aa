// Optimizer checkpoints: safetensors for the tensors, JSON for everything else.
//
// Contract. `saveCheckpoint(path, opt, extra, info)` writes `path` (a .safetensors file)
// holding the optimizer's state buffers as `optimizer.<name>` and any extra tensors (the
// parameters, say) under their own names, all float32 bit for bit, with the optimizer's
// metadata and `info` as JSON in the file's `__metadata__` (keys `descent.optimizer`,
// `descent.info`); the same JSON goes beside it as `<path without .safetensors>.json` for
// people and tools. Each file is written to a temporary name and renamed, so a kill leaves
// the previous checkpoint whole; the .safetensors file is the authority when reading.
// `loadCheckpoint` copies the saved state into an optimizer built with the same options and
// layout (and extras into given tensors), after which it continues bit-identically;
// `restoreOptimizer` rebuilds the optimizer from the saved options instead.

import { DescentError, typeError } from '../errors.js';
import { writeAtomic } from '../io/files.js';
import { readSafetensors, encodeSafetensors } from '../io/safetensors.js';
import type { SafeTensor, TensorToWrite } from '../io/safetensors.js';
import { Tensor } from '../tensor.js';
import type { Optimizer, OptimizerMeta } from './optimizer.js';
import { createOptimizer } from './optimizers.js';

const META_KEY = 'descent.optimizer';
const INFO_KEY = 'descent.info';
const PREFIX = 'optimizer.';

/** The JSON sidecar's path for a checkpoint path. */
export function checkpointJsonPath(path: string): string {
  return path.endsWith('.safetensors') ? `${path.slice(0, -'.safetensors'.length)}.json` : `${path}.json`;
}

async function hostCopy(fn: string, name: string, t: Tensor): Promise<TensorToWrite> {
  if (!(t instanceof Tensor)) throw typeError(fn, name, 'a Tensor', t);
  if (t.dtype !== 'float32') throw new TypeError(`${fn}: expected a float32 tensor for '${name}' but received ${t.dtype} (checkpoints hold float32 arenas bit for bit)`);
  return { data: (await t.data()) as Float32Array, shape: t.shape.slice() };
}

/**
 * Writes the optimizer's state, `extra` tensors and `info` (JSON) to `path` and its .json.
 * @example
 * await saveCheckpoint('run/ckpt.safetensors', opt, { params }, { epoch: 3 });
 */
export async function saveCheckpoint(path: string, opt: Optimizer, extra: Record<string, Tensor> = {}, info: unknown = {}): Promise<void> {
  const fn = 'saveCheckpoint';
  if (typeof path !== 'string') throw typeError(fn, 'path', 'a file path', path);
  const { meta, tensors } = opt.stateDict();
  const out: Record<string, TensorToWrite> = {};
  for (const [name, t] of Object.entries(tensors)) out[PREFIX + name] = await hostCopy(fn, `state.${name}`, t);
  for (const [name, t] of Object.entries(extra)) {
    if (name.startsWith(PREFIX)) throw new RangeError(`${fn}: expected extra tensor names not starting with '${PREFIX}' but received '${name}'`);
    out[name] = await hostCopy(fn, `extra.${name}`, t);
  }
  const metaJson = JSON.stringify(meta), infoJson = JSON.stringify(info ?? {});
  writeAtomic(path, encodeSafetensors(out, { [META_KEY]: metaJson, [INFO_KEY]: infoJson }, fn), fn);
  writeAtomic(checkpointJsonPath(path), `${JSON.stringify({ optimizer: meta, info: info ?? {} }, null, 2)}\n`, fn);
}

export interface Checkpoint {
  meta: OptimizerMeta;
  info: unknown;
  /** Every tensor in the file, optimizer state included (as `optimizer.<name>`). */
  tensors: Map<string, SafeTensor>;
}

/** Reads a checkpoint written by saveCheckpoint. */
export function readCheckpoint(path: string): Checkpoint {
  const fn = 'readCheckpoint';
  const file = readSafetensors(path);
  const metaText = file.metadata[META_KEY];
  if (metaText === undefined) throw new DescentError(`${fn}: ${path} is a safetensors file but not a descent checkpoint (no '${META_KEY}' metadata)`);
  let meta: OptimizerMeta, info: unknown;
  try {
    meta = JSON.parse(metaText) as OptimizerMeta;
    info = JSON.parse(file.metadata[INFO_KEY] ?? '{}');
  } catch (e) {
    throw new DescentError(`${fn}: ${path} has malformed checkpoint metadata: ${(e as Error).message}`);
  }
  if (meta?.format !== 'descent-optimizer') throw new DescentError(`${fn}: ${path} has metadata of format ${JSON.stringify(meta?.format)}, not 'descent-optimizer'`);
  return { meta, info, tensors: file.tensors };
}

function uploadLike(fn: string, like: Tensor, name: string, st: SafeTensor | undefined, path: string): Tensor {
  if (!st) throw new DescentError(`${fn}: ${path} has no tensor '${name}'`);
  if (st.data.length !== like.size || !(st.data instanceof Float32Array)) {
    throw new RangeError(`${fn}: expected ${like.size} float values for '${name}' but ${path} holds ${st.data.length} (shape [${st.shape.join(', ')}], ${st.dtype})`);
  }
  return Tensor.fromStorage(like.backend, like.backend.upload(st.data), like.shape);
}

/**
 * Loads a checkpoint into `opt` (same kind, layout and groups) and copies the extra tensors
 * named in `into` into those tensors. Returns the saved `info`.
 */
export function loadCheckpoint(path: string, opt: Optimizer, into: Record<string, Tensor> = {}): unknown {
  const fn = 'loadCheckpoint';
  const ck = readCheckpoint(path);
  opt.checkCompatible(ck.meta, fn);
  const tensors: Record<string, Tensor> = {};
  const made: Tensor[] = [];
  try {
    for (const s of opt.state) {
      const t = uploadLike(fn, s.tensor, PREFIX + s.name, ck.tensors.get(PREFIX + s.name), path);
      made.push(t);
      tensors[s.name] = t;
    }
    const extras: [Tensor, Tensor][] = [];
    for (const [name, dst] of Object.entries(into)) {
      if (!(dst instanceof Tensor)) throw typeError(fn, `into.${name}`, 'a Tensor', dst);
      if (!dst.isContiguous) throw new RangeError(`${fn}: expected a contiguous tensor for 'into.${name}'`);
      const t = uploadLike(fn, dst, name, ck.tensors.get(name), path);
      made.push(t);
      extras.push([t, dst]);
    }
    opt.loadState({ meta: ck.meta, tensors });
    for (const [src, dst] of extras) dst.backend.ops.copyInto(src.strided, dst.strided);
  } finally {
    for (const t of made) t.dispose();
  }
  return ck.info;
}

/** Rebuilds the saved optimizer over `params` from its saved options and loads its state. */
export function restoreOptimizer(path: string, params: Tensor): Optimizer {
  const ck = readCheckpoint(path);
  const opt = createOptimizer(ck.meta.kind, params, ck.meta.options as Record<string, unknown>);
  try {
    loadCheckpoint(path, opt);
  } catch (e) {
    opt.dispose();
    throw e;
  }
  return opt;
}
