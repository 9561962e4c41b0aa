// SA-SRRW (Hu, Doshi & Eun, arXiv 2401.09665, Algorithm 1): R self-repellent walkers and their
// stochastic-approximation iterates, as one population stepped together.
//
//   X_{n+1} ~ K_{X_n,·}[x_n]                       (srrwKernelRow)
//   x_{n+1} = x_n + γ_{n+1} (δ_{X_{n+1}} − x_n),    γ_n = (n + 1)^{−a}
//   θ_{n+1} = θ_n + β_{n+1} H(θ_n, X_{n+1}),        β_n = (n + 1)^{−b},  H(θ, i) = −∇f_i(θ)/(N μ_i)
//
// Layout: positions [R], visit measures [R, N] and iterates [R, d] in typed arrays on the host;
// one step is one pass over the walkers (O(deg) each), with the R uniforms of step n taken from
// Philox (seed, stream) at offset n·R. This is a plain TypeScript loop over walkers: the draw is
// a data-dependent scan of a variable-length neighbour row, which the engine's dense tensor ops
// would pay for with O(N) work per walker (a dense [R, N] kernel) instead of O(deg).
//
// Cost per walker-step is O(deg) and one pow: x is kept as s·y with a scalar s per walker, so
// x_{n+1} = (1 − γ)x_n + γδ_j changes s and the single entry y_j; the repellence weights
// (y_k/μ_k)^{−α} differ from (x_k/μ_k)^{−α} by the common factor s^{−α}, which cancels in K's
// normalisation, so only node j's weight is recomputed (all N when s falls below 1e−8 and is
// folded back into y, which keeps every (y_k/μ_k)^{−α} far from under- and overflow).

import { philox4x32 } from '../../engine.js';
import type { Chain } from './graph.js';

/** The per-node objective of the SA iterates: f_i with its gradient. */
export interface NodeObjective {
  readonly dim: number;
  /** Writes ∇f_i(θ) for θ = theta[off … off + dim) into out[0 … dim). */
  grad(i: number, theta: Float64Array, off: number, out: Float64Array): void;
}

/**
 * Ridge regression at the nodes: f_i(θ) = ½(a_iᵀθ − b_i)² + (λ/2)‖θ‖² (a_i rows of `features`).
 * `optimum()` solves (1/N)Σ_i ∇f_i(θ) = 0 exactly: ((1/N)AᵀA + λI)θ = (1/N)Aᵀb.
 */
export class RidgeObjective implements NodeObjective {
  readonly dim: number;
  readonly nodes: number;
  constructor(readonly features: Float64Array, readonly targets: Float64Array, readonly lambda: number) {
    this.nodes = targets.length;
    this.dim = features.length / this.nodes;
    if (!Number.isInteger(this.dim) || this.dim < 1) throw new RangeError(`RidgeObjective: expected 'features' with N·d entries for N = ${this.nodes} targets but received ${features.length}`);
  }
  grad(i: number, theta: Float64Array, off: number, out: Float64Array): void {
    const d = this.dim, a = this.features;
    let r = -this.targets[i]!;
    for (let k = 0; k < d; k++) r += a[i * d + k]! * theta[off + k]!;
    for (let k = 0; k < d; k++) out[k] = a[i * d + k]! * r + this.lambda * theta[off + k]!;
  }
  optimum(): Float64Array {
    const d = this.dim, N = this.nodes;
    const m = new Float64Array(d * d), rhs = new Float64Array(d);
    for (let i = 0; i < N; i++) for (let p = 0; p < d; p++) {
      rhs[p]! += (this.features[i * d + p]! * this.targets[i]!) / N;
      for (let q = 0; q < d; q++) m[p * d + q]! += (this.features[i * d + p]! * this.features[i * d + q]!) / N;
    }
    for (let p = 0; p < d; p++) m[p * d + p]! += this.lambda;
    // Gaussian elimination with partial pivoting (d is small).
    for (let c = 0; c < d; c++) {
      let piv = c;
      for (let r = c + 1; r < d; r++) if (Math.abs(m[r * d + c]!) > Math.abs(m[piv * d + c]!)) piv = r;
      for (let k = 0; k < d; k++) { const t = m[c * d + k]!; m[c * d + k] = m[piv * d + k]!; m[piv * d + k] = t; }
      const t = rhs[c]!; rhs[c] = rhs[piv]!; rhs[piv] = t;
      for (let r = c + 1; r < d; r++) {
        const f = m[r * d + c]! / m[c * d + c]!;
        for (let k = c; k < d; k++) m[r * d + k]! -= f * m[c * d + k]!;
        rhs[r]! -= f * rhs[c]!;
      }
    }
    const x = new Float64Array(d);
    for (let r = d - 1; r >= 0; r--) {
      let s = rhs[r]!;
      for (let k = r + 1; k < d; k++) s -= m[r * d + k]! * x[k]!;
      x[r] = s / m[r * d + r]!;
    }
    return x;
  }
}

export interface SRRWOptions {
  chain: Chain;
  /** Repellence α ≥ 0 (0: the base chain). */
  alpha: number;
  walkers: number;
  /** Step-size exponents: γ_n = (n + 1)^{−a}, β_n = (n + 1)^{−b}, a, b ∈ (½, 1]. */
  a: number;
  b?: number;
  /** The SA iterates' objective (omit for the walk alone). */
  objective?: NodeObjective;
  /** Start nodes (default: walker r at node r mod N). */
  start?: ArrayLike<number>;
  /** θ_0 (default 0), the same for every walker. */
  theta0?: ArrayLike<number>;
  seed: number;
  stream: number;
}

/** R walkers of SA-SRRW as one population. */
export class SRRWPopulation {
  readonly chain: Chain;
  readonly walkers: number;
  readonly nodes: number;
  readonly alpha: number;
  readonly position: Int32Array;
  /** θ [R, d] (empty without an objective). */
  readonly theta: Float64Array;
  /** Steps taken, n. */
  steps = 0;
  private readonly y: Float64Array;
  private readonly scale: Float64Array;
  private readonly w: Float64Array;
  private readonly words: Uint32Array;
  private readonly g: Float64Array;
  private readonly cum: Float64Array;

  constructor(readonly opts: SRRWOptions) {
    const fn = 'SRRWPopulation';
    const { chain, walkers: R, alpha } = opts;
    if (!(alpha >= 0 && Number.isFinite(alpha))) throw new RangeError(`${fn}: expected a finite repellence α ≥ 0 for 'alpha' but received ${alpha}`);
    if (!Number.isInteger(R) || R < 1) throw new RangeError(`${fn}: expected an integer ≥ 1 for 'walkers' but received ${R}`);
    if (!(opts.a > 0.5 && opts.a <= 1)) throw new RangeError(`${fn}: expected an exponent in (0.5, 1] for 'a' but received ${opts.a}`);
    if (opts.objective && !(opts.b !== undefined && opts.b > 0.5 && opts.b <= 1)) throw new RangeError(`${fn}: expected an exponent in (0.5, 1] for 'b' but received ${opts.b}`);
    this.chain = chain; this.walkers = R; this.alpha = alpha;
    const N = (this.nodes = chain.graph.nodes);
    this.position = Int32Array.from({ length: R }, (_, r) => (opts.start ? opts.start[r]! : r % N));
    this.y = new Float64Array(R * N);
    for (let r = 0; r < R; r++) for (let k = 0; k < N; k++) this.y[r * N + k] = chain.mu[k]!; // x_0 = μ
    this.scale = new Float64Array(R).fill(1);
    this.w = new Float64Array(R * N).fill(1);
    const d = opts.objective?.dim ?? 0;
    this.theta = new Float64Array(R * d);
    if (opts.theta0) for (let r = 0; r < R; r++) for (let k = 0; k < d; k++) this.theta[r * d + k] = opts.theta0[k]!;
    this.words = new Uint32Array(4 * Math.ceil(R / 4) + 4);
    this.g = new Float64Array(d);
    let widest = 0;
    for (let i = 0; i < N; i++) widest = Math.max(widest, chain.rowStart[i + 1]! - chain.rowStart[i]!);
    this.cum = new Float64Array(widest);
  }

  /** Walker r's visit measure x (N entries). */
  visits(r: number): Float64Array {
    const N = this.nodes, s = this.scale[r]!;
    return Float64Array.from(this.y.subarray(r * N, (r + 1) * N), (v) => v * s);
  }

  /** Walker r's current transition probabilities over its row entries (chain.cols order). */
  kernelRow(r: number): Float64Array {
    const c = this.chain, i = this.position[r]!, N = this.nodes;
    const a = c.rowStart[i]!, b = c.rowStart[i + 1]!;
    const out = new Float64Array(b - a);
    let s = 0;
    for (let k = a; k < b; k++) { out[k - a] = c.probs[k]! * this.w[r * N + c.cols[k]!]!; s += out[k - a]!; }
    for (let k = 0; k < out.length; k++) out[k]! /= s;
    return out;
  }

  private draw(n: number): void {
    const R = this.walkers, seed = this.opts.seed, st = this.opts.stream;
    const k0 = seed % 2 ** 32, k1 = Math.floor(seed / 2 ** 32);
    const first = n * R, b0 = Math.floor(first / 4), b1 = Math.floor((first + R - 1) / 4);
    const blk = new Uint32Array(4);
    for (let b = b0; b <= b1; b++) {
      philox4x32(k0, k1, b % 2 ** 32, Math.floor(b / 2 ** 32), st, 0, blk);
      for (let j = 0; j < 4; j++) {
        const i = b * 4 + j - first;
        if (i >= 0 && i < R) this.words[i] = blk[j]!;
      }
    }
  }

  /** Takes `count` steps of every walker (and of the iterates). */
  step(count = 1): void {
    const c = this.chain, R = this.walkers, N = this.nodes, alpha = this.alpha;
    const rowStart = c.rowStart, cols = c.cols, probs = c.probs, mu = c.mu;
    const y = this.y, w = this.w, scale = this.scale, pos = this.position, words = this.words;
    const obj = this.opts.objective, d = obj?.dim ?? 0, theta = this.theta, g = this.g;
    const ea = this.opts.a, eb = this.opts.b ?? 1;
    const cum = this.cum;
    for (let t = 0; t < count; t++) {
      const n = this.steps;
      this.draw(n);
      const gamma = Math.pow(n + 2, -ea), beta = Math.pow(n + 2, -eb);
      for (let r = 0; r < R; r++) {
        const i = pos[r]!, a = rowStart[i]!, b = rowStart[i + 1]!, base = r * N;
        // Inversion on the unnormalised row: cumulative weights once, then the first entry above u·total.
        let total = 0;
        for (let k = a; k < b; k++) { total += probs[k]! * w[base + cols[k]!]!; cum[k - a] = total; }
        const target = (words[r]! + 0.5) * 2 ** -32 * total;
        let k = 0;
        while (k < b - a - 1 && !(target < cum[k]!)) k++;
        const j = cols[a + k]!;
        pos[r] = j;
        const s = (scale[r] = scale[r]! * (1 - gamma));
        y[base + j]! += gamma / s;
        if (alpha !== 0) w[base + j] = Math.pow(y[base + j]! / mu[j]!, -alpha);
        if (s < 1e-8) {
          for (let q = 0; q < N; q++) {
            y[base + q]! *= s;
            if (alpha !== 0) w[base + q] = Math.pow(y[base + q]! / mu[q]!, -alpha);
          }
          scale[r] = 1;
        }
        if (obj) {
          obj.grad(j, theta, r * d, g);
          const h = beta / (N * mu[j]!);
          for (let q = 0; q < d; q++) theta[r * d + q]! -= h * g[q]!;
        }
      }
      this.steps = n + 1;
    }
  }

  /** β_n = (n + 1)^{−b} at the current n. */
  beta(): number {
    return Math.pow(this.steps + 1, -(this.opts.b ?? 1));
  }
}
