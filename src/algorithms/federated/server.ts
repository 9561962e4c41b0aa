// The federated simulation engine: one server model (float64 on the host), clients as replicas of
// one population arena, and one general stochastic-weight aggregation
//
//     x ← x + η_g Σ_{i∈S_n} d_i (x_i − x^{ρ_i(n)})      (Fraboni et al., arXiv 2206.10189, eq. (3))
//
// whose weights d_i name the schemes (FedAvg, async identical/weight, FedBuff-c, FedFix-Δt,
// FedAU, known_prob, average_participating, average_all: see weights.ts).
//
// The seam for remote workers. A client's local training is a *task* (client id, round = the
// index of this client's task, version = the global model version it starts from) run by a
// `ClientTrainer` from the start model and the run's seed alone: its result depends on nothing
// else (no state kept between tasks, noise drawn from Philox at an offset of (client, round)).
// The engine batches the tasks that start together (all clients of a FedAvg round, every client
// a FedFix period restarts) into one `train` call, which a trainer runs as one population launch
// ([S, P] replicas); a distributed trainer may instead ship each (start model or its version,
// client, round, seed) to a worker and gather the end models. The aggregation itself needs only
// the end models, the start models' versions, and d_i.

import { argError, checkNumber } from './host.js';
import type { Schedule } from './schedule.js';

/** One local-training task: a pure function of (start model, client, round, seed). */
export interface LocalTask {
  /** Client id in [0, M). */
  client: number;
  /** This client's task counter (0 for its first task): indexes its noise and minibatches. */
  round: number;
  /** Version of the global model it starts from. */
  version: number;
}

/** Runs clients' local training. */
export interface ClientTrainer {
  /** Parameters per model, P. */
  readonly size: number;
  /**
   * Trains every task from its start model: `starts` holds S models row-major [S·P] (task s
   * starts from row s), or one model [P] that every task starts from. Returns the S end models
   * [S·P] in the trainer's float type. Must depend only on its arguments.
   */
  train(starts: Float64Array, tasks: readonly LocalTask[], seed: number): Promise<Float32Array | Float64Array>;
  /**
   * Optional: Σ_s weights[s]·x_s over the end models of tasks that all start from one model
   * (`starts` [P]), computed where the models live so that only P values come back. Same
   * contract as `train`; `runRounds` uses it when present.
   */
  reduce?(starts: Float64Array, tasks: readonly LocalTask[], seed: number, weights: ArrayLike<number>): Promise<Float64Array>;
}

/** One participant's contribution to an aggregation. */
export interface Contribution {
  /** End model x_i (P values). */
  end: ArrayLike<number>;
  /** Start model x^{ρ_i}; omit (or pass the current model itself) when it is the current model. */
  start?: ArrayLike<number>;
  /** d_i. */
  weight: number;
}

/**
 * The aggregation x ← x + η_g Σ d_i (x_i − x^{ρ_i}), written as
 * (1 − η_g Σ d_i)·x + Σ η_g d_i x_i + Σ_{stale} η_g d_i (x − x^{ρ_i}), so that fresh clients'
 * end models enter directly: with one fresh client, d = 1 and η_g = 1 the result is x_1 bit for
 * bit (FedAvg with one client is SGD). With `totalWeight` = Σ d_i, `parts` may instead hold one
 * pre-reduced Σ d_i x_i of fresh clients with weight 1 (ClientTrainer.reduce). Returns a new
 * float64 model.
 */
export function aggregate(x: ArrayLike<number>, parts: readonly Contribution[], lrG: number, totalWeight?: number): Float64Array {
  const fn = 'aggregate';
  checkNumber(fn, 'lrG', lrG, 0);
  const P = x.length;
  let s = 0;
  parts.forEach((c, i) => {
    checkNumber(fn, `parts[${i}].weight`, c.weight);
    if (c.end.length !== P) throw argError(fn, `parts[${i}].end`, `${P} values (the model's size)`, c.end.length);
    if (c.start !== undefined && c.start !== x && c.start.length !== P) throw argError(fn, `parts[${i}].start`, `${P} values`, c.start.length);
    s += lrG * c.weight;
  });
  const out = new Float64Array(P);
  // totalWeight: Σ d_i when `parts` holds one pre-reduced Σ d_i x_i with weight 1.
  const keep = 1 - (totalWeight === undefined ? s : lrG * checkNumber(fn, 'totalWeight', totalWeight));
  for (let k = 0; k < P; k++) out[k] = keep * x[k]!;
  for (const c of parts) {
    const w = lrG * c.weight;
    if (w === 0) continue;
    const e = c.end;
    for (let k = 0; k < P; k++) out[k]! += w * e[k]!;
    if (c.start !== undefined && c.start !== x) {
      const st = c.start;
      for (let k = 0; k < P; k++) out[k]! += w * (x[k]! - st[k]!);
    }
  }
  return out;
}

/** What a clock-driven run reports after each aggregation. */
export interface AggregationInfo {
  /** Aggregation index n (the model is now version n + 1). */
  n: number;
  time: number;
  clients: Int32Array;
  /** The new global model (do not keep a reference: copy what you need). */
  model: Float64Array;
}

export interface ScheduledRunOptions {
  trainer: ClientTrainer;
  schedule: Schedule;
  /** d_i per client (clockWeights). */
  weights: ArrayLike<number>;
  /** Server step η_g. */
  lrG: number;
  x0: ArrayLike<number>;
  seed: number;
  onAggregate?: (info: AggregationInfo) => void | Promise<void>;
  /** Stop early (after the aggregation that returns true). */
  stop?: (info: AggregationInfo) => boolean;
}

/**
 * Runs a clock schedule (FedAvg, async, FedBuff, FedFix): at time 0 every client starts from
 * version 0; at aggregation n the participants' work, each done from the version it received
 * (staleness n − ρ_i(n)), is aggregated, and they restart from the new model. The tasks that
 * start together are trained in one `trainer.train` call. Returns the final model and the number
 * of aggregations done.
 */
export async function runScheduled(o: ScheduledRunOptions): Promise<{ model: Float64Array; aggregations: number }> {
  const fn = 'runScheduled';
  const { trainer, schedule } = o;
  const M = schedule.tau.length, P = trainer.size;
  if (o.x0.length !== P) throw argError(fn, 'x0', `${P} values (the trainer's size)`, o.x0.length);
  if (o.weights.length !== M) throw argError(fn, 'weights', `one weight per client (${M})`, o.weights.length);
  let x: Float64Array = Float64Array.from(o.x0);
  const startModel: Float64Array[] = new Array(M);
  const startVersion = new Int32Array(M);
  const endModel: (Float32Array | Float64Array)[] = new Array(M);
  const taskCount = new Int32Array(M);
  const launch = async (clients: ArrayLike<number>, version: number) => {
    const S = clients.length;
    if (S === 0) return;
    const tasks: LocalTask[] = Array.from(clients, (c) => ({ client: c, round: taskCount[c]!++, version }));
    const ends = await trainer.train(x, tasks, o.seed);
    for (let s = 0; s < S; s++) {
      const c = tasks[s]!.client;
      startModel[c] = x;
      startVersion[c] = version;
      endModel[c] = ends.subarray(s * P, (s + 1) * P);
    }
  };
  await launch(Int32Array.from({ length: M }, (_, i) => i), 0);
  const A = schedule.aggregations;
  let n = 0;
  for (; n < A.length; n++) {
    const a = A[n]!;
    const parts: Contribution[] = [];
    for (let j = 0; j < a.clients.length; j++) {
      const c = a.clients[j]!;
      if (startVersion[c] !== a.versions[j]) throw new Error(`${fn}: client ${c} started from version ${startVersion[c]} but the schedule says ${a.versions[j]} (internal error)`);
      parts.push({ end: endModel[c]!, start: startVersion[c] === n ? undefined : startModel[c]!, weight: o.weights[c]! });
    }
    x = aggregate(x, parts, o.lrG);
    const info: AggregationInfo = { n, time: a.time, clients: a.clients, model: x };
    await o.onAggregate?.(info);
    if (o.stop?.(info)) { n++; break; }
    if (n + 1 < A.length) await launch(a.clients, n + 1);
  }
  return { model: x, aggregations: n };
}

/** What a round-driven run reports after each round. */
export interface RoundInfo {
  round: number;
  participating: Uint8Array;
  /** The d_n used (0 for clients that did not take part). */
  weights: Float64Array;
  model: Float64Array;
}

export interface RoundRunOptions {
  trainer: ClientTrainer;
  /** Draws each round's participation flags (a Participation, or any function). */
  participation: { next(): Uint8Array };
  /** Per round: the flags → d_n (roundWeights with the scheme's state, e.g. FedAUWeights). */
  weigh: (participating: Uint8Array, round: number) => Float64Array;
  rounds: number;
  lrG: number;
  x0: ArrayLike<number>;
  seed: number;
  onRound?: (info: RoundInfo) => void | Promise<void>;
}

/**
 * Synchronous rounds with random participation (FedAvg under partial participation; Wang & Ji,
 * arXiv 2306.03401, Alg. 1): round t draws S_t, every participant trains from x_t (one batched
 * `train` call), and x_{t+1} = x_t + γ_g Σ_{n∈S_t} d_n (x_n − x_t).
 */
export async function runRounds(o: RoundRunOptions): Promise<Float64Array> {
  const P = o.trainer.size;
  if (o.x0.length !== P) throw argError('runRounds', 'x0', `${P} values (the trainer's size)`, o.x0.length);
  let x: Float64Array = Float64Array.from(o.x0);
  const taskCount: number[] = [];
  for (let t = 0; t < o.rounds; t++) {
    const part = o.participation.next();
    const d = o.weigh(part, t);
    const clients: number[] = [];
    for (let n = 0; n < part.length; n++) if (part[n]) clients.push(n);
    if (clients.length > 0) {
      const tasks = clients.map((c) => ({ client: c, round: (taskCount[c] = (taskCount[c] ?? -1) + 1), version: t }));
      if (o.trainer.reduce) {
        // Every participant is fresh: x + γ_g Σ d_n (x_n − x) = (1 − γ_g Σ d_n)·x + γ_g·(Σ d_n x_n).
        const w = clients.map((c) => d[c]!);
        const sum = await o.trainer.reduce(x, tasks, o.seed, w);
        x = aggregate(x, [{ end: sum, weight: 1 }], o.lrG, w.reduce((a, b) => a + b, 0));
      } else {
        const ends = await o.trainer.train(x, tasks, o.seed);
        x = aggregate(x, clients.map((c, s) => ({ end: ends.subarray(s * P, (s + 1) * P), weight: d[c]! })), o.lrG);
      }
    }
    await o.onRound?.({ round: t, participating: part, weights: d, model: x });
  }
  return x;
}
