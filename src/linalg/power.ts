// Power iteration, for comparison with Lanczos only: it converges to the eigenvalue of
// largest MAGNITUDE (which may be negative) at the rate |λ_2/λ_1| per product, where
// Lanczos converges to the extreme eigenvalues at a rate governed by the square root of
// the relative gap (Golub & Van Loan §10.1.5). Stops when ‖A v − θ v‖ ≤ tol·|θ|.

import { checkFinite, checkInt, rangeError, typeError } from '../errors.js';
import type { Backend, BackendName } from '../backend/ops.js';
import { backendSync } from '../backend/backend.js';
import { div, mul, sub } from '../ops/elementwise.js';
import { norm, sum } from '../ops/reduce.js';
import { concat, contiguous, reshape } from '../ops/views.js';
import { Tensor, tidy } from '../tensor.js';
import { checkOperatorResult, operatorCall } from './operators.js';
import type { Operator, OperatorLike, SizedOperator } from './operators.js';
import { PROBE_STREAM, probeRows } from './probes.js';

export interface PowerOptions {
  /** Maximum products (default 100). */
  maxIter?: number;
  /** Relative residual tolerance (default 1e-4). */
  tol?: number;
  seed?: number;
  dtype?: 'float32' | 'float64';
  backend?: Backend | BackendName;
  /** Start vector [n, 1] (default: a seeded Rademacher probe). */
  start?: Tensor;
}

export interface PowerResult {
  /** The Rayleigh quotient θ = vᵀAv of the last iterate. */
  value: number;
  residual: number;
  /** The last iterate [n, 1] (unit norm). */
  vector: Tensor;
  /** [value], [residual] and vector again, in eigsh's result shape (values, residuals, vectors). */
  values: Float64Array;
  residuals: Float64Array;
  vectors: Tensor;
  iterations: number;
  matvecs: number;
  converged: boolean;
}

/**
 * @example
 * const { value, iterations } = await powerIteration(matrixOperator(a), n, { tol: 1e-6, seed: 1 });
 */
export function powerIteration(op: SizedOperator, opts?: PowerOptions): Promise<PowerResult>;
export function powerIteration(op: Operator, n: number, opts?: PowerOptions): Promise<PowerResult>;
export async function powerIteration(opIn: OperatorLike, nOrOpts?: number | PowerOptions, optsIn?: PowerOptions): Promise<PowerResult> {
  const { op, n, opts } = operatorCall('powerIteration', opIn, nOrOpts, optsIn);
  checkInt('powerIteration', 'n', n, 1);
  const maxIter = checkInt('powerIteration', 'opts.maxIter', opts.maxIter ?? 100, 1);
  const tol = checkFinite('powerIteration', 'opts.tol', opts.tol ?? 1e-4);
  if (tol <= 0) throw rangeError('powerIteration', 'opts.tol', 'a positive number', tol);
  let v: Tensor;
  if (opts.start) {
    if (opts.start.rank !== 2 || opts.start.shape[0] !== n || opts.start.shape[1] !== 1) {
      throw rangeError('powerIteration', 'opts.start', `a tensor [${n}, 1]`, `shape [${opts.start.shape.join(', ')}]`);
    }
    const s = opts.start;
    v = tidy(() => div(s, norm(s, 0, true)));
  } else {
    const dtype = opts.dtype ?? 'float32', backend = backendSync(opts.backend);
    v = tidy(() => {
      const g = reshape(probeRows('rademacher', n, 1, { seed: opts.seed ?? 0, stream: PROBE_STREAM.power, dtype, backend }), [n, 1]);
      return div(g, norm(g, 0, true));
    });
  }
  let value = 0, residual = Infinity, it = 0, converged = false;
  while (it < maxIter) {
    const av = checkOperatorResult('powerIteration', v, await op(v));
    it++;
    const { stats, next } = tidy(() => {
      const avc = contiguous(av);
      const theta = sum(mul(v, avc));
      const r = norm(reshape(sub(avc, mul(v, theta)), [n]));
      const nrm = norm(avc, 0, true);
      return { stats: concat([reshape(theta, [1]), reshape(r, [1])], 0), next: div(avc, nrm) };
    });
    av.dispose();
    const h = await stats.data();
    stats.dispose();
    value = h[0]!;
    residual = h[1]!;
    if (!Number.isFinite(value) || !Number.isFinite(residual)) {
      next.dispose();
      throw new RangeError(`powerIteration: the operator produced a non-finite value at product ${it} (θ = ${value}, residual = ${residual})`);
    }
    if (residual <= tol * Math.abs(value)) {
      converged = true;
      next.dispose();
      break;
    }
    v.dispose();
    v = next;
  }
  return { value, residual, vector: v, values: Float64Array.of(value), residuals: Float64Array.of(residual), vectors: v, iterations: it, matvecs: it, converged };
}
