// The one activation table (src/ops/activations.ts): σ′ and σ″ against float64 central
// differences of σ, and the autodiff rules and MLP reading the same table.
//
// Tolerance: a central difference with step h has truncation error ≤ h²·max|σ‴|/6 (first
// derivative) and h²·max|σ⁗|/12 (second), plus rounding ~ε·|σ|/h (resp. /h²); with h = 1e-4
// (1e-3 for σ″) both stay below 1e-6 for these smooth functions on [−3, 3].

import test from 'ava';
import * as d from '../../src/index.js';
import { ACTIVATION_D1, ACTIVATION_D2, ACTIVATION_FN, ACTIVATIONS, isActivation } from '../../src/ops/activations.js';

const xs = Array.from({ length: 25 }, (_, i) => -3 + i * 0.25 + 0.01);
const b = d.reference;
const t64 = (v: number[]) => d.tensor(Float64Array.from(v), [v.length], { backend: b });
const f = async (name: d.Activation, v: number[]) => Array.from(await ACTIVATION_FN[name](t64(v)).data());

for (const name of ['tanh', 'sigmoid', 'gelu', 'relu'] as const) {
  test(`activations · ${name}: σ′ and σ″ match central differences (float64)`, async (t) => {
    const x = t64(xs), y = ACTIVATION_FN[name](x);
    const d1 = await ACTIVATION_D1[name](x, y).data();
    const h = 1e-4, H = 1e-3;
    const up = await f(name, xs.map((v) => v + h)), dn = await f(name, xs.map((v) => v - h));
    const up2 = await f(name, xs.map((v) => v + H)), dn2 = await f(name, xs.map((v) => v - H)), mid = await f(name, xs);
    const second = ACTIVATION_D2[name];
    const d2 = second ? await second(x, y, ACTIVATION_D1[name](x, y)).data() : null;
    xs.forEach((_, i) => {
      t.true(Math.abs(d1[i]! - (up[i]! - dn[i]!) / (2 * h)) < 1e-6, `σ′ at ${xs[i]}`);
      const fd2 = (up2[i]! - 2 * mid[i]! + dn2[i]!) / (H * H);
      t.true(Math.abs((d2 ? d2[i]! : 0) - fd2) < 1e-6, `σ″ at ${xs[i]}: ${d2?.[i]} vs ${fd2}`);
    });
  });
}

test('activations · one list of names, used by MLP and the gradient rules', async (t) => {
  t.deepEqual([...ACTIVATIONS], ['relu', 'tanh', 'gelu', 'sigmoid', 'identity']);
  t.true(isActivation('gelu'));
  t.false(isActivation('swish'));
  t.throws(() => new d.MLP([2, 2], { activation: 'swish' as d.Activation }), { instanceOf: RangeError, message: /'relu', 'tanh', 'gelu', 'sigmoid', 'identity'/ });
  // The autodiff rule of tanh is the table's σ′ (bit for bit: the same expression).
  const x = t64(xs);
  const g = await d.grad((v: d.Tensor) => d.sum(d.tanh(v)))(x).data();
  t.deepEqual(Array.from(g), Array.from(await ACTIVATION_D1.tanh(x, d.tanh(x)).data()));
});
