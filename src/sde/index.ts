// ODE/SDE integrators over tensors (populations [R, d]) and their time grids.

export { timeGrid } from './grid.js';
export type { TimeGridOptions } from './grid.js';
export { odeSolve, sdeSolve, ouStep } from './solve.js';
export type { VectorField, StepCallback, OdeOptions, SdeOptions, OUStepOptions } from './solve.js';
