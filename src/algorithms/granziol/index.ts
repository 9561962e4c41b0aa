// §6 Granziol et al.: batch-size scaling of the minibatch Hessian and of stable learning rates.
export { fitBatchScaling, stableLearningRates, slqLearner, polyakRule, inverseSharpnessRule } from './methods.js';
export type { BatchScalingFit, StableLrOptions, StableLrResult, LearnerRule, SlqLearnerOptions } from './methods.js';
export { batchHessianExperiment } from './experiments.js';
