// Every experiment `descent run` and `descent reproduce` know, in paper order. Each paper's
// folder exports its experiments; add one import and one entry here per experiment.

import type { Experiment } from './experiment.js';
import { fedfixExperiment, fedauWeightsExperiment, fedauQuadraticExperiment, fedauFmnistExperiment } from './federated/index.js';
import { srrwExperiment } from './srrw/index.js';
import { cboExperiment } from './cbo/index.js';
import { multiplicativeDiffusionExperiment } from './multiplicative-diffusion/index.js';
import { g2rpoExperiment } from './g2rpo/index.js';
import { afaExperiment } from './afa/index.js';
import { interpolantsExperiment } from './interpolants/index.js';
import { ssoExperiment } from './sso/index.js';
import { omdSeaExperiment } from './omd/index.js';
import { diffgradExperiment } from './diffgrad/index.js';
import { compositionalNllExperiment } from './compositional-nll/index.js';
import { aggregateResponsesExperiment } from './aggregate-responses/index.js';
import { bsvrbExperiment } from './bsvrb/index.js';
import { stochasticNeuronsExperiment } from './stochastic-neurons/index.js';
import { fbmMarkovExperiment } from './fbm-markov/index.js';
import { lastIterateExperiment } from './last-iterate/index.js';
import { hessianOutliersExperiment } from './sagun/index.js';
import { batchHessianExperiment } from './granziol/index.js';
import { opposingSignalsExperiment } from './opposing-signals/index.js';
import { adaptiveBatchExperiment } from './adadagrad/index.js';

export const EXPERIMENTS: readonly Experiment[] = [
  // experiments: one line per experiment, kept in PAPERS.md order
  fedfixExperiment,
  srrwExperiment,
  cboExperiment,
  multiplicativeDiffusionExperiment,
  g2rpoExperiment,
  afaExperiment,
  interpolantsExperiment,
  ssoExperiment,
  omdSeaExperiment,
  diffgradExperiment,
  fedauWeightsExperiment,
  fedauQuadraticExperiment,
  fedauFmnistExperiment,
  compositionalNllExperiment,
  aggregateResponsesExperiment,
  bsvrbExperiment,
  stochasticNeuronsExperiment,
  fbmMarkovExperiment,
  lastIterateExperiment,
  batchHessianExperiment,
  hessianOutliersExperiment,
  opposingSignalsExperiment,
  adaptiveBatchExperiment,
] as readonly Experiment[];

/** The experiment registered under `name`, or a RangeError listing the names. */
export function findExperiment(name: string): Experiment {
  const e = EXPERIMENTS.find((x) => x.name === name);
  if (!e) throw new RangeError(`descent run: unknown experiment '${name}'; expected one of ${EXPERIMENTS.map((x) => x.name).join(', ') || '(none registered)'}`);
  return e;
}
