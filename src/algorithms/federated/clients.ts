// Client populations for the federated engine: quadratic clients (Fraboni et al. §6 and Wang &
// Ji §5's synthetic check) and MLP classifiers over a Dirichlet(α) label partition of a data set
// (Wang & Ji's data split; authors' util.py partition). Each trainer runs a batch of S local
// tasks as one population arena [S, P] stepped by the engine's fused SGD op, and draws all its
// noise from Philox at offsets fixed by (client, round, step), so a task's result is the same
// whether it runs alone, in a batch, or on another machine (ClientTrainer's contract).

import {
  MLP, SGD, Tensor, argmax, broadcastTo, contiguous, dirichlet, div, gather, keep, matmul, reshape, softmaxCrossEntropy, sub, tensor, tidy, valueAndGrad,
} from '../../engine.js';
import type { BackendName, ClassificationData } from '../../engine.js';
import { argError, checkInteger, checkNumber, philoxNormals, philoxWords } from './host.js';
import type { ClientTrainer, LocalTask } from './server.js';

export interface QuadraticClientsOptions {
  /** c_i, M rows of d values, row-major: f_i(θ) = ½‖θ − c_i‖². */
  centers: ArrayLike<number>;
  dim: number;
  /** Local SGD steps per task (n_SGD). */
  localSteps: number;
  /** Local learning rate (lr_l). */
  lr: number;
  /** Standard deviation of the Gaussian gradient noise (0: exact gradients). */
  noise: number;
  /** The Philox stream of the noise. */
  stream: number;
  backend?: BackendName;
}

/**
 * Quadratic clients f_i(θ) = ½‖θ − c_i‖² with stochastic gradients θ − c_i + σ·z: task
 * (client i, round r) takes step s with z drawn from (seed, stream, offset ((r·M + i)·I + s)·2d).
 * Float64 parameters, SGD by the engine's fused op.
 */
export class QuadraticClients implements ClientTrainer {
  readonly size: number;
  readonly clients: number;
  readonly centers: Float64Array;
  constructor(readonly opts: QuadraticClientsOptions) {
    const fn = 'QuadraticClients';
    this.size = checkInteger(fn, 'dim', opts.dim, 1);
    if (opts.centers.length % opts.dim !== 0 || opts.centers.length === 0) throw argError(fn, 'centers', `M·${opts.dim} values`, opts.centers.length);
    this.clients = opts.centers.length / opts.dim;
    this.centers = Float64Array.from(opts.centers);
    checkInteger(fn, 'localSteps', opts.localSteps, 1);
    checkNumber(fn, 'lr', opts.lr, 0);
    checkNumber(fn, 'noise', opts.noise, 0);
  }

  async train(starts: Float64Array, tasks: readonly LocalTask[], seed: number): Promise<Float64Array> {
    const { dim: d, localSteps: I, lr, noise, stream } = this.opts;
    const S = tasks.length, M = this.clients;
    if (starts.length !== S * d && starts.length !== d) throw argError('QuadraticClients.train', 'starts', `${S}·${d} or ${d} values`, starts.length);
    const rows = starts.length === d ? Float64Array.from({ length: S * d }, (_, k) => starts[k % d]!) : starts;
    const params = tensor(rows, [S, d], { dtype: 'float64', backend: this.opts.backend });
    const opt = new SGD(params, { lr });
    const target = new Float64Array(S * d);
    for (let s = 0; s < I; s++) {
      for (let j = 0; j < S; j++) {
        const { client: i, round: r } = tasks[j]!;
        checkInteger('QuadraticClients.train', `tasks[${j}].client`, i, 0, M - 1);
        const z = noise > 0 ? philoxNormals(seed, stream, ((r * M + i) * I + s) * 2 * d, d) : undefined;
        for (let k = 0; k < d; k++) target[j * d + k] = this.centers[i * d + k]! - (z ? noise * z[k]! : 0);
      }
      tidy(() => {
        // ∇ = θ − (c_i − σz) = θ − c_i + σz
        const g = sub(params, tensor(target, [S, d], { dtype: 'float64', backend: this.opts.backend }));
        opt.step(g);
      });
    }
    const out = new Float64Array(await params.data() as Float32Array | Float64Array);
    opt.dispose();
    params.dispose();
    return out;
  }
}

export interface MlpClientsOptions {
  model: MLP;
  data: ClassificationData;
  /** Row indices of each client's local data set. */
  partition: readonly Int32Array[];
  localSteps: number;
  batchSize: number;
  lr: number;
  /** The Philox stream of the minibatch draws. */
  stream: number;
  backend?: BackendName;
}

/**
 * MLP classifiers on partitioned data: task (client i, round r) takes `localSteps` SGD steps
 * on minibatches of `batchSize` rows drawn uniformly with replacement from client i's rows
 * (words from (seed, stream, offset ((r·M + i)·I + s)·B)). All S tasks of a call form one float32
 * arena [S, P]: one batched forward/backward per step (per-replica mean losses) and one fused
 * SGD step. The data set is uploaded to the backend once, on the first call, and each step's
 * S·B minibatch rows are gathered there (only the S·B row indices cross per step); call
 * `dispose()` to free that copy when the trainer is done. The data set's n·F floats must fit one
 * backend buffer (on webgpu, the adapter's maxStorageBufferBindingSize: pass a `limit`ed data set).
 */
export class MlpClients implements ClientTrainer {
  readonly size: number;
  readonly clients: number;
  /** The data set's rows [n, F] and labels [n] on the backend (uploaded on first use). */
  private device?: { x: Tensor; y: Tensor };
  constructor(readonly opts: MlpClientsOptions) {
    const fn = 'MlpClients';
    this.size = opts.model.size;
    this.clients = opts.partition.length;
    if (opts.data.features !== opts.model.sizes[0]) throw argError(fn, 'data.features', `${opts.model.sizes[0]} (the model's inputs)`, opts.data.features);
    opts.partition.forEach((rows, i) => { if (rows.length === 0) throw argError(fn, `partition[${i}]`, 'a non-empty set of rows', 0); });
    checkInteger(fn, 'localSteps', opts.localSteps, 1);
    checkInteger(fn, 'batchSize', opts.batchSize, 1);
    checkNumber(fn, 'lr', opts.lr, 0);
  }

  /** The S·B rows of local step s of each task. */
  batchRows(tasks: readonly LocalTask[], step: number, seed: number): Int32Array {
    const { batchSize: B, localSteps: I, stream, partition } = this.opts;
    const M = this.clients;
    const rows = new Int32Array(tasks.length * B);
    tasks.forEach(({ client: i, round: r }, j) => {
      const own = partition[i]!;
      const w = philoxWords(seed, stream, ((r * M + i) * I + step) * B, B);
      for (let b = 0; b < B; b++) rows[j * B + b] = own[Math.floor((w[b]! * own.length) / 2 ** 32)]!;
    });
    return rows;
  }

  /** Frees the backend copy of the data set (a later call uploads it again). */
  dispose(): void {
    this.device?.x.dispose();
    this.device?.y.dispose();
    this.device = undefined;
  }

  async train(starts: Float64Array, tasks: readonly LocalTask[], seed: number): Promise<Float32Array> {
    const params = this.localTraining('MlpClients.train', starts, tasks, seed);
    const out = (await params.data()) as Float32Array;
    params.dispose();
    return out;
  }

  /**
   * Σ_s w_s x_s over the tasks' end models x_s, reduced on the backend (one [1, S] × [S, P]
   * product), so that only P numbers come back to the host: what a round of fresh clients needs
   * (see ClientTrainer.reduce).
   */
  async reduce(starts: Float64Array, tasks: readonly LocalTask[], seed: number, weights: ArrayLike<number>): Promise<Float64Array> {
    if (weights.length !== tasks.length) throw argError('MlpClients.reduce', 'weights', `one weight per task (${tasks.length})`, weights.length);
    const params = this.localTraining('MlpClients.reduce', starts, tasks, seed);
    const sum = tidy(() => matmul(tensor(Float32Array.from(weights), [1, tasks.length], { backend: this.opts.backend }), params));
    params.dispose();
    const out = new Float64Array((await sum.data()) as Float32Array);
    sum.dispose();
    return out;
  }

  /** Runs the tasks' local SGD as one arena [S, P] and returns it (the caller disposes it). */
  private localTraining(fn: string, starts: Float64Array, tasks: readonly LocalTask[], seed: number): Tensor {
    const { model, data, batchSize: B, localSteps: I, lr, backend } = this.opts;
    const S = tasks.length, P = this.size, F = data.features;
    if (starts.length !== S * P && starts.length !== P) throw argError(fn, 'starts', `${S}·${P} or ${P} values`, starts.length);
    // One start model for every task: upload it once and broadcast it on the backend.
    const params = starts.length === P && S > 1
      ? tidy(() => contiguous(broadcastTo(tensor(new Float32Array(starts), [1, P], { dtype: 'float32', backend }), [S, P])))
      : tensor(new Float32Array(starts), [S, P], { dtype: 'float32', backend });
    const opt = new SGD(params, { lr });
    // The data set lives on the backend; a step gathers its S·B rows there (bit-identical to
    // copying them on the host: a gather is a copy).
    this.device ??= { x: keep(tensor(data.x.subarray(0, data.n * F), [data.n, F], { backend })), y: keep(tensor(data.y.subarray(0, data.n), [data.n], { dtype: 'int32', backend })) };
    const dev = this.device;
    const lossOf = (p: Tensor, x: Tensor, y: Tensor) => div(softmaxCrossEntropy(reshape(model.apply(p, x), [S * B, model.sizes.at(-1)!]), y, { reduction: 'sum' }), B);
    const vg = valueAndGrad(lossOf);
    for (let s = 0; s < I; s++) {
      const rows = this.batchRows(tasks, s, seed);
      tidy(() => {
        const idx = tensor(rows, [S * B], { dtype: 'int32', backend });
        const x = reshape(gather(dev.x, idx), [S, B, F]), y = gather(dev.y, idx);
        const { grad } = vg(params, x, y);
        opt.step(grad);
      });
    }
    opt.dispose();
    return params;
  }
}

/** Classification accuracy of one model (float64 host parameters) on data, in batches. */
export async function mlpAccuracy(model: MLP, params: ArrayLike<number>, data: ClassificationData, backend?: BackendName, batch = 2000): Promise<number> {
  const p = tensor(params instanceof Float32Array ? params : new Float32Array(params as ArrayLike<number>), [model.size], { backend });
  let right = 0;
  for (let at = 0; at < data.n; at += batch) {
    const n = Math.min(batch, data.n - at);
    const pred = tidy(() => argmax(model.apply(p, tensor(data.x.subarray(at * data.features, (at + n) * data.features), [n, data.features], { backend })), -1));
    const got = await pred.data();
    pred.dispose();
    for (let i = 0; i < n; i++) if (got[i] === data.y[at + i]) right++;
  }
  p.dispose();
  return right / data.n;
}

/**
 * Dirichlet(α) label partition (Wang & Ji's split, as the authors' util.py does it): draw a
 * label distribution q_n ~ Dir(α·1) for each of N clients, then cut each label's rows (in data
 * order) among the clients in proportion to q_{n,label}/Σ_m q_{m,label}. Returns each client's
 * rows and its label distribution q_n. A client can end up empty at small α.
 */
export function dirichletPartition(labels: Int32Array, classes: number, clients: number, alpha: number, seed: number, stream: number): { rows: Int32Array[]; labelDist: Float64Array[] } {
  const fn = 'dirichletPartition';
  checkInteger(fn, 'classes', classes, 2);
  checkInteger(fn, 'clients', clients, 1);
  checkNumber(fn, 'alpha', alpha, Number.MIN_VALUE);
  const draws = dirichlet(seed, clients, new Array<number>(classes).fill(alpha), 0, stream);
  const q = Array.from({ length: clients }, (_, n) => draws.subarray(n * classes, (n + 1) * classes));
  const byLabel: number[][] = Array.from({ length: classes }, () => []);
  labels.forEach((y, i) => {
    if (!(y >= 0 && y < classes)) throw argError(fn, `labels[${i}]`, `a label in [0, ${classes})`, y);
    byLabel[y]!.push(i);
  });
  const rows: number[][] = Array.from({ length: clients }, () => []);
  for (let c = 0; c < classes; c++) {
    let total = 0;
    for (let n = 0; n < clients; n++) total += q[n]![c]!;
    let start = 0, cum = 0;
    for (let n = 0; n < clients; n++) {
      cum += q[n]![c]!;
      const end = Math.round((byLabel[c]!.length * cum) / total);
      for (let k = start; k < end; k++) rows[n]!.push(byLabel[c]![k]!);
      start = end;
    }
  }
  return { rows: rows.map((r) => Int32Array.from(r)), labelDist: q };
}
