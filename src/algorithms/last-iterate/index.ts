// §17 last-iterate composite SGD: prox-SGD (any prox), entropic mirror descent with an entropy
// composite term, the η/√t, η/√T and 1/(μt) rules, Gaussian/Student-t gradient noise, FISTA,
// and the `last-iterate` experiment.
export { proxSGD, EntropicMirrorDescent, lastIterateStep, lastIterateSchedule, gradientNoise, fista } from './methods.js';
export type { LastIterateRule } from './methods.js';
export { lastIterateExperiment, LAST_ITERATE_EXPERIMENTS } from './experiments.js';
