// §12 compositional NLL for unnormalized models: the estimator, NCE, Gauss–Hermite quadrature,
// the Gaussian-mean problem and the `compositional-nll` experiment.
export { CompositionalNLL, nceValueAndGrad, logPartitionEstimate } from './nll.js';
export type { Energy, WeightedPoints, NoisePoints, CompositionalOptions } from './nll.js';
export { gaussHermite, normalRule } from './quadrature.js';
export type { ExpectationRule } from './quadrature.js';
export { gaussianMeanEnergy, logStdNormal, exactPoints, compositionalSteps, nceSteps } from './gaussian.js';
export type { StepCountOptions } from './gaussian.js';
export { compositionalNllExperiment, COMPOSITIONAL_NLL_EXPERIMENTS, exactGradientError, compositionalSampledRun } from './experiments.js';
