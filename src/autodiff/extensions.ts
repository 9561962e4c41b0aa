// Autodiff extensions: stopGradient, customVjp (an op whose derivative rules are given at run
// time), gradients with respect to several arguments, and the mixed second-order product
// ∇²_xy g·v with its operator form.
//
// stopGradient returns a new view of x's storage that no tape has seen, so every tape (outer
// ones included) treats it as a constant. customVjp runs f with recording paused and records
// one 'customVjp' entry whose rule is the given closure; the closures are written in tensor
// ops, so an outer tape records them (derivatives of a custom rule are taken through it).
// Several arguments are joined into one flat leaf (one concat) and f sees slices of it.
// The mixed product is forward-over-reverse: ∇_x g is recorded as a function of y and its
// tangent along v is ∇²_xy g·v, the same construction as hessianOperator.

import { DescentError, typeError } from '../errors.js';
import { concat, contiguous, reshape, slice } from '../ops/views.js';
import { fmt } from '../shape.js';
import { tidy, Tensor } from '../tensor.js';
import { record, setTracer } from '../trace.js';
import type { CustomRuleAttrs } from '../trace.js';
import { valueAndGrad } from './grad.js';
import { jvp, linearizeOutputs } from './jvp.js';
import { alias, batchedCurvature, batchWeights } from './operator.js';
import type { BatchOptions } from './operator.js';
import { checkLike, checkPrimal } from './vjp.js';

/**
 * x as a constant: the same values (a view of x's storage, not a copy), with zero derivative
 * for every tape, including the tapes of outer derivatives.
 * @example
 * const baseline = stopGradient(mean(loss)); // REINFORCE: (L − b)·∇log p with b held fixed
 */
export function stopGradient(x: Tensor): Tensor {
  if (!(x instanceof Tensor)) throw typeError('stopGradient', 'x', 'a Tensor', x);
  return x.view(x.shape, x.strides, x.offset);
}

/** The derivative rules of a customVjp function (written in tensor ops). */
export interface CustomVjpRule {
  /**
   * The cotangents of the inputs (each of its input's shape, or null for zero) given the
   * output's cotangent g, the inputs and the output.
   */
  vjp(g: Tensor, inputs: readonly Tensor[], output: Tensor): readonly (Tensor | null)[];
  /**
   * The output's tangent from the inputs' tangents (null = zero), needed by forward mode
   * (jvp, hvp, the curvature operators). With lead = 1 each tangent carries a probe axis in
   * front ([b, ...input shape]) and the result must be [b, ...output shape].
   */
  jvp?(tangents: readonly (Tensor | null)[], inputs: readonly Tensor[], output: Tensor, lead: 0 | 1): Tensor | null;
}

/** Runs fn with every tape paused (its ops are not recorded). */
function untraced<T>(fn: () => T): T {
  const previous = setTracer(null);
  try {
    return fn();
  } finally {
    setTracer(previous);
  }
}

/**
 * f with its derivative given by `rule` instead of by differentiating f's ops: f's forward
 * pass is not recorded, and every tape records one entry whose backward (and tangent) pass
 * calls the rule. Straight-through estimators, REINFORCE surrogates and other estimators
 * that are not the derivative of the forward computation are written this way.
 * @example
 * // straight-through: forward a hard threshold, backward the identity
 * const st = customVjp((a) => step(a), { vjp: (g) => [g], jvp: ([t]) => t });
 */
export function customVjp(f: (...xs: Tensor[]) => Tensor, rule: CustomVjpRule, name = f.name || 'customVjp'): (...xs: Tensor[]) => Tensor {
  if (typeof f !== 'function') throw typeError('customVjp', 'f', 'a function', f);
  if (!rule || typeof rule.vjp !== 'function') throw typeError('customVjp', 'rule.vjp', 'a function', rule?.vjp);
  if (rule.jvp !== undefined && typeof rule.jvp !== 'function') throw typeError('customVjp', 'rule.jvp', 'a function or undefined', rule.jvp);
  const attrs: CustomRuleAttrs = { name, vjp: rule.vjp.bind(rule), ...(rule.jvp ? { jvp: rule.jvp.bind(rule) } : {}) };
  return (...xs) => {
    xs.forEach((x, i) => { if (!(x instanceof Tensor)) throw typeError(`customVjp '${name}'`, `xs[${i}]`, 'a Tensor', x); });
    let y = untraced(() => f(...xs));
    if (!(y instanceof Tensor)) throw typeError(`customVjp '${name}'`, 'f', 'a function returning a Tensor', y);
    // The output must be a tensor object of its own: a tape gives it a new variable id.
    if (xs.includes(y)) y = y.view(y.shape, y.strides, y.offset);
    return record('customVjp', xs, y, attrs);
  };
}

export interface ArgnumsOptions {
  /** The arguments to differentiate against (indices; default all). The others are held constant. */
  argnums?: readonly number[];
}

/**
 * f(...xs) and its gradients with respect to several arguments (all by default; f must
 * return a tensor of size 1). The differentiated arguments must share a dtype and backend;
 * each gradient has its argument's shape.
 * @example
 * const { value, grads: [gx, gy] } = valueAndGrads((x, y) => sum(mul(x, y)))(x, y); // [y, x]
 */
export function valueAndGrads(f: (...xs: Tensor[]) => Tensor, opts: ArgnumsOptions = {}): (...xs: Tensor[]) => { value: Tensor; grads: Tensor[] } {
  const fn = 'valueAndGrads';
  return (...xs) => {
    const which = opts.argnums ? [...opts.argnums] : xs.map((_, i) => i);
    if (which.length === 0) throw new RangeError(`${fn}: expected at least one index in 'argnums' but received none`);
    which.forEach((k, j) => {
      if (!Number.isInteger(k) || k < 0 || k >= xs.length || which.indexOf(k) !== j) {
        throw new RangeError(`${fn}: expected distinct argument indices in [0, ${xs.length}) for 'argnums' but received [${which.join(', ')}]`);
      }
      checkPrimal(fn, `xs[${k}]`, xs[k]);
    });
    const first = xs[which[0]!]!;
    for (const k of which) {
      const x = xs[k]!;
      if (x.dtype !== first.dtype || x.backend !== first.backend) {
        throw new TypeError(`${fn}: expected every differentiated argument to be ${first.dtype} on '${first.backend.name}' like xs[${which[0]}] but xs[${k}] is ${x.dtype} on '${x.backend.name}'`);
      }
    }
    return tidy(() => {
      const sizes = which.map((k) => xs[k]!.size);
      const offsets = sizes.map((_, j) => sizes.slice(0, j).reduce((a, b) => a + b, 0));
      const flat = which.length === 1 ? contiguous(reshape(first, [first.size])) : concat(which.map((k) => reshape(contiguous(xs[k]!), [xs[k]!.size])), 0);
      const parts = (z: Tensor) => which.map((k, j) => reshape(slice(z, [offsets[j]!], [sizes[j]!]), xs[k]!.shape));
      const { value, grad } = valueAndGrad((z: Tensor) => {
        const args = xs.slice();
        parts(z).forEach((p, j) => { args[which[j]!] = p; });
        return f(...args);
      })(flat);
      return { value, grads: parts(grad).map((g) => contiguous(g)) };
    });
  };
}

/**
 * The gradients of a scalar f with respect to several arguments (see valueAndGrads).
 * @example
 * const [gx, gz] = grads((x, y, z) => loss(x, y, z), { argnums: [0, 2] })(x, y, z);
 */
export function grads(f: (...xs: Tensor[]) => Tensor, opts: ArgnumsOptions = {}): (...xs: Tensor[]) => Tensor[] {
  const vg = valueAndGrads(f, opts);
  return (...xs) => {
    const { value, grads: gs } = vg(...xs);
    value.dispose();
    return gs;
  };
}

/**
 * The mixed second-order product ∇²_xy g·v = ∂/∂y[∇_x g(x, y)]·v (shape of x), i.e.
 * Σ_j ∂²g/∂x∂y_j·v_j; equivalently the gradient in x of ⟨∇_y g(x, y), v⟩ (BSVRB's
 * cross-derivative–vector product, PAPERS.md §9). Exact, forward-over-reverse. The transposed
 * product ∇²_yx g·u is mixedHvp((y, x) => g(x, y), y, x, u).
 * @example
 * const cross = mixedHvp((x, y) => lowerLoss(x, y), x, y, v); // [x.size] when x is 1-D
 */
export function mixedHvp(g: (x: Tensor, y: Tensor) => Tensor, x: Tensor, y: Tensor, v: Tensor): Tensor {
  checkPrimal('mixedHvp', 'x', x);
  checkPrimal('mixedHvp', 'y', y);
  checkLike('mixedHvp', 'v', v, y.shape, y);
  return tidy(() => jvp((yy) => valueAndGrad((xx: Tensor) => g(xx, yy))(x).grad, y, v).jvp);
}

/** The mixed second derivative ∇²_xy g of a scalar g(x, y) (an |x|×|y| matrix), seen through products. */
export interface MixedOperator {
  /** |x|: the length of a product. */
  readonly rows: number;
  /** |y|: the length of a probe. */
  readonly cols: number;
  /** The (weighted) value of g at (x, y). */
  readonly value: Tensor;
  /** ∇²_xy g·V for V of shape [|y|] or [|y|, b] (b probes in one tangent pass): [|x|] or [|x|, b]. */
  readonly apply: (V: Tensor) => Tensor;
  /** ∇_x g at (x, y) (weighted over batches). */
  gradient(): Tensor;
  dispose(): void;
}

/**
 * ∇²_xy g at fixed 1-D x and y as an operator (like hessianOperator): ∇_x g is recorded as a
 * function of y once per batch and every product is one tangent pass over that record; a
 * block of probes [|y|, b] goes through one pass. With batches, the operator is
 * Σ_i weights[i]·∇²_xy g(x, y, batches[i]).
 * @example
 * const M = mixedOperator((x, y) => g(x, y), x, y);
 * const MV = M.apply(V); // V: [|y|, 8] → [|x|, 8]
 * M.dispose();
 */
export function mixedOperator<B = undefined>(g: (x: Tensor, y: Tensor, batch: B) => Tensor, x: Tensor, y: Tensor, opts: Omit<BatchOptions<B>, 'range'> = {}): MixedOperator {
  const fn = 'mixedOperator';
  checkPrimal(fn, 'x', x);
  checkPrimal(fn, 'y', y);
  for (const [name, t] of [['x', x], ['y', y]] as const) {
    if (t.rank !== 1) throw new RangeError(`${fn}: expected a 1-D tensor for '${name}' but received shape ${fmt(t.shape)}`);
  }
  if (x.dtype !== y.dtype || x.backend !== y.backend) {
    throw new TypeError(`${fn}: expected 'y' to be ${x.dtype} on '${x.backend.name}' like 'x' but received ${y.dtype} on '${y.backend.name}'`);
  }
  if ((opts as BatchOptions<B>).range) throw new DescentError(`${fn}: 'range' is not supported (restrict x and y instead)`);
  const { batches, weights } = batchWeights(fn, opts);
  const op = batchedCurvature(fn, y.size, y, batches, weights, opts.cache ?? true, true, (b) => {
    const lin = linearizeOutputs(fn, (yy) => {
      const { value, grad } = valueAndGrad((xx: Tensor) => g(xx, yy, b as B))(x);
      return [grad, value];
    }, y, { pick: 0 });
    return {
      value: lin.outputs[1]!,
      apply: (v) => lin.apply(v),
      applyRows: (R) => lin.applyRows(R),
      gradient: () => alias(lin.outputs[0]!),
      dispose: () => lin.dispose(),
    };
  });
  return { rows: x.size, cols: y.size, value: op.value, apply: op.apply, gradient: () => op.gradient(), dispose: () => op.dispose() };
}
