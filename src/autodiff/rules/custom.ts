// The rule of customVjp: the derivative rules are closures recorded with the entry
// (RecordedOps['customVjp'], src/trace.ts). They are written in tensor ops, so they are
// differentiable in turn.

import { DescentError } from '../../errors.js';
import type { Rule } from './types.js';

export const customRule: Rule<'customVjp'> = {
  vjp: (e, g, needs) => {
    const out = e.attrs.vjp(g, e.inputs, e.output);
    if (!Array.isArray(out) || out.length !== e.inputs.length) {
      throw new DescentError(`customVjp '${e.attrs.name}': expected rule.vjp to return ${e.inputs.length} cotangents (one per input, null allowed) but it returned ${Array.isArray(out) ? out.length : typeof out}`);
    }
    return out.map((c, k) => (needs[k] ? c : null));
  },
  jvp: (e, t, _memo, lead) => {
    if (!e.attrs.jvp) {
      throw new DescentError(`customVjp '${e.attrs.name}': forward mode (jvp, hvp, linearize) needs rule.jvp, which was not given`);
    }
    return e.attrs.jvp(t, e.inputs, e.output, lead);
  },
};
