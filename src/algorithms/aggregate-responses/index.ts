// §16 learning from aggregate responses: bagging, the interpolating estimators (any model,
// squared or logistic loss; closed form for linear least squares), the Laplace label-DP
// mechanism and the `aggregate-responses` experiment.
export { randomBags, bagOrder, bagMeans, aggregateLoss, aggregateMoments, interpolatingLeastSquares, populationShrinkage, laplaceBagMeans } from './aggregate.js';
export type { AggregateLossKind, AggregateMoments } from './aggregate.js';
export { aggregateResponsesExperiment, AGGREGATE_RESPONSES_EXPERIMENTS } from './experiments.js';
