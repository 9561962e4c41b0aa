// Paper 14 (PAPERS.md §14): adaptive feature aggregation of frozen experts, and the experiment.

export { createAggregators, afaForward, uniformFeatureAverage } from './afa.js';
export type { AfaAggregators, AfaOutput } from './afa.js';
export { afaExperiment, afaStream, vpNoise } from './experiments.js';
