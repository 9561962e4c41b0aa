// Argument checks shared by the tensor ops.

import type { DType } from '../dtype.js';
import { typeError } from '../errors.js';
import type { Backend } from '../backend/ops.js';
import { backendSync } from '../backend/backend.js';
import { Tensor } from '../tensor.js';

export type TensorLike = Tensor | number;

export function checkTensor(op: string, arg: string, x: unknown): Tensor {
  if (!(x instanceof Tensor)) throw typeError(op, arg, 'a Tensor', x);
  x.storage; // throws DisposedError if disposed
  return x;
}

/** The common backend of the tensor arguments; mixing backends is an error. */
export function commonBackend(op: string, tensors: readonly Tensor[]): Backend {
  const b = tensors[0]?.backend;
  for (const t of tensors) {
    if (t.backend !== b) {
      throw new TypeError(`${op}: expected all tensors on one backend but received '${b!.name}' and '${t.backend.name}' (move one with toBackend())`);
    }
  }
  return b ?? backendSync(undefined);
}

/** A tensor from a tensor or a scalar (a scalar takes the dtype and backend of `like`). */
export function lift(op: string, arg: string, x: TensorLike, like: Tensor | undefined): Tensor {
  if (x instanceof Tensor) return checkTensor(op, arg, x);
  if (typeof x !== 'number') throw typeError(op, arg, 'a Tensor or a number', x);
  const b = like?.backend ?? backendSync(undefined);
  const dtype: DType = like?.dtype ?? 'float32';
  return Tensor.fromStorage(b, b.ops.fill(1, x, dtype), []);
}

export function checkDtypes(op: string, a: Tensor, b: Tensor): void {
  if (a.dtype !== b.dtype) {
    throw new TypeError(`${op}: expected tensors of one dtype but received ${a.dtype} and ${b.dtype} (use cast())`);
  }
}

export function checkFloat(op: string, arg: string, x: Tensor): void {
  if (x.dtype === 'int32') throw new TypeError(`${op}: expected a float32 or float64 tensor for '${arg}' but received int32 (use cast())`);
}
