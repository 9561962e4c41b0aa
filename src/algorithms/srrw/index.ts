// Self-repellent random walks and SA-SRRW (PAPERS.md §2, Hu, Doshi & Eun, arXiv 2401.09665).
export { degree as graphDegree, graphFromEdges, torusGraph, erdosRenyiGraph, isConnected, metropolisHastings, srrwKernelRow } from './graph.js';
export type { Graph, Chain } from './graph.js';
export { RidgeObjective, SRRWPopulation } from './walk.js';
export type { NodeObjective, SRRWOptions } from './walk.js';
export { srrwExperiment, SRRW_EXPERIMENTS } from './experiments.js';
