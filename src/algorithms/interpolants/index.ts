// Paper 15 (PAPERS.md §15): stochastic interpolants — losses for the velocity and the denoiser,
// ODE and SDE samplers, the Gaussian closed form, and the `interpolants` experiment.

export { makeInterpolant, interpolantBatch, velocityLoss, denoiserLoss, jointInterpolantLoss, sampleODE, sampleSDE, gaussianVelocity, interpolantStream } from './interpolants.js';
export type { Interpolant, InterpolantBatch, InterpolantPath, GammaKind, TimeField } from './interpolants.js';
export { fitLinearVelocity, gaussianVelocityErrors, jointFields, interpolantsExperiment } from './experiments.js';
