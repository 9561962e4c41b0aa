// Host-side helpers of the federated engine: argument checks in the library's error format,
// counter-based draws at arbitrary (seed, stream, offset) (the engine's Philox, same stream
// layout as src/random.ts, with 32-bit resolution uniforms in float64).

import { philox4x32 } from '../../engine.js';

/** `fn: expected <what> for '<arg>' but received <value>` as a RangeError. */
export function argError(fn: string, arg: string, expected: string, received: unknown): RangeError {
  const shown = typeof received === 'string' ? `'${received}'` : Array.isArray(received) ? `an array of length ${received.length}` : String(received);
  return new RangeError(`${fn}: expected ${expected} for '${arg}' but received ${shown}`);
}

/** Checks an integer in [min, max]. */
export function checkInteger(fn: string, arg: string, v: unknown, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw argError(fn, arg, `an integer in [${min}, ${max === Number.MAX_SAFE_INTEGER ? '∞' : max}]`, v);
  }
  return v;
}

/** Checks a finite number in [min, max]. */
export function checkNumber(fn: string, arg: string, v: unknown, min = -Infinity, max = Infinity): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) throw argError(fn, arg, `a finite number in [${min}, ${max}]`, v);
  return v;
}

/**
 * Raw u32 words g = offset … offset + n − 1 of the Philox stream (seed, stream): word g mod 4 of
 * block ⌊g/4⌋, exactly as src/random.ts lays streams out.
 */
export function philoxWords(seed: number, stream: number, offset: number, n: number, out = new Uint32Array(n)): Uint32Array {
  const k0 = seed % 2 ** 32, k1 = Math.floor(seed / 2 ** 32);
  const w = new Uint32Array(4);
  let i = 0;
  while (i < n) {
    const g = offset + i, b = Math.floor(g / 4);
    philox4x32(k0, k1, b % 2 ** 32, Math.floor(b / 2 ** 32), stream, 0, w);
    for (let j = g % 4; j < 4 && i < n; j++) out[i++] = w[j]!;
  }
  return out;
}

/** Uniforms on (0, 1) in float64, (word + ½)·2⁻³², from the same words. */
export function philoxUniforms(seed: number, stream: number, offset: number, n: number, out = new Float64Array(n)): Float64Array {
  const w = philoxWords(seed, stream, offset, n);
  for (let i = 0; i < n; i++) out[i] = (w[i]! + 0.5) * 2 ** -32;
  return out;
}

/** Standard normals in float64 by Box–Muller over uniform pairs (2n words from `offset`). */
export function philoxNormals(seed: number, stream: number, offset: number, n: number, out = new Float64Array(n)): Float64Array {
  const u = philoxUniforms(seed, stream, offset, 2 * Math.ceil(n / 2));
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(u[i]!)), t = 2 * Math.PI * u[i + 1]!;
    out[i] = r * Math.cos(t);
    if (i + 1 < n) out[i + 1] = r * Math.sin(t);
  }
  return out;
}
