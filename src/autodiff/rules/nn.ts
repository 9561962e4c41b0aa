// Derivative rules of softmax and log-softmax (over the last axis), gather and its adjoint
// scatterAdd. Softmax's tangent rules work on the last axis only, so a probe axis in front
// of the tangent broadcasts through them unchanged.

import { exp, mul, sub } from '../../ops/elementwise.js';
import { gather, scatterAdd } from '../../ops/nn.js';
import { sum } from '../../ops/reduce.js';
import type { Rule } from './types.js';

export const nnRules: { readonly [K in 'softmax' | 'logSoftmax' | 'gather' | 'scatterAdd']: Rule<K> } = {
  // y = softmax(x): x̄ = y ⊙ (ȳ − Σ ȳ⊙y), ẏ = y ⊙ (ẋ − Σ ẋ⊙y).
  softmax: {
    vjp: (e, g) => [mul(e.output, sub(g, sum(mul(g, e.output), -1, true)))],
    jvp: (e, [t]) => mul(e.output, sub(t!, sum(mul(t!, e.output), -1, true))),
  },
  // y = logSoftmax(x), p = eʸ: x̄ = ȳ − p·Σȳ, ẏ = ẋ − Σ p⊙ẋ.
  logSoftmax: {
    vjp: (e, g, _needs, memo) => [sub(g, mul(memo('p', () => exp(e.output)), sum(g, -1, true)))],
    jvp: (e, [t], memo) => sub(t!, sum(mul(memo('p', () => exp(e.output)), t!), -1, true)),
  },
  gather: {
    vjp: (e, g) => [scatterAdd(g, e.inputs[1]!, e.attrs.n, e.attrs.axis), null],
    jvp: (e, [t], _memo, lead) => gather(t!, e.inputs[1]!, e.attrs.axis + lead),
  },
  scatterAdd: {
    vjp: (e, g) => [gather(g, e.inputs[1]!, e.attrs.axis), null],
    jvp: (e, [t], _memo, lead) => scatterAdd(t!, e.inputs[1]!, e.output.shape[e.attrs.axis]!, e.attrs.axis + lead),
  },
};
