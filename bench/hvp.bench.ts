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
// create_graph=True (hvp.reuse: autograd.grad(g, params, v, retain_graph=True)). Each case is
// sampled descent, torch, descent, torch; `ratio` = descent ms / torch ms per round (issue 17's
// target for hvp.reuse: ≤ 0.7 in every run). `--no-peers` leaves PyTorch out.
//
// Run: `npm run bench -- hvp [--threads 1,2] [--repeat R] [--json FILE]` or
// `npx tsx bench/hvp.bench.ts` with the same options. Rows (bench/run.ts's BenchRow): median,
// min and max milliseconds of R runs (default 20; 5 for the block), unit 'ms', plus GFLOP/s of
// the median and PyTorch's time where there is one.

import { rmSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import * as d from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { createCpuBackend, getThreads, setThreads } from '../src/backend/cpu/index.js';
import { Peer, median as med, writeProblem } from './peers/peer.js';
import type { BenchRow } from './run.js';

/** descent's case → the peer's 'hvp' kind. */
const TORCH_KIND: Record<string, string> = { 'hvp.loss+grad': 'grad', 'hvp.fresh': 'fresh', 'hvp.reuse': 'reuse' };

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** Milliseconds of each of `repeat` runs after 3 warm-up runs (each run's tensors freed). */
function sample(repeat: number, run: () => Tensor): number[] {
  for (let i = 0; i < 3; i++) d.tidy(() => { run().dataSync(); });
  const times: number[] = [];
  for (let i = 0; i < repeat; i++) {
    const t0 = performance.now();
    d.tidy(() => { run().dataSync(); });
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b);
}

export async function run(argv: string[] = []): Promise<BenchRow[]> {
  const { values } = parseArgs({ args: argv, strict: false, options: { threads: { type: 'string' }, repeat: { type: 'string' }, json: { type: 'string' }, quick: { type: 'boolean' }, 'no-peers': { type: 'boolean' } } });
  const threadList = typeof values.threads === 'string' ? values.threads.split(',').map(Number) : [1, 2];
  for (const t of threadList) {
    if (!Number.isInteger(t) || t < 1) throw new RangeError(`hvp bench: expected thread counts like 1,2 for '--threads' but received '${String(values.threads)}'`);
  }
  const repeat = Number(values.repeat ?? (values.quick ? 5 : 20));
  if (!Number.isInteger(repeat) || repeat < 1) throw new RangeError(`hvp bench: expected a positive integer for '--repeat' but received '${String(values.repeat)}'`);
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
      console.log(`\nhvp · cpu · ${threads} thread${threads === 1 ? '' : 's'} · v0·H·v0 = ${vHv.toExponential(6)} (float64 reference ${ref.expected.v0_H_v0.toExponential(6)})`);
      console.log(`${'kernel'.padEnd(16)} ${'median'.padStart(8)} ${'min'.padStart(8)} ${'max'.padStart(8)}  ms   GFLOP/s${torch ? '  torch ms  ratio (rounds: descent ms / torch ms)' : ''}`);
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
          // Interleaved: descent, torch, descent, torch (half the repeats each time).
          const half = Math.max(3, Math.ceil(reps / 2));
          const d1 = sample(half, body);
          const p1 = (await torch.times({ op: 'hvp', kind, reps: half })).map((s) => 1e3 * s);
          const d2 = sample(half, body);
          const p2 = (await torch.times({ op: 'hvp', kind, reps: half })).map((s) => 1e3 * s);
          t = [...d1, ...d2].sort((a, b) => a - b);
          const ratios = [med(d1) / med(p1), med(d2) / med(p2)];
          const torchMs = med([...p1, ...p2]);
          peer = { pytorch: torchMs, pytorchMin: Math.min(...p1, ...p2), ratios, ratio: percentile(t, 0.5) / torchMs };
          note = `${torchMs.toFixed(1).padStart(8)}  ${(percentile(t, 0.5) / torchMs).toFixed(2)} (${ratios.map((r) => r.toFixed(2)).join(', ')})`;
        } else {
          t = sample(reps, body);
        }
        const median = percentile(t, 0.5);
        const row: BenchRow = {
          kernel, backend: 'cpu', shape: `mlp-fmnist-init n=${n} rows=${N}`, threads,
          median, min: t[0]!, max: t.at(-1)!, unit: 'ms', gflops: flops / median / 1e6, ...peer,
        };
        rows.push(row);
        console.log(`${kernel.padEnd(16)} ${median.toFixed(1).padStart(8)} ${t[0]!.toFixed(1).padStart(8)} ${t.at(-1)!.toFixed(1).padStart(8)}  ms ${(flops / median / 1e6).toFixed(0).padStart(8)}  ${note}`);
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
