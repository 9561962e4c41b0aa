// Particle and sampler throughput: particles × steps per second of the algorithm layer's
// population samplers, at N = 200 and N = 10⁴ particles, against the memory-bandwidth ceiling.
//
// Cases (each one step over all N particles, the particle state one [N, d] or [R, N, d] tensor):
//   cbo          one CBO Euler–Maruyama step on GrandCanyon3noisy (d = 2, isotropic; consensus,
//                objective and update over the population; N = 200 is one run of 200 particles,
//                N = 10⁴ is the cbo experiment's 50 runs × 200)
//   interpolant  one SDE step of the stochastic-interpolant sampler (b and η from one MLP
//                11 → 128 → 128 → 4 with a time embedding, ε = 0.5; d = 2)
//   multiplicative  one exponentiated reverse step with the exact log-normal Hyvärinen score (d = 2)
// Ceiling: a step must at least read the particles and their noise and write the new particles,
// 3·4·d bytes per particle in float32, so particles·steps/s ≤ triad GB/s / (12·d) (the STREAM
// triad of bench/peaks.ts on the same thread count). The percentage shows how far the
// op-by-op population step (tens of launches, each re-reading its inputs) is from that bound;
// at N = 200 the per-launch overhead dominates.
//
// Run: `npm run bench -- particles [--threads N] [--repeat N] [--quick] [--json FILE]` (or
// `npx tsx bench/particles.bench.ts …`). JSON rows: { kernel, backend, shape, threads, median,
// min, max (M particle·steps/s), unit, particles, msMedian, ceiling, percentOfCeiling }.

import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import * as d from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { getThreads, setThreads } from '../src/backend/cpu/index.js';
import { measurePeaks } from './peaks.js';
import type { BenchRow } from './run.js';

interface Case {
  name: string;
  dims: number;
  /** Builds one step over n particles; returns it and a disposer. */
  build(n: number): { step(k: number): void; dispose(): void };
}

const CASES: Case[] = [
  {
    name: 'cbo step (GrandCanyon3noisy)', dims: 2,
    build(n) {
      const r = n >= 200 ? n / 200 : 1, per = n / r;
      let v: Tensor = d.add(d.mul(d.randomNormal([r, per, 2], { seed: 1 }), 0.5), 8);
      return {
        step: (k) => {
          const out = d.cboStep(d.grandCanyon3noisy, v, k, { seed: 2 });
          out.consensus.dispose(); v.dispose(); v = out.particles;
        },
        dispose: () => v.dispose(),
      };
    },
  },
  {
    name: 'interpolant SDE step (MLP b, η)', dims: 2,
    build(n) {
      const model = new d.MLP([11, 128, 128, 4]);
      const params = model.init({ seed: 3 });
      const f = d.jointFields(model, params, 2, 4);
      const interp = d.makeInterpolant();
      let x: Tensor = d.randomNormal([n, 2], { seed: 4 });
      return {
        step: (k) => {
          const t0 = 0.1 + 0.8 * ((k % 100) / 100);
          const y = d.sampleSDE(f.b, f.eta, interp, x, { grid: [t0, t0 + 0.008], eps: 0.5, seed: 5 });
          x.dispose(); x = y;
        },
        dispose: () => d.dispose([x, params]),
      };
    },
  },
  {
    name: 'multiplicative reverse step (exact score)', dims: 2,
    build(n) {
      const sch = d.geometricSchedule();
      const score = d.logNormalScore([0.5, -1], 0.3, sch);
      let x: Tensor = d.exp(d.randomNormal([n, 2], { seed: 6 }));
      return {
        step: (k) => {
          const t0 = 1 - (k % 100) / 100;
          const y = d.multiplicativeSample(score, x, { grid: [t0, t0 - 0.005], schedule: sch, seed: 7 });
          x.dispose(); x = y;
        },
        dispose: () => x.dispose(),
      };
    },
  },
];

export async function run(argv: string[] = []): Promise<BenchRow[]> {
  const { values } = parseArgs({ args: argv, strict: false, options: { repeat: { type: 'string' }, threads: { type: 'string' }, quick: { type: 'boolean' }, json: { type: 'string' } } });
  const quick = values.quick === true;
  const repeat = Math.max(1, Number(values.repeat ?? (quick ? 3 : 7)));
  const steps = quick ? 5 : 20;
  const before = getThreads();
  const threads = Number(String(values.threads ?? before).split(',')[0]);
  setThreads(threads);
  const rows: BenchRow[] = [];
  try {
    const triad = measurePeaks(quick).triad;
    console.log(`\nparticles · cpu · ${threads} thread${threads === 1 ? '' : 's'} · particles × steps per second (M p·s/s), best of ${repeat} × ${steps} steps · ceiling = triad ${triad.toFixed(1)} GB/s / (12·d bytes)`);
    console.log(`${'case'.padEnd(44)} ${'N'.padStart(6)} ${'ms/step'.padStart(9)} ${'M p·s/s'.padStart(9)} ${'ceiling'.padStart(9)} ${'% ceil'.padStart(7)}`);
    for (const c of CASES) {
      for (const n of [200, 10_000]) {
        const s = c.build(n);
        const times: number[] = [];
        try {
          for (let k = 0; k < 2; k++) s.step(k);
          for (let rep = 0; rep < repeat; rep++) {
            const t0 = performance.now();
            for (let k = 0; k < steps; k++) s.step(2 + rep * steps + k);
            times.push((performance.now() - t0) / steps);
          }
        } finally {
          s.dispose();
        }
        times.sort((a, b) => a - b);
        const med = times[Math.floor(times.length / 2)]!, min = times[0]!, max = times.at(-1)!;
        const rate = (ms: number) => n / ms / 1e3; // M particle·steps/s
        const ceiling = (triad * 1e9) / (12 * c.dims) / 1e6;
        rows.push({
          kernel: `particles ${c.name}`, backend: 'cpu', shape: `N=${n} d=${c.dims}`, threads,
          median: rate(med), min: rate(max), max: rate(min), unit: 'M p·s/s', particles: n, msMedian: med, ceiling, percentOfCeiling: (100 * rate(min)) / ceiling,
        });
        console.log(`${c.name.padEnd(44)} ${String(n).padStart(6)} ${min.toFixed(3).padStart(9)} ${rate(min).toFixed(2).padStart(9)} ${ceiling.toFixed(0).padStart(9)} ${((100 * rate(min)) / ceiling).toFixed(2).padStart(7)}`);
      }
    }
  } finally {
    setThreads(before);
  }
  if (typeof values.json === 'string') writeFileSync(values.json, JSON.stringify(rows, null, 1));
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) await run(process.argv.slice(2));
