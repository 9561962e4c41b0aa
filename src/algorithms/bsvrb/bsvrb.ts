// BSVRB^{v2} (PAPERS.md §9; Hu, Qiu, Guo, Zhang, Yang, arXiv 2305.18730, ICML 2023):
// blockwise stochastic variance-reduced bilevel optimisation with Hessian-vector tracking.
// Per iteration, I of the m blocks are sampled with B data each; for the sampled blocks the
// MSVR estimators s_i (of ∇_y g_i) and u_i (of ∇Γ_i(v) = ∇²_yy g_i v − ∇_y f_i) are updated
// from the SAME samples at the current and the previous iterate, then y_i and v_i move with
// the staleness factor dc_i (rounds since block i was last sampled); the hypergradient
//   G_t = (1/I)Σ_{i∈I_t}[∇_x f_i − ∇²_xy g_i v_i]
// (a mixed second-order product) drives a STORM estimator z of ∇F and x ← x − ηz [code:
// quanqihu/BSVRB_ICML2023 HO/main.py, read not copied; ∇²_yy g and ∇²_xy g come from autodiff,
// not the code's hess_yy_g whose curvature sign is flipped]. All blocks are one population:
// Y, V, S, U are [m, d] and every derivative is one call; unsampled blocks are masked.
// BSVRB^{v1} (Hessian tracking, low dimension) is bsvrbV1Step: the block Hessians ∇²_yy g_i
// themselves are tracked by MSVR (assembled from d HVPs, every block at once), kept positive
// definite by clipping their eigenvalues from below (Π), and G uses H_i⁻¹∇_y f_i by f64 solves.

import { add, hvp, grad, mixedHvp, mul, sub, tensor, tidy, keep, dispose, zeros, randomUniform, stream, sqrt, sum, square, maximum, div, solve, symEig } from '../../engine.js';
import type { Tensor } from '../../engine.js';
import { blockBatch, lowerLoss, upperLoss } from './problem.js';
import type { HOProblem } from './problem.js';

export interface BsvrbOptions {
  /** Blocks sampled per iteration. */
  I: number;
  /** Data per sampled block. */
  B: number;
  alpha: number;
  gamma: number;
  beta: number;
  tau: number;
  tauV: number;
  eta: number;
  vBound: number;
  seed: number;
}

/** The v2 state: everything per block is a row of an [m, d] tensor. */
export interface BsvrbState {
  t: number;
  x: Tensor;
  Y: Tensor;
  V: Tensor;
  S: Tensor;
  U: Tensor;
  z: Tensor;
  prev: { x: Tensor; Y: Tensor; V: Tensor } | null;
  last: Int32Array;
}

export function initBsvrb(pr: HOProblem, x0: Tensor): BsvrbState {
  const z = () => keep(zeros([pr.m, pr.d], { dtype: x0.dtype }));
  return { t: 0, x: keep(x0), Y: z(), V: z(), S: z(), U: z(), z: keep(zeros([pr.n], { dtype: x0.dtype })), prev: null, last: new Int32Array(pr.m).fill(-1) };
}

/** I distinct blocks uniformly at random (partial Fisher–Yates on Philox uniforms). */
export function sampleBlocks(m: number, I: number, seed: number, t: number): number[] {
  const u = randomUniform([I], { seed, stream: stream('paper9', 10), offset: t * I, dtype: 'float64' }).dataSync();
  const idx = Array.from({ length: m }, (_, i) => i);
  for (let k = 0; k < I; k++) {
    const j = k + Math.min(m - k - 1, Math.floor(u[k]! * (m - k)));
    [idx[k], idx[j]] = [idx[j]!, idx[k]!];
  }
  return idx.slice(0, I);
}

/** Projects each row of V onto the ball ‖v‖ ≤ bound. */
function projectRows(V: Tensor, bound: number): Tensor {
  const nrm = sqrt(sum(square(V), -1, true));
  return div(V, maximum(div(nrm, bound), 1));
}

/** The block quantities at (x, Y, V) on one set of samples: ∇_Y g, ∇Γ(V) and G (masked, /I). */
function blockTerms(pr: HOProblem, x: Tensor, Y: Tensor, V: Tensor, mask: Tensor, I: number, tr: Tensor, val: Tensor) {
  const gY = grad((y: Tensor) => lowerLoss(pr, x, y, tr))(Y);
  const gamma = sub(hvp((y) => lowerLoss(pr, x, y, tr), Y, V), grad((y: Tensor) => upperLoss(pr, y, val))(Y));
  const G = mul(mixedHvp((a, y) => lowerLoss(pr, a, y, tr), x, Y, mul(V, mask)), -1 / I);
  return { gY, gamma, G };
}

/** One BSVRB^{v2} iteration (the state's tensors are replaced; the old ones freed). */
export function bsvrbStep(pr: HOProblem, st: BsvrbState, o: BsvrbOptions): void {
  const t = st.t;
  const blocks = sampleBlocks(pr.m, o.I, o.seed, t);
  const maskHost = new Float32Array(pr.m);
  for (const i of blocks) maskHost[i] = 1;
  const dc = Float32Array.from(maskHost, (v, i) => (v ? (t - st.last[i]!) : 0));
  const next = tidy(() => {
    const mask = tensor(maskHost, [pr.m, 1], { dtype: st.x.dtype });
    const tr = blockBatch(pr.m, o.B, pr.n, o.seed, 11, t * pr.m * o.B);
    const val = blockBatch(pr.m, o.B, pr.nVal, o.seed, 12, t * pr.m * o.B);
    const now = blockTerms(pr, st.x, st.Y, st.V, mask, o.I, tr, val);
    const old = st.prev ? blockTerms(pr, st.prev.x, st.prev.Y, st.prev.V, mask, o.I, tr, val) : now;
    // MSVR: (1 − α)s + (α + γ)·now − γ·old on the sampled blocks; the others keep their s.
    const msvr = (s: Tensor, a: Tensor, b: Tensor) => add(mul(s, sub(1, mask)), mul(mask, add(mul(s, 1 - o.alpha), sub(mul(a, o.alpha + o.gamma), mul(b, o.gamma)))));
    const S = t === 0 ? mul(now.gY, mask) : msvr(st.S, now.gY, old.gY);
    const U = t === 0 ? mul(now.gamma, mask) : msvr(st.U, now.gamma, old.gamma);
    const z = t === 0 ? now.G : add(mul(sub(st.z, old.G), 1 - o.beta), now.G);
    const step = tensor(dc, [pr.m, 1], { dtype: st.x.dtype });
    const Y = sub(st.Y, mul(S, mul(step, o.tau)));
    const V = projectRows(sub(st.V, mul(U, mul(step, o.tauV))), o.vBound);
    const x = sub(st.x, mul(z, o.eta));
    return { x: keep(x), Y: keep(Y), V: keep(V), S: keep(S), U: keep(U), z: keep(z) };
  });
  if (st.prev) dispose([st.prev.x, st.prev.Y, st.prev.V]);
  st.prev = { x: st.x, Y: st.Y, V: st.V };
  dispose([st.S, st.U, st.z]);
  Object.assign(st, next);
  for (const i of blocks) st.last[i] = t;
  st.t = t + 1;
}

export function disposeBsvrb(st: BsvrbState): void {
  dispose([st.x, st.Y, st.V, st.S, st.U, st.z]);
  if (st.prev) dispose([st.prev.x, st.prev.Y, st.prev.V]);
}

/**
 * The exact lower solutions y_i*(x) (Newton's method with the block Hessians assembled from d
 * HVPs — one per coordinate, all blocks at once — and f64 solves), v_i* = H_i⁻¹∇_{y_i} f_i, the
 * exact hypergradient ∇F(x) = −(1/m)∇²_xy g·V* and F(x) = (1/m)f(Y*), all on the full data.
 */
export function exactHypergradient(pr: HOProblem, x: Tensor, Y0?: Tensor, newtonSteps = 8): { grad: Float64Array; F: number; Y: Tensor; V: Tensor } {
  const { m, d } = pr;
  const hessians = (Y: Tensor): Float64Array[] => blockHessians(pr, x, Y, null);
  const blockSolve = (H: Float64Array[], rhs: ArrayLike<number>) => {
    const out = new Float64Array(m * d);
    for (let i = 0; i < m; i++) out.set(solve(H[i]!, Float64Array.from({ length: d }, (_, r) => rhs[i * d + r]!), d), i * d);
    return out;
  };
  let Y = keep(Y0 ? tidy(() => mul(Y0, 1)) : zeros([m, d], { dtype: x.dtype }));
  for (let it = 0; it < newtonSteps; it++) {
    const g = tidy(() => grad((y: Tensor) => lowerLoss(pr, x, y, null))(Y).dataSync());
    const step = blockSolve(hessians(Y), g);
    const next = keep(tidy(() => sub(Y, tensor(step, [m, d], { dtype: Y.dtype }))));
    Y.dispose();
    Y = next;
  }
  const fy = tidy(() => grad((y: Tensor) => upperLoss(pr, y, null))(Y).dataSync());
  const V = keep(tensor(blockSolve(hessians(Y), fy), [m, d], { dtype: Y.dtype }));
  const g = tidy(() => Float64Array.from(mul(mixedHvp((a, y) => lowerLoss(pr, a, y, null), x, Y, V), -1 / m).dataSync()));
  const F = tidy(() => upperLoss(pr, Y, null).dataSync()[0]! / m);
  return { grad: g, F, Y, V };
}

/** F at the current lower iterates: (1/m)Σ_i f_i(y_i) on the full validation set. */
export function upperValue(pr: HOProblem, Y: Tensor): number {
  return tidy(() => upperLoss(pr, Y, null).dataSync()[0]! / pr.m);
}


/** The block Hessians ∇²_{y_i y_i} g_i [m][d×d] on a batch, from d HVPs (one per coordinate, all blocks at once). */
export function blockHessians(pr: HOProblem, x: Tensor, Y: Tensor, idx: Tensor | null): Float64Array[] {
  const { m, d } = pr;
  const H = Array.from({ length: m }, () => new Float64Array(d * d));
  for (let k = 0; k < d; k++) {
    const e = new Float64Array(m * d);
    for (let i = 0; i < m; i++) e[i * d + k] = 1;
    const col = tidy(() => hvp((y) => lowerLoss(pr, x, y, idx), Y, tensor(e, [m, d], { dtype: Y.dtype })).dataSync());
    for (let i = 0; i < m; i++) for (let r = 0; r < d; r++) H[i]![r * d + k] = col[i * d + r]!;
  }
  return H;
}

/** Π for v1: the symmetric part with eigenvalues clipped from below at `floor` (keeps H invertible). */
export function clipEigenvalues(H: Float64Array, d: number, floor: number): Float64Array {
  const sym = Float64Array.from(H, (v, k) => 0.5 * (v + H[(k % d) * d + Math.floor(k / d)]!));
  const { values, vectors } = symEig(sym, d);
  const out = new Float64Array(d * d);
  for (let l = 0; l < d; l++) {
    const lam = Math.max(values[l]!, floor);
    for (let r = 0; r < d; r++) for (let c = 0; c < d; c++) out[r * d + c] += lam * vectors[r * d + l]! * vectors[c * d + l]!;
  }
  return out;
}

/** BSVRB^{v1} state: the v2 state (V, U unused) plus the tracked block Hessians. */
export interface BsvrbV1State extends BsvrbState {
  H: Float64Array[];
}

export function initBsvrbV1(pr: HOProblem, x0: Tensor): BsvrbV1State {
  return { ...initBsvrb(pr, x0), H: Array.from({ length: pr.m }, () => new Float64Array(pr.d * pr.d)) };
}

/**
 * One BSVRB^{v1} iteration (PAPERS.md §9 [code]): MSVR on s_i and on H_i for the sampled
 * blocks (same samples at the current and previous iterates), H_i ← Π(·) with eigenvalues ≥
 * `hFloor`; G = −(1/I)Σ_{i∈I}∇²_xy g_i H_i⁻¹∇_y f_i (f64 solves, then one mixed product) at the
 * current and previous iterates (both with the updated H); STORM on z; every block's y moves
 * with its last s_i (as the reference code does for v1).
 */
export function bsvrbV1Step(pr: HOProblem, st: BsvrbV1State, o: BsvrbOptions & { hFloor: number }): void {
  const t = st.t, { m, d } = pr;
  const blocks = sampleBlocks(m, o.I, o.seed, t);
  const sampled = new Uint8Array(m);
  for (const i of blocks) sampled[i] = 1;
  const maskHost = Float32Array.from(sampled);
  const tr = blockBatch(m, o.B, pr.n, o.seed, 11, t * m * o.B);
  const val = blockBatch(m, o.B, pr.nVal, o.seed, 12, t * m * o.B);
  const prev = st.prev ?? { x: st.x, Y: st.Y, V: st.V };
  const Hnow = blockHessians(pr, st.x, st.Y, tr);
  const Hold = st.prev ? blockHessians(pr, prev.x, prev.Y, tr) : Hnow;
  for (const i of blocks) {
    const next = new Float64Array(d * d);
    for (let k = 0; k < d * d; k++) {
      next[k] = t === 0 ? Hnow[i]![k]! : (1 - o.alpha) * st.H[i]![k]! + (o.alpha + o.gamma) * Hnow[i]![k]! - o.gamma * Hold[i]![k]!;
    }
    st.H[i] = clipEigenvalues(next, d, o.hFloor);
  }
  // H_i⁻¹∇_y f_i at a point, for the sampled blocks (zero rows elsewhere).
  const direction = (Y: Tensor) => {
    const fy = tidy(() => grad((y: Tensor) => upperLoss(pr, y, val))(Y).dataSync());
    const out = new Float64Array(m * d);
    for (const i of blocks) out.set(solve(st.H[i]!, Float64Array.from({ length: d }, (_, r) => fy[i * d + r]!), d), i * d);
    return tensor(out, [m, d], { dtype: Y.dtype });
  };
  const next = tidy(() => {
    const mask = tensor(maskHost, [m, 1], { dtype: st.x.dtype });
    const gNow = grad((y: Tensor) => lowerLoss(pr, st.x, y, tr))(st.Y);
    const gOld = st.prev ? grad((y: Tensor) => lowerLoss(pr, prev.x, y, tr))(prev.Y) : gNow;
    const Gnow = mul(mixedHvp((a, y) => lowerLoss(pr, a, y, tr), st.x, st.Y, direction(st.Y)), -1 / o.I);
    const Gold = st.prev ? mul(mixedHvp((a, y) => lowerLoss(pr, a, y, tr), prev.x, prev.Y, direction(prev.Y)), -1 / o.I) : Gnow;
    const S = t === 0 ? mul(gNow, mask)
      : add(mul(st.S, sub(1, mask)), mul(mask, add(mul(st.S, 1 - o.alpha), sub(mul(gNow, o.alpha + o.gamma), mul(gOld, o.gamma)))));
    const z = t === 0 ? Gnow : add(mul(sub(st.z, Gold), 1 - o.beta), Gnow);
    return { x: keep(sub(st.x, mul(z, o.eta))), Y: keep(sub(st.Y, mul(S, o.tau))), V: keep(mul(st.V, 1)), S: keep(S), U: keep(mul(st.U, 1)), z: keep(z) };
  });
  dispose([tr, val]);
  if (st.prev) dispose([st.prev.x, st.prev.Y, st.prev.V]);
  st.prev = { x: st.x, Y: st.Y, V: st.V };
  dispose([st.S, st.U, st.z]);
  Object.assign(st, next);
  for (const i of blocks) st.last[i] = t;
  st.t = t + 1;
}
