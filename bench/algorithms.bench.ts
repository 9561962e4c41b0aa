// Population throughput: what the algorithm layer gains by stepping R replicas of one arena in
// one launch instead of one replica at a time in a JS loop.
//
// Each case is measured twice in the same run: `population` (one [R, P] arena, one call) and
// `loop` (R separate [P] arenas, each called once in a JS loop, which is what an algorithm
// without populations would do). The figure is replicas × parameters per second,
// R·P / (time of one population call, or of the whole loop); the speed-up is their ratio
// (for the masked step, R counts only the active replicas).
// Cases: an SGD step and an Adam step on P = 100 000 parameters per replica; an Adam step with
// half the replicas active (every other one: the worst case for `step(grads, {active})`,
// one launch per active replica); and the gradient (forward + backward) of a small MLP
// [32 → 64 → 10] on a batch of 64 per replica (the population with reduction 'replicaMean'
// against R single-model gradients); for R ∈ {1, 8, 64}.
//
// Run: `npm run bench -- algorithms [--backend cpu|webgpu] [--threads N] [--repeat N]
// [--quick] [--filter REGEX] [--json FILE]` (or `npx tsx bench/algorithms.bench.ts …`).
// JSON rows: { kernel, backend, shape, threads, median, min, max (replicas·params/s, ×1e9 as
// 'G rp/s'), unit, mode: 'population' | 'loop', replicas, params, msMedian, msMin }.

import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import * as d from '../src/index.js';
import type { Backend, Tensor } from '../src/index.js';
import { initBackend } from '../src/backend/backend.js';
import { getThreads, setThreads } from '../src/backend/cpu/index.js';
import type { BenchRow } from './run.js';

export type { BenchRow };

/** One timed unit of work: `run` once per sample; `dispose` at the end. */
export interface Timed {
  run(): void;
  dispose(): void;
}

/**
 * A throughput case: `population(b, R)` builds the one-launch version over R replicas and
 * `loop(b, R)` the replica-at-a-time version; `params` is the parameter count per replica
 * (the figure is R·params per second).
 */
export interface PopulationCase {
  group: string;
  name: string;
  params: number;
  /** How many of the R replicas do work (default R; the masked step counts its active ones). */
  working?(R: number): number;
  population(b: Backend, R: number): Timed;
  loop(b: Backend, R: number): Timed;
}

const P = 100_000;

function stepCase(name: string, kind: 'SGD' | 'Adam', opts: Record<string, unknown>, masked = false): PopulationCase {
  return {
    group: 'optimizer step', name, params: P,
    ...(masked ? { working: (R: number) => Math.ceil(R / 2) } : {}),
    population(b, R) {
      const params = d.full([R, P], 1, { backend: b }), grads = d.full([R, P], 1e-3, { backend: b });
      const lr = Array.from({ length: R }, (_, r) => 1e-3 * (1 + r / R));
      const opt = d.createOptimizer(kind, params, { ...opts, lr });
      const active = masked ? Array.from({ length: R }, (_, r) => r).filter((r) => r % 2 === 0) : undefined;
      return {
        run: () => opt.step(grads, active ? { active } : {}),
        dispose: () => { opt.dispose(); d.dispose([params, grads]); },
      };
    },
    loop(b, R) {
      const ps = Array.from({ length: R }, () => d.full([P], 1, { backend: b }));
      const gs = Array.from({ length: R }, () => d.full([P], 1e-3, { backend: b }));
      const opts2 = ps.map((p, r) => d.createOptimizer(kind, p, { ...opts, lr: 1e-3 * (1 + r / R) }));
      return {
        run: () => { for (let r = 0; r < R; r += masked ? 2 : 1) opts2[r]!.step(gs[r]!); },
        dispose: () => { for (const o of opts2) o.dispose(); d.dispose([ps, gs]); },
      };
    },
  };
}

function mlpGradCase(): PopulationCase {
  const net = new d.MLP([32, 64, 10], { activation: 'tanh' });
  const B = 64;
  return {
    group: 'MLP forward + backward', name: `MLP 32-64-10 grad, batch ${B}`, params: net.size,
    population(b, R) {
      const params = net.init({ seed: 0, replicas: R, backend: b });
      const x = d.randomNormal([R, B, 32], { seed: 1, backend: b });
      const y = d.tensor(Int32Array.from({ length: R * B }, (_, i) => i % 10), [R, B], { backend: b });
      const loss = (p: Tensor) => d.softmaxCrossEntropy(net.apply(p, x), y, { reduction: 'replicaMean' });
      return {
        run: () => { d.tidy(() => { d.grad(loss)(params); }); },
        dispose: () => d.dispose([params, x, y]),
      };
    },
    loop(b, R) {
      const ps = Array.from({ length: R }, (_, r) => d.tensor(net.init({ seed: r, backend: d.reference }).dataSync(), [net.size], { backend: b }));
      const xs = Array.from({ length: R }, (_, r) => d.randomNormal([B, 32], { seed: 10 + r, backend: b }));
      const y = d.tensor(Int32Array.from({ length: B }, (_, i) => i % 10), [B], { backend: b });
      return {
        run: () => {
          for (let r = 0; r < R; r++) d.tidy(() => { d.grad((p: Tensor) => d.softmaxCrossEntropy(net.apply(p, xs[r]!), y))(ps[r]!); });
        },
        dispose: () => d.dispose([ps, xs, y]),
      };
    },
  };
}

/** The cases, in the order they print. */
export const CASES: PopulationCase[] = [
  stepCase('SGD step', 'SGD', {}),
  stepCase('Adam step', 'Adam', {}),
  stepCase('Adam step, every other replica active', 'Adam', {}, true),
  mlpGradCase(),
];

// ─── Particle / sampler throughput ───
// Reserved for the samplers' rows (particles, walkers, chains as replicas of one arena): add
// PopulationCase entries here (group 'sampler step', name, params per particle, population and
// loop builders) and they are measured and printed with the others, R ∈ REPLICAS.
/** One CBO step (paper 3) on GrandCanyon3noisy: R runs of 200 particles in d = 2 as one [R, 200, 2]
 * population (consensus, objective and update in one pass) against R runs stepped one by one. */
function cboCase(): PopulationCase {
  const N = 200;
  const start = (b: Backend, r: number, seed: number) => d.add(d.mul(d.randomNormal([r, N, 2], { seed, backend: b }), 0.5), 8);
  return {
    group: 'sampler step', name: `CBO step, ${N} particles × d = 2`, params: N * 2,
    population(b, R) {
      let v = start(b, R, 1), k = 0;
      return {
        run: () => { const o = d.cboStep(d.grandCanyon3noisy, v, k++, { seed: 2 }); o.consensus.dispose(); v.dispose(); v = o.particles; },
        dispose: () => v.dispose(),
      };
    },
    loop(b, R) {
      const vs = Array.from({ length: R }, (_, r) => start(b, 1, 1 + r));
      let k = 0;
      return {
        run: () => {
          for (let r = 0; r < R; r++) { const o = d.cboStep(d.grandCanyon3noisy, vs[r]!, k, { seed: 2 }); o.consensus.dispose(); vs[r]!.dispose(); vs[r] = o.particles; }
          k++;
        },
        dispose: () => d.dispose(vs),
      };
    },
  };
}

export const SAMPLER_CASES: PopulationCase[] = [cboCase()];

export const REPLICAS = [1, 8, 64];

function stats(times: number[]): { median: number; min: number; max: number } {
  const s = times.slice().sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)]!, min: s[0]!, max: s.at(-1)! };
}

async function time(b: Backend, t: Timed, repeat: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < repeat + 2; i++) {
    await b.sync();
    const t0 = performance.now();
    t.run();
    await b.sync();
    if (i >= 2) out.push(performance.now() - t0);
  }
  return out;
}

export async function run(argv: string[] = []): Promise<BenchRow[]> {
  const { values } = parseArgs({
    args: argv, strict: false,
    options: {
      repeat: { type: 'string' }, backend: { type: 'string' }, threads: { type: 'string' }, quick: { type: 'boolean' },
      filter: { type: 'string' }, json: { type: 'string' },
    },
  });
  const quick = values.quick === true;
  const repeat = Math.max(1, Number(values.repeat ?? (quick ? 3 : 10)));
  const backendName = String(values.backend ?? 'cpu').split(',')[0]!;
  const filter = typeof values.filter === 'string' ? new RegExp(values.filter) : null;
  const replicas = quick ? [1, 8] : REPLICAS;
  const b = await initBackend(backendName as 'cpu' | 'webgpu');
  const before = backendName === 'cpu' ? getThreads() : 0;
  const threads = backendName === 'cpu' ? Number(String(values.threads ?? before).split(',')[0]) : 0;
  if (backendName === 'cpu') setThreads(threads);
  const rows: BenchRow[] = [];
  const g = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
  try {
    console.log(`\nalgorithms · ${b.name}${threads ? ` · ${threads} thread${threads === 1 ? '' : 's'}` : ''} · replicas × parameters per second (M rp/s), best of ${repeat}`);
    console.log(`${'case'.padEnd(42)} ${'R'.padStart(3)} ${'population ms'.padStart(14)} ${'M rp/s'.padStart(8)} ${'loop ms'.padStart(9)} ${'M rp/s'.padStart(8)} ${'speed-up'.padStart(9)}`);
    for (const c of [...CASES, ...SAMPLER_CASES]) {
      for (const R of replicas) {
        if (filter && !filter.test(`${c.name} R=${R}`)) continue;
        const res: Record<'population' | 'loop', { median: number; min: number; max: number }> = {} as never;
        const W = c.working ? c.working(R) : R;
        for (const mode of ['population', 'loop'] as const) {
          const timed = c[mode](b, R);
          try {
            res[mode] = stats(await time(b, timed, repeat));
          } finally {
            timed.dispose();
          }
          const s = res[mode];
          const rate = (ms: number) => W * c.params / ms / 1e6; // G rp/s
          rows.push({
            kernel: `algorithms ${c.name}`, backend: b.name, shape: `R=${R} P=${c.params}`, threads,
            median: rate(s.median), min: rate(s.max), max: rate(s.min), unit: 'G rp/s',
            mode, replicas: R, working: W, params: c.params, msMedian: s.median, msMin: s.min,
          });
        }
        const pr = W * c.params / res.population.min / 1e3, lr = W * c.params / res.loop.min / 1e3;
        console.log(`${c.name.padEnd(42)} ${String(R).padStart(3)} ${res.population.min.toFixed(3).padStart(14)} ${g(pr).padStart(8)} ${res.loop.min.toFixed(3).padStart(9)} ${g(lr).padStart(8)} ${`${(res.loop.min / res.population.min).toFixed(2)}×`.padStart(9)}`);
      }
    }
  } finally {
    if (backendName === 'cpu') setThreads(before);
  }
  if (typeof values.json === 'string') writeFileSync(values.json, JSON.stringify(rows, null, 1));
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) await run(process.argv.slice(2));
