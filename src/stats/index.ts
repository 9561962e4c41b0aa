// Statistics on the host in float64: summaries, linear fits, bootstrap, effective sample
// sizes, two-sample and goodness-of-fit statistics. Inputs are ArrayLike<number>.

export { meanSE, fitLinear, logLogSlope, pearson, quantileSorted } from './summary.js';
export type { MeanSE, LinearFit } from './summary.js';
export { bootstrap, bootstrapCI } from './bootstrap.js';
export type { BootstrapOptions, BootstrapResult } from './bootstrap.js';
export { effectiveSampleSize, weightsESS } from './ess.js';
export { mmd2, auc, ksTest, kolmogorovSF } from './tests.js';
export type { MMDOptions, KSResult } from './tests.js';
