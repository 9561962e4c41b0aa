// The native boundary is strict: every export, called with each argument in turn replaced by
// a bad value (missing, wrong type, short or detached buffer, negative / fractional / NaN /
// huge size, offset past the end, bad op code, malformed strides, an output overlapping an
// input), throws a TypeError (types) or RangeError (lengths, ranges, NaN, overlap) whose
// message is `<fn>: expected … for '<that argument>' but received …`. Then a seeded fuzz
// throws random argument lists at every export: each call returns or throws one of those two
// errors, and the process is still here at the end.

import test from 'ava';
import type { ExecutionContext } from 'ava';
import { loadNative } from '../../src/backend/cpu/load.js';
import { NATIVE_EXPORTS } from '../../src/backend/cpu/native.js';

const native = loadNative();
const raw = native as unknown as Record<string, (...args: unknown[]) => unknown>;
const BEST = native.cpuInfo().isa;

type Kind =
  | 'in' | 'out' | 'offset' | 'size' | 'bool' | 'code' | 'strides' | 'shape' | 'number' | 'isa' | 'threads' | 'bias' | 'f64'
  // optimStep: a state buffer in a prefix (null shifts the blame to the next one), an optional
  // array checked only for its type, and an offset read only when its array is given.
  | 'state' | 'typeOnly' | 'unchecked'
  // crc32's input: any typed array, read as bytes.
  | 'bytes';

interface Param {
  name: string;
  kind: Kind;
  codes?: number;
  /** The input an output may not overlap (its position). */
  overlaps?: number;
  /** Accepts Float32Array, Float64Array and Int32Array alike (copyInto, cast). */
  anyElem?: boolean;
  /** Any length is valid (fill's output). */
  anyLength?: boolean;
}
interface Export { params: Param[]; valid: () => unknown[] }

const f32 = (n: number) => new Float32Array(n).map((_, i) => (i % 7) - 3);
const detached = (): Float32Array => {
  const view = new Float32Array(16);
  structuredClone(view.buffer, { transfer: [view.buffer] });
  return view;
};

// A valid call of each export, and what each argument is.
const EXPORTS: Record<string, Export> = {
  cpuInfo: { params: [], valid: () => [] },
  getThreads: { params: [], valid: () => [] },
  setThreads: { params: [{ name: 'n', kind: 'threads' }], valid: () => [native.getThreads()] },
  setIsa: { params: [{ name: 'isa', kind: 'isa' }], valid: () => [BEST] },
  hugeBuffer: { params: [{ name: 'bytes', kind: 'size' }], valid: () => [3 << 20] },
  sgemm: {
    params: [
      { name: 'a', kind: 'in' }, { name: 'aOffset', kind: 'offset' }, { name: 'strideA', kind: 'size' }, { name: 'transA', kind: 'bool' },
      { name: 'b', kind: 'in' }, { name: 'bOffset', kind: 'offset' }, { name: 'strideB', kind: 'size' }, { name: 'transB', kind: 'bool' },
      { name: 'out', kind: 'out', overlaps: 0 }, { name: 'batch', kind: 'size' }, { name: 'm', kind: 'size' }, { name: 'n', kind: 'size' },
      { name: 'k', kind: 'size' }, { name: 'bias', kind: 'bias' }, { name: 'biasOffset', kind: 'offset' }, { name: 'act', kind: 'code', codes: 5 },
    ],
    valid: () => [f32(31), 1, 15, false, f32(20), 0, 0, true, f32(24), 2, 3, 4, 5, f32(6), 2, 1],
  },
  // Two replicas of a 3×4 weight matrix stepped by A_t·B_tᵀ (k = 5), then z_t = X_t·W_t (2 rows).
  sgemmSgd: {
    params: [
      { name: 'a', kind: 'in' }, { name: 'aOffset', kind: 'offset' }, { name: 'strideA', kind: 'size' }, { name: 'transA', kind: 'bool' },
      { name: 'b', kind: 'in' }, { name: 'bOffset', kind: 'offset' }, { name: 'strideB', kind: 'size' }, { name: 'transB', kind: 'bool' },
      { name: 'w', kind: 'in' }, { name: 'wOffset', kind: 'offset' }, { name: 'strideW', kind: 'size' },
      { name: 'out', kind: 'out', overlaps: 0 }, { name: 'outOffset', kind: 'offset' },
      { name: 'batch', kind: 'size' }, { name: 'm', kind: 'size' }, { name: 'n', kind: 'size' }, { name: 'k', kind: 'size' }, { name: 'hyper', kind: 'in' },
      { name: 'next', kind: 'bias' }, { name: 'nextOffset', kind: 'offset' }, { name: 'strideNext', kind: 'size' }, { name: 'rows', kind: 'size' },
      { name: 'z', kind: 'out', overlaps: 18 }, { name: 'zOffset', kind: 'offset' },
    ],
    valid: () => [
      f32(31), 1, 15, false, f32(20), 0, 0, true, f32(25), 1, 12, f32(24), 0, 2, 3, 4, 5,
      new Float32Array([0, 0.1, 0, 1, 0, 0, 0, 0, 0.2, 0, 1, 0, 0, 0]), f32(13), 1, 6, 2, f32(16), 0,
    ],
  },
  fill: { params: [{ name: 'out', kind: 'out', anyLength: true }, { name: 'value', kind: 'number' }], valid: () => [f32(5), 2] },
  unary: {
    params: [{ name: 'op', kind: 'code', codes: 22 }, { name: 'x', kind: 'in' }, { name: 'xOffset', kind: 'offset' }, { name: 'out', kind: 'out', overlaps: 1 }, { name: 'size', kind: 'size' }],
    valid: () => [2, f32(10), 3, f32(7), 7],
  },
  binary: {
    params: [
      { name: 'op', kind: 'code', codes: 14 }, { name: 'a', kind: 'in' }, { name: 'aOffset', kind: 'offset' }, { name: 'aStrides', kind: 'strides' },
      { name: 'b', kind: 'in' }, { name: 'bOffset', kind: 'offset' }, { name: 'bStrides', kind: 'strides' }, { name: 'out', kind: 'out', overlaps: 1 },
      { name: 'shape', kind: 'shape' },
    ],
    valid: () => [0, f32(13), 1, [4, 1], f32(4), 0, [0, 1], f32(12), [3, 4]],
  },
  where: {
    params: [
      { name: 'cond', kind: 'in' }, { name: 'condOffset', kind: 'offset' }, { name: 'condStrides', kind: 'strides' },
      { name: 'a', kind: 'in' }, { name: 'aOffset', kind: 'offset' }, { name: 'aStrides', kind: 'strides' },
      { name: 'b', kind: 'in' }, { name: 'bOffset', kind: 'offset' }, { name: 'bStrides', kind: 'strides' },
      { name: 'out', kind: 'out', overlaps: 3 }, { name: 'shape', kind: 'shape' },
    ],
    valid: () => [f32(12), 0, [4, 1], f32(4), 0, [0, 1], f32(3), 0, [1, 0], f32(12), [3, 4]],
  },
  copyInto: {
    params: [
      { name: 'src', kind: 'in', anyElem: true }, { name: 'srcOffset', kind: 'offset' }, { name: 'srcStrides', kind: 'strides' },
      { name: 'dst', kind: 'out', overlaps: 0, anyElem: true }, { name: 'dstOffset', kind: 'offset' }, { name: 'dstStrides', kind: 'strides' }, { name: 'shape', kind: 'shape' },
    ],
    valid: () => [f32(12), 0, [1, 3], f32(14), 2, [4, 1], [3, 4]],
  },
  cast: {
    params: [{ name: 'x', kind: 'in', anyElem: true }, { name: 'xOffset', kind: 'offset' }, { name: 'out', kind: 'out', overlaps: 0, anyElem: true }, { name: 'size', kind: 'size' }],
    valid: () => [f32(9), 1, new Int32Array(8), 8],
  },
  reduce: {
    params: [
      { name: 'op', kind: 'code', codes: 6 }, { name: 'x', kind: 'in' }, { name: 'xOffset', kind: 'offset' }, { name: 'outer', kind: 'size' },
      { name: 'n', kind: 'size' }, { name: 'inner', kind: 'size' }, { name: 'out', kind: 'out', overlaps: 1 },
    ],
    valid: () => [0, f32(25), 1, 2, 3, 4, f32(8)],
  },
  softmax: {
    params: [{ name: 'x', kind: 'in' }, { name: 'xOffset', kind: 'offset' }, { name: 'rows', kind: 'size' }, { name: 'cols', kind: 'size' }, { name: 'log', kind: 'bool' }, { name: 'out', kind: 'out', overlaps: 0 }],
    valid: () => [f32(13), 1, 3, 4, true, f32(12)],
  },
  gather: {
    params: [
      { name: 'x', kind: 'in' }, { name: 'xOffset', kind: 'offset' }, { name: 'outer', kind: 'size' }, { name: 'n', kind: 'size' }, { name: 'inner', kind: 'size' },
      { name: 'indices', kind: 'in' }, { name: 'indicesOffset', kind: 'offset' }, { name: 'm', kind: 'size' }, { name: 'out', kind: 'out', overlaps: 0 },
    ],
    valid: () => [f32(24), 0, 2, 4, 3, new Int32Array([3, 0, 1, 3]), 1, 3, f32(18)],
  },
  scatterAdd: {
    params: [
      { name: 'src', kind: 'in' }, { name: 'srcOffset', kind: 'offset' }, { name: 'outer', kind: 'size' }, { name: 'm', kind: 'size' }, { name: 'inner', kind: 'size' },
      { name: 'indices', kind: 'in' }, { name: 'indicesOffset', kind: 'offset' }, { name: 'n', kind: 'size' }, { name: 'out', kind: 'out', overlaps: 0 },
    ],
    valid: () => [f32(18), 0, 2, 3, 3, new Int32Array([3, 0, 1, 3]), 1, 4, f32(24)],
  },
  orthogonalize: {
    params: [
      { name: 'q', kind: 'in' }, { name: 'qOffset', kind: 'offset' }, { name: 'rows', kind: 'size' }, { name: 'n', kind: 'size' },
      { name: 'w', kind: 'in' }, { name: 'wOffset', kind: 'offset' }, { name: 'out', kind: 'out', overlaps: 0 },
    ],
    valid: () => [f32(7), 1, 2, 3, f32(4), 1, f32(5)],
  },
  orthonormalize: {
    params: [
      { name: 'q', kind: 'in' }, { name: 'qOffset', kind: 'offset' }, { name: 'rows', kind: 'size' }, { name: 'n', kind: 'size' },
      { name: 'w', kind: 'in' }, { name: 'wOffset', kind: 'offset' }, { name: 'into', kind: 'out', overlaps: 4 }, { name: 'intoOffset', kind: 'offset' },
      { name: 'h', kind: 'out', overlaps: 0 },
    ],
    valid: () => [f32(7), 1, 2, 3, f32(4), 1, f32(5), 1, f32(2)],
  },
  crc32: { params: [{ name: 'data', kind: 'bytes' }, { name: 'crc', kind: 'size' }], valid: () => [new Uint8Array(100).map((_, i) => i), 7] },
  // No arguments; the row checks the valid calls work (restore after mute, in that order: ALL is sorted).
  muteStderr: { params: [], valid: () => [] },
  restoreStderr: { params: [], valid: () => [] },
  tridiagEig: { params: [{ name: 'alpha', kind: 'f64' }, { name: 'beta', kind: 'f64' }], valid: () => [new Float64Array([2, 2, 2]), new Float64Array([-1, -1])] },
  tridiagEigSync: { params: [{ name: 'alpha', kind: 'f64' }, { name: 'beta', kind: 'f64' }], valid: () => [new Float64Array([2, 2, 2]), new Float64Array([-1, -1])] },
  fmaBurst: { params: [{ name: 'iterations', kind: 'size' }, { name: 'threads', kind: 'threads' }], valid: () => [1000, 1] },
  streamTriad: {
    params: [{ name: 'a', kind: 'out', overlaps: 1, anyLength: true }, { name: 'b', kind: 'in' }, { name: 'c', kind: 'in' }, { name: 'scalar', kind: 'number' }],
    valid: () => [f32(8), f32(8), f32(9), 2],
  },
  // Adam on 2 replicas × 4 parameters in one group (record of 8 fields, clip 0), state [m, v].
  optimStep: {
    params: [
      { name: 'op', kind: 'code', codes: 8 }, { name: 'p', kind: 'out', overlaps: 3 }, { name: 'pOffset', kind: 'offset' },
      { name: 'g', kind: 'in' }, { name: 'gOffset', kind: 'offset' },
      { name: 's0', kind: 'state', overlaps: 3 }, { name: 's0Offset', kind: 'offset' }, { name: 's1', kind: 'state', overlaps: 3 }, { name: 's1Offset', kind: 'offset' },
      { name: 's2', kind: 'typeOnly' }, { name: 's2Offset', kind: 'unchecked' }, { name: 'replicas', kind: 'size' }, { name: 'size', kind: 'size' },
      { name: 'bounds', kind: 'in' }, { name: 'hyper', kind: 'in' }, { name: 'norms', kind: 'typeOnly' }, { name: 'normsOffset', kind: 'unchecked' },
      { name: 'variant', kind: 'code', codes: 4 },
    ],
    valid: () => [1, f32(8), 0, f32(8), 0, f32(8), 0, f32(8), 0, null, 0, 2, 4, new Int32Array([0, 4]), new Float32Array([0, 1e-3, 0, 1, 0.9, 0.999, 1e-8, 1, 0, 1e-3, 0, 1, 0.9, 0.999, 1e-8, 1]), null, 0, 0],
  },
  optimSumSq: {
    params: [
      { name: 'x', kind: 'in' }, { name: 'xOffset', kind: 'offset' }, { name: 'replicas', kind: 'size' }, { name: 'size', kind: 'size' },
      { name: 'bounds', kind: 'in' }, { name: 'out', kind: 'out', overlaps: 0 },
    ],
    valid: () => [f32(8), 0, 2, 4, new Int32Array([0, 1, 4]), f32(4)],
  },
};

type Bad = { value: (args: unknown[]) => unknown; type: typeof TypeError | typeof RangeError; what: string };
const T = TypeError, R = RangeError;
const constant = (value: unknown, type: Bad['type'], what: string): Bad => ({ value: () => value, type, what });

function badValues(p: Param, valid: unknown): Bad[] {
  switch (p.kind) {
    case 'in': case 'out': {
      const ints = valid instanceof Int32Array;
      const list = [
        constant(undefined, T, 'missing'), constant(null, T, 'null'), constant([1, 2, 3], T, 'a plain array'), constant('buf', T, 'a string'),
        constant({ length: 100 }, T, 'an array-like'), constant(new DataView(new ArrayBuffer(64)), T, 'a DataView'),
        constant(new Uint8Array(400), T, 'a Uint8Array'),
      ];
      if (!p.anyLength) list.push(constant(ints ? new Int32Array(1) : new Float32Array(1), R, 'a short buffer'), constant(ints ? new Int32Array(0) : detached(), R, 'a detached buffer'));
      if (!p.anyElem) {
        const wrong = ints || valid instanceof Float64Array ? new Float32Array(400) : new Float64Array(400);
        list.push(constant(wrong, T, `a ${wrong.constructor.name}`));
      }
      if (p.kind === 'out' && p.overlaps !== undefined) list.push({ value: (args) => args[p.overlaps!], type: R, what: 'the input itself' });
      return list;
    }
    case 'offset':
      return [
        constant(undefined, T, 'missing'), constant('1', T, 'a string'), constant(-1, R, '−1'), constant(1.5, R, '1.5'), constant(NaN, R, 'NaN'),
        constant(Infinity, R, '∞'), constant(2 ** 60, R, '2^60'), constant(1000, R, 'past the end'),
      ];
    case 'size':
      return [constant(undefined, T, 'missing'), constant('3', T, 'a string'), constant(-1, R, '−1'), constant(2.5, R, '2.5'), constant(NaN, R, 'NaN'), constant(-Infinity, R, '−∞'), constant(2 ** 60, R, '2^60')];
    case 'bool':
      return [constant(undefined, T, 'missing'), constant(1, T, '1'), constant('true', T, 'a string')];
    case 'code':
      return [constant(undefined, T, 'missing'), constant('0', T, 'a string'), constant(-1, R, '−1'), constant(p.codes!, R, 'one past the table'), constant(0.5, R, '0.5'), constant(NaN, R, 'NaN')];
    case 'strides':
      return [
        constant(undefined, T, 'missing'), constant('1,1', T, 'a string'), constant(new Int32Array([1, 1]), T, 'a typed array'), constant([1], R, 'the wrong rank'),
        constant([1, 0.5], R, 'a fractional stride'), constant([1, NaN], R, 'a NaN stride'), constant([1, 'x'], T, 'a string stride'),
        constant([1, 2 ** 60], R, 'a huge stride'), constant([-100, 1], R, 'a stride reaching before the array'),
      ];
    case 'shape':
      return [
        constant(undefined, T, 'missing'), constant(12, T, 'a number'), constant([3, -4], R, 'a negative axis'), constant([3, 1.5], R, 'a fractional axis'),
        constant([3, NaN], R, 'a NaN axis'), constant([1, 1, 1, 1, 1, 1, 1, 1, 1], R, 'rank 9'), constant([3, 2 ** 40], R, 'a huge axis'),
      ];
    case 'number':
      return [constant(undefined, T, 'missing'), constant('2', T, 'a string'), constant(null, T, 'null')];
    case 'isa':
      return [constant(undefined, T, 'missing'), constant(2, T, 'a number'), constant('avx1024', R, 'an unknown ISA')];
    case 'threads':
      return [constant(undefined, T, 'missing'), constant('2', T, 'a string'), constant(0, R, '0'), constant(257, R, '257'), constant(1.5, R, '1.5'), constant(NaN, R, 'NaN')];
    case 'bias':
      return [constant(new Float64Array(8), T, 'a Float64Array'), constant(5, T, 'a number'), constant(new Float32Array(3), R, 'a short buffer')];
    case 'state':
      return [
        constant('buf', T, 'a string'), constant(new Float64Array(400), T, 'a Float64Array'), constant(new Float32Array(1), R, 'a short buffer'),
        { value: (args) => args[p.overlaps!], type: R, what: 'the gradient itself' },
      ];
    case 'typeOnly':
      return [constant('buf', T, 'a string'), constant(new Float64Array(400), T, 'a Float64Array'), constant(7, T, 'a number')];
    case 'unchecked':
      return [];
    case 'bytes':
      return [
        constant(undefined, T, 'missing'), constant(null, T, 'null'), constant([1, 2, 3], T, 'a plain array'), constant('buf', T, 'a string'),
        constant({ length: 100 }, T, 'an array-like'), constant(new DataView(new ArrayBuffer(64)), T, 'a DataView'), constant(new ArrayBuffer(8), T, 'an ArrayBuffer'),
      ];
    case 'f64':
      return [
        constant(undefined, T, 'missing'), constant(new Float32Array(3), T, 'a Float32Array'), constant([2, 2], T, 'a plain array'),
        // A NaN at the valid length (alpha's length fixes beta's, so a wrong one is tried on beta only).
        constant(new Float64Array((valid as Float64Array).length).fill(1).fill(NaN, 1, 2), R, 'a NaN'),
        ...(p.name === 'beta' ? [constant(new Float64Array(5), R, 'the wrong length')] : []),
      ];
  }
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function expectThrow(t: ExecutionContext, fn: string, args: unknown[], p: Param, bad: Bad): void {
  let error: unknown = null;
  try {
    const r = raw[fn]!(...args);
    if (r instanceof Promise) r.catch(() => {});
  } catch (e) {
    error = e;
  }
  const label = `${fn}(${p.name} = ${bad.what})`;
  if (!(error instanceof bad.type)) {
    t.fail(`${label}: expected a ${bad.type.name} but got ${error === null ? 'no error' : String(error)}`);
    return;
  }
  const msg = (error as Error).message;
  // An offset that runs a view past the end of its array is blamed on the array, with the offset quoted.
  const named = new RegExp(`^${escape(fn)}: expected .* for '${escape(p.name)}(\\[\\d+\\])?' but received `).test(msg) ||
    (p.kind === 'offset' && new RegExp(`^${escape(fn)}: expected .*\\(${escape(p.name)} \\d+ \\+ \\d+\\) for '`).test(msg));
  t.true(named, `${label}: message does not name '${p.name}': ${msg}`);
}

const ALL = Object.keys(native).sort();

test('boundary · every export of the addon is covered here', (t) => {
  t.deepEqual(ALL, Object.keys(EXPORTS).sort());
  for (const name of NATIVE_EXPORTS) t.true(ALL.includes(name), `${name} is exported`);
});

for (const fn of ALL.filter((f) => EXPORTS[f])) {
  const spec = EXPORTS[fn]!;
  test(`boundary · ${fn}`, async (t) => {
    // The valid call works.
    const ok = raw[fn]!(...spec.valid());
    if (ok instanceof Promise) await ok;
    t.pass();
    spec.params.forEach((p, i) => {
      for (const bad of badValues(p, spec.valid()[i])) {
        const args = spec.valid();
        args[i] = bad.value(args);
        // Bad shapes are also tried with strides of the matching rank, so the shape itself is blamed.
        if (p.kind === 'shape' && Array.isArray(args[i]) && (args[i] as unknown[]).length <= 8) {
          const rank = (args[i] as unknown[]).length;
          spec.params.forEach((q, j) => { if (q.kind === 'strides') args[j] = new Array(rank).fill(0); });
        }
        expectThrow(t, fn, args, p, bad);
      }
    });
  });
}

test('boundary · setIsa to an instruction set the CPU lacks, and bad indices', (t) => {
  const lacking = (['ref', 'avx2', 'avx512'] as const).filter((i) => !native.cpuInfo().isas.includes(i));
  for (const isa of lacking) t.throws(() => native.setIsa(isa), { instanceOf: RangeError, message: /setIsa: expected one of the instruction sets this CPU supports .* for 'isa'/ });
  t.throws(() => native.gather(f32(24), 0, 2, 4, 3, new Int32Array([0, 4]), 0, 2, f32(12)), { instanceOf: RangeError, message: "gather: expected indices in [0, 3] for 'indices' but received 4 at position 1" });
  t.throws(() => native.scatterAdd(f32(12), 0, 2, 2, 3, new Int32Array([-1, 0]), 0, 4, f32(24)), { instanceOf: RangeError, message: "scatterAdd: expected indices in [0, 3] for 'indices' but received -1 at position 0" });
  t.throws(() => native.copyInto(f32(4), 0, [1], new Int32Array(4), 0, [1], [4]), { instanceOf: TypeError, message: "copyInto: expected Float32Array (the type of 'src') for 'dst' but received Int32Array of length 4" });
  // Each axis is fine alone; their product is past 2^53.
  t.throws(() => native.sgemm(f32(6), 0, 0, false, f32(6), 0, 0, false, f32(4), 1, 2 ** 31 - 1, 1, 2 ** 31 - 1, null, 0, 0), { instanceOf: RangeError, message: /^sgemm: expected sizes whose product is at most 2\^53 for 'm·k' but received 2147483647 × 2147483647$/ });
});

// Seeded fuzz: random argument lists built from valid ones, bad values and junk.
test('boundary · random bad arguments never crash the process', async (t) => {
  let s = 0x9e3779b9;
  const rand = () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
  const junk = [undefined, null, 0, -0, 1, -1, 7, 2 ** 31, 2 ** 53, 2 ** 64, -(2 ** 53), NaN, Infinity, 0.5, '', 'x', true, {}, [], [1, 2], [-1], [2 ** 40, 1],
    new Float32Array(0), new Float32Array(3), new Float64Array(3), new Int32Array([5, -3, 2]), new Uint8Array(9), () => 1, Symbol('s'), 10n];
  const before = native.getThreads();
  let calls = 0, thrown = 0;
  for (const fn of ALL.filter((f) => EXPORTS[f])) {
    if (fn === 'setThreads' || fn === 'setIsa') continue;
    const spec = EXPORTS[fn]!;
    for (let it = 0; it < 300; it++) {
      const args = spec.valid();
      const changes = 1 + Math.floor(rand() * 3);
      for (let c = 0; c < changes && args.length > 0; c++) {
        const i = Math.floor(rand() * args.length);
        const bads = badValues(spec.params[i]!, spec.valid()[i]);
        args[i] = rand() < 0.5 || bads.length === 0 ? junk[Math.floor(rand() * junk.length)] : bads[Math.floor(rand() * bads.length)]!.value(args);
      }
      calls++;
      try {
        const r = raw[fn]!(...args);
        if (r instanceof Promise) await r.catch((e: unknown) => { if (!(e instanceof TypeError || e instanceof RangeError)) throw e; });
      } catch (e) {
        thrown++;
        if (!(e instanceof TypeError || e instanceof RangeError)) t.fail(`${fn}(${args.map(String).join(', ')}) threw ${String(e)}`);
      }
    }
  }
  native.setThreads(before);
  t.true(thrown > calls / 2, `${thrown} of ${calls} random calls threw`);
  t.is(native.cpuInfo().isa, BEST);
});
