// The spectrum layer's public surface: Lanczos, Ritz pairs, SLQ densities, trace
// estimators and power iteration over operators V ↦ A·V (see operators.ts).

export { Lanczos, lanczos } from './lanczos.js';
export type { LanczosOptions, LanczosSnapshot, LanczosStepInfo } from './lanczos.js';
export { eigsh, ritzPairs, ritzValues, explicitResiduals, keptResiduals, convergedCount, PRODUCT_BLOCK } from './eigsh.js';
export type { ProductRows } from './eigsh.js';
export type { EigshOptions, EigshResult, RitzPairs, Which } from './eigsh.js';
export { slq, gaussRule, quadratureRule, quadratureRules, traceFromRules, meanAndError } from './slq.js';
export type { QuadratureRule, SlqOptions, SlqResult, StochasticTrace } from './slq.js';
export { spectralDensity, mergeRules, nodeRange, wasserstein1, bulkEdge, outliers } from './density.js';
export type { Density, DensityOptions, BulkSplit } from './density.js';
export { hutchinson, hutchPlusPlus, deflatedTrace } from './hutchinson.js';
export type { TraceEstimate, HutchinsonOptions, HutchPlusPlusOptions, DeflatedTraceOptions, QuadraticForms } from './hutchinson.js';
export { powerIteration } from './power.js';
export type { PowerOptions, PowerResult } from './power.js';
export { matrixOperator, countingOperator, symmetricWithSpectrum, testSpectra } from './operators.js';
export type { Operator, OperatorLike, SizedOperator, TestMatrix, TestMatrixOptions } from './operators.js';
export { probeRows, probeValues, PROBE_STREAM } from './probes.js';
export type { ProbeDistribution, ProbeOptions } from './probes.js';
export { tridiagEig, tridiagEigReference, setNativeTridiagEig, tridiagEigImplementation } from './tridiag.js';
export type { TridiagEigOptions, TridiagEigResult, TridiagEigFn } from './tridiag.js';
export { symEig, symEigenvalues, householderQ, randomOrthogonal, gramOrthonormaliser } from './dense.js';
export { cholesky, choleskySolve, solve, inverse, svd, lstsq, cond } from './solve.js';
export type { CholeskyOptions, SVDResult, LstsqOptions, LstsqResult } from './solve.js';
