// The spectrum job's problem: a model and its parameters, a data set, and the curvature
// operator (Hessian, Gauss-Newton or their difference, whole arena or one layer) built from them.
//
// Models: an MLP spec `784-256-256-10:relu` (seeded initialisation), a safetensors file of a
// PyTorch nn.Sequential state_dict (activation from --activation or the file's metadata),
// or `reference` / a folder holding a reference-problem manifest.json (its weights).
// Data: `default` (the Fashion-MNIST test split shipped in data/), `fashion-mnist:train`,
// `fashion-mnist:test`, `reference` / a reference-problem folder (its 2,048 rows), a
// safetensors file with tensors `x` [n, features] (float32) and `y` [n] (integer labels), or
// an IDX images file (`*images-idx3-ubyte[.gz]`, labels in the matching `labels-idx1` file).

import { existsSync } from 'node:fs';
import type { Backend } from '../backend/ops.js';
import { HostStorage } from '../backend/host.js';
import { tensor } from '../ops/creation.js';
import { Tensor } from '../tensor.js';
import { loadDefaultDataset, loadFashionMnist } from '../data/fashion-mnist.js';
import { loadReferenceProblem } from '../data/reference.js';
import type { ReferenceProblem } from '../data/reference.js';
import { checkedLabels, selectRows, takeRows } from '../data/dataset.js';
import { DataFileError } from '../io/files.js';
import type { ClassificationData } from '../data/dataset.js';
import { decodeImages, decodeLabels, idxRows, openIdx } from '../data/idx.js';
import { readSafetensors } from '../io/safetensors.js';
import { readMlpSafetensors } from '../io/mlp-weights.js';
import { MLP, mlpFromWeights } from '../nn/mlp.js';
import type { Activation } from '../nn/mlp.js';
import { ACTIVATIONS } from '../ops/activations.js';
import { softmaxCrossEntropy } from '../nn/losses.js';
import { modelGGN, modelHessian } from '../nn/curvature.js';
// The jobs layer may use the algorithm layer: the residual H − G is the curvature library's operator.
import { curvatureOperator } from '../algorithms/curvature/studies.js';
import type { CurvatureOperator } from '../autodiff/operator.js';
import { referenceDirOf } from './spectrum-options.js';
import { UsageError } from './usage.js';

export { UsageError } from './usage.js';


let referenceCache: { dir: string; problem: ReferenceProblem } | null = null;
function reference(dir: string): ReferenceProblem {
  if (referenceCache?.dir !== dir) referenceCache = { dir, problem: loadReferenceProblem(dir) };
  return referenceCache.problem;
}

/** Parses `784-256-10:relu` into widths and an activation. */
export function parseMlpSpec(spec: string): { widths: number[]; activation: Activation } {
  const m = /^(\d+(?:-\d+)+)(?::([a-z]+))?$/.exec(spec);
  if (!m) throw new UsageError(`--model: expected an MLP spec like '784-256-10:relu', a .safetensors file or 'reference' but received '${spec}'`);
  const widths = m[1]!.split('-').map(Number);
  if (widths.some((w) => !Number.isSafeInteger(w) || w < 1)) throw new UsageError(`--model: expected positive layer widths in '${spec}'`);
  const activation = (m[2] ?? 'relu') as Activation;
  if (!ACTIVATIONS.includes(activation)) throw new UsageError(`--model: expected an activation among ${ACTIVATIONS.join(', ')} but received '${m[2]}'`);
  return { widths, activation };
}

export interface DataChoice {
  data: ClassificationData;
  description: string;
}

/** Loads the rows the job asks for: the first `samples` in file order, or a seeded random subset. */
export function loadData(spec: string, samples: number | 'all', shuffleSeed: number | undefined): DataChoice {
  const selection = {
    ...(samples === 'all' ? {} : { limit: samples }),
    ...(shuffleSeed === undefined ? {} : { seed: shuffleSeed }),
  };
  const limitTo = (total: number) => {
    if (samples !== 'all' && samples > total) throw new UsageError(`--samples: the data set has ${total} rows, fewer than ${samples} (use --samples all)`);
    return samples === 'all' ? total : samples;
  };
  if (spec === 'default') {
    return { data: loadDefaultDataset({ ...selection, ...(samples === 'all' ? {} : { limit: limitTo(10_000) }) }), description: 'Fashion-MNIST test split (shipped with descent)' };
  }
  if (spec === 'fashion-mnist:train' || spec === 'fashion-mnist:test') {
    const split = spec.endsWith('train') ? 'train' : 'test';
    return { data: loadFashionMnist({ split, ...selection, ...(samples === 'all' ? {} : { limit: limitTo(split === 'train' ? 60_000 : 10_000) }) }), description: `Fashion-MNIST ${split} split` };
  }
  const refDir = referenceDirOf(spec);
  let all: ClassificationData;
  let description: string;
  if (refDir) {
    const r = reference(refDir);
    all = { x: r.x, y: r.y, n: r.n, features: r.features, classes: r.classes };
    description = 'the reference problem (mlp-fmnist-init)';
  } else if (!existsSync(spec)) {
    throw new UsageError(`--data: expected 'default', 'fashion-mnist:train', 'fashion-mnist:test', 'reference' or an existing file but received '${spec}' (no such file)`);
  } else if (spec.endsWith('.safetensors')) {
    const { tensors } = readSafetensors(spec);
    const get = (name: string) => (tensors instanceof Map ? tensors.get(name) : (tensors as Record<string, unknown>)[name]) as { shape: number[]; data: ArrayLike<number> } | undefined;
    const x = get('x'), y = get('y');
    if (!x || !y || x.shape.length !== 2 || y.shape.length !== 1 || y.shape[0] !== x.shape[0]) {
      throw new UsageError(`--data: expected tensors 'x' [n, features] and 'y' [n] (as many labels as rows) in ${spec} but received ${x ? `x [${x.shape.join(', ')}]` : 'no x'} and ${y ? `y [${y.shape.join(', ')}]` : 'no y'}`);
    }
    if (x.shape[0] === 0) throw new UsageError(`--data: ${spec} holds no rows (x has shape [0, ${x.shape[1]}])`);
    const { labels, classes } = checkedLabels('--data', y.data, `${spec} (tensor 'y')`);
    all = { x: Float32Array.from(x.data), y: labels, n: x.shape[0]!, features: x.shape[1]!, classes };
    description = spec;
  } else {
    const images = openIdx(spec);
    const labelsPath = spec.replace('images-idx3', 'labels-idx1');
    if (labelsPath === spec) throw new UsageError(`--data: expected an IDX images file named *images-idx3-ubyte[.gz] (labels beside it as *labels-idx1-ubyte[.gz]) or a .safetensors file but received '${spec}'`);
    const labels = openIdx(labelsPath);
    const n = idxRows(images);
    if (idxRows(labels) !== n) {
      throw new DataFileError(`--data: ${spec} holds ${n} images but ${labelsPath} holds ${idxRows(labels)} labels; expected one label per image`, labelsPath, 'mismatch');
    }
    if (n === 0) throw new DataFileError(`--data: ${spec} holds no rows (0 images)`, spec, 'format');
    const { labels: y, classes } = checkedLabels('--data', decodeLabels(labels), labelsPath);
    const x = decodeImages(images);
    all = { x, y, n, features: x.length / n, classes };
    description = spec;
  }
  const rows = selectRows('--data', all.n, { ...(samples === 'all' ? {} : { limit: limitTo(all.n) }), ...(shuffleSeed === undefined ? {} : { seed: shuffleSeed }) });
  return { data: rows ? takeRows(all, rows) : all, description };
}

export interface ModelChoice {
  model: MLP;
  params: Tensor;
  description: string;
}

export function loadModel(spec: string, activation: string | undefined, seed: number, backend: Backend): ModelChoice {
  const refDir = referenceDirOf(spec);
  if (refDir) {
    const r = reference(refDir);
    if (activation !== undefined && activation !== 'relu') throw new UsageError(`--activation ${activation}: the reference model is a ReLU network; leave --activation out`);
    const { model, params } = mlpFromWeights({ widths: r.widths, layers: r.layers }, { activation: 'relu', backend });
    return { model, params, description: `${r.widths.join('-')}:relu (reference weights)` };
  }
  if (spec.endsWith('.safetensors')) {
    if (!existsSync(spec)) throw new UsageError(`--model: no such file '${spec}'`);
    const file = readMlpSafetensors(spec, activation === undefined ? {} : { activation });
    const act = (file.activation ?? 'relu') as Activation;
    if (!ACTIVATIONS.includes(act)) throw new UsageError(`--activation: expected one of ${ACTIVATIONS.join(', ')} but received '${act}'`);
    const { model, params } = mlpFromWeights(file, { activation: act, backend });
    return { model, params, description: `${file.widths.join('-')}:${act} (${spec})` };
  }
  const { widths, activation: own } = parseMlpSpec(spec);
  const explicit = /:[a-z]+$/.test(spec);
  if (activation !== undefined && explicit && activation !== own) {
    throw new UsageError(`--activation ${activation} disagrees with the activation of --model ${spec}; give it in one place`);
  }
  const act = (activation ?? own) as Activation;
  if (!ACTIVATIONS.includes(act)) throw new UsageError(`--activation: expected one of ${ACTIVATIONS.join(', ')} but received '${act}'`);
  const model = new MLP(widths, { activation: act });
  return { model, params: model.init({ seed, backend }), description: `${widths.join('-')}:${act} (initialised with seed ${seed})` };
}

/** The operator a job uses: in process (a CurvatureOperator), or on workers (--redis: apply returns a Promise). */
export type JobOperator = Omit<CurvatureOperator, 'apply'> & { readonly apply: (V: Tensor) => Tensor | Promise<Tensor> };

/** Host storage over an array that stays its owner's (a loaded data set, possibly cached): freeing it only lets go. */
class BorrowedStorage extends HostStorage {
  override free(): void {
    // Not returned to the kernels' pool: the loader (and its cache) still hold the array.
  }
}

/**
 * `data` as a tensor without copying it where the backend keeps tensors in host memory (cpu,
 * reference): the inputs are read, never written, and a copy of a data set of 2,048 images
 * (6.4 MB) costs the job fresh pages; other backends upload a copy.
 */
function borrowed(data: Float32Array, shape: number[], backend: Backend): Tensor {
  if (backend.name !== 'cpu' && backend.name !== 'reference') return tensor(data, shape, { backend });
  return Tensor.fromStorage(backend, new BorrowedStorage(data), shape);
}

export interface Problem {
  model: ModelChoice;
  data: DataChoice;
  x: Tensor;
  y: Tensor;
  op: JobOperator;
  /** The operator's order: all parameters, or one layer's. */
  n: number;
  loss: number;
  dispose(): void;
}

export function buildProblem(
  model: ModelChoice, data: DataChoice, matrix: 'hessian' | 'ggn' | 'residual', layer: number | undefined, batchSize: number | undefined, backend: Backend,
): Omit<Problem, 'loss'> {
  const { model: net } = model;
  const d = data.data;
  if (net.sizes[0] !== d.features) throw new UsageError(`the model takes ${net.sizes[0]} inputs but the data have ${d.features} features`);
  if (net.sizes.at(-1)! < d.classes) throw new UsageError(`the model has ${net.sizes.at(-1)} outputs but the data have ${d.classes} classes`);
  if (layer !== undefined && (layer < 1 || layer > net.depth)) throw new UsageError(`--layer: expected a layer in [1, ${net.depth}] but received ${layer}`);
  const x = borrowed(d.x, [d.n, d.features], backend);
  const y = tensor(d.y, [d.n], { dtype: 'int32', backend });
  const opts = { ...(batchSize ? { batchSize } : {}), ...(layer !== undefined ? { block: layer } : {}) };
  const op = matrix === 'hessian'
    ? modelHessian(net, softmaxCrossEntropy, model.params, { x, y }, opts)
    : matrix === 'ggn'
      ? modelGGN(net, softmaxCrossEntropy, model.params, { x, y }, opts)
      : curvatureOperator('residual', net, softmaxCrossEntropy, model.params, { x, y }, opts);
  return {
    model, data, x, y, op, n: op.size,
    dispose() { op.dispose(); x.dispose(); y.dispose(); model.params.dispose(); },
  };
}
