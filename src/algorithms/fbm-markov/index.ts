// Paper 19 (Daems, Opper, Crevecoeur, Birdal, arXiv 2310.12975): Markov-approximate fractional
// Brownian motion, its optimal weights, exact OU simulation, variational inference with H
// learned through ω(H), and the fbm-markov experiment.

export { gammaGrid, maFbmSystem, optimalOmega, maFbmVariance, fbmVariance } from './mafbm.js';
export type { FbmType, MaFbmSystem, OmegaOptions, OmegaSolver, OptimalOmega } from './mafbm.js';
export { ouNoiseFactor, simulateOU } from './simulate.js';
export type { SimulateOptions } from './simulate.js';
export { omegaOp, simulateFou, fitFou } from './inference.js';
export type { FouData, FouModel, FitOptions as FouFitOptions, FitResult as FouFitResult } from './inference.js';
export { fbmMarkovExperiment } from './experiments.js';
