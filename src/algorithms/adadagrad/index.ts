// §13 AdAdaGrad: streamed per-example gradient statistics, the adaptive batch-size tests, the
// growing-batch sampler, and the adaptive-batch experiment.
export { streamedGradientStats, softmaxRegressionGradientStats, gradientStatsFromMatrix, batchTestStatistic, nextBatchSize, GrowingBatchSampler } from './methods.js';
export type { GradientStats, BatchTest, TestConstants } from './methods.js';
export { adaptiveBatchExperiment } from './experiments.js';
