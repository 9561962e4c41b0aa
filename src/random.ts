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
  const out = new Float32Array(n);
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
  const out = new Float32Array(n);
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
  const out = new Float32Array(n);
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
