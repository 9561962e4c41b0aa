// One seeded, counter-based generator for every backend: Philox4x32-10 (Salmon et al.,
// "Parallel random numbers: as easy as 1, 2, 3", SC 2011). Numbers are generated on the
// host and uploaded, so every backend sees bit-identical streams.
//
// Stream layout. Element g of a stream (g = offset + i) comes from word g mod 4 of the
// block philox(key = (seed mod 2^32, ⌊seed / 2^32⌋), counter = (⌊g/4⌋ mod 2^32,
// ⌊g/4 / 2^32⌋, stream, 0)). `stream` separates independent sequences under one seed
// (for example one per Lanczos probe). Normals take Box–Muller over the word pairs
// (0,1) and (2,3) of the block, so element g is a function of (seed, stream, g) alone.
// Rademacher signs are the exception to one word per element: they take one bit each
// (see rademacher()), still a function of (seed, stream, g) alone.
//
// Stream registry. The 32-bit stream word is split into a purpose (its top 6 bits) and an
// index within that purpose (its low 26 bits): stream(purpose, index) = code·2^26 + index.
// Code 0 (streams 0 … 2^26 − 1) is left to callers that pass raw stream numbers; every named
// purpose has its own code ≥ 1, so two purposes can never meet whatever their indices
// (see STREAM_PURPOSES and stream()).

import { newHostArray } from './backend/host.js';

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;

/** High 32 bits of the 64-bit product of two u32. */
function mulhi(a: number, b: number): number {
  const aLo = a & 0xffff, aHi = a >>> 16, bLo = b & 0xffff, bHi = b >>> 16;
  const lolo = aLo * bLo;
  const mid1 = aHi * bLo + (lolo >>> 16);
  const mid2 = aLo * bHi + (mid1 & 0xffff);
  return (aHi * bHi + (mid1 >>> 16) + (mid2 >>> 16)) >>> 0;
}

/** Philox4x32 with 10 rounds: four u32 words from a 128-bit counter and a 64-bit key. */
export function philox4x32(
  key0: number, key1: number, c0: number, c1: number, c2: number, c3: number,
  out: Uint32Array = new Uint32Array(4),
): Uint32Array {
  let k0 = key0 >>> 0, k1 = key1 >>> 0;
  let x0 = c0 >>> 0, x1 = c1 >>> 0, x2 = c2 >>> 0, x3 = c3 >>> 0;
  for (let r = 0; r < 10; r++) {
    const hi0 = mulhi(M0, x0), lo0 = Math.imul(M0, x0) >>> 0;
    const hi1 = mulhi(M1, x2), lo1 = Math.imul(M1, x2) >>> 0;
    x0 = (hi1 ^ x1 ^ k0) >>> 0;
    x1 = lo1;
    x2 = (hi0 ^ x3 ^ k1) >>> 0;
    x3 = lo0;
    k0 = (k0 + W0) >>> 0;
    k1 = (k1 + W1) >>> 0;
  }
  out[0] = x0; out[1] = x1; out[2] = x2; out[3] = x3;
  return out;
}

function checkSeed(fn: string, seed: number, n: number, offset: number, stream: number): void {
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new RangeError(`${fn}: expected a non-negative safe integer for 'seed' but received ${seed}`);
  }
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new RangeError(`${fn}: expected a non-negative integer for 'n' but received ${n}`);
  }
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new RangeError(`${fn}: expected a non-negative integer for 'offset' but received ${offset}`);
  }
  if (!Number.isInteger(stream) || stream < 0 || stream > 0xffffffff) {
    throw new RangeError(`${fn}: expected a u32 for 'stream' but received ${stream}`);
  }
}

/** Calls `fill(g, words)` once per 4-word block covering elements [offset, offset + n). */
function blocks(seed: number, n: number, offset: number, stream: number,
  visit: (g0: number, w: Uint32Array) => void): void {
  const k0 = seed % 2 ** 32, k1 = Math.floor(seed / 2 ** 32);
  const w = new Uint32Array(4);
  const first = Math.floor(offset / 4), last = Math.floor((offset + n - 1) / 4);
  for (let b = first; n > 0 && b <= last; b++) {
    philox4x32(k0, k1, b % 2 ** 32, Math.floor(b / 2 ** 32), stream, 0, w);
    visit(b * 4, w);
  }
}

/** Maps a u32 to the centre of one of 2^24 equal bins of (0, 1): never 0, never 1. */
export function u01(word: number): number {
  return ((word >>> 8) + 0.5) * 2 ** -24;
}

/** Uniform numbers on (0, 1). */
export function uniform(seed: number, n: number, offset = 0, stream = 0): Float32Array {
  checkSeed('uniform', seed, n, offset, stream);
  const out = newHostArray('float32', n) as Float32Array;
  blocks(seed, n, offset, stream, (g0, w) => {
    for (let j = 0; j < 4; j++) {
      const i = g0 + j - offset;
      if (i >= 0 && i < n) out[i] = u01(w[j]!);
    }
  });
  return out;
}

/** Standard normal numbers (Box–Muller, computed in float64, rounded to float32). */
export function normal(seed: number, n: number, offset = 0, stream = 0): Float32Array {
  checkSeed('normal', seed, n, offset, stream);
  const out = newHostArray('float32', n) as Float32Array;
  const z = new Float64Array(4);
  blocks(seed, n, offset, stream, (g0, w) => {
    for (let p = 0; p < 4; p += 2) {
      const r = Math.sqrt(-2 * Math.log(u01(w[p]!)));
      const t = 2 * Math.PI * u01(w[p + 1]!);
      z[p] = r * Math.cos(t);
      z[p + 1] = r * Math.sin(t);
    }
    for (let j = 0; j < 4; j++) {
      const i = g0 + j - offset;
      if (i >= 0 && i < n) out[i] = z[j]!;
    }
  });
  return out;
}

/**
 * Rademacher numbers: ±1 with equal probability, one bit each. Element g is bit g mod 32 of
 * word ⌊g/32⌋ mod 4 of block ⌊g/128⌋ (set: −1), so one Philox block gives 128 signs: probe
 * vectors of a few million entries cost milliseconds, not a tenth of a second.
 */
export function rademacher(seed: number, n: number, offset = 0, stream = 0): Float32Array {
  checkSeed('rademacher', seed, n, offset, stream);
  const out = newHostArray('float32', n) as Float32Array;
  if (n === 0) return out;
  // ±1 as float32 bit patterns: 0x3f800000 is 1, and the bit becomes the sign.
  const bits = new Uint32Array(out.buffer);
  const k0 = seed % 2 ** 32, k1 = Math.floor(seed / 2 ** 32);
  const w = new Uint32Array(4);
  const first = Math.floor(offset / 128), last = Math.floor((offset + n - 1) / 128);
  for (let b = first; b <= last; b++) {
    philox4x32(k0, k1, b % 2 ** 32, Math.floor(b / 2 ** 32), stream, 0, w);
    const g0 = b * 128;
    if (g0 >= offset && g0 + 128 <= offset + n) {
      let i = g0 - offset;
      for (let j = 0; j < 4; j++) {
        const x = w[j]!;
        for (let bit = 0; bit < 32; bit++) bits[i++] = (((x >>> bit) & 1) << 31) | 0x3f800000;
      }
      continue;
    }
    const lo = Math.max(offset, g0), hi = Math.min(offset + n, g0 + 128);
    for (let g = lo; g < hi; g++) out[g - offset] = 1 - 2 * ((w[(g - g0) >>> 5]! >>> ((g - g0) & 31)) & 1);
  }
  return out;
}

/** Raw u32 words of a stream. */
export function words(seed: number, n: number, offset = 0, stream = 0): Uint32Array {
  checkSeed('words', seed, n, offset, stream);
  const out = new Uint32Array(n);
  blocks(seed, n, offset, stream, (g0, w) => {
    for (let j = 0; j < 4; j++) {
      const i = g0 + j - offset;
      if (i >= 0 && i < n) out[i] = w[j]!;
    }
  });
  return out;
}

/**
 * A stateful view of one stream: each call continues where the last one stopped.
 * @example
 * const rng = new Rng(42);
 * const a = rng.normal(3), b = rng.normal(3); // b continues the stream after a
 */
export class Rng {
  private position = 0;
  constructor(readonly seed: number, readonly stream = 0) {
    checkSeed('Rng', seed, 0, 0, stream);
  }
  private advance(n: number): number {
    const at = this.position;
    // Keep normals' Box–Muller pairs and blocks aligned so a stream never depends on call sizes.
    this.position += Math.ceil(n / 4) * 4;
    return at;
  }
  uniform(n: number): Float32Array { return uniform(this.seed, n, this.advance(n), this.stream); }
  normal(n: number): Float32Array { return normal(this.seed, n, this.advance(n), this.stream); }
  rademacher(n: number): Float32Array { return rademacher(this.seed, n, this.advance(n), this.stream); }
  words(n: number): Uint32Array { return words(this.seed, n, this.advance(n), this.stream); }
  /** An integer uniform on [0, bound) (bound ≤ 2^32), by rejection so there is no modulo bias. */
  int(bound: number): number {
    if (!Number.isInteger(bound) || bound < 1 || bound > 2 ** 32) {
      throw new RangeError(`Rng.int: expected an integer in [1, 2^32] for 'bound' but received ${bound}`);
    }
    const limit = 2 ** 32 - (2 ** 32 % bound);
    for (;;) {
      const w = this.words(1)[0]!;
      if (w < limit) return w % bound;
    }
  }
}

/**
 * The purposes that own a range of Philox streams, each with its code (the stream word's top 6
 * bits). 'init': parameter initialisation (index = parameter); 'shuffle': minibatch
 * permutations (index = epoch); 'probes': random probes of the spectrum estimators (index =
 * estimator); 'data': synthetic data sets; 'stats': resampling in the statistics (bootstrap);
 * 'paper1' … 'paper21': each algorithm's own noise (PAPERS.md numbering).
 */
export const STREAM_PURPOSES = Object.freeze({
  init: 1, shuffle: 2, probes: 3, data: 4, stats: 5,
  paper1: 11, paper2: 12, paper3: 13, paper4: 14, paper5: 15, paper6: 16, paper7: 17,
  paper8: 18, paper9: 19, paper10: 20, paper11: 21, paper12: 22, paper13: 23, paper14: 24,
  paper15: 25, paper16: 26, paper17: 27, paper18: 28, paper19: 29, paper20: 30, paper21: 31,
} as const);

/** A named purpose of the stream registry. */
export type StreamPurpose = keyof typeof STREAM_PURPOSES;

/** Bits of the stream word given to the index within a purpose. */
export const STREAM_INDEX_BITS = 26;

/** Streams per purpose: indices run over [0, STREAM_INDEX_LIMIT). */
export const STREAM_INDEX_LIMIT = 2 ** STREAM_INDEX_BITS;

/**
 * The Philox stream for `index` within `purpose`: code(purpose)·2^26 + index, so the ranges of
 * two purposes are disjoint (and disjoint from the raw streams 0 … 2^26 − 1 that callers may
 * still pass by number).
 * @example
 * randomNormal([R, d], { seed, stream: stream('paper3', 0) }); // paper 3's noise, stream 0
 * stream('init', 2); // parameter 2's initialisation stream
 */
export function stream(purpose: StreamPurpose, index = 0): number {
  const code = (STREAM_PURPOSES as Record<string, number>)[purpose as string];
  if (typeof purpose !== 'string' || code === undefined || !Object.hasOwn(STREAM_PURPOSES, purpose)) {
    throw new TypeError(`stream: expected one of ${Object.keys(STREAM_PURPOSES).map((k) => `'${k}'`).join(', ')} for 'purpose' but received ${typeof purpose === 'string' ? `'${purpose}'` : String(purpose)}`);
  }
  if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= STREAM_INDEX_LIMIT) {
    throw new RangeError(`stream: expected an integer in [0, 2^26) for 'index' but received ${String(index)}`);
  }
  return code * STREAM_INDEX_LIMIT + index;
}

/** The purpose and index a stream word belongs to (purpose undefined for the raw range, code 0). */
export function streamPurpose(s: number): { purpose: StreamPurpose | undefined; index: number } {
  if (!Number.isInteger(s) || s < 0 || s > 0xffffffff) {
    throw new RangeError(`streamPurpose: expected a u32 for 's' but received ${s}`);
  }
  const code = Math.floor(s / STREAM_INDEX_LIMIT);
  const entry = Object.entries(STREAM_PURPOSES).find(([, c]) => c === code);
  return { purpose: entry?.[0] as StreamPurpose | undefined, index: s % STREAM_INDEX_LIMIT };
}

// ---------------------------------------------------------------------------------------------
// Distributions beyond uniform and normal. Each element g (= offset + i) is a function of
// (seed, stream, g) alone: it reads its own Philox blocks, whose fourth counter word carries a
// tag per use, so none of them meets the (·, ·, stream, 0) blocks of uniform/normal/words, nor
// each other's, even under the same stream:
//   tag 1: 53-bit uniforms, two per block: element g takes words 2(g mod 2), 2(g mod 2)+1 of
//          block (⌊g/2⌋, stream, 1·2^24)           — bernoulli, geometric, categorical;
//   tag 2: gamma attempt j of element g: block (g, stream, 2·2^24 + j)  — Marsaglia–Tsang;
//   tag 3: the α < 1 boost uniform of element g: block (g, stream, 3·2^24);
//   tag 4: the Student-t numerator normal of element g: block (g, stream, 4·2^24).
// Results are float64 on the host (tensor versions in ops/creation.ts round to their dtype).

const TAG = 2 ** 24;

/** A uniform on (0, 1) with 53 random bits from two u32 words: never 0, never 1. */
export function u53(w0: number, w1: number): number {
  return ((w0 >>> 5) * 67108864 + (w1 >>> 6) + 0.5) * 2 ** -53;
}

/** A uniform on (0, 1) from one u32 word (32 bits): never 0, never 1. */
function u32(w: number): number {
  return ((w >>> 0) + 0.5) * 2 ** -32;
}

function blockAt(seed: number, counter: number, s: number, c3: number, w: Uint32Array): Uint32Array {
  return philox4x32(seed % 2 ** 32, Math.floor(seed / 2 ** 32), counter % 2 ** 32, Math.floor(counter / 2 ** 32), s, c3, w);
}

/** Element g's 53-bit uniform (tag 1), for g in [offset, offset + n). */
function uniforms53(seed: number, n: number, offset: number, s: number): Float64Array {
  const out = new Float64Array(n);
  const w = new Uint32Array(4);
  for (let i = 0; i < n;) {
    const g = offset + i, b = Math.floor(g / 2);
    blockAt(seed, b, s, TAG, w);
    if (g % 2 === 0) {
      out[i++] = u53(w[0]!, w[1]!);
      if (i < n) out[i++] = u53(w[2]!, w[3]!);
    } else {
      out[i++] = u53(w[2]!, w[3]!);
    }
  }
  return out;
}

function checkProbability(fn: string, p: unknown, openLow: boolean): number {
  if (typeof p !== 'number' || Number.isNaN(p) || (openLow ? !(p > 0) : p < 0) || p > 1) {
    throw new RangeError(`${fn}: expected a number in ${openLow ? '(0, 1]' : '[0, 1]'} for 'p' but received ${String(p)}`);
  }
  return p;
}

function checkPositive(fn: string, arg: string, v: unknown): number {
  if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) {
    throw new RangeError(`${fn}: expected a positive finite number for '${arg}' but received ${String(v)}`);
  }
  return v;
}

/**
 * Bernoulli(p) draws as 0/1: element g is 1 when its 53-bit uniform U_g < p (so p = 0 gives all
 * 0 and p = 1 all 1; probabilities resolve to 2^-53).
 */
export function bernoulli(seed: number, n: number, p: number, offset = 0, stream = 0): Float64Array {
  checkSeed('bernoulli', seed, n, offset, stream);
  checkProbability('bernoulli', p, false);
  const u = uniforms53(seed, n, offset, stream);
  for (let i = 0; i < n; i++) u[i] = u[i]! < p ? 1 : 0;
  return u;
}

/**
 * Geometric(p) draws on {1, 2, …}: the number of Bernoulli(p) trials up to and including the
 * first success, P(X = k) = (1 − p)^{k−1}p. By inversion, X = max(1, ⌈ln U / ln(1 − p)⌉)
 * (Devroye, Non-Uniform Random Variate Generation, 1986, §X.2); p = 1 gives 1.
 */
export function geometric(seed: number, n: number, p: number, offset = 0, stream = 0): Float64Array {
  checkSeed('geometric', seed, n, offset, stream);
  checkProbability('geometric', p, true);
  const u = uniforms53(seed, n, offset, stream);
  const l = Math.log1p(-p);
  for (let i = 0; i < n; i++) u[i] = p === 1 ? 1 : Math.max(1, Math.ceil(Math.log(u[i]!) / l));
  return u;
}

/**
 * One categorical draw per row of `weights` (rows × k, row-major, unnormalised, ≥ 0, each row
 * with a positive sum): the index j with C_{j−1} ≤ U·C_k < C_j, C the row's running sums in
 * float64 and U the 53-bit uniform of element offset + row (inversion; zero-weight categories
 * are never drawn).
 */
export function categorical(seed: number, weights: ArrayLike<number>, k: number, offset = 0, stream = 0): Int32Array {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`categorical: expected a positive integer for 'k' but received ${k}`);
  if (weights === null || typeof weights !== 'object' || typeof weights.length !== 'number' || weights.length % k !== 0) {
    throw new RangeError(`categorical: expected rows × k = rows × ${k} weights for 'weights' but received ${weights === null || typeof weights !== 'object' ? String(weights) : `${weights.length}`}`);
  }
  const rows = weights.length / k;
  checkSeed('categorical', seed, rows, offset, stream);
  const u = uniforms53(seed, rows, offset, stream);
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let total = 0;
    for (let j = 0; j < k; j++) {
      const v = weights[r * k + j]!;
      if (!(v >= 0) || !Number.isFinite(v)) {
        throw new RangeError(`categorical: expected finite non-negative weights but row ${r}, column ${j} is ${v}`);
      }
      total += v;
    }
    if (!(total > 0)) throw new RangeError(`categorical: expected a positive sum of weights in every row but row ${r} sums to 0`);
    const target = u[r]! * total;
    let c = 0, pick = -1;
    for (let j = 0; j < k; j++) {
      const v = weights[r * k + j]!;
      if (v === 0) continue;
      c += v;
      pick = j;
      if (target < c) break;
    }
    out[r] = pick;
  }
  return out;
}

/**
 * ln of one Gamma(α, 1) draw for element g: Marsaglia & Tsang ("A simple method for generating
 * gamma variables", ACM TOMS 26(3), 2000): d = α − 1/3, c = 1/√(9d); attempt j takes a normal x
 * (Box–Muller on words 0, 1 of its tag-2 block) and a uniform u (words 2, 3): v = (1 + cx)³ > 0 is
 * accepted when u < 1 − 0.0331x⁴ or ln u < x²/2 + d(1 − v + ln v), giving d·v. For α < 1 the
 * boost G(α) = G(α + 1)·U^{1/α} (ibid., §6) takes U from the tag-3 block; the log form keeps tiny
 * draws (α ≪ 1) from underflowing.
 */
function logGammaDraw(seed: number, g: number, s: number, alpha: number, w: Uint32Array): number {
  const a = alpha < 1 ? alpha + 1 : alpha;
  const d = a - 1 / 3, c = 1 / Math.sqrt(9 * d);
  let out = NaN;
  for (let j = 0; ; j++) {
    if (j >= TAG) throw new RangeError(`gamma: no acceptance in ${TAG} attempts (α = ${alpha})`);
    blockAt(seed, g, s, 2 * TAG + j, w);
    const x = Math.sqrt(-2 * Math.log(u32(w[0]!))) * Math.cos(2 * Math.PI * u32(w[1]!));
    const t = 1 + c * x;
    if (t <= 0) continue;
    const v = t * t * t, u = u53(w[2]!, w[3]!);
    if (u < 1 - 0.0331 * x * x * x * x || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) {
      out = Math.log(d) + Math.log(v);
      break;
    }
  }
  if (alpha < 1) {
    blockAt(seed, g, s, 3 * TAG, w);
    out += Math.log(u53(w[0]!, w[1]!)) / alpha;
  }
  return out;
}

/** Gamma(α, 1) draws (shape α > 0, scale 1; mean α, variance α): Marsaglia–Tsang, see logGammaDraw. */
export function gamma(seed: number, n: number, alpha: number, offset = 0, stream = 0): Float64Array {
  checkSeed('gamma', seed, n, offset, stream);
  checkPositive('gamma', 'alpha', alpha);
  const out = new Float64Array(n);
  const w = new Uint32Array(4);
  for (let i = 0; i < n; i++) out[i] = Math.exp(logGammaDraw(seed, offset + i, stream, alpha, w));
  return out;
}

/**
 * Dirichlet(α) draws, `rows` × K (K = α.length ≥ 2), row-major: row r normalises K independent
 * Gamma(α_k) draws, elements offset + r·K + k (Devroye 1986, §XI.4), in log space (log-sum-exp)
 * so rows with tiny α still sum to 1.
 */
export function dirichlet(seed: number, rows: number, alpha: ArrayLike<number>, offset = 0, stream = 0): Float64Array {
  if (alpha === null || typeof alpha !== 'object' || typeof alpha.length !== 'number' || alpha.length < 2) {
    throw new RangeError(`dirichlet: expected at least 2 concentrations for 'alpha' but received ${alpha === null || typeof alpha !== 'object' ? String(alpha) : `${alpha.length}`}`);
  }
  const K = alpha.length;
  for (let k = 0; k < K; k++) checkPositive('dirichlet', `alpha[${k}]`, alpha[k]);
  checkSeed('dirichlet', seed, rows * K, offset, stream);
  const out = new Float64Array(rows * K);
  const w = new Uint32Array(4);
  for (let r = 0; r < rows; r++) {
    let m = -Infinity;
    for (let k = 0; k < K; k++) {
      const lg = logGammaDraw(seed, offset + r * K + k, stream, alpha[k]!, w);
      out[r * K + k] = lg;
      if (lg > m) m = lg;
    }
    let s = 0;
    for (let k = 0; k < K; k++) s += (out[r * K + k] = Math.exp(out[r * K + k]! - m));
    for (let k = 0; k < K; k++) out[r * K + k] /= s;
  }
  return out;
}

/**
 * Student-t draws with ν > 0 degrees of freedom: T = Z/√(V/ν), Z a standard normal (Box–Muller on
 * two 53-bit uniforms of the tag-4 block) and V = 2·Gamma(ν/2) a χ²_ν draw (element g's gamma).
 */
export function studentT(seed: number, n: number, nu: number, offset = 0, stream = 0): Float64Array {
  checkSeed('studentT', seed, n, offset, stream);
  checkPositive('studentT', 'nu', nu);
  const out = new Float64Array(n);
  const w = new Uint32Array(4);
  for (let i = 0; i < n; i++) {
    const g = offset + i;
    const lv = Math.log(2) + logGammaDraw(seed, g, stream, nu / 2, w);
    blockAt(seed, g, stream, 4 * TAG, w);
    const z = Math.sqrt(-2 * Math.log(u53(w[0]!, w[1]!))) * Math.cos(2 * Math.PI * u53(w[2]!, w[3]!));
    out[i] = z * Math.exp(0.5 * (Math.log(nu) - lv));
  }
  return out;
}
