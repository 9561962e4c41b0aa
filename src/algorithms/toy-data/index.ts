// Toy data for the generative papers (§8, §10, §14, §15): rings of Gaussians, the checkerboard,
// log-normal mixtures, time embeddings and a small Adam loop over an arena.

export { ringOfGaussians, nearestRingMode, checkerboard, onCheckerboard, logNormalMixture, timeEmbedding, trainArena } from './toy-data.js';
export type { ToyOptions, TrainOptions } from './toy-data.js';
