// Files in and out: safetensors, PyTorch-layout MLP weights, and the file errors they share.

export * from './files.js';
export * from './mlp-weights.js';
export * from './safetensors.js';
