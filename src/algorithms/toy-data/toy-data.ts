// Toy data sets and helpers shared by the generative papers of PAPERS.md (§8, §10, §14, §15):
// the 2-D ring of Gaussians, the checkerboard, positive log-normal mixtures, sinusoidal time
// embeddings, and a small Adam training loop for a model over a flat arena.
//
// Every sampler is a pure function of (seed, stream): data noise comes from stream('data', k)
// unless the caller passes another stream. Points are float32 tensors [n, 2] (or [n, d]).

import {
  Adam, Tensor, checkFinite, checkInt, concat, cos, mul, randomNormal, randomUniform, rangeError, reshape, sin, stream, tensor, tidy,
  typeError, valueAndGrad,
} from '../../engine.js';

/** Host copies of Philox draws (the tensors' own generator, read back once). */
function uniform(seed: number, n: number, offset: number, s: number): Float32Array {
  const t = randomUniform([n], { seed, stream: s, offset });
  const out = Float32Array.from(t.dataSync());
  t.dispose();
  return out;
}

function normal(seed: number, n: number, offset: number, s: number): Float32Array {
  const t = randomNormal([n], { seed, stream: s, offset });
  const out = Float32Array.from(t.dataSync());
  t.dispose();
  return out;
}

/** Options shared by the toy samplers. */
export interface ToyOptions {
  seed: number;
  /** Philox stream (default stream('data', 0)). */
  stream?: number;
  /** Start at this element of the stream (default 0). */
  offset?: number;
}

/**
 * n points from a ring of `modes` equal-weight Gaussians (the standard 8-Gaussian ring):
 * mode k ∈ `which` (default all) has centre radius·(cos 2πk/modes, sin 2πk/modes) and standard
 * deviation `std`; modes are drawn uniformly from `which`. Returns the points [n, 2] and each
 * point's mode.
 * @example
 * const { x, mode } = ringOfGaussians(1024, { seed: 0, which: [0, 1, 2, 3] });
 */
export function ringOfGaussians(n: number, opts: ToyOptions & { modes?: number; radius?: number; std?: number; which?: readonly number[] }): { x: Tensor; mode: Int32Array } {
  const fn = 'ringOfGaussians';
  checkInt(fn, 'n', n, 1);
  const modes = checkInt(fn, 'opts.modes', opts.modes ?? 8, 1);
  const radius = opts.radius ?? 2, std = opts.std ?? 0.1;
  checkFinite(fn, 'opts.radius', radius);
  checkFinite(fn, 'opts.std', std);
  const which = opts.which ?? Array.from({ length: modes }, (_, k) => k);
  if (!Array.isArray(which) || which.length === 0) throw typeError(fn, 'opts.which', 'a non-empty array of mode indices', which);
  which.forEach((k, i) => checkInt(fn, `opts.which[${i}]`, k, 0, modes - 1));
  const s = opts.stream ?? stream('data', 0), o = opts.offset ?? 0;
  const u = uniform(opts.seed, n, o, s), z = normal(opts.seed, 2 * n, o + n, s);
  const out = new Float32Array(2 * n), mode = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const k = which[Math.min(which.length - 1, Math.floor(u[i]! * which.length))]!;
    mode[i] = k;
    const a = (2 * Math.PI * k) / modes;
    out[2 * i] = radius * Math.cos(a) + std * z[2 * i]!;
    out[2 * i + 1] = radius * Math.sin(a) + std * z[2 * i + 1]!;
  }
  return { x: tensor(out, [n, 2]), mode };
}

/** The nearest ring mode of each row of x [n, 2] (host), for mode-coverage counts. */
export function nearestRingMode(x: ArrayLike<number>, opts: { modes?: number } = {}): Int32Array {
  const modes = opts.modes ?? 8, n = x.length / 2;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const a = Math.atan2(x[2 * i + 1]!, x[2 * i]!);
    out[i] = ((Math.round((a * modes) / (2 * Math.PI)) % modes) + modes) % modes;
  }
  return out;
}

/**
 * n points uniform on the 8 black squares of a 4×4 checkerboard covering [−2·side, 2·side]²
 * (default side 1): (x1, x2) is on a black square when ⌊x1/side⌋ + ⌊x2/side⌋ is even.
 */
export function checkerboard(n: number, opts: ToyOptions & { side?: number } = { seed: 0 }): Tensor {
  checkInt('checkerboard', 'n', n, 1);
  const side = opts.side ?? 1;
  checkFinite('checkerboard', 'opts.side', side);
  const s = opts.stream ?? stream('data', 1), o = opts.offset ?? 0;
  const u = uniform(opts.seed, 3 * n, o, s);
  const out = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    // column c ∈ {0..3}, row offset within the column keeps the parity even
    const x1 = (u[3 * i]! * 4 - 2) * side;
    const c = Math.floor(x1 / side);
    const r = Math.min(1, Math.floor(u[3 * i + 1]! * 2)); // which of the two black squares in this column
    const row = 2 * r - 2 + (((c % 2) + 2) % 2); // rows −2..1 with (c + row) even
    out[2 * i] = x1;
    out[2 * i + 1] = (row + u[3 * i + 2]!) * side;
  }
  return tensor(out, [n, 2]);
}

/** Whether each row of x [n, 2] (host) lies on a black square of the checkerboard of `checkerboard`. */
export function onCheckerboard(x: ArrayLike<number>, side = 1): boolean[] {
  const n = x.length / 2;
  return Array.from({ length: n }, (_, i) => {
    const a = x[2 * i]! / side, b = x[2 * i + 1]! / side;
    if (Math.abs(a) > 2 || Math.abs(b) > 2) return false;
    return (((Math.floor(a) + Math.floor(b)) % 2) + 2) % 2 === 0;
  });
}

/**
 * n positive points from a mixture of log-normals: component k (probability weights[k]) has
 * log x ~ N(logMeans[k], logStd² I). Returns the points [n, d] and each point's component.
 */
export function logNormalMixture(n: number, opts: ToyOptions & { logMeans: readonly (readonly number[])[]; logStd: number; weights?: readonly number[] }): { x: Tensor; component: Int32Array } {
  const fn = 'logNormalMixture';
  checkInt(fn, 'n', n, 1);
  const means = opts.logMeans;
  if (!Array.isArray(means) || means.length === 0) throw typeError(fn, 'opts.logMeans', 'a non-empty array of mean vectors', means);
  const d = means[0]!.length;
  const w = opts.weights ?? means.map(() => 1 / means.length);
  if (w.length !== means.length) throw rangeError(fn, 'opts.weights', `${means.length} weights`, w.length);
  const total = w.reduce((a, b) => a + b, 0);
  const s = opts.stream ?? stream('data', 2), o = opts.offset ?? 0;
  const u = uniform(opts.seed, n, o, s), z = normal(opts.seed, n * d, o + n, s);
  const out = new Float32Array(n * d), comp = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let k = 0, acc = w[0]! / total;
    while (u[i]! > acc && k < w.length - 1) acc += w[++k]! / total;
    comp[i] = k;
    for (let j = 0; j < d; j++) out[i * d + j] = Math.exp(means[k]![j]! + opts.logStd * z[i * d + j]!);
  }
  return { x: tensor(out, [n, d]), component: comp };
}

/**
 * Sinusoidal time features [B, 2·frequencies + 1] of t [B] or [B, 1]: t itself, then
 * sin(2π f_k t) and cos(2π f_k t) for f_k = 2^k, k = 0..frequencies−1 (a Transformer-style
 * embedding for t ∈ [0, 1]). Differentiable in t.
 */
export function timeEmbedding(t: Tensor, frequencies = 4): Tensor {
  if (!(t instanceof Tensor)) throw typeError('timeEmbedding', 't', 'a Tensor [B] or [B, 1]', t);
  checkInt('timeEmbedding', 'frequencies', frequencies, 0);
  const b = t.size;
  return tidy(() => {
    const tt = reshape(t, [b, 1]);
    if (frequencies === 0) return tt;
    const f = tensor(Array.from({ length: frequencies }, (_, k) => 2 * Math.PI * 2 ** k), [1, frequencies], { dtype: t.dtype, backend: t.backend });
    const arg = mul(tt, f);
    return concat([tt, sin(arg), cos(arg)], 1);
  });
}

/** Options of `trainArena`. */
export interface TrainOptions {
  steps: number;
  /** Adam learning rate (default 1e-3). */
  lr?: number;
  /** Called after each step with (step, loss) every `every` steps (default 100). */
  onLog?: (step: number, loss: number) => void;
  every?: number;
}

/**
 * Minimises loss(params, step) over `steps` Adam steps (the loss draws its own minibatch from
 * the step number), updating `params` in place. Returns the loss every `every` steps.
 */
export function trainArena(params: Tensor, loss: (p: Tensor, step: number) => Tensor, opts: TrainOptions): number[] {
  const fn = 'trainArena';
  if (!(params instanceof Tensor)) throw typeError(fn, 'params', 'a Tensor arena', params);
  const steps = checkInt(fn, 'opts.steps', opts.steps, 0);
  const every = checkInt(fn, 'opts.every', opts.every ?? 100, 1);
  const opt = new Adam(params, { lr: opts.lr ?? 1e-3 });
  const history: number[] = [];
  for (let k = 0; k < steps; k++) {
    const vg = valueAndGrad((p: Tensor) => loss(p, k))(params);
    opt.step(vg.grad);
    if (k % every === 0 || k === steps - 1) {
      const v = vg.value.dataSync()[0]!;
      history.push(v);
      opts.onLog?.(k, v);
    }
    vg.value.dispose();
    vg.grad.dispose();
  }
  return history;
}
