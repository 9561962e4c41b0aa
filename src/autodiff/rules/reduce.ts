// Derivative rules of the reductions sum, sumsq, max and min over a set of axes. Backward
// broadcasts the cotangent back over the reduced axes; max and min share it equally among
// tied extreme elements.

import type { Tensor } from '../../tensor.js';
import type { Entry } from '../tape.js';
import { div, equal, mul } from '../../ops/elementwise.js';
import { sum } from '../../ops/reduce.js';
import { broadcastTo, reshape } from '../../ops/views.js';
import type { ReduceOp } from '../../backend/ops.js';
import type { Lead, Memo, Rule } from './types.js';

function keptShape(e: Entry): number[] {
  const axes = e.attrs.axes as number[];
  return (e.attrs.inShape as number[]).map((d, i) => (axes.includes(i) ? 1 : d));
}

/** The output-shaped g spread back over the input's shape (a broadcast view). */
function spread(e: Entry, g: Tensor): Tensor {
  return broadcastTo(reshape(g, keptShape(e)), e.attrs.inShape);
}

/** Weights 1/(number of ties) on the elements equal to the extreme value, 0 elsewhere. */
function extremeWeights(e: Entry, memo: Memo): Tensor {
  return memo('w', () => {
    const mask = equal(e.inputs[0]!, spread(e, e.output));
    return div(mask, sum(mask, e.attrs.axes, true));
  });
}

/** The reduced axes of a tangent, past its probe axis. */
const axesOf = (e: Entry, lead: Lead) => (e.attrs.axes as number[]).map((a) => a + lead);

const extremeRule: Rule = {
  vjp: (e, g, _needs, memo) => [mul(spread(e, g), extremeWeights(e, memo))],
  jvp: (e, [t], memo, lead) => sum(mul(t!, extremeWeights(e, memo)), axesOf(e, lead), e.attrs.keepDims),
};

/** Every reduction's rule; null for argmax and argmin (integer outputs, constants). */
export const reduceRules: { [K in ReduceOp]: Rule | null } = {
  sum: {
    vjp: (e, g) => [spread(e, g)],
    jvp: (e, [t], _memo, lead) => sum(t!, axesOf(e, lead), e.attrs.keepDims),
  },
  sumsq: {
    vjp: (e, g) => [mul(spread(e, g), mul(e.inputs[0]!, 2))],
    jvp: (e, [t], _memo, lead) => mul(sum(mul(e.inputs[0]!, t!), axesOf(e, lead), e.attrs.keepDims), 2),
  },
  max: extremeRule,
  min: extremeRule,
  argmax: null,
  argmin: null,
};
