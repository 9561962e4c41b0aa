// Paper 7 (diffGrad): the friction's closed form, the engine's step ratios against it, and
// the experiment's --quick run (structure and checks).

import test from 'ava';
import { runExperiment } from '../../src/algorithms/experiment.js';
import { diffGradFriction, diffgradExperiment, stepRatios } from '../../src/algorithms/diffgrad/index.js';

test('diffGradFriction · σ(|Δg|): ½ at 0, symmetric, 1 − ξ ≈ e^{−|Δg|} for large |Δg|', (t) => {
  t.is(diffGradFriction(0), 0.5);
  t.is(diffGradFriction(-2), diffGradFriction(2));
  t.is(diffGradFriction(1), 1 / (1 + Math.exp(-1)));
  for (const d of [10, 20, 30]) {
    // 1 − σ(d) = e^{−d}/(1 + e^{−d}), within e^{−d} of e^{−d} relatively; computing 1 − σ(d) in float64 cancels to ε·e^{d}.
    t.true(Math.abs((1 - diffGradFriction(d)) / Math.exp(-d) - 1) < Math.exp(-d) + Number.EPSILON * Math.exp(d));
  }
});

test('stepRatios · constant gradient: ξ₁ = σ(|g₁|), then exactly ½ (float32 rounding bound)', async (t) => {
  const g = [0.5, -3, 1e-2];
  const { ratio, tolerance } = await stepRatios([g, g, g, g]);
  g.forEach((gi, i) => t.true(Math.abs(ratio[0]![i]! - diffGradFriction(gi)) <= tolerance[0]![i]!, `step 1, g = ${gi}: ${ratio[0]![i]}`));
  for (let s = 1; s < 4; s++) g.forEach((_, i) => t.true(Math.abs(ratio[s]![i]! - 0.5) <= tolerance[s]![i]!, `step ${s + 1}: ${ratio[s]![i]}`));
});

test('stepRatios · a jump Δg gives ξ₂ = σ(|Δg|); legacy friction gives ½', async (t) => {
  const deltas = [0.5, 3, 12];
  const grads = [deltas.map(() => 1), deltas.map((d) => 1 - d)];
  const v2 = await stepRatios(grads), legacy = await stepRatios(grads, { legacy: true });
  deltas.forEach((d, i) => {
    t.true(Math.abs(v2.ratio[1]![i]! - diffGradFriction(d)) <= v2.tolerance[1]![i]!, `Δg = ${d}: ${v2.ratio[1]![i]}`);
    t.true(Math.abs(legacy.ratio[1]![i]! - 0.5) <= legacy.tolerance[1]![i]!, `legacy Δg = ${d}: ${legacy.ratio[1]![i]}`);
  });
  t.true(v2.ratio[1]![2]! > 0.9999); // ξ → 1: the step is Adam's
});

test('experiment diffgrad · --quick: metrics, series and the exact-step checks; parity reported with numbers', async (t) => {
  const r = await runExperiment(diffgradExperiment, { quick: true });
  t.is(r.experiment, 'diffgrad');
  for (const k of ['adamTestAccuracy', 'diffgradTestAccuracy', 'legacyTestAccuracy', 'maxAccuracyGap', 'adamFinalTrainLoss', 'diffgradFinalTrainLoss', 'legacyFinalTrainLoss']) {
    t.true(typeof r.metrics[k] === 'number' && Number.isFinite(r.metrics[k] as number), k);
  }
  t.is(r.series.length, 3);
  const byName = Object.fromEntries(r.checks.map((c) => [c.name, c]));
  for (const name of ['xi-first-step-sigmoid-g1', 'xi-half-when-gradient-constant', 'xi-to-one-for-large-delta-g', 'legacy-constant-friction-half']) {
    t.true(byName[name]?.pass, `${name}: ${JSON.stringify(byName[name]?.observed)}`);
  }
  // Parity is the paper's expectation for a full run (10 epochs); at the quick settings
  // (2 epochs on 1,000 rows) diffGrad's smaller steps leave it behind, which is reported,
  // with its numbers, not hidden.
  const parity = byName['accuracy-parity']!;
  t.is(typeof (parity.observed as { maxGap: number }).maxGap, 'number');
  t.is(parity.pass, (r.metrics.maxAccuracyGap as number) <= 0.01);
});
