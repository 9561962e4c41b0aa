// §20 Rosenfeld & Risteski: per-example loss changes, top-|Δℓ| ranking, group losses, the
// synthetic opposing-signal data set, and the opposing-signals experiment.
export { opposingSignalsData, lossChanges, topChanges, groupMeans } from './methods.js';
export type { OpposingDataOptions, OpposingData } from './methods.js';
export { opposingSignalsExperiment } from './experiments.js';
