// Derivative rules of the elementwise ops: unary functions, broadcasting binary ops, where
// and cast. A unary rule is its derivative f′ as a tensor expression of x and y = f(x);
// both directions multiply by it (ḡ·f′ backward, ẋ·f′ forward) and the forward direction
// caches it when products are repeated.

import { sameShape } from '../../shape.js';
import type { Tensor } from '../../tensor.js';
import type { AnyEntry } from '../tape.js';
import {
  add, cast, cos, div, greater, greaterEqual, less, lessEqual, log, mul, neg, pow,
  reciprocal, sigmoid, sign, sin, square, sub, where,
} from '../../ops/elementwise.js';
import { ACTIVATION_D1, ACTIVATION_D2 } from '../../ops/activations.js';
import { broadcastTo, reshape } from '../../ops/views.js';
import { sum } from '../../ops/reduce.js';
import type { BinaryOp, UnaryOp } from '../../backend/ops.js';
import type { Lead, Memo, Rule } from './types.js';

/** Sums g over the axes that broadcasting added or stretched, giving a tensor of `shape`. */
export function unbroadcast(g: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const lead = g.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  return reshape(axes.length > 0 ? sum(g, axes, true) : g, shape);
}

/** t viewed with `shape` (t broadcasts to it). */
export function expand(t: Tensor, shape: readonly number[]): Tensor {
  return sameShape(t.shape, shape) ? t : broadcastTo(t, shape);
}

/**
 * A tangent [b, ...s] of a block (lead = 1) reshaped to [b, 1, ..., 1, ...s] with `rank`
 * axes after the probe axis, so that it broadcasts against primal tensors of rank `rank`
 * the way s does. Unchanged for lead = 0.
 */
export function align(t: Tensor, rank: number, lead: Lead): Tensor {
  const have = t.rank - lead;
  if (lead === 0 || have === rank) return t;
  return reshape(t, [...t.shape.slice(0, lead), ...new Array<number>(rank - have).fill(1), ...t.shape.slice(lead)]);
}

/** The shape of the output's tangent: the probe axis (if any), then the output's shape. */
export function tangentShape(e: AnyEntry, lead: Lead, t: Tensor): number[] {
  return [...t.shape.slice(0, lead), ...e.output.shape];
}

/** Adds tangents that may be missing (null); null when all are. */
export function addAll(ts: readonly (Tensor | null)[]): Tensor | null {
  let acc: Tensor | null = null;
  for (const t of ts) if (t) acc = acc ? add(acc, t) : t;
  return acc;
}

/** f′(x) for each unary op, from x and y = f(x); null for the piecewise-constant ones (f′ = 0). */
const DERIVATIVE: { [K in Exclude<UnaryOp, 'neg'>]: ((x: Tensor, y: Tensor) => Tensor) | null } = {
  abs: (x) => sign(x),
  exp: (_, y) => y,
  log: (x) => reciprocal(x),
  sqrt: (_, y) => mul(reciprocal(y), 0.5),
  rsqrt: (_, y) => mul(mul(y, square(y)), -0.5),
  square: (x) => mul(x, 2),
  reciprocal: (_, y) => neg(square(y)),
  // The activations' derivatives are the one table nn/quadratic.ts also uses (ops/activations.ts).
  relu: ACTIVATION_D1.relu,
  tanh: ACTIVATION_D1.tanh,
  sigmoid: ACTIVATION_D1.sigmoid,
  gelu: ACTIVATION_D1.gelu,
  gelugrad: (x) => ACTIVATION_D2.gelu(x),
  sin: (x) => cos(x),
  cos: (x) => neg(sin(x)),
  log1p: (x) => reciprocal(add(x, 1)),
  expm1: (_, y) => add(y, 1),
  softplus: (x) => sigmoid(x),
  sign: null,
  step: null,
  floor: null,
  ceil: null,
};

const UNARY_DIFFERENTIABLE = ['neg', ...Object.entries(DERIVATIVE).filter(([, f]) => f).map(([op]) => op)];
export const UNARY_CONSTANT = Object.entries(DERIVATIVE).filter(([, f]) => !f).map(([op]) => op);

function unaryRule(op: string): Rule {
  if (op === 'neg') {
    return { vjp: (_e, g) => [neg(g)], jvp: (_e, [t]) => neg(t!) };
  }
  const d = DERIVATIVE[op as keyof typeof DERIVATIVE]!;
  const derivative = (e: AnyEntry, memo: Memo) => memo('d', () => d(e.inputs[0]!, e.output));
  return {
    vjp: (e, g, _needs, memo) => [mul(g, derivative(e, memo))],
    jvp: (e, [t], memo) => mul(t!, derivative(e, memo)),
  };
}

export const unaryRules: Readonly<Record<string, Rule>> = Object.fromEntries(UNARY_DIFFERENTIABLE.map((op) => [op, unaryRule(op)]));

/** ∂y/∂a and ∂y/∂b of a binary op y = op(a, b), as tensors broadcastable to y. */
type Partials = (a: Tensor, b: Tensor, y: Tensor, which: 0 | 1) => Tensor;

/** The partials of each binary op other than add, sub and mul; null for the comparisons (constants). */
const PARTIALS: { [K in Exclude<BinaryOp, 'add' | 'sub' | 'mul'>]: Partials | null } = {
  div: (_a, b, y, w) => (w === 0 ? reciprocal(b) : neg(div(y, b))),
  // ∂/∂b = y·log a for a > 0, taken as 0 elsewhere; log reads 1 where a ≤ 0 so that no NaN
  // reaches a derivative of this derivative through the unselected branch.
  pow: (a, b, y, w) => {
    if (w === 0) return mul(b, pow(a, sub(b, 1)));
    const pos = greater(a, 0);
    return where(pos, mul(y, log(where(pos, a, 1))), 0);
  },
  // Ties send the whole derivative to a, matching the forward op's choice of a.
  max: (a, b, _y, w) => (w === 0 ? greaterEqual(a, b) : less(a, b)),
  min: (a, b, _y, w) => (w === 0 ? lessEqual(a, b) : greater(a, b)),
  atan2: (a, b, _y, w) => { const r = add(square(a), square(b)); return w === 0 ? div(b, r) : neg(div(a, r)); },
  lt: null,
  le: null,
  gt: null,
  ge: null,
  eq: null,
  ne: null,
};

function binaryRule(op: string): Rule {
  switch (op) {
    case 'add':
    case 'sub':
      return {
        vjp: (e, g, needs) => [
          needs[0] ? unbroadcast(g, e.inputs[0]!.shape) : null,
          needs[1] ? unbroadcast(op === 'add' ? g : neg(g), e.inputs[1]!.shape) : null,
        ],
        jvp: (e, [ta, tb], _memo, lead) => {
          const r = e.output.rank, shape = tangentShape(e, lead, (ta ?? tb)!);
          const a = ta && align(ta, r, lead), b = tb && align(tb, r, lead);
          if (a && b) return expand(op === 'add' ? add(a, b) : sub(a, b), shape);
          if (a) return expand(a, shape);
          return expand(op === 'add' ? b! : neg(b!), shape);
        },
      };
    case 'mul':
      return {
        vjp: (e, g, needs) => [
          needs[0] ? unbroadcast(mul(g, e.inputs[1]!), e.inputs[0]!.shape) : null,
          needs[1] ? unbroadcast(mul(g, e.inputs[0]!), e.inputs[1]!.shape) : null,
        ],
        jvp: (e, [ta, tb], _memo, lead) => {
          const [a, b] = e.inputs as [Tensor, Tensor];
          const r = e.output.rank;
          return expand(addAll([ta ? mul(align(ta, r, lead), b) : null, tb ? mul(a, align(tb, r, lead)) : null])!, tangentShape(e, lead, (ta ?? tb)!));
        },
      };
    default: {
      const p = PARTIALS[op as keyof typeof PARTIALS]!;
      const partial = (e: AnyEntry, w: 0 | 1, memo: Memo) => memo(`d${w}`, () => p(e.inputs[0]!, e.inputs[1]!, e.output, w));
      return {
        vjp: (e, g, needs, memo) => [0, 1].map((w) => (needs[w] ? unbroadcast(mul(g, partial(e, w as 0 | 1, memo)), e.inputs[w]!.shape) : null)),
        jvp: (e, t, memo, lead) => expand(
          addAll([0, 1].map((w) => (t[w] ? mul(align(t[w]!, e.output.rank, lead), partial(e, w as 0 | 1, memo)) : null)))!,
          tangentShape(e, lead, (t[0] ?? t[1])!),
        ),
      };
    }
  }
}

const BINARY_DIFFERENTIABLE = ['add', 'sub', 'mul', ...Object.entries(PARTIALS).filter(([, p]) => p).map(([op]) => op)];
export const BINARY_CONSTANT = Object.entries(PARTIALS).filter(([, p]) => !p).map(([op]) => op);

export const binaryRules: Record<string, Rule> = Object.fromEntries(BINARY_DIFFERENTIABLE.map((op) => [op, binaryRule(op)]));

/** where(cond, a, b): the derivative goes to a where cond ≠ 0 and to b elsewhere. */
export const whereRule: Rule = {
  vjp: (e, g, needs) => {
    const [c, a, b] = e.inputs as [Tensor, Tensor, Tensor];
    return [
      null,
      needs[1] ? unbroadcast(where(c, g, 0), a.shape) : null,
      needs[2] ? unbroadcast(where(c, 0, g), b.shape) : null,
    ];
  },
  jvp: (e, [, ta, tb], _memo, lead) => {
    const c = e.inputs[0]!, r = e.output.rank;
    const out = where(c, ta ? align(ta, r, lead) : 0, tb ? align(tb, r, lead) : 0);
    return expand(out, tangentShape(e, lead, (ta ?? tb)!));
  },
};

/** cast between float types: the derivative is cast back. */
export const castRule: Rule<'cast'> = {
  vjp: (e, g) => [cast(g, e.attrs.from)],
  jvp: (e, [t]) => cast(t!, e.output.dtype),
};
