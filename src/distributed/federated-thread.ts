// A federated worker's local training — building a job's population once (data load,
// Dirichlet partition, content-hash check) and training one client from a start model — as
// one object, FederatedCompute, that runs either on the worker's main thread or, through this
// module's handlers, in a compute thread (compute-thread.ts; federated.ts starts it with
// startComputeThread(this module)), the same way compute-thread-shards.ts serves the
// curvature loop.
//
// Handlers (in a compute thread):
//   init({ backend, trainerModule, trainerOptions, cacheJobs }) — initialises the backend by
//     name in the thread and imports `trainerModule`, whose export
//     `federatedTrainers(backendName, trainerOptions)` gives the trainer factories by
//     population kind (a module URL: functions cannot cross threads; src/cli/federated.ts is
//     the one `descent worker` names);
//   kinds() — the population kinds served;
//   train(jobId, job, start, task, seed) — start: the model read (Float64Array, moved, not
//     copied); returns { end, built } with `end` moved back;
//   dispose() — drops the built populations.
// The training is the same code on the same backend in either place, so the end models are
// bit-identical to the main-thread path.

import { initBackend, useBackend } from '../backend/backend.js';
import { transferable } from './compute-thread.js';
import type { FederatedJob } from './federated-protocol.js';

/** A population's local training (structurally the algorithm layer's ClientTrainer). */
export interface FederatedTrainer {
  readonly size: number;
  train(starts: Float64Array, tasks: readonly { client: number; round: number; version: number }[], seed: number): Promise<Float32Array | Float64Array>;
  dispose?(): void;
}

/** Builds the trainer of a job's population (verifying its data); throws with the reason when it cannot. */
export type FederatedTrainerFactory = (job: FederatedJob) => FederatedTrainer | Promise<FederatedTrainer>;

/** What a trainer module exports for a compute thread: the factories by population kind on the backend named. */
export type FederatedTrainersFactory = (backend?: string, options?: unknown) => Readonly<Record<string, FederatedTrainerFactory>>;

/** One task's local training: the end model and whether the population had to be built for it. */
export interface FederatedTrained {
  end: Float32Array | Float64Array;
  /** Set when this task built the population (for the worker's log and counts). */
  built: boolean;
}

/** Built populations (an LRU cache) and their local training; see the header. */
export class FederatedCompute {
  private readonly trainers = new Map<string, FederatedTrainer>();
  constructor(private readonly factories: Readonly<Record<string, FederatedTrainerFactory>>, private readonly cacheJobs: number) {}

  kinds(): string[] {
    return Object.keys(this.factories);
  }

  private async trainer(id: string, job: FederatedJob): Promise<{ tr: FederatedTrainer; built: boolean }> {
    const have = this.trainers.get(id);
    if (have) { this.trainers.delete(id); this.trainers.set(id, have); return { tr: have, built: false }; }
    const make = this.factories[job.population.kind];
    if (!make) throw new Error(`no trainer for population kind '${job.population.kind}' (this worker serves ${this.kinds().join(', ')})`);
    const tr = await make(job);
    if (tr.size !== job.size) { tr.dispose?.(); throw new Error(`the ${job.population.kind} population has ${tr.size} parameters here but the job says ${job.size}`); }
    this.trainers.set(id, tr);
    while (this.trainers.size > this.cacheJobs) {
      const [old, t] = this.trainers.entries().next().value as [string, FederatedTrainer];
      t.dispose?.();
      this.trainers.delete(old);
    }
    return { tr, built: true };
  }

  /** Trains `task.client` of job `id` from `start` (building the population if needed); checks the end model's dtype and size. */
  async train(id: string, job: FederatedJob, start: Float64Array, task: { client: number; round: number; version: number }, seed: number): Promise<FederatedTrained> {
    const { tr, built } = await this.trainer(id, job);
    const end = await tr.train(start, [task], seed);
    const want = job.dtype === 'float64' ? Float64Array : Float32Array;
    if (!(end instanceof want) || end.length !== job.size) throw new Error(`the trainer returned ${end?.constructor?.name}(${end?.length}), not ${job.dtype}(${job.size})`);
    return { end, built };
  }

  dispose(): void {
    for (const t of this.trainers.values()) t.dispose?.();
    this.trainers.clear();
  }
}

// ---- the compute thread's handlers -------------------------------------------------------

/** init()'s argument (structured-cloneable). */
export interface FederatedThreadInit {
  /** The backend's name (initialised in the thread). */
  backend: string;
  /** A module URL exporting `federatedTrainers(backendName, trainerOptions)`. */
  trainerModule: string;
  trainerOptions?: unknown;
  cacheJobs: number;
}

let here: FederatedCompute | null = null;

const need = (): FederatedCompute => {
  if (!here) throw new Error('federated-thread: init() has not run');
  return here;
};

export async function init(o: FederatedThreadInit): Promise<void> {
  await import('../backends.js'); // this thread's backend registry (each thread has its own module instances)
  const backend = await initBackend(o.backend as Parameters<typeof initBackend>[0]);
  await useBackend(backend);
  const mod = await import(o.trainerModule) as { federatedTrainers?: FederatedTrainersFactory };
  if (typeof mod.federatedTrainers !== 'function') {
    throw new TypeError(`federated-thread: expected the module ${o.trainerModule} to export a function federatedTrainers(backend, options) but it exports ${Object.keys(mod).join(', ') || 'nothing'}`);
  }
  here = new FederatedCompute(mod.federatedTrainers(backend.name, o.trainerOptions), o.cacheJobs);
}

export function kinds(): string[] {
  return need().kinds();
}

export async function train(id: string, job: FederatedJob, start: Float64Array, task: { client: number; round: number; version: number }, seed: number): Promise<FederatedTrained> {
  const r = await need().train(id, job, start, task, seed);
  // A fresh copy (the trainer's array may view memory it keeps), moved back, not cloned.
  const end = r.end.slice();
  return transferable({ end, built: r.built }, [end.buffer as ArrayBuffer]);
}

export function dispose(): void {
  here?.dispose();
}
