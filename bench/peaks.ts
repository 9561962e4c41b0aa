// The machine's measured limits, the ceilings every benchmark row is printed against.
//
// - FMA peak: the native addon's fmaBurst, independent multiply-add chains of the current
//   ISA's widest vectors (24 zmm chains on AVX-512) run on T pool threads at once; the best
//   of several bursts of about 0.1 s, in GFLOP/s (2 flops per lane per FMA).
// - Stream bandwidth: STREAM's triad a = b + s·c over three 64 MiB arrays (12 bytes per
//   element, STREAM's counting, no write-allocate traffic), split over T threads; the best
//   of several passes, in GB/s (10^9 bytes). Copy bandwidth (copyInto, 8 bytes per element)
//   is measured the same way.
// Measured once per thread count and cached for the run.

import { readFileSync } from 'node:fs';
import { loadNative } from '../src/backend/cpu/load.js';

export interface Peaks {
  threads: number;
  /** GFLOP/s of the FMA loop on `threads` threads. */
  fma: number;
  /** GB/s of the triad on `threads` threads. */
  triad: number;
  /** GB/s of a contiguous copy on `threads` threads. */
  copy: number;
}

const cache = new Map<number, Peaks>();

function best(reps: number, f: () => number): number {
  let top = 0;
  for (let r = 0; r < reps; r++) top = Math.max(top, f());
  return top;
}

function seconds(f: () => void): number {
  const t0 = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/** Peaks for the pool's current thread count (the caller sets it). */
export function measurePeaks(quick = false): Peaks {
  const native = loadNative();
  const threads = native.getThreads();
  const have = cache.get(threads);
  if (have) return have;
  // Size the burst to about 0.1 s on this machine.
  let iters = 1 << 16;
  for (;;) {
    const s = seconds(() => native.fmaBurst(iters, 1));
    if (s > 0.02 || iters > 1 << 30) break;
    iters *= 4;
  }
  iters *= 4;
  const fma = best(quick ? 3 : 7, () => {
    let flops = 0;
    const s = seconds(() => { flops = native.fmaBurst(iters, threads); });
    return flops / s / 1e9;
  });
  const n = quick ? 4 << 20 : 16 << 20;
  const a = new Float32Array(n), b = new Float32Array(n).fill(1), c = new Float32Array(n).fill(2);
  const triad = best(quick ? 4 : 10, () => (12 * n) / seconds(() => native.streamTriad(a, b, c, 3)) / 1e9);
  const copy = best(quick ? 4 : 10, () => (8 * n) / seconds(() => native.copyInto(b, 0, [1], a, 0, [1], [n])) / 1e9);
  const p = { threads, fma, triad, copy };
  cache.set(threads, p);
  return p;
}

/** Peaks already measured for a thread count in this run, if any. */
export function measurePeaksCached(threads: number): Peaks | undefined {
  return cache.get(threads);
}

/** "model name · isa · N cores" for result files. */
export function deviceName(): string {
  const info = loadNative().cpuInfo();
  let model = 'unknown CPU';
  try {
    model = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? model;
  } catch {
    // not Linux: keep the generic name
  }
  return `${model} · ${info.isa} (${info.gemmKernel}) · ${info.cores} cores`;
}
