// Optimizers over flat parameter arenas: fused, replica-batched steps, schedules, clipping
// and state save/load.

export { Optimizer } from './optimizer.js';
export type { GroupSpec, HyperDef, HyperTarget, HyperValue, OptimizerMeta, OptimizerOptions, OptimizerState, StepOptions } from './optimizer.js';
export {
  SGD, Adam, AdamW, AMSGrad, AdaGrad, AdaGradNorm, RMSProp, DiffGrad, EGPlusMinus, Optimistic,
  OPTIMIZERS, createOptimizer,
} from './optimizers.js';
export type {
  SGDOptions, AdamOptions, AdamWOptions, AdaGradOptions, AdaGradNormOptions, RMSPropOptions, DiffGradOptions,
  EGOptions, OptimisticOptions,
} from './optimizers.js';
export { checkSchedule, scheduleFactor } from './schedule.js';
export type { ScheduleSpec } from './schedule.js';
export { saveCheckpoint, readCheckpoint, loadCheckpoint, restoreOptimizer, checkpointJsonPath } from './checkpoint.js';
export type { Checkpoint } from './checkpoint.js';
export { projectBall, projectSimplex, softThreshold, projectFrobeniusBall, withProjection, proximal } from './prox.js';
export type { PerRow } from './prox.js';
