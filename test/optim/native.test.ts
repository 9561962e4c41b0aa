// The native boundary of the optimizer exports: every bad argument throws a TypeError or
// RangeError naming it (and the process survives); ISAs give identical bits.

import test from 'ava';
import type { ExecutionContext } from 'ava';
import { loadNative } from '../../src/backend/cpu/load.js';
import '../../src/backend/cpu/optim.js';
import { OPTIM_HYPER } from '../../src/backend/ops.js';
import { mustHave, testBackends } from '../helpers/backends.js';

const cpu = (await testBackends()).find((b) => b.name === 'cpu');
// cpu absent from DESCENT_TEST_BACKENDS: skip; selected but failing to load: fail.
const run = cpu?.backend ? test : cpu && mustHave('cpu') ? (title: string) => test(title, (t) => t.fail(`cpu backend missing: ${cpu.missing}`)) : test.skip;

const R = 2, P = 50, G = 2;
function args() {
  const K = OPTIM_HYPER.adamStep.length;
  const hyper = new Float32Array(R * G * K);
  for (let i = 0; i < R * G; i++) hyper.set([0, 0.01, 0, 1, 0.9, 0.999, 1e-8, 31.6], i * K);
  return {
    p: new Float32Array(R * P).fill(1), g: new Float32Array(R * P).fill(0.5), m: new Float32Array(R * P), v: new Float32Array(R * P),
    bounds: Int32Array.from([0, 20, P]), hyper,
  };
}

type Call = (a: ReturnType<typeof args>) => void;
const n = () => loadNative();
const adam = (a: ReturnType<typeof args>, over: Partial<Record<string, unknown>> = {}) => {
  const x = { op: 1, p: a.p, pOff: 0, g: a.g, gOff: 0, s0: a.m, s0Off: 0, s1: a.v, s1Off: 0, s2: null, s2Off: 0, R, P, bounds: a.bounds, hyper: a.hyper, norms: null, normsOff: 0, variant: 0, ...over };
  (n().optimStep as (...v: unknown[]) => void)(x.op, x.p, x.pOff, x.g, x.gOff, x.s0, x.s0Off, x.s1, x.s1Off, x.s2, x.s2Off, x.R, x.P, x.bounds, x.hyper, x.norms, x.normsOff, x.variant);
};

const BAD: [string, Call, typeof TypeError | typeof RangeError, RegExp][] = [
  ['missing op', () => (n().optimStep as () => void)(), TypeError, /optimStep: expected an OPTIM op code .* for 'op' but received undefined/],
  ['op out of range', (a) => adam(a, { op: 8 }), RangeError, /'op' but received 8/],
  ['p of the wrong type', (a) => adam(a, { p: new Float64Array(R * P) }), TypeError, /expected Float32Array for 'p' but received Float64Array/],
  ['short g', (a) => adam(a, { g: new Float32Array(R * P - 1) }), RangeError, /length ≥ 100 for 'g'/],
  ['offset past the end', (a) => adam(a, { pOff: R * P + 1 }), RangeError, /'pOffset'/],
  ['NaN size', (a) => adam(a, { P: NaN }), RangeError, /'size' but received NaN/],
  ['negative replicas', (a) => adam(a, { R: -1 }), RangeError, /'replicas' but received -1/],
  ['huge size', (a) => adam(a, { P: 2 ** 40 }), RangeError, /'size'/],
  ['bounds of the wrong type', (a) => adam(a, { bounds: [0, 20, P] }), TypeError, /expected Int32Array for 'bounds'/],
  ['bounds not ending at size', (a) => adam(a, { bounds: Int32Array.from([0, 20, 49]) }), RangeError, /'bounds' but received a last boundary of 49/],
  ['decreasing bounds', (a) => adam(a, { bounds: Int32Array.from([0, 30, 20, P]) }), RangeError, /non-decreasing boundaries/],
  ['short hyper', (a) => adam(a, { hyper: a.hyper.subarray(1) }), RangeError, /'hyper'/],
  ['missing state', (a) => adam(a, { s1: null }), RangeError, /state buffers matching the op/],
  ['state gap', (a) => adam(a, { s1: null, s2: a.v }), TypeError, /'s2'/],
  ['state overlapping p', (a) => adam(a, { s0: a.p }), RangeError, /shares no memory/],
  ['p overlapping g', (a) => adam(a, { g: a.p }), RangeError, /shares no memory with 'g'/],
  ['hyper inside p', (a) => adam(a, { hyper: new Float32Array(a.p.buffer, 0, 32), norms: new Float32Array(4) }), RangeError, /shares no memory with 'hyper'/],
  ['clip without norms', (a) => { a.hyper[0] = 1; adam(a); }, TypeError, /'norms'/],
  ['short norms', (a) => { a.hyper[0] = 1; adam(a, { norms: new Float32Array(3) }); }, RangeError, /'norms'/],
  ['bad variant', (a) => adam(a, { variant: 1 }), RangeError, /'variant'/],
  ['sumsq: short out', (a) => n().optimSumSq(a.g, 0, R, P, a.bounds, new Float32Array(3)), RangeError, /optimSumSq: .*'out'/],
  ['sumsq: out overlapping x', (a) => n().optimSumSq(a.g, 0, R, P, a.bounds, a.g.subarray(0, 4)), RangeError, /shares no memory/],
  ['sumsq: wrong x', (a) => n().optimSumSq(null as never, 0, R, P, a.bounds, new Float32Array(4)), TypeError, /'x'/],
];

for (const [what, call, type, message] of BAD) {
  run(`optim native boundary · ${what}`, (t: ExecutionContext) => {
    t.throws(() => call(args()), { instanceOf: type, message });
  });
}

run('optim native · a valid call works and the ISAs agree bit for bit', (t: ExecutionContext) => {
  const info = n().cpuInfo();
  const results = info.isas.map((isa) => {
    n().setIsa(isa);
    const a = args();
    for (let i = 0; i < R * P; i++) a.g[i] = Math.sin(i);
    for (let k = 0; k < 3; k++) adam(a);
    return a.p;
  });
  n().setIsa(info.isa);
  for (const r of results.slice(1)) t.deepEqual(r, results[0]);
  t.true(results[0]!.some((v) => v !== 1));
});
