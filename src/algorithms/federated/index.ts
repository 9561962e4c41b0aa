// Federated optimisation (PAPERS.md §1 Fraboni et al. 2206.10189, §11 Wang & Ji 2306.03401):
// the simulation engine, its clock, aggregation weights, participation processes and clients.
export { computeTimes, parseClockScheme, clientsSchedule, participationFrequency } from './schedule.js';
export type { ClockScheme, Aggregation, Schedule } from './schedule.js';
export { clockWeights, fedfixPeriod, FedAUWeights, fedauWeightLimit, fedauIntervalVariance, roundWeights } from './weights.js';
export type { ClockWeighting, RoundWeighting } from './weights.js';
export { Participation } from './participation.js';
export type { ParticipationSpec } from './participation.js';
export { aggregate as federatedAggregate, runScheduled, runRounds } from './server.js';
export type { LocalTask, ClientTrainer, Contribution, AggregationInfo, ScheduledRunOptions, RoundInfo, RoundRunOptions } from './server.js';
export { QuadraticClients, MlpClients, mlpAccuracy, dirichletPartition } from './clients.js';
export type { QuadraticClientsOptions, MlpClientsOptions } from './clients.js';
export { fedfixExperiment, fedauWeightsExperiment, fedauQuadraticExperiment, fedauFmnistExperiment, fedfixProblem, FEDERATED_EXPERIMENTS } from './experiments.js';
