// What the learning layer needs from a model: a parameter layout and a forward pass that
// accepts an arena [P] or a population arena [R, P].

import type { Tensor } from '../tensor.js';
import type { ParamLayout, Range } from './layout.js';

export interface Model {
  readonly layout: ParamLayout;
  /** Outputs for inputs x: params [P] with x [B, ...] → [B, ...]; params [R, P] with x [R, B, ...] → [R, B, ...]. */
  apply(params: Tensor, x: Tensor): Tensor;
  /** The arena range of layer l's parameters (1-based), when the model has layers. */
  layerRange?(l: number): Range;
}
