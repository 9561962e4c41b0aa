// §4 SSO (target-based surrogates): the method, its exact checks, and the `sso` experiment.
export { SSO, targetStep, outputVjp } from './sso.js';
export type { SSOOptions, SSOEtaSchedule, SSOStepInfo, ArmijoOptions, TargetGradient, TargetLoss } from './sso.js';
export { checkSgdEquivalence, checkTargetProjection, checkMajorization, ssoSyntheticProblem } from './exact.js';
export { ssoExperiment, SSO_EXPERIMENTS } from './experiments.js';
