// The algorithm layer's public API: the research methods of PAPERS.md, each usable on any
// model, and the experiment contract. Each paper's folder adds one export line here.

export { defineExperiment, check, resolveSettings, runExperiment, RESULT_SCHEMA } from './experiment.js';
export type { Check, Experiment, ExperimentContext, ExperimentOutput, ExperimentResult, Json, PaperRef, RunOptions, Series, SeriesPoint, StageStore } from './experiment.js';
export { EXPERIMENTS, findExperiment } from './registry.js';
// papers: one export line per paper folder, in PAPERS.md order
export * from './federated/index.js';
export * from './srrw/index.js';
export * from './cbo/index.js';
export * from './omd/index.js';
export * from './multiplicative-diffusion/index.js';
export * from './g2rpo/index.js';
export * from './sso/index.js';
export * from './diffgrad/index.js';
export * from './compositional-nll/index.js';
export * from './aggregate-responses/index.js';
export * from './last-iterate/index.js';
export * from './curvature/index.js';
export * from './afa/index.js';
export * from './interpolants/index.js';
export * from './toy-data/index.js';
export * from './bsvrb/index.js';
export * from './stochastic-neurons/index.js';
export * from './fbm-markov/index.js';
export * from './granziol/index.js';
export * from './sagun/index.js';
export * from './opposing-signals/index.js';
export * from './adadagrad/index.js';
