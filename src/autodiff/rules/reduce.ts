// Derivative rules of the reductions sum, sumsq, max and min over a set of axes. Backward
// broadcasts the cotangent back over the reduced axes; max and min share it equally among
// tied extreme elements.

import type { Tensor } from '../../tensor.js';
import type { ReduceAttrs } from '../../trace.js';
import type { AnyEntry } from '../tape.js';
import { div, equal, mul } from '../../ops/elementwise.js';
import { sum } from '../../ops/reduce.js';
import { broadcastTo, reshape } from '../../ops/views.js';
import type { ReduceOp } from '../../backend/ops.js';
import type { Lead, Memo, Rule } from './types.js';

/**
 * A reduction's attributes. The rule table dispatches these rules only for one-input records
 * of a reduction's name, which always carry ReduceAttrs (max and min also name binary ops).
 */
const red = (e: AnyEntry) => e.attrs as ReduceAttrs;

function keptShape(e: AnyEntry): number[] {
  const { axes, inShape } = red(e);
  return inShape.map((d, i) => (axes.includes(i) ? 1 : d));
}

/** The output-shaped g spread back over the input's shape (a broadcast view). */
function spread(e: AnyEntry, g: Tensor): Tensor {
  return broadcastTo(reshape(g, keptShape(e)), red(e).inShape);
}

/** Weights 1/(number of ties) on the elements equal to the extreme value, 0 elsewhere. */
function extremeWeights(e: AnyEntry, memo: Memo): Tensor {
  return memo('w', () => {
    const mask = equal(e.inputs[0]!, spread(e, e.output));
    return div(mask, sum(mask, red(e).axes, true));
  });
}

/** The reduced axes of a tangent, past its probe axis. */
const axesOf = (e: AnyEntry, lead: Lead) => red(e).axes.map((a) => a + lead);

const extremeRule: Rule = {
  vjp: (e, g, _needs, memo) => [mul(spread(e, g), extremeWeights(e, memo))],
  jvp: (e, [t], memo, lead) => sum(mul(t!, extremeWeights(e, memo)), axesOf(e, lead), red(e).keepDims),
};

/** Every reduction's rule; null for argmax and argmin (integer outputs, constants). */
export const reduceRules: { [K in ReduceOp]: Rule | null } = {
  sum: {
    vjp: (e, g) => [spread(e, g)],
    jvp: (e, [t], _memo, lead) => sum(t!, axesOf(e, lead), red(e).keepDims),
  },
  sumsq: {
    vjp: (e, g) => [mul(spread(e, g), mul(e.inputs[0]!, 2))],
    jvp: (e, [t], _memo, lead) => mul(sum(mul(e.inputs[0]!, t!), axesOf(e, lead), red(e).keepDims), 2),
  },
  max: extremeRule,
  min: extremeRule,
  argmax: null,
  argmin: null,
};
