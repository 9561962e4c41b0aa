// Paper 3 (PAPERS.md §3): consensus-based optimisation, consensus hopping and their baselines.

export { consensus, evaluateParticles, cboStep, consensusHopStep, runParticles, langevinDescent, grandCanyon3noisy, quadraticObjective, supNorm, cboStream } from './cbo.js';
export type { Objective, CboNoise, CboOptions, ParticleRun } from './cbo.js';
export { proxConsensusCheck, cboExperiment } from './experiments.js';
