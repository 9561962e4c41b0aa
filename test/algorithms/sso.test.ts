// Paper 4 (SSO): the exact statements (a)–(c) of PAPERS.md §4 and the quick `sso` experiment.

import test from 'ava';
import { linearRegression, logisticLoss, logisticRegression, mse, mul, tensor } from '../../src/index.js';
import { SSO, checkMajorization, checkSgdEquivalence, checkTargetProjection, runExperiment, ssoExperiment, ssoSyntheticProblem } from '../../src/algorithms/index.js';

const EPS = 2 ** -52;

test('(a) m = 1 with one plain GD inner step equals the SGD step exactly', (t) => {
  for (const seed of [1, 2, 3]) {
    const r = checkSgdEquivalence(seed, 0.3);
    t.true(r.maxError <= 4 * EPS * Math.max(1, r.scale), `seed ${seed}: ${r.maxError}`);
  }
});

test('(b) full batch MSE with an exact inner solve is projected GD in target space (normal equations of the least-squares target fit)', (t) => {
  const r = checkTargetProjection(5);
  // float64 normal-equation residual of a 60×6 least-squares problem with condition ≈ 3
  t.true(r.residual <= 64 * 60 * EPS, `relative residual ${r.residual}`);
  t.true(r.distanceBound <= 64 * 60 * EPS, `‖θ − θ_ls‖ ≤ ${r.distanceBound}`);
});

test('(c) full batch, 1/η ≥ L: the surrogate majorizes the loss and the loss never increases', (t) => {
  const r = checkMajorization(7);
  t.true(r.maxViolation <= 64 * EPS, `violation ${r.maxViolation}`);
  t.true(r.maxIncrease <= 64 * EPS, `increase ${r.maxIncrease}`);
});

test('SSO Armijo inner steps lower the surrogate; schedules give η/√t and η(1/T)^{t/T}', (t) => {
  const { x, y } = ssoSyntheticProblem('regression', 50, 4, 3);
  const net = linearRegression(4);
  const sso = new SSO({ model: net, loss: (z, yy) => mse(z, yy), eta: 0.5, innerSteps: 4 });
  const p0 = mul(net.init({ seed: 1, dtype: 'float64' }), 1);
  const { info } = sso.step(p0, x, y);
  t.true(info.surrogateEnd < info.surrogateStart);
  t.is(info.innerSteps, 4);
  const s2 = new SSO({ model: net, loss: (z, yy) => mse(z, yy), eta: 2, etaSchedule: 'sqrt', innerSteps: 1 });
  t.is(s2.etaAt(4), 1);
  const s3 = new SSO({ model: net, loss: (z, yy) => mse(z, yy), eta: 2, etaSchedule: 'exponential', totalSteps: 10, innerSteps: 1 });
  t.true(Math.abs(s3.etaAt(10) - 0.2) < 1e-15);
  t.throws(() => new SSO({ model: net, loss: (z, yy) => mse(z, yy), eta: -1, innerSteps: 1 }), { instanceOf: RangeError, message: /SSO: expected a finite number > 0 for 'opts.eta' but received -1/ });
  // works with a logistic model and float labels
  const lg = ssoSyntheticProblem('logistic', 30, 3, 4);
  const net2 = logisticRegression(3);
  const s4 = new SSO({ model: net2, loss: (z, yy) => logisticLoss(z, yy), eta: 1, innerSteps: 2 });
  const r = s4.step(mul(net2.init({ seed: 2, dtype: 'float64' }), 1), lg.x, lg.y);
  t.true(Number.isFinite(r.info.loss));
  void tensor;
});

test('sso experiment (quick): structure and checks', async (t) => {
  const r = await runExperiment(ssoExperiment, { quick: true });
  const m = r.metrics as Record<string, any>;
  for (const k of ['a', 'b', 'c']) t.is(typeof m.exactChecks[k], 'boolean');
  for (const k of ['1', '5', '10']) t.true(Number.isFinite(m.trainLoss[k]));
  const byName = Object.fromEntries(r.checks.map((c) => [c.name, c]));
  t.true(byName['a-m1-gd-equals-sgd']!.pass);
  t.true(byName['b-exact-inner-is-target-projection']!.pass);
  t.true(byName['c-majorization']!.pass);
  // d (loss decreasing in m) fails at η = 1 on both the quick and the full settings (see docs/papers/sso.md): reported with numbers
  const d = byName['d-more-inner-steps-lower-loss']!;
  t.truthy((d.observed as Record<string, unknown>)['pairs']);
});
