// A trainer module for the federated worker tests' compute threads
// (FederatedWorkerOptions.trainerModule): `descent worker`'s federated trainers
// (src/cli/federated.ts), with each local training made `spinMs` longer by a busy loop on the
// thread that trains (a stand-in for a long native training: the thread is busy, not
// waiting). The training itself is the real one, so end models still equal the in-process
// trainers' bit for bit; or the training ends the thread (a compute thread that dies). Not a
// test file (ava runs *.test.ts only).

import type { BackendName } from '../../src/backend/ops.js';
import { federatedTrainers as real } from '../../src/cli/federated.js';
import type { FederatedTrainerFactory } from '../../src/distributed/federated.js';

export function spin(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) { /* busy */ }
}

/** `spinMs`: each local training that much longer; `exitCode`: the training ends the thread instead (process.exit in a worker thread ends only the thread). */
export function federatedTrainers(backend?: string, o: { spinMs?: number; exitCode?: number } = {}): Readonly<Record<string, FederatedTrainerFactory>> {
  const base = real(backend as BackendName | undefined);
  const out: Record<string, FederatedTrainerFactory> = {};
  for (const [kind, make] of Object.entries(base)) {
    out[kind] = async (job) => {
      const tr = await make(job);
      return {
        size: tr.size,
        train: (starts, tasks, seed) => {
          if (o.exitCode !== undefined) process.exit(o.exitCode);
          spin(o.spinMs ?? 0);
          return tr.train(starts, tasks, seed);
        },
        dispose: () => tr.dispose?.(),
      };
    };
  }
  return out;
}
