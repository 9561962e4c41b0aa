// Paper 7 (PAPERS.md §7): diffGrad. The optimizer itself is the engine's DiffGrad
// (src/optim: fused kernel with the previous gradient as state); this folder measures its
// friction against Adam and trains populations of seeds for the comparison experiment.

export { diffGradFriction, stepRatios } from './friction.js';
export type { StepRatios } from './friction.js';
export { trainPopulation } from './compare.js';
export type { PopulationCurves, PopulationTraining } from './compare.js';
export { diffgradExperiment } from './experiments.js';
