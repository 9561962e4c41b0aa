// Data sets as host typed arrays (no tensors): Fashion-MNIST (the Debian package and the copy
// shipped in data/), IDX files, synthetic generators, seeded shuffling and minibatches, and
// the shared reference problem.

export * from './batches.js';
export * from './dataset.js';
export * from './fashion-mnist.js';
export * from './idx.js';
export * from './reference.js';
export * from './synthetic.js';
