// descent's benchmark runner: `npm run bench -- [family ...] [options]`.
//
//   npm run bench -- matmul                     GFLOP/s of the native SGEMM, 1 and 2 threads
//   npm run bench -- elementwise --threads 2    GB/s of elementwise ops and reductions
//   npm run bench -- matmul --json out.json     also write one JSON row per measurement
//   npm run bench                               every family in bench/
//
// Options: --threads 1,2 (cpu thread counts; default 1 and the core count), --json FILE,
// --backend NAME (default: the family's first), --quick (fewer cases, shorter runs, for a
// smoke test), --filter REGEX (cases whose `kernel shape` matches). Other options pass
// through to self-driven families.
//
// ## Adding a family: bench/<family>.bench.ts
//
// A module exports either
//
// 1. `default: BenchFamily` (declarative; the runner measures):
//      family     'matmul'                       the name on the command line
//      unit       'GFLOP/s' | 'GB/s'             what `work` counts: flops or bytes per run
//      backends   ['cpu']                        those it can run on, the default first
//      threaded   true                           repeat per --threads value (cpu pool size)
//      cases(ctx) → BenchCase[]                  built once per (backend, threads)
//    with BenchCase { kernel, shape, work, run(), dispose?(), maxTime? }: `run` is one
//    execution (return a Promise when it must be awaited, e.g. a GPU submit + sync), `work`
//    its flops or bytes (the formula belongs in the module, next to the shapes). The runner
//    warms up (benchmark.js's calibration plus 2 calls), takes at least 5 samples within
//    maxTime seconds (default 1), and reports the median, min and max throughput of the
//    samples beside the machine's ceiling from ./peaks.ts (FMA peak for GFLOP/s, STREAM
//    triad for GB/s, measured by this run on the same thread count) as a percentage;
// 2. or `run(argv: string[]): Promise<BenchRow[]>` (self-driven, e.g. spectrum.bench.ts):
//    it parses its own options (argv holds the command line minus family names and --json)
//    and prints its own lines; the runner adds its rows to the JSON file.
//
// JSON (--json FILE): an array of BenchRow { kernel, backend, shape, threads, median, min,
// max, unit, ... }; the runner adds `peak` (the ceiling in the same unit), `device` and
// `commit` to its rows. threads is the cpu pool size (0 when it does not apply).

import { execSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import Benchmark from 'benchmark';
import { loadNative } from '../src/backend/cpu/load.js';
import { deviceName, measurePeaks, measurePeaksCached } from './peaks.js';
import type { Peaks } from './peaks.js';

export interface BenchRow {
  kernel: string;
  backend: string;
  shape: string;
  threads: number;
  median: number;
  min: number;
  max: number;
  unit: string;
  [extra: string]: unknown;
}

export interface BenchCase {
  /** e.g. 'sgemm.nt' */
  kernel: string;
  /** e.g. '1024x784x512' */
  shape: string;
  /** Flops (GFLOP/s families) or bytes (GB/s families) of one run. */
  work: number;
  run(): void | Promise<void>;
  dispose?(): void;
  /** Seconds of sampling (default 1). */
  maxTime?: number;
  /**
   * The same work by a peer library (e.g. OpenBLAS through numpy): seconds of each of its runs.
   * The runner interleaves descent's samples with the peer's (descent, peer, descent, peer)
   * and prints both medians and the descent/peer throughput ratio of each round.
   */
  peer?: () => Promise<number[]>;
}

export interface BenchContext {
  backend: string;
  /** cpu pool size for this pass (0 when the family is not threaded). */
  threads: number;
  quick: boolean;
}

export interface BenchFamily {
  family: string;
  unit: 'GFLOP/s' | 'GB/s';
  backends: readonly string[];
  threaded: boolean;
  cases(ctx: BenchContext): BenchCase[] | Promise<BenchCase[]>;
  /** Called once after the family's last case (e.g. to stop a peer process). */
  done?(): void;
  /** The peer's name for the table's header, when the cases have `peer`. */
  peerName?: () => string | null;
}

interface BenchModule {
  default?: BenchFamily;
  run?: (argv: string[]) => Promise<BenchRow[]>;
}

const here = dirname(fileURLToPath(import.meta.url));

// benchmark.js would otherwise decompile each function into its own loop, which breaks closures.
(Benchmark as unknown as { support: { decompilation: boolean } }).support.decompilation = false;

interface Stats { median: number; min: number; max: number }

/** Throughput samples (work / seconds per run) of one case. */
async function measure(c: BenchCase): Promise<Stats> {
  await c.run();
  const first = c.run();
  const isAsync = first instanceof Promise;
  await first;
  const bench = await new Promise<Benchmark>((resolve, reject) => {
    const b: Benchmark = isAsync
      ? new Benchmark(c.kernel, { defer: true, fn: (d: { resolve(): void }) => { void (c.run() as Promise<void>).then(() => d.resolve()); }, minSamples: 5, maxTime: c.maxTime ?? 1 })
      : new Benchmark(c.kernel, () => { c.run(); }, { minSamples: 5, maxTime: c.maxTime ?? 1 });
    b.on('complete', () => (b.error ? reject(b.error as Error) : resolve(b)));
    b.run({ async: isAsync });
  });
  // work is flops or bytes; both units are per 10^9.
  const rates = bench.stats.sample.map((s: number) => c.work / s / 1e9).sort((x: number, y: number) => x - y);
  return { median: rates[Math.floor(rates.length / 2)]!, min: rates[0]!, max: rates[rates.length - 1]! };
}

/** Throughput of single runs of a case, each timed on its own, as the peers time theirs. */
async function measureCalls(c: BenchCase): Promise<Stats> {
  await c.run();
  await c.run();
  const rates: number[] = [];
  const start = performance.now();
  const maxMs = (c.maxTime ?? 1) * 1000;
  for (let i = 0; i < 1000; i++) {
    const t0 = performance.now();
    await c.run();
    const t1 = performance.now();
    rates.push(c.work / ((t1 - t0) / 1000) / 1e9);
    if (t1 - start > maxMs && rates.length >= 5) break;
  }
  rates.sort((x, y) => x - y);
  return { median: rates[Math.floor(rates.length / 2)]!, min: rates[0]!, max: rates[rates.length - 1]! };
}

function commit(): string {
  try {
    const head = execSync('git rev-parse --short HEAD', { cwd: here, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    const dirty = execSync('git status --porcelain', { cwd: here, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim() !== '';
    return dirty ? `${head}+dirty` : head;
  } catch {
    return 'uncommitted';
  }
}

function families(): string[] {
  return readdirSync(here).filter((f) => f.endsWith('.bench.ts')).map((f) => f.slice(0, -'.bench.ts'.length)).sort();
}

const fmt = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));

async function runFamily(fam: BenchFamily, opts: { backend?: string; threads: number[]; quick: boolean; filter?: RegExp }, meta: Record<string, unknown>): Promise<BenchRow[]> {
  const backend = opts.backend ?? fam.backends[0]!;
  if (!fam.backends.includes(backend)) {
    console.log(`${fam.family}: skipped (runs on ${fam.backends.join(', ')}, not ${backend})`);
    return [];
  }
  const native = loadNative();
  const before = native.getThreads();
  const rows: BenchRow[] = [];
  try {
    for (const threads of fam.threaded ? opts.threads : [before]) {
      native.setThreads(threads);
      const peaks: Peaks = measurePeaks(opts.quick);
      const peak = fam.unit === 'GFLOP/s' ? peaks.fma : peaks.triad;
      const what = fam.unit === 'GFLOP/s' ? 'FMA peak' : 'STREAM triad';
      console.log(`\n${fam.family} · ${backend} · ${threads} thread${threads === 1 ? '' : 's'} · ${what} ${fmt(peak)} ${fam.unit} (measured${fam.unit === 'GB/s' ? `; copy ${fmt(peaks.copy)} GB/s` : ''})`);
      const one = threads > 1 ? measurePeaksCached(1) : undefined;
      if (one && peaks.fma < 0.75 * threads * one.fma) {
        console.log(`  note: ${threads} threads reach only ${fmt(peaks.fma / one.fma)}× the 1-thread FMA peak: other processes are using the cores, so these figures understate the kernels`);
      }
      const cases = (await fam.cases({ backend, threads: fam.threaded ? threads : 0, quick: opts.quick }))
        .filter((c) => !opts.filter || opts.filter.test(`${c.kernel} ${c.shape}`));
      const peerName = fam.peerName?.() ?? null;
      if (peerName) console.log(`peer: ${peerName}; each case measured descent, peer, descent, peer (ratio = descent / peer throughput, per round)`);
      console.log(`${'kernel'.padEnd(16)} ${'shape'.padEnd(16)} ${'median'.padStart(8)} ${'min'.padStart(8)} ${'max'.padStart(8)}  ${fam.unit.padEnd(7)} % peak${peerName ? '    peer  ratio (rounds)' : ''}`);
      for (const c of cases) {
        let s: Stats;
        let extra = '';
        const peerCols: Record<string, unknown> = {};
        if (c.peer && peerName) {
          // descent is timed here the way the peer times itself (bench/peers/peer.py: two
          // warm-up calls, then each call on its own, median): benchmark.js's samples are means
          // over ~50 ms batches, which on a shared machine include the preemptions that a
          // median of single calls leaves out (at load ~6, 188 vs 105 GFLOP/s for the same
          // 2048×256×256 calls), so mixing the two estimators skewed the ratio.
          const half = { ...c, maxTime: (c.maxTime ?? 1) / 2 };
          const d1 = await measureCalls(half);
          const p1 = c.work / median(await c.peer()) / 1e9;
          const d2 = await measureCalls(half);
          const p2 = c.work / median(await c.peer()) / 1e9;
          s = { median: (d1.median + d2.median) / 2, min: Math.min(d1.min, d2.min), max: Math.max(d1.max, d2.max) };
          const ratios = [d1.median / p1, d2.median / p2];
          extra = ` ${fmt((p1 + p2) / 2).padStart(7)}  ${ratios.map((r) => r.toFixed(2)).join(' ')}`;
          Object.assign(peerCols, { peer: peerName, peerMedian: (p1 + p2) / 2, ratios });
        } else {
          s = await measure(c);
        }
        c.dispose?.();
        console.log(`${c.kernel.padEnd(16)} ${c.shape.padEnd(16)} ${fmt(s.median).padStart(8)} ${fmt(s.min).padStart(8)} ${fmt(s.max).padStart(8)}  ${fam.unit.padEnd(7)} ${((100 * s.median) / peak).toFixed(0).padStart(4)}%${extra}`);
        rows.push({ kernel: c.kernel, backend, shape: c.shape, threads: fam.threaded ? threads : 0, ...s, unit: fam.unit, peak, ...peerCols, ...meta });
      }
    }
  } finally {
    native.setThreads(before);
    fam.done?.();
  }
  return rows;
}

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export async function main(argv: string[]): Promise<BenchRow[]> {
  const { values, positionals } = parseArgs({
    args: argv,
    strict: false,
    allowPositionals: true,
    options: { threads: { type: 'string' }, json: { type: 'string' }, backend: { type: 'string' }, quick: { type: 'boolean' }, filter: { type: 'string' } },
  });
  const available = families();
  const wanted = positionals.filter((p) => available.includes(p));
  const unknown = positionals.filter((p) => !available.includes(p));
  if (unknown.length > 0) {
    throw new RangeError(`bench: expected a family among ${available.join(', ')} but received ${unknown.map((u) => `'${u}'`).join(', ')}`);
  }
  const native = loadNative();
  const threads = typeof values.threads === 'string'
    ? values.threads.split(',').map((t) => Number(t))
    : [...new Set([1, native.cpuInfo().cores])];
  for (const t of threads) {
    if (!Number.isInteger(t) || t < 1) throw new RangeError(`bench: expected thread counts like 1,2 for '--threads' but received '${String(values.threads)}'`);
  }
  const meta = { device: deviceName(), commit: commit() };
  const passThrough = argv.filter((a, i) => !available.includes(a) && a !== '--json' && argv[i - 1] !== '--json' && !a.startsWith('--json='));
  const rows: BenchRow[] = [];
  for (const name of wanted.length > 0 ? wanted : available) {
    const mod = (await import(pathToFileURL(join(here, `${name}.bench.ts`)).href)) as BenchModule;
    if (mod.default) {
      rows.push(...(await runFamily(mod.default, {
        backend: typeof values.backend === 'string' ? values.backend : undefined,
        threads,
        quick: values.quick === true,
        filter: typeof values.filter === 'string' ? new RegExp(values.filter) : undefined,
      }, meta)));
    } else if (mod.run) {
      console.log(`\n${name} (self-driven)`);
      rows.push(...(await mod.run(passThrough)));
    } else {
      throw new TypeError(`bench: expected bench/${name}.bench.ts to export a default BenchFamily or run(argv)`);
    }
  }
  if (typeof values.json === 'string') {
    writeFileSync(values.json, JSON.stringify(rows, null, 1));
    console.log(`\nwrote ${rows.length} rows to ${values.json}`);
  }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    console.error((e as Error).message);
    process.exit(1);
  });
}
