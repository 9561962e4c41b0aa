// Projections and proximal maps over populations (rows = replicas), and the wrappers that
// apply one after every optimizer step.
//
// Contract. Each map takes a float tensor and returns a new tensor of the same shape, dtype
// and backend, row by row: a [R, n] tensor is R independent problems (a rank-1 [n] tensor
// is one). projectBall and projectSimplex act along the last axis (every leading index is a
// row), softThreshold elementwise, projectFrobeniusBall on everything but the first axis (one
// matrix per replica). Radii and thresholds are one number or one per row. All run as a few
// tensor ops on the tensor's backend, except projectSimplex's threshold on backends with
// host memory (cpu, reference), which is found exactly by sorting each row in float64
// (Held, Wolfe & Crowder 1974; Duchi et al. 2008, Fig. 1); on webgpu it is found on the
// device as max_i (Σ_{x_j ≥ x_i} x_j − z)/#{j : x_j ≥ x_i}, the same threshold without a sort
// (Condat 2016, eq. 4), in blocks of rows of the n × n comparison.
//
// withProjection(opt, proj) and proximal(opt, prox) register a post-step hook on `opt`
// (Optimizer.afterEachStep) that computes the map of the whole arena and writes back, in
// place, only the rows of the replicas that stepped, so masked steps still leave the other
// replicas bit for bit.

import { rangeError, typeError } from '../errors.js';
import { tensor } from '../ops/creation.js';
import { abs, add, cast, div, greaterEqual, maximum, minimum, mul, relu, sign, sqrt, sub } from '../ops/elementwise.js';
import { max, sum, sumSquares } from '../ops/reduce.js';
import { reshape, slice } from '../ops/views.js';
import { keep, Tensor, tidy } from '../tensor.js';
import type { Optimizer } from './optimizer.js';

/** One value for every row, or one per row. */
export type PerRow = number | readonly number[];

function checkFloat(fn: string, x: unknown): Tensor {
  if (!(x instanceof Tensor)) throw typeError(fn, 'x', 'a Tensor', x);
  x.storage; // throws if disposed
  if (x.dtype === 'int32') throw new TypeError(`${fn}: expected a float32 or float64 tensor for 'x' but received int32`);
  if (x.rank === 0) throw new RangeError(`${fn}: expected 'x' of rank ≥ 1 (rows = replicas) but received a scalar`);
  return x;
}

/** A [rows, 1] column of non-negative values (or the number itself when it is one value). */
function column(fn: string, arg: string, v: unknown, rows: number, x: Tensor): number | Tensor {
  const check = (a: string, u: unknown): number => {
    if (typeof u !== 'number') throw typeError(fn, a, 'a finite number ≥ 0', u);
    if (!(u >= 0 && Number.isFinite(u))) throw rangeError(fn, a, 'a finite number ≥ 0', u);
    return u;
  };
  if (!Array.isArray(v)) return check(arg, v);
  if (v.length !== rows) throw rangeError(fn, arg, `one value per row (${rows})`, v);
  const host = new Float64Array(rows);
  v.forEach((u, i) => { host[i] = check(`${arg}[${i}]`, u); });
  return tensor(host, [rows, 1], { backend: x.backend, dtype: x.dtype });
}

/** x viewed as [rows, n] along its last axis. */
function asRows(x: Tensor): Tensor {
  const n = x.shape[x.rank - 1]!;
  return reshape(x, [x.size / Math.max(n, 1), n]);
}

/** y = c + (x − c)·min(1, r/‖x − c‖) per row of the [rows, n] tensor x. */
function ballRows(x: Tensor, radius: number | Tensor, center: Tensor | number): Tensor {
  const diff = sub(x, center);
  const norm = sqrt(sumSquares(diff, -1, true));
  // r/0 = ∞ → factor 1 at the centre.
  const factor = minimum(div(radius, norm), 1);
  return add(mul(diff, factor), center);
}

/**
 * The Euclidean projection of each row (last axis) onto the ball ‖y − center‖₂ ≤ radius:
 * y = center + (x − center)·min(1, radius/‖x − center‖). `center` is a number or a tensor
 * broadcasting against x (e.g. [n] for one centre, or x's shape for one per row).
 * @example
 * const y = projectBall(params, 1);                       // [R, n]: each replica into the unit ball
 * const z = projectBall(params, [1, 2, 3], { center: w0 }); // per-replica radii around w0
 */
export function projectBall(x: Tensor, radius: PerRow, opts: { center?: Tensor | number } = {}): Tensor {
  const fn = 'projectBall';
  checkFloat(fn, x);
  if (opts === null || typeof opts !== 'object') throw typeError(fn, 'opts', 'an options object { center? }', opts);
  const c = opts.center ?? 0;
  if (!(c instanceof Tensor) && (typeof c !== 'number' || !Number.isFinite(c))) throw typeError(fn, 'opts.center', 'a Tensor or a finite number', c);
  if (c instanceof Tensor && (c.backend !== x.backend || c.dtype !== x.dtype)) {
    throw new TypeError(`${fn}: expected 'opts.center' on the '${x.backend.name}' backend as ${x.dtype} but received ${c.dtype} on '${c.backend.name}'`);
  }
  const rows = x.size / x.shape[x.rank - 1]!;
  return tidy(() => {
    const r = column(fn, 'radius', radius, rows, x);
    const center = c instanceof Tensor ? (c.rank === x.rank && c.size === x.size ? asRows(c) : c) : c;
    return reshape(ballRows(asRows(x), r, center), x.shape);
  });
}

/**
 * The projection of each replica (everything but the first axis; a rank-1 tensor is one
 * replica) onto the Frobenius ball ‖Y‖_F ≤ radius: Y = X·min(1, radius/‖X‖_F).
 * @example
 * const w = projectFrobeniusBall(weights, 10); // weights [R, m, n]
 */
export function projectFrobeniusBall(x: Tensor, radius: PerRow): Tensor {
  const fn = 'projectFrobeniusBall';
  checkFloat(fn, x);
  const R = x.rank === 1 ? 1 : x.shape[0]!;
  return tidy(() => {
    const r = column(fn, 'radius', radius, R, x);
    return reshape(ballRows(reshape(x, [R, x.size / Math.max(R, 1)]), r, 0), x.shape);
  });
}

/**
 * The proximal map of λ‖·‖₁ (soft-thresholding): sign(x)·max(|x| − λ, 0), elementwise, with
 * one λ or one per row (last axis).
 * @example
 * const sparse = softThreshold(params, 0.01);
 */
export function softThreshold(x: Tensor, lambda: PerRow): Tensor {
  const fn = 'softThreshold';
  checkFloat(fn, x);
  const rows = x.size / x.shape[x.rank - 1]!;
  return tidy(() => {
    const l = column(fn, 'lambda', lambda, rows, x);
    return reshape(mul(sign(asRows(x)), relu(sub(abs(asRows(x)), l))), x.shape);
  });
}

/** The simplex threshold θ of one row (float64, exact): Σ max(x_i − θ, 0) = z. */
function simplexThreshold(row: ArrayLike<number>, z: number): number {
  const u = Float64Array.from(row).sort().reverse();
  let cum = 0, theta = -Infinity;
  for (let k = 0; k < u.length; k++) {
    cum += u[k]!;
    const t = (cum - z) / (k + 1);
    // The support is the prefix where u_k > θ_k; θ is its last value (Duchi et al. 2008, Fig. 1).
    if (u[k]! > t) theta = t;
    else break;
  }
  return theta;
}

/** Elements of the [rows, block, n] comparison per launch on the device path. */
const SIMPLEX_BLOCK = 1 << 22;

/**
 * The Euclidean projection of each row (last axis) onto the simplex {y ≥ 0, Σ y = total}
 * (default total 1): y = max(x − θ, 0) with θ the row's unique threshold. Exact: on cpu and
 * reference θ comes from a float64 sort of the row (O(n log n)); on webgpu from the sort-free
 * formula θ = max_i (Σ_{x_j ≥ x_i} x_j − total)/#{x_j ≥ x_i} on the device (O(n²) per row, in
 * blocks), equal in exact arithmetic. `method` forces one of the two ('sort' needs a backend
 * with host memory).
 * @example
 * const w = projectSimplex(weights);             // [R, K] mixture weights, each row on the simplex
 */
export function projectSimplex(x: Tensor, opts: { total?: number; method?: 'auto' | 'sort' | 'pairwise' } = {}): Tensor {
  const fn = 'projectSimplex';
  checkFloat(fn, x);
  if (opts === null || typeof opts !== 'object') throw typeError(fn, 'opts', 'an options object { total? }', opts);
  const z = opts.total ?? 1;
  if (typeof z !== 'number') throw typeError(fn, 'opts.total', 'a positive finite number', z);
  if (!(z > 0 && Number.isFinite(z))) throw rangeError(fn, 'opts.total', 'a positive finite number', z);
  const n = x.shape[x.rank - 1]!;
  if (n === 0) throw new RangeError(`${fn}: expected rows of at least one element (the simplex of dimension 0 is empty) but 'x' has shape [${x.shape.join(', ')}]`);
  const rows = x.size / n;
  const method = opts.method ?? 'auto';
  if (method !== 'auto' && method !== 'sort' && method !== 'pairwise') throw rangeError(fn, 'opts.method', "'auto', 'sort' or 'pairwise'", method);
  if (method === 'sort' && !x.backend.readSync) throw new TypeError(`${fn}: the 'sort' method reads the rows synchronously, which the '${x.backend.name}' backend cannot; use 'auto' or 'pairwise'`);
  if (method === 'sort' || (method === 'auto' && x.backend.readSync)) {
    const data = x.dataSync();
    const out = x.dtype === 'float64' ? new Float64Array(x.size) : new Float32Array(x.size);
    for (let r = 0; r < rows; r++) {
      const row = data.subarray(r * n, (r + 1) * n);
      const theta = simplexThreshold(row, z);
      for (let i = 0; i < n; i++) out[r * n + i] = Math.max(row[i]! - theta, 0);
    }
    return tensor(out, x.shape, { backend: x.backend, dtype: x.dtype });
  }
  return tidy(() => {
    const x2 = asRows(x);
    const xj = reshape(x2, [rows, 1, n]);
    const block = Math.max(1, Math.min(n, Math.floor(SIMPLEX_BLOCK / Math.max(1, rows * n))));
    let theta: Tensor | null = null;
    for (let i0 = 0; i0 < n; i0 += block) {
      const b = Math.min(block, n - i0);
      const xi = reshape(slice(x2, [0, i0], [rows, b]), [rows, b, 1]);
      let ge = greaterEqual(xj, xi);
      if (ge.dtype !== x.dtype) ge = cast(ge, x.dtype);
      const k = sum(ge, -1);
      const s = sum(mul(ge, xj), -1);
      const m = max(div(sub(s, z), k), -1, true);
      theta = theta ? maximum(theta, m) : m;
    }
    return reshape(relu(sub(x2, theta!)), x.shape);
  });
}

/** Writes rows `runs` of `src` into `dst` ([R, size] or [size]) in place. */
function writeRows(dst: Tensor, src: Tensor, runs: readonly (readonly [number, number])[], fn: string): void {
  if (!(src instanceof Tensor)) throw typeError(fn, 'the map\'s result', 'a Tensor', src);
  if (src.backend !== dst.backend || src.dtype !== dst.dtype || src.rank !== dst.rank || src.shape.some((s, i) => s !== dst.shape[i])) {
    throw new TypeError(`${fn}: expected the map to return a ${dst.dtype} tensor of shape [${dst.shape.join(', ')}] on '${dst.backend.name}' but it returned ${src.dtype} [${src.shape.join(', ')}] on '${src.backend.name}'`);
  }
  tidy(() => {
    const d2 = dst.rank === 2 ? dst : reshape(dst, [1, dst.size]);
    const s2 = src.rank === 2 ? src : reshape(src, [1, src.size]);
    const P = d2.shape[1]!;
    for (const [a, e] of runs) {
      const from = slice(s2, [a, 0], [e - a, P]), to = slice(d2, [a, 0], [e - a, P]);
      dst.backend.ops.copyInto(from.strided, to.strided);
    }
  });
}

/**
 * Projected steps: after every step of `opt`, params ← proj(params) (in place, only the rows
 * of the replicas that stepped). Returns `opt` itself (checkpoints, setHyper and masks work
 * as before); `detach()` on the result removes the projection.
 * @example
 * const opt = withProjection(new SGD(params, { lr: 0.1 }), (p) => projectBall(p, 1));
 * opt.step(grads); // a projected SGD step: Π(p − lr·g)
 */
export function withProjection<O extends Optimizer>(opt: O, proj: (p: Tensor) => Tensor): O & { detach: () => void } {
  const fn = 'withProjection';
  if (typeof proj !== 'function') throw typeError(fn, 'proj', 'a function (p: Tensor) => Tensor', proj);
  const detach = opt.afterEachStep((runs) => {
    if (runs.length === 0) return;
    const out = tidy(() => keep(proj(opt.params)));
    if (out === opt.params) return;
    try {
      writeRows(opt.params, out, runs, fn);
    } finally {
      out.dispose();
    }
  });
  return Object.assign(opt, { detach });
}

/**
 * Proximal steps: after every step, params ← prox(params, η) with η = lr × schedule factor of
 * the step just taken (per replica; replicas with different η get separate calls), in place
 * and only in the rows of the replicas that stepped. With SGD this is proximal gradient
 * descent (ISTA with `softThreshold`: p ← S_{ηλ}(p − η g) via `(p, lr) => softThreshold(p, lr * λ)`).
 * For adaptive optimizers η is their base step size, not the per-coordinate one.
 * @example
 * const opt = proximal(new SGD(params, { lr: 0.1 }), (p, lr) => softThreshold(p, lr * 1e-3));
 */
export function proximal<O extends Optimizer>(opt: O, prox: (p: Tensor, lr: number) => Tensor): O & { detach: () => void } {
  const fn = 'proximal';
  if (typeof prox !== 'function') throw typeError(fn, 'prox', 'a function (p: Tensor, lr: number) => Tensor', prox);
  const detach = opt.afterEachStep((runs) => {
    // Replicas by step size, so each distinct η needs one call.
    const byLr = new Map<number, [number, number][]>();
    for (const [a, e] of runs) {
      for (let r = a; r < e; r++) {
        const lr = opt.hyper('lr', r, 0);
        for (let j = 1; j < opt.groups; j++) {
          if (opt.hyper('lr', r, j) !== lr) throw new RangeError(`${fn}: expected one learning rate per replica but replica ${r} has lr ${lr} in group 0 and ${opt.hyper('lr', r, j)} in group ${j}`);
        }
        const eta = lr * opt.lrFactor(opt.replicaStepCount(r));
        const list = byLr.get(eta) ?? [];
        const last = list[list.length - 1];
        if (last && last[1] === r) last[1] = r + 1;
        else list.push([r, r + 1]);
        byLr.set(eta, list);
      }
    }
    for (const [eta, rows] of byLr) {
      const out = tidy(() => keep(prox(opt.params, eta)));
      if (out === opt.params) continue;
      try {
        writeRows(opt.params, out, rows, fn);
      } finally {
        out.dispose();
      }
    }
  });
  return Object.assign(opt, { detach });
}
