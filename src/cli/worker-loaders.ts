// The loaders `descent worker` serves, as a module a compute thread imports by URL
// (src/distributed/compute-thread-shards.ts): functions cannot cross threads, so the
// worker names this module and the thread calls shardLoaders(backend) on its own backend.

import type { Backend } from '../backend/ops.js';
import type { ShardLoader } from '../distributed/index.js';
import { loadCurvatureShard } from './spectrum-distributed.js';

/** The job kinds `descent worker` serves, with their loaders on `backend`. */
export function shardLoaders(backend: Backend): Readonly<Record<string, ShardLoader>> {
  return { curvature: loadCurvatureShard(backend) };
}
