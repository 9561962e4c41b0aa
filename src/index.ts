// descent's public API. Everything a user imports comes from here.

export type { DType } from './dtype.js';
export { DescentError, DisposedError, ShapeError } from './errors.js';
export type { Backend, BackendName, HostArray } from './backend/ops.js';
export { initBackend, useBackend, defaultBackend } from './backend/backend.js';
export type { BackendChoice } from './backend/backend.js';
export { reference } from './backend/reference/index.js';
export { Tensor, tidy, keep, dispose } from './tensor.js';
export { Rng, philox4x32 } from './random.js';
export * from './ops/creation.js';
export * from './ops/views.js';
export * from './ops/elementwise.js';
export * from './ops/reduce.js';
export * from './ops/matmul.js';
export * from './ops/nn.js';
