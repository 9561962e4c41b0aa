// Paper 8 (PAPERS.md §8): multiplicative (geometric-Brownian) diffusion — the exponentiated
// reverse sampler, multiplicative denoising score matching, and the experiment.

export { geometricSchedule, gbmForward, multiplicativeDSMLoss, multiplicativeSample, logNormalScore, multiplicativeStream } from './multiplicative.js';
export type { MultiplicativeSchedule, HyvarinenScore } from './multiplicative.js';
export { noisePredictionScore, multiplicativeDiffusionExperiment } from './experiments.js';
