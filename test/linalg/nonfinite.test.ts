// One non-finite check for every spectrum estimator (issue 18 item 6): an operator that produces
// NaN or ±Inf, or a density kernel too wide for float64, is an error naming the function, as in
// eigsh, lanczos and slq — never a NaN trace, a "converged" NaN eigenvalue or an all-null density.

import test from 'ava';
import * as d from '../../src/index.js';

const n = 20;
const a = new Float64Array(n * n);
for (let i = 0; i < n; i++) a[i * n + i] = i + 1;
const good = d.matrixOperator(d.tensor(a, [n, n], { backend: 'reference' }));
const poisoned = (bad: number): d.Operator => (v) => d.tidy(() => {
  const mask = new Float64Array(n * v.shape[1]!);
  mask[3 * v.shape[1]!] = 1; // row 3 of every column block: bad·v
  return d.add(good(v) as d.Tensor, d.mul(d.tensor(mask, [n, v.shape[1]!], { backend: 'reference' }), bad));
});
const opts = { seed: 1, dtype: 'float64' as const, backend: 'reference' as const };

for (const bad of [NaN, Infinity]) {
  test(`hutchinson · an operator producing ${bad} is an error`, async (t) => {
    await t.throwsAsync(d.hutchinson(poisoned(bad), n, { probes: 4, ...opts }), { instanceOf: RangeError, message: /^hutchinson: the operator produced a non-finite value/ });
  });
  test(`hutchPlusPlus · an operator producing ${bad} is an error`, async (t) => {
    await t.throwsAsync(d.hutchPlusPlus(poisoned(bad), n, { matvecs: 9, ...opts }), { instanceOf: RangeError, message: /^hutchPlusPlus: .*non-finite/ });
  });
  test(`powerIteration · an operator producing ${bad} is an error`, async (t) => {
    await t.throwsAsync(d.powerIteration(poisoned(bad), n, { maxIter: 5, ...opts }), { instanceOf: RangeError, message: /^powerIteration: the operator produced a non-finite value/ });
  });
}

test('the estimators still accept a finite operator (the check is not over-eager)', async (t) => {
  const h = await d.hutchinson(good, n, { probes: 4, ...opts });
  t.true(Number.isFinite(h.trace));
  const p = await d.powerIteration(good, n, { maxIter: 500, tol: 1e-6, ...opts });
  t.true(Math.abs(p.value - n) <= 1e-5 * n);
});

test('spectralDensity · a kernel width whose density overflows float64 is refused', (t) => {
  const rules = [{ nodes: Float64Array.of(-1, 0, 2), weights: Float64Array.of(0.2, 0.5, 0.3) }];
  t.throws(() => d.spectralDensity(rules, { sigma: 1e300 }), { instanceOf: RangeError, message: /spectralDensity: expected a kernel width .* 'opts.sigma' but received 1e\+300/ });
  const ok = d.spectralDensity(rules, { sigma: 0.1 });
  t.true(ok.density.every(Number.isFinite));
});
