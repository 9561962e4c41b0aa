// Gradient and Hessian-vector product timings on the reference problem
// (../shared/reference/mlp-fmnist-init: a 784-256-256-10 ReLU MLP, mean cross-entropy over
// 2,048 Fashion-MNIST rows, n = 269,322 parameters), cpu backend, float32, per thread count:
//   hvp.loss+grad   valueAndGrad of the loss
//   hvp.fresh       hvp(f, params, v0): records the forward and backward passes, then one product
//   hvp.reuse       one product through hessianOperator (forward and backward recorded once)
//   hvp.block8      one product of the operator with a block of 8 probes [n, 8]
//   ggn.reuse       one Gauss-Newton product through ggnOperator
// Matrix-product work per run, with N rows and a_l = n_{l−1}·n_l: forward 2N·Σa_l; the
// gradient adds 2N·Σa_l (weights) + 2N·Σ_{l≥2}a_l (inputs); a Hessian product (R-operator:
// tangents of the forward and backward passes) 4N·a_1 + 12N·Σ_{l≥2}a_l; a GGN product
// (Jv, then Jᵀu) 2N·a_1 + 4N·Σ_{l≥2}a_l + 2N·Σa_l + 2N·Σ_{l≥2}a_l.
// Peer, same run: PyTorch (Debian's python3-torch, bench/peers/peer.py) on the same problem,
// weights, data and v0, same thread count: loss + gradient (torch.autograd.grad), the HVP by
// double backward recomputing the graph (hvp.fresh), and reusing the gradient graph kept with
// create_graph=True (hvp.reuse: autograd.grad(g, params, v, retain_graph=True)). `--no-peers`
// leaves PyTorch out.
//
// How a ratio is measured (issue 17's target for hvp.reuse: ≤ 0.7 in every run). A case runs
// `--rounds` rounds (default 4) of `--pairs` pairs (default 5). A pair is one timed descent
// product and one timed PyTorch product back to back (descent first in even pairs, PyTorch
// first in odd ones), each right after its own untimed warm-up call (descent one; the peer two,
// inside its request); the pair's ratio is descent ms / PyTorch ms. A round reports the median
// of its pairs' ratios with their spread (min–max), and every round is printed; the case's
// `ratio` is the median over all pairs. Both sides get the same statistic: a load spike that
// hits one sample moves one pair's ratio, not the round's median, and nothing is dropped or
// minimised on one side only. The load average is printed before and after each case.
//
// `--phases`: the product's wall time split by the tangent pass's entries (their rules'
// kernels, cpu being synchronous), grouped as forward-tangent / backward-tangent GEMMs,
// elementwise passes, reductions and views, plus what is spent outside the rules (JS
// bookkeeping, freeing), means over `--repeat` products; and, apart, what copying the result
// into a new JS array (dataSync) costs, which no case times.
//
// Run: `npm run bench -- hvp [--threads 1,2] [--repeat R] [--rounds R] [--pairs K] [--phases]
// [--json FILE]` or `npx tsx bench/hvp.bench.ts` with the same options. Rows (bench/run.ts's
// BenchRow): median, min and max milliseconds (of the paired samples for a peered case, else of
// R runs, default 20; 5 for the block), unit 'ms', plus GFLOP/s of the median and, for a peered
// case, PyTorch's median, the overall ratio, each round's median ratio (`ratios`) and spread
// (`spreads`), and the load averages.

import { rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import * as d from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { createCpuBackend, getThreads, setThreads } from '../src/backend/cpu/index.js';
import { profileTangentPass } from '../src/autodiff/jvp.js';
import type { Entry } from '../src/autodiff/tape.js';
import { Peer, writeProblem } from './peers/peer.js';
import type { BenchRow } from './run.js';

/** descent's case → the peer's 'hvp' kind. */
const TORCH_KIND: Record<string, string> = { 'hvp.loss+grad': 'grad', 'hvp.fresh': 'fresh', 'hvp.reuse': 'reuse' };

/** The median (the mean of the two middle values for an even count). */
function median(xs: readonly number[]): number {
  const s = xs.slice().sort((a, b) => a - b), h = s.length >> 1;
  return s.length % 2 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
}

const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');

/**
 * Milliseconds of one run, its tensors freed. The cpu backend computes eagerly, so the result
 * is complete when run() returns; it is not copied into a new JS array (dataSync), as the
 * peer's timed call also ends with its result tensors (`--phases` times that copy apart).
 */
function once(run: () => Tensor): number {
  const t0 = performance.now();
  d.tidy(() => { run(); });
  return performance.now() - t0;
}

/** Milliseconds of each of `repeat` runs after 3 warm-up runs, sorted. */
function sample(repeat: number, run: () => Tensor): number[] {
  for (let i = 0; i < 3; i++) once(run);
  const times: number[] = [];
  for (let i = 0; i < repeat; i++) times.push(once(run));
  return times.sort((a, b) => a - b);
}

interface Paired { descent: number[]; torch: number[]; ratios: number[]; rounds: { median: number; min: number; max: number }[] }

/** `rounds` rounds of `pairs` (descent, PyTorch) pairs, as described in the header. */
async function paired(torch: Peer, kind: string, rounds: number, pairs: number, run: () => Tensor): Promise<Paired> {
  for (let i = 0; i < 3; i++) once(run);
  const out: Paired = { descent: [], torch: [], ratios: [], rounds: [] };
  const ours = () => { once(run); return once(run); };
  const theirs = async () => 1e3 * (await torch.times({ op: 'hvp', kind, reps: 1 }))[0]!;
  for (let r = 0; r < rounds; r++) {
    const rs: number[] = [];
    for (let i = 0; i < pairs; i++) {
      let a: number, b: number;
      if (i % 2 === 0) { a = ours(); b = await theirs(); } else { b = await theirs(); a = ours(); }
      out.descent.push(a);
      out.torch.push(b);
      rs.push(a / b);
    }
    out.ratios.push(...rs);
    out.rounds.push({ median: median(rs), min: Math.min(...rs), max: Math.max(...rs) });
  }
  return out;
}

type Part = 'forward' | 'backward';
const KIND: Record<string, string> = { matmul: 'GEMM', linear: 'GEMM', sum: 'reductions', sumsq: 'reductions', max: 'reductions', min: 'reductions' };
const VIEWS = new Set(['slice', 'reshape', 'permute', 'broadcastTo', 'contiguous', 'concat']);

/**
 * The product's milliseconds by phase: each entry of the tangent pass timed through the
 * profiler, grouped by part (the forward pass's tangent up to the loss's softmax, then the
 * backward pass's) and kind; the rest of the product's wall time is outside the rules. Each
 * figure is the median over the products of that phase's milliseconds in one product (a
 * load spike in one product moves one sample); the process's CPU time per product (all
 * threads) is printed beside the wall time.
 */
function phases(repeat: number, run: () => Tensor): void {
  for (let i = 0; i < 3; i++) once(run);
  const perProduct: Map<string, number>[] = [];
  let cur = new Map<string, number>();
  let part: Part = 'forward';
  profileTangentPass((e: Entry, ms: number) => {
    const kind = KIND[e.op] ?? (VIEWS.has(e.op) ? 'views, concat' : 'elementwise');
    const keys = [`${part} tangent · ${kind}`];
    if (kind === 'GEMM') keys.push(`  ${part} ${e.op} ${e.inputs.slice(0, 2).map((t) => t.shape.join('×')).join(' · ')}`);
    for (const k of keys) cur.set(k, (cur.get(k) ?? 0) + ms);
    if (e.op === 'logSoftmax' || e.op === 'softmax') part = 'backward';
  });
  const totals: number[] = [], cpu: number[] = [], outside: number[] = [], copies: number[] = [];
  try {
    for (let i = 0; i < repeat; i++) {
      part = 'forward';
      cur = new Map();
      const c0 = process.cpuUsage();
      const ms = once(run);
      const c = process.cpuUsage(c0);
      totals.push(ms);
      cpu.push((c.user + c.system) / 1e3);
      let rules = 0;
      for (const [k, v] of cur) if (!k.startsWith(' ')) rules += v;
      outside.push(ms - rules);
      perProduct.push(cur);
    }
  } finally {
    profileTangentPass(null);
  }
  for (let i = 0; i < repeat; i++) {
    d.tidy(() => {
      const r = run(), t0 = performance.now();
      r.dataSync();
      copies.push(performance.now() - t0);
    });
  }
  const product = median(totals);
  const line = (k: string, v: number) => console.log(`  ${k.padEnd(44)} ${v.toFixed(2).padStart(7)} ms ${(100 * v / product).toFixed(0).padStart(3)}%`);
  console.log(`phases of hvp.reuse, medians over ${repeat} products: product ${product.toFixed(2)} ms wall (${Math.min(...totals).toFixed(2)}–${Math.max(...totals).toFixed(2)}), ${median(cpu).toFixed(2)} ms CPU; load ${load()}`);
  const keys = [...new Set(perProduct.flatMap((m) => [...m.keys()]))];
  for (const k of keys.filter((x) => !x.startsWith(' ')).sort()) line(k, median(perProduct.map((m) => m.get(k) ?? 0)));
  line('outside the rules (JS, frees)', median(outside));
  for (const k of keys.filter((x) => x.startsWith(' '))) line(k, median(perProduct.map((m) => m.get(k) ?? 0)));
  console.log(`  (not timed in any case: copying the result into a new JS array, dataSync: median ${median(copies).toFixed(2)} ms, ${Math.min(...copies).toFixed(2)}–${Math.max(...copies).toFixed(2)})`);
}

export async function run(argv: string[] = []): Promise<BenchRow[]> {
  const { values } = parseArgs({
    args: argv, strict: false,
    options: {
      threads: { type: 'string' }, repeat: { type: 'string' }, rounds: { type: 'string' }, pairs: { type: 'string' },
      json: { type: 'string' }, quick: { type: 'boolean' }, phases: { type: 'boolean' }, 'no-peers': { type: 'boolean' },
    },
  });
  const threadList = typeof values.threads === 'string' ? values.threads.split(',').map(Number) : [1, 2];
  for (const t of threadList) {
    if (!Number.isInteger(t) || t < 1) throw new RangeError(`hvp bench: expected thread counts like 1,2 for '--threads' but received '${String(values.threads)}'`);
  }
  const count = (name: 'repeat' | 'rounds' | 'pairs', full: number, quick: number) => {
    const v = Number(values[name] ?? (values.quick ? quick : full));
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`hvp bench: expected a positive integer for '--${name}' but received '${String(values[name])}'`);
    return v;
  };
  const repeat = count('repeat', 20, 5), rounds = count('rounds', 4, 2), pairs = count('pairs', 5, 3);
  const backend = createCpuBackend();
  const ref = d.loadReferenceProblem();
  const { model, params } = d.mlpFromWeights({ widths: ref.widths, layers: ref.layers }, { activation: 'relu', backend });
  const x = d.tensor(ref.x, [ref.n, ref.features], { backend });
  const y = d.tensor(ref.y, [ref.n], { dtype: 'int32', backend });
  const v0 = d.tensor(ref.v0, [ref.v0.length], { backend });
  const n = ref.v0.length, N = ref.n;
  const V8 = d.tidy(() => d.contiguous(d.transpose(d.randomNormal([8, n], { seed: 1, backend }))));
  const f = (p: Tensor) => d.softmaxCrossEntropy(model.apply(p, x), y);

  const a = ref.widths.slice(1).map((w, l) => ref.widths[l]! * w);
  const sumA = a.reduce((s, v) => s + v, 0), restA = sumA - a[0]!;
  const gradFlops = 2 * N * sumA + 2 * N * sumA + 2 * N * restA;
  const hvpFlops = 4 * N * a[0]! + 12 * N * restA;
  const ggnFlops = 2 * N * a[0]! + 4 * N * restA + 2 * N * sumA + 2 * N * restA;

  let torch: Peer | null = null;
  if (values['no-peers'] !== true) {
    const p = await Peer.start({ torch: true });
    if (typeof p === 'string') {
      console.log(`hvp: PyTorch peer skipped: ${p}`);
    } else {
      torch = p;
      const dir = writeProblem({ widths: ref.widths, x: ref.x, y: ref.y, n: ref.n, flat: ref.flat, v0: ref.v0 }, 'hvp');
      const r = await torch.request({ op: 'problem', dir });
      rmSync(dir, { recursive: true, force: true });
      console.log(`hvp peer: PyTorch, ${torch.describe()}; loss ${(r.loss as number).toFixed(6)}, v0·H·v0 = ${(r.vHv as number).toExponential(6)}`);
      console.log(`ratios: ${rounds} rounds × ${pairs} interleaved (descent, torch) pairs per case; a round = the median of its pair ratios [min–max]`);
    }
  }
  const rows: BenchRow[] = [];
  const before = getThreads();
  try {
    for (const threads of threadList) {
      setThreads(threads);
      if (torch) await torch.request({ op: 'threads', n: threads });
      const H = d.hessianOperator(f, params);
      const G = d.ggnOperator((p) => model.apply(p, x), (z) => d.softmaxCrossEntropy(z, y), params);
      const vHv = d.tidy(() => d.dot(v0, H.apply(v0)).dataSync()[0]!);
      console.log(`\nhvp · cpu · ${threads} thread${threads === 1 ? '' : 's'} · v0·H·v0 = ${vHv.toExponential(6)} (float64 reference ${ref.expected.v0_H_v0.toExponential(6)}) · load ${load()}`);
      if (values.phases === true) phases(repeat, () => H.apply(v0));
      console.log(`${'kernel'.padEnd(16)} ${'median'.padStart(8)} ${'min'.padStart(8)} ${'max'.padStart(8)}  ms   GFLOP/s${torch ? '  torch ms  ratio  rounds: median [min–max] of descent ms / torch ms per pair' : ''}`);
      const cases: [string, number, number, () => Tensor][] = [
        ['hvp.loss+grad', gradFlops, repeat, () => d.valueAndGrad(f)(params).grad],
        ['hvp.fresh', gradFlops + hvpFlops, repeat, () => d.hvp(f, params, v0)],
        ['hvp.reuse', hvpFlops, repeat, () => H.apply(v0)],
        ['hvp.block8', 8 * hvpFlops, Math.max(3, Math.ceil(repeat / 4)), () => H.apply(V8)],
        ['ggn.reuse', ggnFlops, repeat, () => G.apply(v0)],
      ];
      for (const [kernel, flops, reps, body] of cases) {
        const kind = TORCH_KIND[kernel];
        let t: number[];
        let peer: Record<string, unknown> = {};
        let note = '';
        if (torch && kind) {
          const loadBefore = loadavg()[0]!;
          const p = await paired(torch, kind, rounds, pairs, body);
          t = p.descent.slice().sort((a, b) => a - b);
          const torchMs = median(p.torch), ratio = median(p.ratios);
          peer = {
            pytorch: torchMs, pytorchMin: Math.min(...p.torch), ratio,
            ratios: p.rounds.map((r) => r.median), spreads: p.rounds.map((r) => [r.min, r.max]),
            load: [loadBefore, loadavg()[0]!],
          };
          note = `${torchMs.toFixed(1).padStart(8)}  ${ratio.toFixed(2)}   ${p.rounds.map((r) => `${r.median.toFixed(2)} [${r.min.toFixed(2)}–${r.max.toFixed(2)}]`).join(', ')}  (load ${loadBefore.toFixed(2)} → ${loadavg()[0]!.toFixed(2)})`;
        } else {
          t = sample(reps, body);
        }
        const med = median(t);
        const row: BenchRow = {
          kernel, backend: 'cpu', shape: `mlp-fmnist-init n=${n} rows=${N}`, threads,
          median: med, min: t[0]!, max: t.at(-1)!, unit: 'ms', gflops: flops / med / 1e6, ...peer,
        };
        rows.push(row);
        console.log(`${kernel.padEnd(16)} ${med.toFixed(1).padStart(8)} ${t[0]!.toFixed(1).padStart(8)} ${t.at(-1)!.toFixed(1).padStart(8)}  ms ${(flops / med / 1e6).toFixed(0).padStart(8)}  ${note}`);
      }
      H.dispose();
      G.dispose();
    }
  } finally {
    setThreads(before);
    torch?.close();
  }
  if (typeof values.json === 'string') writeFileSync(values.json, JSON.stringify(rows, null, 1));
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) await run(process.argv.slice(2));
