// Gradients of scalar functions: grad(f) and valueAndGrad(f), reverse mode over a tape.

import { ShapeError } from '../errors.js';
import { onesLike } from '../ops/creation.js';
import { fmt } from '../shape.js';
import { tidy } from '../tensor.js';
import type { Tensor } from '../tensor.js';
import { oneShotMemo } from './memo.js';
import { backward, checkPrimal, checkRange, trace } from './vjp.js';
import type { TraceOptions } from './vjp.js';

/**
 * f(x, ...args) and its gradient with respect to x (f must return a tensor of size 1; the
 * other arguments are held constant). The gradient has x's shape, dtype and backend.
 * With `range`, only x[begin, end) of a 1-D x varies and the gradient has end − begin elements.
 * @example
 * const { value, grad } = valueAndGrad((p) => loss(model.apply(p, x), y))(params);
 */
export function valueAndGrad<A extends unknown[]>(f: (x: Tensor, ...args: A) => Tensor, opts: TraceOptions = {}): (x: Tensor, ...args: A) => { value: Tensor; grad: Tensor } {
  return (x, ...args) => {
    checkPrimal('valueAndGrad', 'x', x);
    const range = checkRange('valueAndGrad', x, opts.range);
    return tidy(() => {
      const { tape, out } = trace('valueAndGrad', (z) => f(z, ...args), x, range);
      try {
        if (out.size !== 1) {
          throw new ShapeError(`valueAndGrad: expected f to return a tensor of size 1 but it returned shape ${fmt(out.shape)} (use vjp for other outputs)`);
        }
        return { value: out, grad: backward(tape, out, onesLike(out), oneShotMemo()) };
      } finally {
        tape.dispose();
      }
    });
  };
}

/**
 * The gradient of a scalar function with respect to its first argument.
 * @example
 * const g = grad((x) => sum(square(x)))(x); // 2·x
 */
export function grad<A extends unknown[]>(f: (x: Tensor, ...args: A) => Tensor, opts: TraceOptions = {}): (x: Tensor, ...args: A) => Tensor {
  const vg = valueAndGrad(f, opts);
  return (x, ...args) => {
    const { value, grad: g } = vg(x, ...args);
    value.dispose();
    return g;
  };
}
