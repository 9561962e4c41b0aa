// A loader module for the worker tests' compute threads (WorkerOptions.loaderModule): the
// `descent worker` curvature loaders, with each product made `spinMs` longer by a busy loop
// on the thread that computes it (a stand-in for a long native product: the thread is busy,
// not waiting), and each shard load `loadSpinMs` longer. The product itself is the real one, so results still equal the in-process
// operator's bit for bit; or the product ends the thread (a compute thread that dies). Not a test file (ava runs *.test.ts only).

import type { Backend } from '../../src/backend/ops.js';
import type { ShardLoader } from '../../src/distributed/index.js';
import { loadCurvatureShard } from '../../src/cli/spectrum-distributed.js';

export function spin(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) { /* busy */ }
}

/**
 * `spinMs`: each product that much longer; `loadSpinMs`: each shard load that much longer;
 * `exitCode`: the product ends the thread instead (process.exit in a worker thread ends only the thread).
 */
export function shardLoaders(backend: Backend, o: { spinMs?: number; loadSpinMs?: number; exitCode?: number } = {}): Readonly<Record<string, ShardLoader>> {
  const real = loadCurvatureShard(backend);
  return {
    curvature: async (job, shard) => {
      spin(o.loadSpinMs ?? 0);
      const s = await real(job, shard);
      return { n: s.n, value: () => s.value(), dispose: () => s.dispose(), apply: (V) => {
        if (o.exitCode !== undefined) process.exit(o.exitCode);
        spin(o.spinMs ?? 0);
        return s.apply(V);
      } };
    },
  };
}
