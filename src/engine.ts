// The engine's public API: everything below the algorithm layer. src/index.ts re-exports it
// with the algorithm layer; src/algorithms/ imports only from here (DESIGN.md: public API only),
// which keeps the package entry free of import cycles.

export type { DType } from './dtype.js';
export { DescentError, DisposedError, ShapeError } from './errors.js';
export { typeError, rangeError, checkInt, checkFinite } from './errors.js';
export type { Backend, BackendName, HostArray } from './backend/ops.js';
export { initBackend, useBackend, defaultBackend } from './backend/backend.js';
export type { BackendChoice } from './backend/backend.js';
import './backends.js';
export { reference } from './backend/reference/index.js';
export { cpu, setThreads, getThreads, cpuInfo, tridiagEig, tridiagEigSync, NativeLoadError } from './backend/cpu/index.js';
export type { CpuInfo, EigResult, Isa } from './backend/cpu/index.js';
export { Tensor, tidy, keep, dispose } from './tensor.js';
export { Rng, philox4x32 } from './random.js';
export * from './ops/creation.js';
export * from './ops/views.js';
export * from './ops/elementwise.js';
export * from './ops/reduce.js';
export * from './ops/matmul.js';
export * from './ops/nn.js';
export { grad, valueAndGrad } from './autodiff/grad.js';
export { vjp, pullback } from './autodiff/vjp.js';
export type { Pullback, TraceOptions } from './autodiff/vjp.js';
export { jvp, linearize } from './autodiff/jvp.js';
export type { Linearization } from './autodiff/jvp.js';
export { hvp, hessianOperator } from './autodiff/hvp.js';
export { ggnvp, ggnOperator } from './autodiff/ggnvp.js';
export type { BatchOptions, CurvatureOperator } from './autodiff/operator.js';
export { MLP, linearRegression, logisticRegression, softmaxRegression, mlpFromWeights } from './nn/mlp.js';
export type { Activation, LayerWeights, MLPOptions, MlpWeightsLike } from './nn/mlp.js';
export { ParamLayout } from './nn/layout.js';
export type { ParamInfo, Range as ParamRange } from './nn/layout.js';
export { initParams, initVariance } from './nn/init.js';
export type { InitOptions, InitScheme } from './nn/init.js';
export type { Model } from './nn/model.js';
export { softmaxCrossEntropy, mse, logisticLoss } from './nn/losses.js';
export type { Loss, LossOptions, Reduction } from './nn/losses.js';
export { perExampleLosses, perExampleGradients } from './nn/perexample.js';
export { modelHessian, modelGGN } from './nn/curvature.js';
export { mlpQuadraticForms } from './nn/quadratic.js';
export type { DataBatch, ModelCurvatureOptions } from './nn/curvature.js';
export * from './data/index.js';
export * from './io/index.js';
export * from './linalg/index.js';
export * from './optim/index.js';
