// Dense curvature matrices of small models, assembled from operator products, and their
// eigenvalues in float64: the oracle for the Lanczos / SLQ path.
//
// Assembly. A symmetric operator V ↦ M·V applied to the identity, `block` columns at a time,
// gives M column by column; the result is symmetrised as (M + Mᵀ)/2 (products computed in
// float32 are symmetric only to rounding).
//
// Eigenvalues: the engine's `symEigenvalues` (src/linalg/dense.ts: lower-triangle Householder
// tridiagonalisation, then implicit QL without vectors), re-exported from this folder's index.

import { tensor, Tensor } from '../../engine.js';
import type { Backend, BackendName, CurvatureOperator, Operator } from '../../engine.js';

export interface DenseOptions {
  /** Element type of the identity blocks and products (default float64). */
  dtype?: 'float32' | 'float64';
  /** Backend of the identity blocks (default: the default backend). */
  backend?: Backend | BackendName;
  /** Columns per product (default 64). */
  block?: number;
}

/**
 * The n×n matrix of a symmetric operator, row-major float64, symmetrised as (M + Mᵀ)/2.
 * `op` is an `Operator` (V [n, b] ↦ M·V) or a `CurvatureOperator` (its `apply` is used).
 * @example
 * const H = modelHessian(net, softmaxCrossEntropy, params, { x, y });
 * const m = denseMatrix(H, H.size, { dtype: 'float64' });
 */
export async function denseMatrix(op: Operator | CurvatureOperator, n: number, opts: DenseOptions = {}): Promise<Float64Array> {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`denseMatrix: expected a positive integer for 'n' but received ${n}`);
  const apply: Operator = typeof op === 'function' ? op : op && typeof op.apply === 'function' ? op.apply : (() => {
    throw new TypeError(`denseMatrix: expected an operator function or a CurvatureOperator for 'op' but received ${typeof op}`);
  })();
  const block = opts.block ?? 64;
  if (!Number.isInteger(block) || block < 1) throw new RangeError(`denseMatrix: expected a positive integer for 'opts.block' but received ${block}`);
  const dtype = opts.dtype ?? 'float64';
  const m = new Float64Array(n * n);
  for (let j = 0; j < n; j += block) {
    const b = Math.min(block, n - j);
    const e = dtype === 'float64' ? new Float64Array(n * b) : new Float32Array(n * b);
    for (let c = 0; c < b; c++) e[(j + c) * b + c] = 1;
    const v = tensor(e, [n, b], { dtype, ...(opts.backend ? { backend: opts.backend } : {}) });
    const out = await apply(v);
    if (!(out instanceof Tensor) || out.shape[0] !== n || out.shape[1] !== b) {
      v.dispose();
      throw new RangeError(`denseMatrix: expected op(V) of shape [${n}, ${b}] but received ${out instanceof Tensor ? `[${out.shape.join(', ')}]` : typeof out}`);
    }
    const r = await out.data();
    v.dispose();
    out.dispose();
    for (let row = 0; row < n; row++) {
      const base = row * n + j;
      for (let c = 0; c < b; c++) m[base + c] = r[row * b + c]!;
    }
  }
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      const s = 0.5 * (m[i * n + j]! + m[j * n + i]!);
      m[i * n + j] = s;
      m[j * n + i] = s;
    }
  }
  return m;
}
