// Paper 18 (Bengio, Léonard, Courville, arXiv 1308.3432): stochastic neurons and their
// gradient estimators as ops usable in any model, and the stochastic-neurons experiment.

export { binaryNeuron, straightThrough, stochasticTimesSmooth, noisyRectifier, reinforceSurrogate, optimalBaseline, MovingBaseline, binaryStates } from './estimators.js';
export type { StraightThroughScale } from './estimators.js';
export { binaryLoss, exactGradient, perSampleGradients, exactEstimatorStats, exactOptimalBaseline, cosine as estimatorCosine, ESTIMATORS as STOCHASTIC_ESTIMATORS } from './enumeration.js';
export type { BinaryProblem, EstimatorKind, ExactEstimatorStats } from './enumeration.js';
export { trainGated } from './gated.js';
export type { GatedTraining } from './gated.js';
export { binaryProblem, stochasticNeuronsExperiment } from './experiments.js';
