// Paper 10 (PAPERS.md §10): G²RPO's flow SDE step and log-probability, singular sampling,
// multi-granularity advantages, PPO-clip, and the `g2rpo` benchmark.

export { flowSchedule, flowStepMean, flowLogProb, odeComplete, granularIndices, groupAdvantages, ppoClipLoss, g2rpoStream } from './g2rpo.js';
export type { FlowField, FlowStep } from './g2rpo.js';
export { g2rpoExperiment, distanceReward } from './experiments.js';
