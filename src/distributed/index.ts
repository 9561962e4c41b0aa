// Distributed jobs on Redis (DESIGN.md decision 12): the wire formats, the coordinator's
// distributed curvature operator and the worker loop. docs/distributed.md is the guide.

export * from './protocol.js';
export { connectRedis, ensureGroup, heartbeat, redactUrl } from './redis.js';
export { distributedOperator } from './operator.js';
export type { DistributedOperator, DistributedOperatorOptions, DistributedStats } from './operator.js';
export { runWorker } from './worker.js';
export type { ShardLoader, ShardServer, WorkerOptions, WorkerStats } from './worker.js';
export { startComputeThread, transferable } from './compute-thread.js';
export type { ComputeThread, ComputeThreadOptions } from './compute-thread.js';
export * from './federated-protocol.js';
export { runFederatedAsync, runFederatedWorker } from './federated.js';
export type { FederatedAggregate, FederatedAggregation, FederatedAsyncOptions, FederatedAsyncResult, FederatedAsyncStats, FederatedCheckpoint, FederatedTrainer, FederatedTrainerFactory, FederatedUpdate, FederatedWorkerOptions, FederatedWorkerStats } from './federated.js';
