// Paper 9 (Hu, Qiu, Guo, Zhang, Yang, arXiv 2305.18730): BSVRB^{v2} for multi-block bilevel
// optimisation with blocks as a population, the synthetic data-reweighting HO problem, and
// the bsvrb experiment.

export { initBsvrb, bsvrbStep, disposeBsvrb, sampleBlocks, exactHypergradient, upperValue, blockHessians, clipEigenvalues, initBsvrbV1, bsvrbV1Step } from './bsvrb.js';
export type { BsvrbOptions, BsvrbState, BsvrbV1State } from './bsvrb.js';
export { hoProblem, lowerLoss as hoLowerLoss, upperLoss as hoUpperLoss, blockBatch } from './problem.js';
export type { HOProblem, HOOptions, BlockBatch } from './problem.js';
export { bsvrbExperiment } from './experiments.js';
