// §20 opposing signals: the synthetic data set's construction, per-example loss changes and
// their ranking, group means, and the opposing-signals experiment's quick run.

import test from 'ava';
import '../../src/index.js';
import { runExperiment } from '../../src/algorithms/experiment.js';
import { groupMeans, lossChanges, opposingSignalsData, opposingSignalsExperiment, topChanges } from '../../src/algorithms/opposing-signals/index.js';

test('opposingSignalsData · groups, ±α independent of y, removal keeps every other value', (t) => {
  const a = opposingSignalsData({ n: 4000, seed: 3 });
  const r = opposingSignalsData({ n: 4000, seed: 3, removeOpposing: true });
  t.is(a.features, 21);
  let present = 0, plus = 0;
  for (let i = 0; i < a.n; i++) {
    const xo = a.x[i * 21 + 20]!;
    t.is(a.group[i]! > 0, xo !== 0);
    if (xo !== 0) { present++; if (xo > 0) plus++; t.true(Math.abs(xo) === 20); t.is(a.group[i], a.y[i] === 1 ? 1 : 2); }
    t.is(r.x[i * 21 + 20], 0);
    for (let j = 0; j < 20; j++) t.is(r.x[i * 21 + j], a.x[i * 21 + j]);
  }
  t.deepEqual(Array.from(r.group), Array.from(a.group));
  // Binomial(4000, 0.05): mean 200, sd 13.8; 4 sd either side.
  t.true(Math.abs(present - 200) <= 4 * Math.sqrt(4000 * 0.05 * 0.95), `present ${present}`);
  // sign ~ Bernoulli(½) given presence: 4 sd = 4·√(present/4).
  t.true(Math.abs(plus - present / 2) <= 4 * Math.sqrt(present / 4), `plus ${plus} of ${present}`);
  t.deepEqual(Array.from(opposingSignalsData({ n: 50, seed: 3 }).x), Array.from(opposingSignalsData({ n: 50, seed: 3 }).x));
});

test('lossChanges, topChanges, groupMeans', (t) => {
  const d = lossChanges([1, 2, 3, 4], [1.5, 0, 3, 4.1]);
  t.deepEqual(Array.from(d).map((v) => Math.round(v * 1e9) / 1e9), [0.5, -2, 0, 0.1]);
  t.deepEqual(topChanges(d, 2), [1, 0]);
  t.deepEqual(topChanges([1, -1, 0.5], 3), [0, 1, 2]);
  t.deepEqual(groupMeans([1, 2, 3, 5], [0, 1, 1, 2], 4).slice(0, 3), [1, 2.5, 5]);
  t.true(Number.isNaN(groupMeans([1], [0], 2)[1]!));
});

test('opposing-signals · quick run: metric keys, finite numbers, checks reported', async (t) => {
  const r = await runExperiment(opposingSignalsExperiment, { quick: true });
  const m = r.metrics as Record<string, any>;
  for (const k of ['sharpnessOver2Eta', 'groupCorrelation', 'topShareOutliers']) {
    t.true(Number.isFinite(m[k]), k);
    t.true(Number.isFinite(m.removed[k]), `removed ${k}`);
  }
  t.true(m.topShareOutliers >= 0 && m.topShareOutliers <= 1);
  t.is(r.checks.length, 4);
  for (const c of r.checks) t.not(c.observed, null);
});
