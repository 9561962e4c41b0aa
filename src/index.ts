// descent's public API. Everything a user imports comes from here: the engine (tensors,
// autodiff, models, optimizers, spectrum) and the algorithm layer built on it.

export * from './engine.js';
export * from './algorithms/index.js';
