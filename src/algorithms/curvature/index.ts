// The curvature-study library: dense matrices and eigenvalues of small models (the Lanczos
// oracle), the Hessian = GGN + residual split, the minibatch-Hessian sampler, the sharpness
// tracker, loss along a line, outlier counts; and streamed per-example gradient statistics.

export { denseMatrix } from './dense.js';
// The dense eigenvalue solver is the engine's (one place); re-exported under this library's name.
export { symEigenvalues } from '../../engine.js';
export type { DenseOptions } from './dense.js';
export {
  curvatureOperator, minibatchSubsets, gatherBatch, minibatchSpectra, topEigenvalues, SharpnessTracker, lossAlongLine,
  gapOutliers, nearZeroCount,
} from './studies.js';
export type { CurvatureMatrix, HostData, MinibatchSpectraOptions, MinibatchSpectra, SharpnessOptions, SharpnessPoint, LineOptions } from './studies.js';
export { fit, loadTrainedMlp } from './train.js';
export type { FitOptions } from './train.js';
