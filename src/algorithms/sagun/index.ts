// §21 Sagun et al.: the experiment (the methods are the curvature-study library, ../curvature).
export { hessianOutliersExperiment } from './experiments.js';
