// Client populations for the federated engine: quadratic clients (Fraboni et al. §6 and Wang &
// Ji §5's synthetic check) and MLP classifiers over a Dirichlet(α) label partition of a data set
// (Wang & Ji's data split; authors' util.py partition). Each trainer runs a batch of S local
// tasks as one population arena [S, P] stepped by the engine's fused SGD op, and draws all its
// noise from Philox at offsets fixed by (client, round, step), so a task's result is the same
// whether it runs alone, in a batch, or on another machine (ClientTrainer's contract).

import {
  MLP, SGD, Tensor, add, argmax, broadcastTo, concat, contiguous, dirichlet, div, empty, gather, gelu, keep, linear, matmul, relu, reshape, sigmoid, slice, softmaxCrossEntropy, sub, sum, tanh, tensor, tidy, valueAndGrad,
} from '../../engine.js';
import type { Activation, BackendName, ClassificationData } from '../../engine.js';
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
  /**
   * At most this many tasks per population launch (default: all the tasks of a call in one).
   * Each task's end model is the same bit for bit whatever the chunking; `reduce` adds the
   * chunks' weighted sums in chunk order, so its float32 rounding depends on the chunk size.
   * For arenas that would not fit one backend buffer (S·P·4 bytes; on webgpu the adapter's
   * maxStorageBufferBindingSize). Not faster on the cpu backend (docs/papers/federated.md).
   */
  chunk?: number;
}

/**
 * MLP classifiers on partitioned data: task (client i, round r) takes `localSteps` SGD steps
 * on minibatches of `batchSize` rows drawn uniformly with replacement from client i's rows
 * (words from (seed, stream, offset ((r·M + i)·I + s)·B)). All S tasks of a call form one float32
 * population [S, P] (by default; see `chunk`): one batched forward/backward per step
 * (per-replica mean losses) and fused SGD steps (one per piece of the arena: the first layer's
 * weights, its bias, the rest; see localTraining). The data set is uploaded to the backend once, on the first call, and each step's
 * S·B minibatch rows are gathered there (only the S·B row indices cross per step); call
 * `dispose()` to free that copy when the trainer is done. The data set's n·F floats must fit one
 * backend buffer (on webgpu, the adapter's maxStorageBufferBindingSize: pass a `limit`ed data set).
 */
export class MlpClients implements ClientTrainer {
  readonly size: number;
  readonly clients: number;
  /** The data set's rows [n, F] and labels [n] on the backend (uploaded on first use). */
  private device?: { x: Tensor; y: Tensor };
  /** The layers after the first (an MLP over the arena's tail), for models with hidden layers. */
  private head?: MLP;
  /** Tasks per population launch (Infinity: all the tasks of a call in one). */
  readonly chunk: number;
  constructor(readonly opts: MlpClientsOptions) {
    const fn = 'MlpClients';
    this.chunk = opts.chunk === undefined ? Infinity : checkInteger(fn, 'chunk', opts.chunk, 1);
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
    const P = this.size, S = tasks.length;
    const start = this.startModels('MlpClients.train', starts, S);
    const out = new Float32Array(S * P);
    try {
      for (let at = 0; at < S; at += this.chunk) {
        const part = tasks.slice(at, at + this.chunk), C = part.length;
        const pieces = this.localTraining(start, at, part, seed);
        let col = 0;
        for (const t of pieces) {
          const width = t.shape[1]!, got = (await t.data()) as Float32Array;
          for (let j = 0; j < C; j++) out.set(got.subarray(j * width, (j + 1) * width), (at + j) * P + col);
          col += width;
          t.dispose();
        }
      }
    } finally {
      start.device?.dispose();
    }
    return out;
  }

  /**
   * Σ_s w_s x_s over the tasks' end models x_s, reduced on the backend (a [1, C] × [C, ·] product
   * per piece of the arena; with several chunks each chunk's products are added to the running
   * sums in chunk order), so that only P values come back to the host: what a round of fresh
   * clients needs (see ClientTrainer.reduce).
   */
  async reduce(starts: Float64Array, tasks: readonly LocalTask[], seed: number, weights: ArrayLike<number>): Promise<Float64Array> {
    if (weights.length !== tasks.length) throw argError('MlpClients.reduce', 'weights', `one weight per task (${tasks.length})`, weights.length);
    const S = tasks.length, backend = this.opts.backend;
    const start = this.startModels('MlpClients.reduce', starts, S);
    let sums: Tensor[] = [];
    try {
      for (let at = 0; at < S; at += this.chunk) {
        const part = tasks.slice(at, at + this.chunk), C = part.length;
        const pieces = this.localTraining(start, at, part, seed);
        const prev = sums;
        sums = tidy(() => {
          const w = tensor(Float32Array.from({ length: C }, (_, j) => weights[at + j]!), [1, C], { backend });
          return pieces.map((t, i) => (prev[i] ? linear(w, t, reshape(prev[i], [t.shape[1]!])) : matmul(w, t)));
        });
        for (const t of [...prev, ...pieces]) t.dispose();
      }
    } finally {
      start.device?.dispose();
    }
    const out = new Float64Array(this.size);
    let col = 0;
    for (const t of sums) {
      out.set((await t.data()) as Float32Array, col);
      col += t.size;
      t.dispose();
    }
    return out;
  }

  /**
   * The start models in float32, [1, P] (one shared model, also uploaded once to be broadcast on
   * the backend) or [S, P].
   */
  private startModels(fn: string, starts: Float64Array, S: number): Starts {
    const P = this.size;
    if (starts.length !== S * P && starts.length !== P) throw argError(fn, 'starts', `${S}·${P} or ${P} values`, starts.length);
    const host = new Float32Array(starts.length);
    for (let k = 0; k < host.length; k++) host[k] = starts[k]!;
    const shared = starts.length === P;
    return { host, rows: starts.length / P, shared, device: shared && S > 1 ? tensor(host, [1, P], { backend: this.opts.backend }) : undefined };
  }

  /**
   * Runs the local SGD of `tasks` (tasks at..at+S−1 of the call) as one population [S, P] from
   * rows at.. of `start` (or its one shared row) and returns the end models as column pieces of
   * the arena, [S, P] or [W1 [S, n0·n1], b1 [S, n1], head [S, P − n0·n1 − n1]] (the caller
   * disposes them).
   *
   * A model with hidden layers keeps its first layer's weights W1 [S, n0·n1] and bias b1 [S, n1]
   * apart from the rest of the arena (the head [S, P − n0·n1 − n1]) during the local steps, each
   * stepped by its own fused SGD op: the gradient is taken (valueAndGrad) with respect to the
   * first layer's pre-activations z1 = x·W1 + b1 [S, B, n1] and the head, and the first layer's
   * gradients follow by the chain rule as the autodiff rules write them (W̄1 = xᵀ·z̄1 as the
   * matmul rule's B̄ = Aᵀ·C̄, b̄1 = Σ_b z̄1 as the add rule's unbroadcast), so the step is the same
   * sequence of float32 operations as valueAndGrad over the whole arena and SGD over the arena
   * (the test checks it bit for bit), without assembling an [S, P] gradient from its layers
   * every step, nor the end models from their pieces (train copies them into place on the host;
   * reduce reduces each piece).
   */
  private localTraining(start: Starts, at: number, tasks: readonly LocalTask[], seed: number): Tensor[] {
    const { model, data, batchSize: B, localSteps: I, lr, backend } = this.opts;
    const S = tasks.length, P = this.size, F = data.features, nL = model.sizes.at(-1)!;
    // The data set lives on the backend; a step gathers its S·B rows there (bit-identical to
    // copying them on the host: a gather is a copy).
    this.device ??= { x: keep(tensor(data.x.subarray(0, data.n * F), [data.n, F], { backend })), y: keep(tensor(data.y.subarray(0, data.n), [data.n], { dtype: 'int32', backend })) };
    const dev = this.device;
    const batch = (s: number) => {
      const idx = tensor(this.batchRows(tasks, s, seed), [S * B], { dtype: 'int32', backend });
      return { x: reshape(gather(dev.x, idx), [S, B, F]), y: gather(dev.y, idx) };
    };
    const lossOf = (logits: Tensor, y: Tensor) => div(softmaxCrossEntropy(reshape(logits, [S * B, nL]), y, { reduction: 'sum' }), B);
    if (model.depth === 1) {
      const params = startPiece(start, at, S, 0, P, backend);
      const opt = new SGD(params, { lr });
      const vg = valueAndGrad((p: Tensor, x: Tensor, y: Tensor) => lossOf(model.apply(p, x), y));
      for (let s = 0; s < I; s++) {
        tidy(() => {
          const { x, y } = batch(s);
          opt.step(vg(params, x, y).grad);
        });
      }
      opt.dispose();
      return [params];
    }
    const n1 = model.sizes[1]!, Z = B * n1, sizeW = F * n1, sizeH = P - sizeW - n1;
    const head = (this.head ??= new MLP(model.sizes.slice(1), { activation: model.activation }));
    const act = ACTIVATION_FN[model.activation];
    // The first layer steps by SGD.stepProduct (W̄1 = xᵀ·z̄1 and the step as one launch on the
    // cpu backend, the gradient never written; the bits of matmul then SGD.step), and with a
    // shared start model its first step reads W1 from the one uploaded copy (stride 0), so the
    // [S, n0·n1] broadcast is never made (w1 starts empty: that step writes all of it).
    const sharedW1 = start.device !== undefined && S > 1 ? reshape(slice(start.device, [0, 0], [1, sizeW]), [F, n1]) : undefined;
    const w1 = sharedW1 ? empty([S, sizeW], { backend: dev.x.backend }) : startPiece(start, at, S, 0, sizeW, backend);
    const b1 = startPiece(start, at, S, sizeW, n1, backend);
    const rest = startPiece(start, at, S, sizeW + n1, sizeH, backend);
    const opts = [new SGD(w1, { lr }), new SGD(b1, { lr }), new SGD(rest, { lr })] as const;
    // q = [z1 | head] per replica: the loss from the first layer's pre-activations on.
    const vg = valueAndGrad((q: Tensor, y: Tensor) => {
      const h = act(reshape(slice(q, [0, 0], [S, Z]), [S, B, n1]));
      return lossOf(head.apply(slice(q, [0, Z], [S, sizeH]), h), y);
    });
    // Step s also gathers step s + 1's minibatch and returns x·W1 of the stepped weights (the
    // next step's first product), computed while they are in cache.
    let ahead: { x: Tensor; y: Tensor; xw: Tensor } | undefined;
    for (let s = 0; s < I; s++) {
      const prev = ahead;
      ahead = tidy(() => {
        const { x, y } = prev ?? batch(s);
        const W1 = s === 0 && sharedW1 ? reshape(sharedW1, [1, F, n1]) : reshape(w1, [S, F, n1]);
        // MLP.apply's first layer, then the rest of the network on the traced q.
        const z1 = add(prev?.xw ?? matmul(x, W1), reshape(b1, [S, 1, n1]));
        const { grad } = vg(concat([reshape(z1, [S, Z]), rest], 1), y);
        const dz = reshape(slice(grad, [0, 0], [S, Z]), [S, B, n1]);
        const nb = s + 1 < I ? batch(s + 1) : undefined;
        const xw = opts[0].stepProduct(x, dz, { ...(s === 0 && sharedW1 ? { from: sharedW1 } : {}), ...(nb ? { next: nb.x } : {}) });
        opts[1].step(reshape(sum(dz, [1], true), [S, n1]));
        opts[2].step(contiguous(slice(grad, [0, Z], [S, sizeH])));
        return nb && xw ? { x: keep(nb.x), y: keep(nb.y), xw: keep(xw) } : undefined;
      });
      if (prev) for (const t of [prev.x, prev.y, prev.xw]) t.dispose();
    }
    sharedW1?.dispose();
    opts.forEach((o) => o.dispose());
    return [w1, b1, rest];
  }
}

/** Each activation's function (what MLP.apply applies after a hidden layer). */
const ACTIVATION_FN: Record<Activation, (x: Tensor) => Tensor> = { relu, tanh, gelu, sigmoid, identity: (x) => x };

/**
 * Columns [begin, begin + size) of the S start models of tasks at.. as a new contiguous [S, size]
 * tensor: the shared model broadcast on the backend, or rows copied from the host.
 */
function startPiece(start: Starts, at: number, S: number, begin: number, size: number, backend?: BackendName): Tensor {
  if (start.device && S > 1) return tidy(() => contiguous(broadcastTo(slice(start.device!, [0, begin], [1, size]), [S, size])));
  const rows = new Float32Array(S * size), P = start.host.length / start.rows;
  for (let j = 0; j < S; j++) {
    const from = (start.shared ? 0 : (at + j) * P) + begin;
    rows.set(start.host.subarray(from, from + size), j * size);
  }
  return tensor(rows, [S, size], { backend });
}

/** A call's start models in float32 (see MlpClients.startModels). */
interface Starts {
  host: Float32Array;
  /** Rows of `host` (1 when shared). */
  rows: number;
  shared: boolean;
  device?: Tensor;
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
