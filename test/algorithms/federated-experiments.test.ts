// The federated experiments' quick runs (PAPERS.md §1, §11): result structure, the metric keys
// issue 13 names, and each check's verdict. Checks that honestly fail at the quick settings are
// asserted to be reported with their numbers (listed in docs/papers/federated.md).

import test from 'ava';
import { runExperiment } from '../../src/algorithms/experiment.js';
import type { Check, ExperimentResult } from '../../src/algorithms/experiment.js';
import { fedauFmnistExperiment, fedauQuadraticExperiment, fedauWeightsExperiment, fedfixExperiment } from '../../src/algorithms/federated/index.js';
import { EXPERIMENTS } from '../../src/algorithms/registry.js';

function verdicts(t: import('ava').ExecutionContext, r: ExperimentResult, failingAtQuick: readonly string[]): void {
  t.true(r.checks.length > 0);
  for (const c of r.checks as Check[]) {
    t.not(c.observed, null, c.name);
    t.is(typeof c.prediction, 'string');
    if (failingAtQuick.includes(c.name)) t.is(typeof c.pass, 'boolean', c.name);
    else t.true(c.pass, `${c.name}: ${JSON.stringify(c.observed)}`);
  }
}

test('registered in paper order with the issue\'s names', (t) => {
  const names = EXPERIMENTS.map((e) => e.name);
  for (const n of ['fedfix', 'fedau-weights', 'fedau-quadratic', 'fedau-fmnist']) t.true(names.includes(n), n);
});

test('fedau-weights (quick): omega rows for p ∈ {0.1, 0.02} × K ∈ {50, ∞}, every check passes', async (t) => {
  const r = await runExperiment(fedauWeightsExperiment, { quick: true });
  const omega = r.metrics['omega'] as { p: number; K: number | null; rounds: number; observed: number; predicted: number }[];
  t.is(omega.length, 4);
  for (const o of omega) for (const k of ['p', 'rounds', 'observed', 'predicted'] as const) t.true(Number.isFinite(o[k]), k);
  verdicts(t, r, []);
});

test('fedau-quadratic (quick): distances per scheme, every check passes', async (t) => {
  const r = await runExperiment(fedauQuadraticExperiment, { quick: true });
  for (const key of ['distToOptimum', 'distToParticipationWeighted']) {
    const m = r.metrics[key] as Record<string, number>;
    for (const s of ['fedau', 'known_prob', 'average_participating', 'average_all']) t.true(Number.isFinite(m[s]), `${key}.${s}`);
  }
  verdicts(t, r, []);
});

test('fedfix (quick): schemes with the issue\'s fields, surrogateGap, timeToHalf', async (t) => {
  const r = await runExperiment(fedfixExperiment, { quick: true });
  const schemes = r.metrics['schemes'] as Record<string, Record<string, unknown>>;
  for (const name of ['FedAvg', 'FedFix-0.5@1', 'FedFix-0.5@0.5', 'FedFix-0.5@0.25', 'FedFix-0.5@0.1', 'FedFix-0.25@1', 'async-identical@1', 'async-identical@0.1', 'async-weight@1', 'async-weight@0.5', 'async-weight@0.25', 'async-weight@0.1']) {
    const s = schemes[name]!;
    t.truthy(s, name);
    for (const k of ['lrG', 'aggregations', 'distToOptimum', 'distToSurrogate', 'sd', 'diverged']) t.true(k in s, `${name}.${k}`);
  }
  t.true(Number.isFinite(r.metrics['surrogateGap'] as number) && (r.metrics['surrogateGap'] as number) > 1);
  t.truthy(r.metrics['timeToHalf']);
  // At T = 40 FedFix-0.5 at lr_g = 0.1 has not converged inside the window (its distance is still
  // falling), and async-weight at lr_g 0.25 has its bias < FedFix's there; both are reported.
  verdicts(t, r, ['fedfix-bias-proportional-to-lrg', 'async-weight-unstable']);
});

test('fedau-fmnist (quick): accuracy per scheme', async (t) => {
  const r = await runExperiment(fedauFmnistExperiment, { quick: true });
  const acc = r.metrics['accuracy'] as Record<string, number>;
  for (const s of ['fedau', 'known_prob', 'average_participating', 'average_all']) t.true(acc[s]! > 0.1 && acc[s]! <= 1, s);
  // 20 rounds: the accuracies are far from their limits; the ordering checks are reported only.
  verdicts(t, r, ['fedau-not-below-average-participating', 'fedau-close-to-known-prob']);
});
