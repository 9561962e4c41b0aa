// Optimizer-step benchmark: one fused step of every optimizer over a 10M-parameter arena,
// and over a population of R = 16 replicas × 1M parameters with per-replica learning rates,
// on cpu with 1 and 2 threads, and on webgpu when an adapter exists.
//
// Formula and ceiling. A step is memory-bound: it streams p, g and the state once, so
// bytes(step) = 4·(reads + writes) per parameter (Adam: p, g, m, v read, p, m, v written =
// 28 bytes), plus 4 per parameter for the gradient-norm pass of clipping and AdaGradNorm.
// GB/s = bytes / time of one step (best and median of --repeat steps after 2 warm-up
// steps), printed beside the ceiling this run measures: STREAM triad and copy on cpu
// (./peaks.ts, same thread count), a buffer-to-buffer copy of 10M floats on webgpu.
// Issue 4's target: Adam on 10M parameters in ≤ 10 ms with 2 threads (≥ 85% of bandwidth).
//
// Peer, same run (cpu): torch.optim.Adam (Debian's python3-torch, defaults: lr 1e-3, the
// single-tensor CPU path of torch 1.13; bench/peers/peer.py) on a 10M-parameter tensor, same
// thread count, measured after descent's Adam P=10M row and again after a second descent
// measurement (descent, torch, descent, torch): ratio = descent ms / torch ms per round.
// `--no-peers` leaves it out.
//
// Run: `npm run bench -- optim [--threads 1,2] [--backend cpu,webgpu] [--repeat N]
// [--quick] [--filter REGEX] [--json FILE]` or `npx tsx bench/optim.bench.ts …`. JSON rows:
// { kernel, backend, shape, threads, median, min, max (GB/s), unit, msMedian, msMin,
// bytesPerParam, peak, peakName }.

import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import * as d from '../src/index.js';
import type { Backend } from '../src/index.js';
import { initBackend } from '../src/backend/backend.js';
import { getThreads, setThreads } from '../src/backend/cpu/index.js';
import { createOptimizer } from '../src/optim/index.js';
import { measurePeaks } from './peaks.js';
import { Peer, median as med } from './peers/peer.js';
import type { BenchRow } from './run.js';

export type { BenchRow };

interface Case {
  name: string;
  kind: string;
  opts: Record<string, unknown>;
  /** Bytes moved per parameter by one step (reads + writes of float32 values). */
  bytes: number;
}

const CASES: Case[] = [
  { name: 'SGD', kind: 'SGD', opts: { lr: 0.01 }, bytes: 12 },
  { name: 'SGD momentum', kind: 'SGD', opts: { lr: 0.01, momentum: 0.9, nesterov: true }, bytes: 20 },
  { name: 'Adam', kind: 'Adam', opts: {}, bytes: 28 },
  { name: 'Adam + clip', kind: 'Adam', opts: { clipNorm: 1 }, bytes: 32 },
  { name: 'AdamW', kind: 'AdamW', opts: {}, bytes: 28 },
  { name: 'AMSGrad', kind: 'AMSGrad', opts: {}, bytes: 36 },
  { name: 'AdaGrad', kind: 'AdaGrad', opts: {}, bytes: 20 },
  { name: 'AdaGradNorm', kind: 'AdaGradNorm', opts: {}, bytes: 16 },
  { name: 'RMSProp', kind: 'RMSProp', opts: {}, bytes: 20 },
  { name: 'RMSProp centred momentum', kind: 'RMSProp', opts: { centered: true, momentum: 0.9 }, bytes: 36 },
  { name: 'DiffGrad', kind: 'DiffGrad', opts: {}, bytes: 36 },
  { name: 'EG± signed', kind: 'EGPlusMinus', opts: {}, bytes: 12 },
  { name: 'EG± pm', kind: 'EGPlusMinus', opts: { form: 'pm' }, bytes: 28 },
  { name: 'Optimistic', kind: 'Optimistic', opts: {}, bytes: 20 },
  { name: 'Optimistic entropic', kind: 'Optimistic', opts: { entropic: true }, bytes: 20 },
];

const SHAPES = [
  { label: 'P=10M', shape: [10_000_000] },
  { label: 'R=16 P=1M', shape: [16, 1_000_000] },
];

function stats(times: number[]): { median: number; min: number; max: number } {
  const s = times.slice().sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)]!, min: s[0]!, max: s.at(-1)! };
}

/** GB/s of a 10M-float buffer-to-buffer copy on the GPU (8 bytes per element): the best of `repeat`. */
async function gpuCopyBandwidth(b: Backend, repeat: number): Promise<number> {
  const n = 10_000_000;
  const src = d.full([n], 1, { backend: b }), dst = d.zeros([n], { backend: b });
  const times: number[] = [];
  for (let i = 0; i < repeat + 2; i++) {
    await b.sync();
    const t0 = performance.now();
    b.ops.copyInto(src.strided, dst.strided);
    await b.sync();
    if (i >= 2) times.push(performance.now() - t0);
  }
  d.dispose([src, dst]);
  return 8 * n / stats(times).min / 1e6;
}

async function timeStep(b: Backend, c: Case, shape: number[], repeat: number): Promise<number[]> {
  const R = shape.length === 2 ? shape[0]! : 1;
  const opts = { ...c.opts, ...(R > 1 ? { lr: Array.from({ length: R }, (_, r) => 1e-3 * (1 + r / R)) } : {}) };
  const params = d.full(shape, 1, { backend: b }), grads = d.full(shape, 1e-3, { backend: b });
  const opt = createOptimizer(c.kind, params, opts);
  const times: number[] = [];
  for (let i = 0; i < repeat + 2; i++) {
    await b.sync();
    const t0 = performance.now();
    opt.step(grads);
    await b.sync();
    if (i >= 2) times.push(performance.now() - t0);
  }
  opt.dispose();
  d.dispose([params, grads]);
  return times;
}

export async function run(argv: string[] = []): Promise<BenchRow[]> {
  const { values } = parseArgs({
    args: argv, strict: false,
    options: {
      repeat: { type: 'string' }, backend: { type: 'string' }, threads: { type: 'string' }, quick: { type: 'boolean' },
      filter: { type: 'string' }, json: { type: 'string' }, 'no-peers': { type: 'boolean' },
    },
  });
  const quick = values.quick === true;
  const repeat = Math.max(1, Number(values.repeat ?? (quick ? 3 : 10)));
  const want = String(values.backend ?? 'cpu,webgpu').split(',');
  const threadCounts = String(values.threads ?? '1,2').split(',').map(Number);
  const filter = typeof values.filter === 'string' ? new RegExp(values.filter) : null;
  const shapes = quick ? [{ label: 'P=1M', shape: [1_000_000] }, { label: 'R=16 P=64K', shape: [16, 65_536] }] : SHAPES;
  const rows: BenchRow[] = [];
  const fmt = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
  const table = async (b: Backend, threads: number, peak: number, peakName: string) => {
    console.log(`${'optimizer'.padEnd(26)} ${'shape'.padEnd(11)} ${'best ms'.padStart(8)} ${'median'.padStart(8)} ${'GB/s'.padStart(7)} ${'% peak'.padStart(7)}`);
    for (const shape of shapes) {
      for (const c of CASES) {
        if (filter && !filter.test(`${c.name} ${shape.label}`)) continue;
        const times = await timeStep(b, c, shape.shape, repeat);
        const s = stats(times);
        const n = shape.shape.reduce((a, v) => a * v, 1);
        const rate = (ms: number) => c.bytes * n / ms / 1e6;
        rows.push({
          kernel: `optim ${c.name}`, backend: b.name, shape: shape.label, threads,
          median: rate(s.median), min: rate(s.max), max: rate(s.min), unit: 'GB/s',
          msMedian: s.median, msMin: s.min, bytesPerParam: c.bytes, peak, peakName,
        });
        console.log(`${c.name.padEnd(26)} ${shape.label.padEnd(11)} ${s.min.toFixed(2).padStart(8)} ${s.median.toFixed(2).padStart(8)} ${fmt(rate(s.min)).padStart(7)} ${`${(100 * rate(s.min) / peak).toFixed(0)}%`.padStart(7)}`);
      }
    }
  };
  if (want.includes('cpu')) {
    const b = await initBackend('cpu');
    const before = getThreads();
    let torch: Peer | null = null;
    if (values['no-peers'] !== true) {
      const p = await Peer.start({ torch: true });
      if (typeof p === 'string') console.log(`optim: torch.optim.Adam peer skipped: ${p}`);
      else torch = p;
    }
    try {
      for (const th of threadCounts) {
        setThreads(th);
        const peaks = measurePeaks(quick);
        console.log(`\noptim · cpu · ${th} thread${th === 1 ? '' : 's'} · STREAM triad ${fmt(peaks.triad)} GB/s, copy ${fmt(peaks.copy)} GB/s (measured)`);
        await table(b, th, peaks.triad, 'STREAM triad');
        if (torch) {
          await torch.request({ op: 'threads', n: th });
          const n = shapes[0]!.shape[0]!;
          const adam = CASES.find((c) => c.name === 'Adam')!;
          const d1 = await timeStep(b, adam, [n], repeat);
          const p1 = (await torch.times({ op: 'adam', n, reps: repeat })).map((s) => 1e3 * s);
          const d2 = await timeStep(b, adam, [n], repeat);
          const p2 = (await torch.times({ op: 'adam', n, reps: repeat })).map((s) => 1e3 * s);
          const ratios = [med(d1) / med(p1), med(d2) / med(p2)];
          const dm = med([...d1, ...d2]), pm = med([...p1, ...p2]);
          console.log(`Adam vs torch.optim.Adam (${torch.describe().split(',').slice(0, 2).join(',')}), ${shapes[0]!.label}: descent ${dm.toFixed(2)} ms, torch ${pm.toFixed(2)} ms, ratio ${(dm / pm).toFixed(2)} (rounds ${ratios.map((r) => r.toFixed(2)).join(', ')})`);
          rows.push({
            kernel: 'optim Adam vs torch', backend: 'cpu', shape: shapes[0]!.label, threads: th, median: dm, min: Math.min(...d1, ...d2), max: Math.max(...d1, ...d2), unit: 'ms',
            pytorch: pm, ratio: dm / pm, ratios,
          });
        }
      }
    } finally {
      setThreads(before);
      torch?.close();
    }
  }
  if (want.includes('webgpu')) {
    let b: Backend | null = null;
    try {
      b = await initBackend('webgpu');
    } catch (e) {
      console.log(`\noptim · webgpu: skipped (${(e as Error).message.split('\n')[0]})`);
    }
    if (b) {
      const bw = await gpuCopyBandwidth(b, repeat);
      console.log(`\noptim · webgpu · buffer copy ${fmt(bw)} GB/s (measured)`);
      await table(b, 0, bw, 'GPU buffer copy');
    }
  }
  if (typeof values.json === 'string') writeFileSync(values.json, JSON.stringify(rows, null, 1));
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) await run(process.argv.slice(2));
