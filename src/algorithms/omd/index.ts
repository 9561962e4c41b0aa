// §5 optimistic OMD in the SEA model: the method over populations (ball / simplex, any hint,
// adaptive, 1/(λt) and constant steps; OGD as M_t = 0), regret trackers and the `omd-sea` experiment.
export { OptimisticOMD, QuadraticBallRegret, linearBallRegret, bestFixedPointBall } from './omd.js';
export type { OMDOptions, OMDStep } from './omd.js';
export { OptimisticONS, projectBallInNorm } from './ons.js';
export type { ONSOptions } from './ons.js';
export { omdSeaExperiment, OMD_EXPERIMENTS } from './experiments.js';
