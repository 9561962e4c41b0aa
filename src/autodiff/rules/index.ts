// The rule table: which recorded ops are differentiable and how. RULES is a mapped type over
// RecordedOps (src/trace.ts), the one list of recordable ops and their attributes: a new op
// there is a type error here until it has a rule or is declared constant (null), and each
// rule reads its op's attributes with their recorded types. The unary, binary and reduction
// tables are themselves mapped over the backend op table's names (src/backend/ops.ts).

import type { Tensor } from '../../tensor.js';
import type { RecordedOp } from '../../trace.js';
import { customRule } from './custom.js';
import { binaryRules, castRule, unaryRules, whereRule } from './elementwise.js';
import { matmulRules } from './matmul.js';
import { nnRules } from './nn.js';
import { reduceRules } from './reduce.js';
import type { Rule } from './types.js';
import { viewRules } from './views.js';

export type { Cotangent, Lead, Memo, Piece, Rule } from './types.js';
export { isPiece } from './types.js';


/** max and min name a binary op and a reduction: the rule is chosen by the number of inputs. */
function byArity<K extends RecordedOp>(binary: Rule, reduction: Rule): Rule<K> {
  return {
    vjp: (e, g, needs, memo) => (e.inputs.length === 2 ? binary : reduction).vjp(e, g, needs, memo),
    jvp: (e, t, memo, lead) => (e.inputs.length === 2 ? binary : reduction).jvp(e, t, memo, lead),
  };
}

const un = (op: string): Rule | null => unaryRules[op] ?? null;
const bin = (op: string): Rule | null => binaryRules[op] ?? null;

/** Every recordable op's rule; null for ops whose outputs are constants. */
const RULES: { readonly [K in RecordedOp]: Rule<K> | null } = {
  neg: un('neg'), abs: un('abs'), exp: un('exp'), log: un('log'), sqrt: un('sqrt'), rsqrt: un('rsqrt'),
  square: un('square'), reciprocal: un('reciprocal'), relu: un('relu'), tanh: un('tanh'), sigmoid: un('sigmoid'),
  gelu: un('gelu'), sign: null, step: null, sin: un('sin'), cos: un('cos'), log1p: un('log1p'), expm1: un('expm1'),
  softplus: un('softplus'), gelugrad: un('gelugrad'), floor: null, ceil: null,
  add: bin('add'), sub: bin('sub'), mul: bin('mul'), div: bin('div'), pow: bin('pow'), atan2: bin('atan2'),
  lt: null, le: null, gt: null, ge: null, eq: null, ne: null,
  max: byArity(binaryRules.max!, reduceRules.max!),
  min: byArity(binaryRules.min!, reduceRules.min!),
  sum: reduceRules.sum, sumsq: reduceRules.sumsq, argmax: null, argmin: null,
  where: whereRule,
  cast: castRule,
  ...matmulRules,
  ...nnRules,
  ...viewRules,
  customVjp: customRule,
};

/** Ops whose derivative is zero wherever it exists (RULES null): their outputs are constants. */
export function isNonDifferentiable(op: RecordedOp, _inputs: readonly Tensor[], output: Tensor): boolean {
  return RULES[op] === null || output.dtype === 'int32';
}

/** The rule of a recorded op (undefined for a constant op). */
export function ruleFor(op: RecordedOp, _inputs: readonly Tensor[]): Rule | undefined {
  return (RULES[op] as Rule | null) ?? undefined;
}
