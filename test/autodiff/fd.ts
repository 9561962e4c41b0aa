// Finite differences and dense linear algebra in float64: the oracle of the autodiff and
// model tests.
//
// Derivatives use the five-point stencil f′(x) ≈ [f(x−2h) − 8f(x−h) + 8f(x+h) − f(x+2h)]/(12h)
// with h = 1e-3: truncation error h⁴·|f⁽⁵⁾|/30 = 3.3e-14·|f⁽⁵⁾|, rounding error
// 1.5·u·|f|/h = 1.7e-13·|f| (u = 2^-53). The tests draw inputs with |x| ≤ 1 (or in
// [0.5, 1.5] for functions with a pole or branch point at 0); there the fifth and sixth
// derivatives of every elementary function used are at most 6!/0.5⁷ ≈ 1e5 (1/x at 0.5 is the
// worst), so the stencil errs by at most ≈ 3e-9 in absolute terms for functions of order
// one. FD_RTOL = 1e-8, applied relative to max(1, the largest derivative), covers that.

import * as d from '../../src/index.js';
import type { Tensor } from '../../src/index.js';

export const FD_H = 1e-3;
export const FD_RTOL = 1e-8;
export const F64 = { dtype: 'float64', backend: 'reference' } as const;

export function t64(data: ArrayLike<number>, shape?: number[]): Tensor {
  return d.tensor(Float64Array.from(data), shape ?? [data.length], F64);
}

export function read(t: Tensor): Float64Array {
  return Float64Array.from(t.dataSync());
}

/** The directional derivative of a vector function along v by the five-point stencil. */
export function fdDirectional(f: (x: Float64Array) => Float64Array, x: Float64Array, v: ArrayLike<number>, h = FD_H): Float64Array {
  const at = (s: number) => f(x.map((xi, i) => xi + s * h * v[i]!));
  const m2 = at(-2), m1 = at(-1), p1 = at(1), p2 = at(2);
  return m2.map((_, i) => (m2[i]! - 8 * m1[i]! + 8 * p1[i]! - p2[i]!) / (12 * h));
}

/** The gradient of a scalar function by the five-point stencil, one coordinate at a time. */
export function fdGradient(f: (x: Float64Array) => number, x: Float64Array, h = FD_H): Float64Array {
  const g = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const e = new Float64Array(x.length);
    e[i] = 1;
    g[i] = fdDirectional((y) => Float64Array.of(f(y)), x, e, h)[0]!;
  }
  return g;
}

/** The dense Jacobian [m, n] of f: R^n → R^m (row-major), by the stencil. */
export function fdJacobian(f: (x: Float64Array) => Float64Array, x: Float64Array, h = FD_H): Float64Array[] {
  const cols: Float64Array[] = [];
  for (let j = 0; j < x.length; j++) {
    const e = new Float64Array(x.length);
    e[j] = 1;
    cols.push(fdDirectional(f, x, e, h));
  }
  const m = cols[0]?.length ?? 0;
  return Array.from({ length: m }, (_, i) => Float64Array.from(cols, (c) => c[i]!));
}

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return Number.isNaN(m) ? Infinity : m;
}

/** Eigenvalues of a symmetric matrix (cyclic Jacobi rotations; exact to a few ulps of ‖A‖). */
export function symmetricEigenvalues(rows: readonly ArrayLike<number>[]): number[] {
  const n = rows.length;
  const a = rows.map((r) => Float64Array.from(r));
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p]![q]! ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p]![q]!;
        if (apq === 0) continue;
        const theta = (a[q]![q]! - a[p]![p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1), s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k]![p]!, akq = a[k]![q]!;
          a[k]![p] = c * akp - s * akq;
          a[k]![q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p]![k]!, aqk = a[q]![k]!;
          a[p]![k] = c * apk - s * aqk;
          a[q]![k] = s * apk + c * aqk;
        }
      }
    }
  }
  return a.map((r, i) => r[i]!).sort((x, y) => x - y);
}
