// Multi-layer perceptrons over a flat parameter arena, and the linear models that are MLPs
// without hidden layers (linear, logistic and softmax regression).
//
// Layout (compatible with ../shared/reference/mlp-fmnist-init and with PyTorch's
// nn.Sequential after transposing its weights): W1 [n0, n1], b1 [n1], W2 [n1, n2], b2, ...,
// each row-major, in that order; layer l computes h_l = act(h_{l-1}·W_l + b_l), and the last
// layer has no activation (it gives logits or predictions).
//
// apply(params [P], x [..., n0]) → [..., nL] uses fused linear kernels. A population arena
// params [R, P] evaluates R replicas at once with batched matrix products: x [B, n0] is
// shared by every replica, x [R, B, n0] gives each replica its own batch; the result is
// [R, B, nL].

import { checkInt, rangeError, ShapeError, typeError } from '../errors.js';
import { arrayFor } from '../dtype.js';
import type { DType } from '../dtype.js';
import type { Act, Backend, BackendName, HostArray } from '../backend/ops.js';
import { tensor } from '../ops/creation.js';
import { ACTIVATION_FN, ACTIVATIONS as ACTIVATION_NAMES } from '../ops/activations.js';
import type { Activation } from '../ops/activations.js';
import { add } from '../ops/elementwise.js';
import { linear, matmul } from '../ops/matmul.js';
import { reshape } from '../ops/views.js';
import { fmt } from '../shape.js';
import { Tensor } from '../tensor.js';
import { initParams } from './init.js';
import type { InitOptions } from './init.js';
import { ParamLayout } from './layout.js';
import type { Range } from './layout.js';

export type { Activation } from '../ops/activations.js';

/** Each activation's fused matmul epilogue and its plain function (ops/activations.ts). */
const ACTIVATIONS: Record<Activation, { fused: Act; fn: (x: Tensor) => Tensor }> = Object.fromEntries(
  ACTIVATION_NAMES.map((a) => [a, { fused: a === 'identity' ? 'none' : a, fn: ACTIVATION_FN[a] }]),
) as Record<Activation, { fused: Act; fn: (x: Tensor) => Tensor }>;

export interface MLPOptions {
  /** The hidden layers' activation (default relu). */
  activation?: Activation;
}

export class MLP {
  /** Layer widths [n0, n1, ..., nL]: n0 inputs, nL outputs. */
  readonly sizes: readonly number[];
  readonly activation: Activation;
  readonly layout: ParamLayout;

  constructor(sizes: readonly number[], opts: MLPOptions = {}) {
    if (!Array.isArray(sizes) || sizes.length < 2) throw typeError('MLP', 'sizes', 'an array of at least two layer widths', sizes);
    sizes.forEach((s, i) => checkInt('MLP', `sizes[${i}]`, s, 1));
    const activation = opts.activation ?? 'relu';
    if (!(activation in ACTIVATIONS)) throw rangeError('MLP', 'opts.activation', Object.keys(ACTIVATIONS).map((a) => `'${a}'`).join(', '), activation);
    this.sizes = Object.freeze(sizes.slice());
    this.activation = activation;
    this.layout = new ParamLayout(sizes.slice(1).flatMap((out, l) => {
      const inp = sizes[l]!;
      return [
        { name: `W${l + 1}`, shape: [inp, out], role: 'weight' as const, fanIn: inp, fanOut: out },
        { name: `b${l + 1}`, shape: [out], role: 'bias' as const, fanIn: inp, fanOut: out },
      ];
    }));
  }

  /** The number of parameters P. */
  get size(): number {
    return this.layout.size;
  }

  /** The number of layers (weight matrices). */
  get depth(): number {
    return this.sizes.length - 1;
  }

  /** The arena range of layer l's weights and bias (1-based, like the names W1, b1). */
  layerRange(l: number): Range {
    checkInt('MLP.layerRange', 'l', l, 1, this.depth);
    return this.layout.range(`W${l}`, `b${l}`);
  }

  /**
   * The network's outputs (logits) for inputs x.
   * @example
   * const net = new MLP([784, 256, 10]);
   * const logits = net.apply(net.init({ seed: 0 }), x); // x: [batch, 784] → [batch, 10]
   */
  apply(params: Tensor, x: Tensor): Tensor {
    this.layout.check('MLP.apply', params);
    if (!(x instanceof Tensor)) throw typeError('MLP.apply', 'x', 'a Tensor', x);
    if (x.rank < 1 || x.shape.at(-1) !== this.sizes[0]) {
      throw new ShapeError(`MLP.apply: expected inputs of shape [..., ${this.sizes[0]}] for 'x' but received ${fmt(x.shape)}`);
    }
    if (x.dtype !== params.dtype) throw new TypeError(`MLP.apply: expected ${params.dtype} inputs for 'x' (the parameters' dtype) but received ${x.dtype}`);
    return params.rank === 1 ? this.applyOne(params, x) : this.applyPopulation(params, x);
  }

  private applyOne(params: Tensor, x: Tensor): Tensor {
    const act = ACTIVATIONS[this.activation];
    let h = x.rank === 1 ? reshape(x, [1, x.size]) : x;
    for (let l = 1; l <= this.depth; l++) {
      const w = this.layout.view(params, `W${l}`), b = this.layout.view(params, `b${l}`);
      h = linear(h, w, b, l < this.depth ? act.fused : 'none');
    }
    return x.rank === 1 ? reshape(h, [this.sizes.at(-1)!]) : h;
  }

  private applyPopulation(params: Tensor, x: Tensor): Tensor {
    const r = params.shape[0]!;
    if (x.rank !== 2 && !(x.rank === 3 && x.shape[0] === r)) {
      throw new ShapeError(`MLP.apply: expected inputs of shape [B, ${this.sizes[0]}] or [${r}, B, ${this.sizes[0]}] for 'x' with ${r} replicas but received ${fmt(x.shape)}`);
    }
    const act = ACTIVATIONS[this.activation];
    let h = x;
    for (let l = 1; l <= this.depth; l++) {
      const w = this.layout.view(params, `W${l}`);
      const b = reshape(this.layout.view(params, `b${l}`), [r, 1, this.sizes[l]!]);
      h = add(matmul(h, w), b);
      if (l < this.depth) h = act.fn(h);
    }
    return h;
  }

  /**
   * A seeded initial arena: He for relu/gelu, Glorot for tanh/sigmoid/identity unless
   * `scheme` says otherwise; biases zero; [P], or [replicas, P].
   */
  init(opts: InitOptions): Tensor {
    const scheme = opts.scheme ?? (this.activation === 'relu' || this.activation === 'gelu' ? 'he' : 'glorot');
    return initParams(this.layout, { ...opts, scheme });
  }
}

/** Linear regression y = x·W + b (use with mse). */
export function linearRegression(inputs: number, outputs = 1): MLP {
  return new MLP([inputs, outputs], { activation: 'identity' });
}

/** Logistic regression: one logit x·w + b (use with logisticLoss). */
export function logisticRegression(inputs: number): MLP {
  return new MLP([inputs, 1], { activation: 'identity' });
}

/** Softmax (multinomial logistic) regression: logits x·W + b (use with softmaxCrossEntropy). */
export function softmaxRegression(inputs: number, classes: number): MLP {
  return new MLP([inputs, classes], { activation: 'identity' });
}

/** One layer's weights and bias, as stored by a file or another library. */
export interface LayerWeights {
  weight: HostArray | Tensor;
  bias: HostArray | Tensor;
  inFeatures: number;
  outFeatures: number;
  /** 'in-out': row-major [in, out], descent's y = x·W + b (default); 'out-in': PyTorch's [out, in], y = x·Wᵀ + b. */
  layout?: 'in-out' | 'out-in';
}

/** Widths and [in, out] layers, as src/io/mlp-weights.ts reads them from safetensors. */
export interface MlpWeightsLike {
  widths: readonly number[];
  layers: readonly { W: HostArray; b: HostArray }[];
}

function fromWidths(fn: string, w: MlpWeightsLike): LayerWeights[] {
  if (!w || !Array.isArray(w.widths) || !Array.isArray(w.layers) || w.layers.length !== w.widths.length - 1) {
    throw typeError(fn, 'weights', 'an array of layers or { widths, layers } with one layer per pair of widths', w);
  }
  return w.layers.map((L, i) => ({ weight: L.W, bias: L.b, inFeatures: w.widths[i]!, outFeatures: w.widths[i + 1]! }));
}

function hostValues(fn: string, arg: string, v: unknown, length: number): ArrayLike<number> {
  const data = v instanceof Tensor ? v.dataSync() : v;
  if (!(data instanceof Float32Array || data instanceof Float64Array || data instanceof Int32Array)) {
    throw typeError(fn, arg, 'a Tensor, Float32Array or Float64Array', v);
  }
  if (data.length !== length) throw new RangeError(`${fn}: expected ${length} values for '${arg}' but received ${data.length}`);
  return data;
}

/**
 * An MLP and its arena built from per-layer weights (for example a PyTorch nn.Sequential
 * state_dict: pass layout 'out-in'), or from { widths, layers: [{ W, b }] } with W as
 * [in, out] (what readMlpSafetensors returns); the widths come from the layers, which must chain.
 * @example
 * const { model, params } = mlpFromWeights([{ weight: w1, bias: b1, inFeatures: 784, outFeatures: 256, layout: 'out-in' }, ...], { activation: 'relu' });
 */
export function mlpFromWeights(weights: readonly LayerWeights[] | MlpWeightsLike, opts: MLPOptions & { dtype?: DType; backend?: Backend | BackendName } = {}): { model: MLP; params: Tensor } {
  const fn = 'mlpFromWeights';
  const layers = Array.isArray(weights) ? weights : fromWidths(fn, weights as MlpWeightsLike);
  if (!Array.isArray(layers) || layers.length === 0) throw typeError(fn, 'layers', 'a non-empty array of layers', layers);
  layers.forEach((L, i) => {
    checkInt(fn, `layers[${i}].inFeatures`, L.inFeatures, 1);
    checkInt(fn, `layers[${i}].outFeatures`, L.outFeatures, 1);
    if (i > 0 && L.inFeatures !== layers[i - 1]!.outFeatures) {
      throw new ShapeError(`${fn}: layer ${i} takes ${L.inFeatures} inputs but layer ${i - 1} gives ${layers[i - 1]!.outFeatures} outputs`);
    }
    if (L.layout !== undefined && L.layout !== 'in-out' && L.layout !== 'out-in') throw rangeError(fn, `layers[${i}].layout`, "'in-out' or 'out-in'", L.layout);
  });
  const model = new MLP([layers[0]!.inFeatures, ...layers.map((L) => L.outFeatures)], opts);
  const dtype = opts.dtype ?? 'float32';
  const arena = arrayFor(dtype, model.size);
  layers.forEach((L, i) => {
    const w = model.layout.get(`W${i + 1}`), b = model.layout.get(`b${i + 1}`);
    const wv = hostValues(fn, `layers[${i}].weight`, L.weight, w.size);
    const n = L.inFeatures, m = L.outFeatures;
    if (L.layout === 'out-in') {
      for (let r = 0; r < n; r++) for (let c = 0; c < m; c++) arena[w.offset + r * m + c] = wv[c * n + r]!;
    } else {
      for (let k = 0; k < w.size; k++) arena[w.offset + k] = wv[k]!;
    }
    const bv = hostValues(fn, `layers[${i}].bias`, L.bias, b.size);
    for (let k = 0; k < b.size; k++) arena[b.offset + k] = bv[k]!;
  });
  return { model, params: tensor(arena, [model.size], { dtype, ...(opts.backend ? { backend: opts.backend } : {}) }) };
}
