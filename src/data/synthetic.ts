// Seeded synthetic data sets: a k-class Gaussian mixture (classification) and a
// teacher–student regression (targets from a random teacher network plus noise).
//
// Contract: every number comes from descent's Philox generator (src/random.ts) under the
// given seed, on fixed streams, so a data set is a function of its options alone:
//   gaussianMixture  stream 0: class means; stream 1: labels; stream 2: noise
//   teacherStudent   stream 0: teacher weights and biases; stream 1: inputs; stream 2: noise
// Arithmetic is float64, rounded once to float32 on output; the returned means and teacher
// weights are the float32 values the data were computed from.

import { checkFinite, checkInt, rangeError, typeError } from '../errors.js';
import { Rng } from '../random.js';
import { IntStream } from './batches.js';
import type { ClassificationData, RegressionData } from './dataset.js';
import type { Activation } from '../ops/activations.js';

export interface GaussianMixtureOptions {
  n: number;
  classes: number;
  features: number;
  seed: number;
  /**
   * Scale of the class means: μ_c = (separation/√features)·z_c with z_c ~ N(0, I), so two
   * means lie about √2·separation apart whatever the dimension. Default 3.
   */
  separation?: number;
  /** Standard deviation σ of each class around its mean. Default 1. */
  noise?: number;
}

export interface GaussianMixture extends ClassificationData {
  /** classes × features, row-major. */
  means: Float32Array;
}

/**
 * n points x_i = μ_{y_i} + σ·ε_i, ε_i ~ N(0, I), with labels y_i uniform on [0, classes).
 * @example
 * const { x, y, means } = gaussianMixture({ n: 512, classes: 3, features: 2, seed: 1 });
 */
export function gaussianMixture(options: GaussianMixtureOptions): GaussianMixture {
  const fn = 'gaussianMixture';
  if (typeof options !== 'object' || options === null) throw typeError(fn, 'options', 'an object', options);
  const n = checkInt(fn, 'n', options.n, 0);
  const classes = checkInt(fn, 'classes', options.classes, 1, 2 ** 31 - 1);
  const features = checkInt(fn, 'features', options.features, 1);
  const seed = checkInt(fn, 'seed', options.seed, 0);
  const separation = checkFinite(fn, 'separation', options.separation ?? 3);
  const noise = checkFinite(fn, 'noise', options.noise ?? 1);
  if (noise < 0) throw rangeError(fn, 'noise', 'a number ≥ 0', noise);

  const z = new Rng(seed, 0).normal(classes * features);
  const scale = separation / Math.sqrt(features);
  const means = new Float32Array(classes * features);
  for (let i = 0; i < means.length; i++) means[i] = scale * z[i]!;

  const labels = new IntStream(seed, 1, n);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) y[i] = labels.next(classes);

  const eps = new Rng(seed, 2).normal(n * features);
  const x = new Float32Array(n * features);
  for (let i = 0; i < n; i++) {
    const m = y[i]! * features;
    for (let j = 0; j < features; j++) x[i * features + j] = means[m + j]! + noise * eps[i * features + j]!;
  }
  return { x, y, n, features, classes, means };
}

/** The activations a teacher network can use: the model Activations (ops/activations.ts) but gelu. */
export type TeacherActivation = Exclude<Activation, 'gelu'>;

const ACTIVATIONS: Record<TeacherActivation, (v: number) => number> = {
  relu: (v) => (v > 0 ? v : 0),
  tanh: Math.tanh,
  sigmoid: (v) => 1 / (1 + Math.exp(-v)),
  identity: (v) => v,
};

export interface TeacherStudentOptions {
  n: number;
  features: number;
  /** Output width. Default 1. */
  outputs?: number;
  /** Hidden widths of the teacher; [] (default) makes it a linear map. */
  hidden?: number[];
  /** Activation after each hidden layer. Default 'relu'. */
  activation?: TeacherActivation;
  /** Standard deviation of the teacher's biases; 0 (default) gives zero biases. */
  biasScale?: number;
  /** Standard deviation σ of the label noise. Default 0.1. */
  noise?: number;
  seed: number;
}

export interface TeacherLayer {
  /** in × out, row-major: h' = act(h·W + b). */
  W: Float32Array;
  b: Float32Array;
}

export interface TeacherStudent extends RegressionData {
  teacher: { widths: number[]; activation: TeacherActivation; layers: TeacherLayer[] };
}

/**
 * Inputs x_i ~ N(0, I) and targets y_i = f(x_i) + σ·ε_i, where f is an MLP with weights
 * W_l ~ N(0, 1/fan_in) (LeCun normal: outputs stay of order 1 at any width) and biases
 * N(0, biasScale²).
 * @example
 * const data = teacherStudent({ n: 1024, features: 20, hidden: [50], seed: 3 });
 */
export function teacherStudent(options: TeacherStudentOptions): TeacherStudent {
  const fn = 'teacherStudent';
  if (typeof options !== 'object' || options === null) throw typeError(fn, 'options', 'an object', options);
  const n = checkInt(fn, 'n', options.n, 0);
  const features = checkInt(fn, 'features', options.features, 1);
  const outputs = checkInt(fn, 'outputs', options.outputs ?? 1, 1);
  const seed = checkInt(fn, 'seed', options.seed, 0);
  const hidden = options.hidden ?? [];
  if (!Array.isArray(hidden)) throw typeError(fn, 'hidden', 'an array of widths', hidden);
  hidden.forEach((h, i) => checkInt(fn, `hidden[${i}]`, h, 1));
  const activation = options.activation ?? 'relu';
  if (typeof activation !== 'string' || !Object.hasOwn(ACTIVATIONS, activation)) {
    throw rangeError(fn, 'activation', "'relu', 'tanh', 'sigmoid' or 'identity'", activation);
  }
  const biasScale = checkFinite(fn, 'biasScale', options.biasScale ?? 0);
  const noise = checkFinite(fn, 'noise', options.noise ?? 0.1);
  if (noise < 0) throw rangeError(fn, 'noise', 'a number ≥ 0', noise);
  if (biasScale < 0) throw rangeError(fn, 'biasScale', 'a number ≥ 0', biasScale);

  const widths = [features, ...hidden, outputs];
  const wrng = new Rng(seed, 0);
  const layers: TeacherLayer[] = [];
  for (let l = 0; l + 1 < widths.length; l++) {
    const fanIn = widths[l]!, fanOut = widths[l + 1]!;
    const W = wrng.normal(fanIn * fanOut);
    const s = 1 / Math.sqrt(fanIn);
    for (let i = 0; i < W.length; i++) W[i] = W[i]! * s;
    const b = wrng.normal(fanOut);
    for (let i = 0; i < b.length; i++) b[i] = b[i]! * biasScale;
    layers.push({ W, b });
  }

  const x = new Rng(seed, 1).normal(n * features);
  const eps = new Rng(seed, 2).normal(n * outputs);
  const y = new Float32Array(n * outputs);
  const act = ACTIVATIONS[activation];
  let h = new Float64Array(Math.max(...widths));
  let next = new Float64Array(h.length);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < features; j++) h[j] = x[i * features + j]!;
    for (let l = 0; l < layers.length; l++) {
      const { W, b } = layers[l]!;
      const fanIn = widths[l]!, fanOut = widths[l + 1]!;
      const last = l === layers.length - 1;
      for (let o = 0; o < fanOut; o++) {
        let s = b[o]!;
        for (let k = 0; k < fanIn; k++) s += h[k]! * W[k * fanOut + o]!;
        next[o] = last ? s : act(s);
      }
      [h, next] = [next, h];
    }
    for (let o = 0; o < outputs; o++) y[i * outputs + o] = h[o]! + noise * eps[i * outputs + o]!;
  }
  return { x, y, n, features, outputs, teacher: { widths, activation, layers } };
}
