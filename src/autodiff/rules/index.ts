// The rule table: which recorded ops are differentiable and how. The unary, binary and
// reduction tables are mapped types over the op table's names (src/backend/ops.ts), so a new
// op there is a type error here until it has a rule or is declared constant. Any other op a
// tape sees applied to a tracked tensor must have a rule below; if not, recording it is an
// error that names the op.

import type { Tensor } from '../../tensor.js';
import { BINARY_CONSTANT, binaryRules, castRule, UNARY_CONSTANT, unaryRules, whereRule } from './elementwise.js';
import { matmulRules } from './matmul.js';
import { nnRules } from './nn.js';
import { reduceRules } from './reduce.js';
import type { Rule } from './types.js';
import { viewRules } from './views.js';

export type { Cotangent, Lead, Memo, Piece, Rule } from './types.js';
export { isPiece } from './types.js';

/** Ops whose derivative is zero wherever it exists: their outputs are constants. */
const NON_DIFFERENTIABLE = new Set([...UNARY_CONSTANT, ...BINARY_CONSTANT, ...Object.entries(reduceRules).filter(([, r]) => !r).map(([op]) => op)]);

export function isNonDifferentiable(op: string, _inputs: readonly Tensor[], output: Tensor): boolean {
  return NON_DIFFERENTIABLE.has(op) || output.dtype === 'int32';
}

const RULES: Record<string, Rule> = {
  ...unaryRules,
  ...viewRules,
  ...matmulRules,
  ...nnRules,
  where: whereRule,
  cast: castRule,
};

/** The rule of a recorded op; binary max/min and the max/min reductions share a name and differ in arity. */
export function ruleFor(op: string, inputs: readonly Tensor[]): Rule | undefined {
  if (inputs.length === 2 && op in binaryRules) return binaryRules[op];
  if (op in reduceRules && inputs.length === 1) return reduceRules[op as keyof typeof reduceRules] ?? undefined;
  return RULES[op];
}
