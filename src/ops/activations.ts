// The activation functions by name, and their first and second derivatives in one table.
//
// One place for the names (the `Activation` type, the CLI's choice lists, MLP's option)
// and for σ′, σ″: the autodiff rules of the unary ops (src/autodiff/rules/elementwise.ts)
// and the Taylor-mode quadratic forms (src/nn/quadratic.ts) both read ACTIVATION_D1 and
// ACTIVATION_D2, so the two cannot drift apart. Each derivative is a tensor expression of
// x (the pre-activation) and y = σ(x), the values both callers already hold.

import type { Tensor } from '../tensor.js';
import { exp, geluGrad, gelu, mul, relu, sigmoid, square, step, sub, tanh } from './elementwise.js';

/** The activation functions a model can name. */
export type Activation = 'relu' | 'tanh' | 'gelu' | 'sigmoid' | 'identity';

/** Every Activation, in a fixed order (for choice lists and validation). */
export const ACTIVATIONS: readonly Activation[] = ['relu', 'tanh', 'gelu', 'sigmoid', 'identity'];

/** Whether `name` is an Activation. */
export function isActivation(name: unknown): name is Activation {
  return typeof name === 'string' && (ACTIVATIONS as readonly string[]).includes(name);
}

/** σ(x) for each activation (identity returns x itself). */
export const ACTIVATION_FN: Readonly<Record<Activation, (x: Tensor) => Tensor>> = {
  relu, tanh, gelu, sigmoid, identity: (x) => x,
};

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** σ′ from x and y = σ(x), for the non-linear activations (identity's σ′ = 1 is left to callers). */
export const ACTIVATION_D1 = {
  relu: (x: Tensor, _y?: Tensor): Tensor => step(x),
  tanh: (_x: Tensor, y: Tensor): Tensor => sub(1, square(y)),
  sigmoid: (_x: Tensor, y: Tensor): Tensor => mul(y, sub(1, y)),
  gelu: (x: Tensor, _y?: Tensor): Tensor => geluGrad(x),
} as const satisfies Record<Exclude<Activation, 'identity'>, (x: Tensor, y: Tensor) => Tensor>;

/**
 * σ″ from x, y = σ(x) and d1 = σ′(x) (null where σ″ = 0: relu almost everywhere):
 * tanh″ = −2·y·σ′, sigmoid″ = σ′·(1 − 2y), gelu″(x) = φ(x)·(2 − x²) with φ the standard
 * normal density.
 */
export const ACTIVATION_D2 = {
  relu: null,
  tanh: (_x: Tensor, y: Tensor, d1: Tensor): Tensor => mul(mul(y, d1), -2),
  sigmoid: (_x: Tensor, y: Tensor, d1: Tensor): Tensor => mul(d1, sub(1, mul(y, 2))),
  gelu: (x: Tensor, _y?: Tensor, _d1?: Tensor): Tensor => {
    const x2 = square(x);
    return mul(mul(exp(mul(x2, -0.5)), INV_SQRT_2PI), sub(2, x2));
  },
} as const satisfies Record<Exclude<Activation, 'identity'>, ((x: Tensor, y: Tensor, d1: Tensor) => Tensor) | null>;
