// Matrix products on the webgpu backend against tfjs-backend-webgpu on the same Dawn adapter.
//
//   npm run bench -- webgpu                    square 128–1024 (2048 off a software adapter) and the
//                                              MLP shapes M×K×N of bench/matmul.bench.ts, nn
//   npm run bench -- webgpu --transposes=all   also nt, tn, tt (options with values take `=`: the runner
//                                              reads a bare word as a family name)
//   npm run bench -- webgpu --large            2048³ on a software adapter too (slow on lavapipe)
//   npm run bench -- webgpu --no-peers         without the tfjs-webgpu column
//
// GFLOP/s = 2·M·N·K / (seconds per product), measured with the operands already on the GPU:
// each round records `reps` products into one batch, submits and waits for the queue; `reps`
// grows until a round takes ≥ 25 ms (at most 1024 products and 192 MiB of results), so that
// the queue's submit-and-wait latency is spread over the round; the best and median of the
// rounds are printed, with `reps`, the host time per product spent recording (`record`) and
// one product followed by a queue drain (`one+sync`: what a lone product costs, latency
// included; the figures before this change were that, 1 product per round above 2e8 flops). Read-back (copy to a mappable buffer, map, copy
// out) of one M×N result is timed separately and printed in ms and GB/s. The peer runs in a
// child process (bench/peers, its own package.json: `npm install --prefix bench/peers`), on
// the same adapter, with the same timing rule; `ratio` is descent / tfjs at the best round.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createWebGPUBackend, NoAdapterError } from '../src/backend/webgpu/index.js';
import type { WebGPUBackend } from '../src/backend/webgpu/index.js';
import { uniform } from '../src/random.js';
import { MLP, SQUARES } from './matmul.bench.js';
import type { BenchCase, BenchRow } from './run.js';

const here = dirname(fileURLToPath(import.meta.url));

interface Operands { gpu: WebGPUBackend; m: number; k: number; n: number; transA: boolean; transB: boolean; a: ReturnType<WebGPUBackend['upload']>; b: ReturnType<WebGPUBackend['upload']> }

function operands(gpu: WebGPUBackend, m: number, k: number, n: number, tr: string): Operands {
  return { gpu, m, k, n, transA: tr[0] === 't', transB: tr[1] === 't', a: gpu.upload(uniform(1, m * k)), b: gpu.upload(uniform(2, k * n)) };
}

function product(o: Operands) {
  return o.gpu.ops.matmul({ a: { s: o.a, offset: 0 }, b: { s: o.b, offset: 0 }, batch: 1, m: o.m, n: o.n, k: o.k, transA: o.transA, transB: o.transB, strideA: 0, strideB: 0, act: 'none' });
}

interface Timing {
  /** Milliseconds per product in each round (a round: `reps` products recorded into one batch, then one queue drain). */
  ms: number[];
  reps: number;
  /** Milliseconds of host time per product spent recording (the ops' JavaScript and Dawn's encoding), best round. */
  recordMs: number;
  /** One product followed by a queue drain (submit + wait), best of `rounds`: what a lone product costs. */
  oneMs: number;
}

/**
 * Times products with the operands on the GPU. `reps` starts at 1 and grows 4× until a round
 * takes ≥ 25 ms, so that the queue's submit-and-wait latency (≈ 0.1–0.5 ms through Dawn) is
 * spread over many products; it is bounded by 1024 products and by 192 MiB of results per
 * round (the pool keeps that much between rounds, so no round allocates new buffers).
 */
async function time(o: Operands, rounds: number): Promise<Timing> {
  const outBytes = 4 * o.m * o.n;
  const cap = Math.max(1, Math.min(1024, Math.floor((192 * 2 ** 20) / outBytes)));
  const round = async (reps: number) => {
    const t0 = performance.now();
    const outs = Array.from({ length: reps }, () => product(o));
    const t1 = performance.now();
    await o.gpu.sync();
    const t2 = performance.now();
    for (const c of outs) o.gpu.free(c);
    return { ms: (t2 - t0) / reps, record: (t1 - t0) / reps, total: t2 - t0 };
  };
  await round(1);
  let reps = 1;
  for (;;) {
    const r = await round(reps);
    if (r.total >= 25 || reps >= cap) break;
    reps = Math.min(cap, reps * 4);
  }
  await round(reps);
  const ms: number[] = [];
  let recordMs = Infinity;
  for (let r = 0; r < rounds; r++) {
    const x = await round(reps);
    ms.push(x.ms);
    recordMs = Math.min(recordMs, x.record);
  }
  let oneMs = Infinity;
  for (let r = 0; r < rounds; r++) oneMs = Math.min(oneMs, (await round(1)).ms);
  return { ms, reps, recordMs, oneMs };
}

/**
 * Cases for bench/run.ts's declarative runner (bench/matmul.bench.ts can use them for `--backend webgpu`). On a GPU one
 * run records 16 products before its queue drain (the drain's latency would otherwise dominate); on a software adapter 1.
 */
export async function webgpuMatmulCases(quick: boolean): Promise<BenchCase[]> {
  const gpu = await createWebGPUBackend();
  const big = gpu.context.isSoftware ? 1024 : 2048;
  const reps = gpu.context.isSoftware ? 1 : 16;
  const shapes: [number, number, number][] = [...SQUARES.filter((s) => s <= (quick ? 512 : big)).map((s): [number, number, number] => [s, s, s]), ...MLP];
  return shapes.map(([m, k, n]) => {
    const o = operands(gpu, m, k, n, 'nn');
    return {
      kernel: 'webgpu.nn', shape: m === k && k === n ? `${m}³` : `${m}x${k}x${n}`, work: 2 * m * n * k * reps, maxTime: quick ? 0.5 : 2,
      run: async () => {
        const cs = Array.from({ length: reps }, () => product(o));
        await gpu.sync();
        for (const c of cs) gpu.free(c);
      },
      dispose: () => { gpu.free(o.a); gpu.free(o.b); },
    };
  });
}

interface PeerResult { m: number; k: number; n: number; ms: number[]; gflops: number }

function runPeer(shapes: [number, number, number][], rounds: number): Map<string, PeerResult> | string {
  const script = join(here, 'peers', 'tfjs-webgpu-matmul.ts');
  if (!existsSync(join(here, 'peers', 'node_modules', '@tensorflow', 'tfjs-backend-webgpu'))) {
    return 'bench/peers is not installed (npm install --prefix bench/peers)';
  }
  const r = spawnSync(process.execPath, ['--import', 'tsx', script, JSON.stringify(shapes.map(([m, k, n]) => ({ m, k, n }))), String(rounds)], {
    cwd: join(here, '..'), encoding: 'utf8', timeout: 30 * 60 * 1000, maxBuffer: 1 << 24,
  });
  if (r.status !== 0) return `tfjs-webgpu failed: ${(r.stderr || r.error?.message || '').split('\n').filter((l) => !l.startsWith('Warning')).slice(0, 3).join(' ')}`;
  const out = new Map<string, PeerResult>();
  for (const line of r.stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const p = JSON.parse(line) as PeerResult;
    out.set(`${p.m}x${p.k}x${p.n}`, p);
  }
  return out;
}

const fmt = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function run(argv: string[]): Promise<BenchRow[]> {
  const { values } = parseArgs({
    args: argv, strict: false,
    options: { transposes: { type: 'string' }, large: { type: 'boolean' }, 'no-peers': { type: 'boolean' }, quick: { type: 'boolean' }, rounds: { type: 'string' }, filter: { type: 'string' } },
  });
  let gpu: WebGPUBackend;
  try {
    gpu = await createWebGPUBackend();
  } catch (e) {
    if (!(e instanceof NoAdapterError)) throw e;
    console.log(`webgpu: skipped (${e.message})`);
    return [];
  }
  const a = gpu.adapter;
  const quick = values.quick === true;
  const rounds = Number(values.rounds ?? (quick ? 2 : 3));
  const big = gpu.context.isSoftware && values.large !== true ? 1024 : 2048;
  const filter = typeof values.filter === 'string' ? new RegExp(values.filter) : null;
  const shapes: [number, number, number][] = [
    ...SQUARES.filter((s) => s <= (quick ? 512 : big)).map((s): [number, number, number] => [s, s, s]),
    ...MLP,
  ].filter(([m, k, n]) => !filter || filter.test(`${m}x${k}x${n}`));
  const transposes = values.transposes === 'all' ? ['nn', 'nt', 'tn', 'tt'] : ['nn'];
  console.log(`webgpu matmul · ${a.vendor} ${a.architecture} · ${a.description}${a.isFallbackAdapter ? ' (software adapter)' : ''}`);

  const peer = values['no-peers'] === true ? 'skipped (--no-peers)' : runPeer(shapes, rounds);
  if (typeof peer === 'string') console.log(`tfjs-webgpu: ${peer}`);
  const peerCol = typeof peer !== 'string';

  console.log(`${'kernel'.padEnd(10)} ${'M×K×N'.padEnd(15)} ${'best'.padStart(8)} ${'median'.padStart(8)}  GFLOP/s ${'reps'.padStart(5)} ${'record'.padStart(9)} ${'one+sync'.padStart(9)} ${'read-back'.padStart(10)} ${'GB/s'.padStart(6)}${peerCol ? `  ${'tfjs-webgpu'.padStart(11)}  ratio` : ''}`);
  const rows: BenchRow[] = [];
  for (const [m, k, n] of shapes) {
    for (const tr of transposes) {
      const o = operands(gpu, m, k, n, tr);
      const flops = 2 * m * n * k;
      const tm = await time(o, rounds);
      const rates = tm.ms.map((t) => flops / t / 1e6);
      // Read-back of one result: the copy, the map and the copy out of the mapped range.
      const c = product(o);
      await gpu.sync();
      const rb: number[] = [];
      for (let r = 0; r < rounds; r++) {
        const t0 = performance.now();
        await gpu.read(c);
        rb.push(performance.now() - t0);
      }
      gpu.free(c);
      gpu.free(o.a);
      gpu.free(o.b);
      const readMs = Math.min(...rb);
      const best = Math.max(...rates), med = median(rates);
      const p = peerCol && tr === 'nn' ? peer.get(`${m}x${k}x${n}`) : undefined;
      const shape = `${m}x${k}x${n}`;
      console.log(`${`matmul.${tr}`.padEnd(10)} ${shape.padEnd(15)} ${fmt(best).padStart(8)} ${fmt(med).padStart(8)}  ${''.padEnd(7)} ${String(tm.reps).padStart(5)} ${(tm.recordMs.toFixed(3) + ' ms').padStart(9)} ${(tm.oneMs.toFixed(3) + ' ms').padStart(9)} ${(readMs.toFixed(2) + ' ms').padStart(10)} ${fmt((4 * m * n) / readMs / 1e6).padStart(6)}${p ? `  ${fmt(p.gflops).padStart(11)}  ${(best / p.gflops).toFixed(2)}×` : ''}`);
      rows.push({ kernel: `matmul.${tr}`, backend: 'webgpu', shape, threads: 0, median: med, min: Math.min(...rates), max: best, unit: 'GFLOP/s', readbackMs: readMs, reps: tm.reps, recordMs: tm.recordMs, oneMs: tm.oneMs, device: a.description });
      if (p) {
        const pr = p.ms.map((t) => flops / t / 1e6);
        rows.push({ kernel: 'matmul.nn', backend: 'tfjs-webgpu', shape, threads: 0, median: median(pr), min: Math.min(...pr), max: Math.max(...pr), unit: 'GFLOP/s', device: a.description });
      }
    }
  }
  gpu.dispose();
  return rows;
}
