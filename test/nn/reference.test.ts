// The shared reference problem (../shared/reference/mlp-fmnist-init): a 784-256-256-10 ReLU
// MLP, mean cross-entropy over 2,048 Fashion-MNIST rows. Our loss, gradient norm, v0·H·v0 and
// ‖H·v0‖ must match the manifest's float64 values (computed by an independent implementation
// with double-backward products):
// - in float64 on the reference backend, to ε64 each side;
// - in float32 on every other backend, to ε32.
// ε = 4·√K·u with K = 2048, the longest reduction (the batch sums of the weight gradients and
// of their tangents; the forward dots have length ≤ 784): rounding errors of random sign grow
// like √K·u per reduction, and a value passes through about four chained reductions
// (forward, backward, the tangent's forward and backward). v0·H·v0 is a small number made by
// cancellation (‖H·v0‖ is 670 times larger), so its error is bounded norm-wise: |Δ| ≤ ε·‖H·v0‖·‖v0‖.

import test from 'ava';
import * as d from '../../src/index.js';
import type { Backend, DType, Tensor } from '../../src/index.js';
import { loadReferenceProblem } from '../../src/data/reference.js';
import type { ReferenceProblem } from '../../src/data/reference.js';
import { testBackends, mustHave } from '../helpers/backends.js';

const K = 2048;
const eps = (dtype: DType) => 4 * Math.sqrt(K) * (dtype === 'float64' ? 2 ** -53 : 2 ** -24);

let problem: ReferenceProblem | null = null;
let missing = '';
try {
  problem = loadReferenceProblem();
} catch (e) {
  missing = (e as Error).message.split('\n')[0]!;
}

interface Figures { loss: number; gradNorm: number; vHv: number; hvNorm: number }

async function compute(ref: ReferenceProblem, backend: Backend, dtype: DType): Promise<Figures> {
  const o = { dtype, backend };
  const [loss, gradNorm, vHv, hvNorm] = d.tidy(() => {
    // The float64 reference used the float32 pixels u/255, widened: so do we.
    const x = dtype === 'float64' ? Float64Array.from(ref.x) : ref.x;
    const X = d.tensor(x, [ref.n, ref.features], o);
    const Y = d.tensor(ref.y, [ref.n], { dtype: 'int32', backend });
    const { model, params } = d.mlpFromWeights({ widths: ref.widths, layers: ref.layers }, { activation: 'relu', dtype, backend });
    const H = d.hessianOperator((p) => d.softmaxCrossEntropy(model.apply(p, X), Y), params);
    const v0 = d.tensor(ref.v0, [ref.v0.length], o);
    const hv = H.apply(v0);
    const out = [d.add(H.value, 0), d.norm(H.gradient()), d.dot(v0, hv), d.norm(hv)];
    H.dispose();
    return out;
  });
  const values = await Promise.all([loss, gradNorm, vHv, hvNorm].map((t) => t!.item()));
  d.dispose([loss, gradNorm, vHv, hvNorm]);
  return { loss: values[0]!, gradNorm: values[1]!, vHv: values[2]!, hvNorm: values[3]! };
}

function check(t: import('ava').ExecutionContext, got: Figures, ref: ReferenceProblem, e: number): void {
  const want = ref.expected;
  const v0norm = Math.sqrt(ref.v0.reduce((s, v) => s + v * v, 0));
  t.true(Math.abs(got.loss - want.loss) <= e * want.loss, `loss ${got.loss} vs ${want.loss}`);
  t.true(Math.abs(got.gradNorm - want.grad_norm) <= e * want.grad_norm, `gradient norm ${got.gradNorm} vs ${want.grad_norm}`);
  t.true(Math.abs(got.hvNorm - want.Hv0_norm) <= e * want.Hv0_norm, `‖H·v0‖ ${got.hvNorm} vs ${want.Hv0_norm}`);
  t.true(Math.abs(got.vHv - want.v0_H_v0) <= e * want.Hv0_norm * v0norm, `v0·H·v0 ${got.vHv} vs ${want.v0_H_v0}`);
}

const BACKENDS = await testBackends();

if (!problem) {
  test.skip(`reference problem (skipped: ${missing})`, () => {});
} else {
  const ref = problem;
  test('reference problem · float64 on the reference backend', async (t) => {
    // Both sides carry an error of ε64.
    check(t, await compute(ref, d.reference, 'float64'), ref, 2 * eps('float64'));
  });
  for (const tb of BACKENDS) {
    const title = `reference problem · float32 on ${tb.name}`;
    if (tb.backend) {
      const b = tb.backend;
      test(title, async (t) => { check(t, await compute(ref, b, 'float32'), ref, eps('float32')); });
    } else if (mustHave(tb.name)) {
      test(title, (t) => { t.fail(`backend ${tb.name} is required here but missing: ${tb.missing}`); });
    } else {
      test.skip(`${title} (skipped: ${tb.missing})`, () => {});
    }
  }
}
