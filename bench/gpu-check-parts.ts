// The curvature and optimizer parts of bench/gpu-check.sh, bundled with descent's sources into
// .gpucheck/parts.mjs by `bash bench/gpu-check.sh --prepare` and run there on the WebGPU adapter:
//
//   parts.mjs data DIR OUT  OUT (a .safetensors file: x float32 = u8/255, y int32) from DIR/x_u8.bin
//                         and DIR/y_i32.bin (bench/gpu-check-problem.ts), for `descent spectrum --data`
//   parts.mjs hvp DIR     the reference problem's Hessian-vector product on webgpu: hvp.reuse (one
//                         product through hessianOperator, forward and backward recorded once),
//                         hvp.fresh (hvp(): record, then one product) and loss + gradient;
//                         v0·H·v0 against the float64 reference; median/min ms of 20 runs after
//                         3 warm-ups, each run ending in a queue drain (backend.sync()), with the
//                         host time spent recording, the dispatches and submits of one run, the
//                         queue's own latency (a tiny op + drain) and the time per run when 10
//                         runs are recorded before one drain
//   parts.mjs adam [N]    one fused Adam step over N = 10M float32 parameters on webgpu, ms
//
// Each prints a table and, with $GPUCHECK_JSON, writes its rows there for the comparison with
// PyTorch (bench/peers/gpu_torch.py) that gpu-check.sh prints.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as d from '../src/index.js';
import type { Backend, Tensor } from '../src/index.js';
import { initBackend } from '../src/backend/backend.js';
import { writeSafetensors } from '../src/io/safetensors.js';
import { createOptimizer } from '../src/optim/index.js';

const [part, arg, outPath] = process.argv.slice(2);
const rows: Record<string, unknown>[] = [];
const stats = (t: number[]) => { const s = t.slice().sort((a, b) => a - b); return { median: s[Math.floor(s.length / 2)]!, min: s[0]! }; };

function readProblem(dir: string) {
  const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as { widths: number[]; n: number; params: number; expected: { v0_H_v0: number; loss: number } };
  const buf = (f: string) => { const b = readFileSync(join(dir, f)); return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength); };
  const u8 = new Uint8Array(buf('x_u8.bin'));
  const x = new Float32Array(u8.length);
  for (let i = 0; i < u8.length; i++) x[i] = u8[i]! / 255;
  return { meta, x, y: new Int32Array(buf('y_i32.bin')), flat: new Float32Array(buf('flat_f32.bin')), v0: new Float32Array(buf('v0_f32.bin')) };
}

/** Milliseconds of `reps` runs after 3 warm-ups, each run ending in a queue drain; also the host time spent recording each run. */
async function timeRuns(b: Backend, reps: number, run: () => Tensor | void): Promise<{ total: number[]; record: number[] }> {
  const total: number[] = [], record: number[] = [];
  for (let i = 0; i < reps + 3; i++) {
    await b.sync();
    const t0 = performance.now();
    const out = d.tidy(() => run());
    const t1 = performance.now();
    await b.sync();
    if (i >= 3) { total.push(performance.now() - t0); record.push(t1 - t0); }
    if (out) out.dispose();
  }
  return { total, record };
}

/** Milliseconds per run when `n` runs are recorded before one queue drain (the submit-and-wait latency spread over n), best of 3. */
async function timeBatched(b: Backend, n: number, run: () => Tensor | void): Promise<number> {
  let best = Infinity;
  for (let r = 0; r < 4; r++) {
    await b.sync();
    const t0 = performance.now();
    const outs: (Tensor | void)[] = [];
    for (let i = 0; i < n; i++) outs.push(d.tidy(() => run()));
    await b.sync();
    if (r > 0) best = Math.min(best, (performance.now() - t0) / n);
    for (const o of outs) if (o) o.dispose();
  }
  return best;
}

/** Dispatches and submits of one run on a webgpu backend (its command batch's counters). */
function counts(b: Backend, run: () => Tensor | void): { dispatches: number; submits: number } {
  const batch = (b as unknown as { context?: { batch: { dispatches: number; submitted: number } } }).context?.batch;
  if (!batch) return { dispatches: 0, submits: 0 };
  const d0 = batch.dispatches, s0 = batch.submitted;
  const out = d.tidy(() => run());
  const r = { dispatches: batch.dispatches - d0, submits: batch.submitted - s0 };
  if (out) out.dispose();
  return r;
}

if (part === 'data') {
  const p = readProblem(arg!);
  const out = outPath ?? join(arg!, 'data.safetensors');
  writeSafetensors(out, { x: { data: p.x, shape: [p.meta.n, p.meta.widths[0]!] }, y: { data: p.y, shape: [p.meta.n] } });
  console.log(`wrote ${out}`);
} else if (part === 'hvp') {
  const b = await initBackend('webgpu');
  const p = readProblem(arg!);
  const w = p.meta.widths;
  const layers: { W: Float32Array; b: Float32Array }[] = [];
  let off = 0;
  for (let l = 1; l < w.length; l++) {
    const size = w[l - 1]! * w[l]!;
    layers.push({ W: p.flat.slice(off, off + size), b: p.flat.slice(off + size, off + size + w[l]!) });
    off += size + w[l]!;
  }
  const { model, params } = d.mlpFromWeights({ widths: w, layers }, { activation: 'relu', backend: b });
  const x = d.tensor(p.x, [p.meta.n, w[0]!], { backend: b });
  const y = d.tensor(p.y, [p.meta.n], { dtype: 'int32', backend: b });
  const v0 = d.tensor(p.v0, [p.v0.length], { backend: b });
  const f = (q: Tensor) => d.softmaxCrossEntropy(model.apply(q, x), y);
  const H = d.hessianOperator(f, params);
  const vHv = (await d.tidy(() => d.dot(v0, H.apply(v0))).data())[0]!;
  console.log(`descent webgpu · ${b.name} · v0·H·v0 = ${vHv.toExponential(6)} (float64 reference ${p.meta.expected.v0_H_v0.toExponential(6)})`);
  const cases: [string, () => Tensor][] = [
    ['hvp.reuse', () => H.apply(v0)],
    ['hvp.fresh', () => d.hvp(f, params, v0)],
    ['hvp.loss+grad', () => d.valueAndGrad(f)(params).grad],
  ];
  // The queue's submit-and-wait latency alone: one tiny dispatch, then a drain.
  const lat = stats((await timeRuns(b, 20, () => d.full([4], 1, { backend: b }))).total);
  console.log(`queue latency (one fill of 4 elements + sync): median ${lat.median.toFixed(3)} ms, min ${lat.min.toFixed(3)} ms`);
  for (const [kernel, run] of cases) {
    const tr = await timeRuns(b, 20, run);
    const t = stats(tr.total), rec = stats(tr.record);
    const c = counts(b, run);
    await b.sync();
    const batched = await timeBatched(b, 10, run);
    rows.push({ kernel, ...t, vHv, recordMedian: rec.median, batched, ...c, latency: lat.median });
    console.log(`${kernel.padEnd(16)} median ${t.median.toFixed(2)} ms, min ${t.min.toFixed(2)} ms · recording ${rec.median.toFixed(2)} ms · ${c.dispatches} dispatches, ${c.submits} submits · 10 recorded per drain: ${batched.toFixed(2)} ms each`);
  }
  H.dispose();
} else if (part === 'adam') {
  const b = await initBackend('webgpu');
  const n = Number(arg ?? 10_000_000);
  const params = d.full([n], 1, { backend: b }), grads = d.full([n], 1e-3, { backend: b });
  const opt = createOptimizer('Adam', params, {});
  const t = stats((await timeRuns(b, 20, () => { opt.step(grads); })).total);
  rows.push({ kernel: 'adam', n, ...t });
  console.log(`descent webgpu Adam step, ${n} parameters: median ${t.median.toFixed(3)} ms, min ${t.min.toFixed(3)} ms (${(28 * n / t.min / 1e6).toFixed(0)} GB/s at 28 bytes/parameter)`);
  opt.dispose();
} else {
  throw new RangeError(`gpu-check-parts: expected a part among data, hvp, adam as the first argument but received '${part}'`);
}
if (process.env.GPUCHECK_JSON && rows.length > 0) writeFileSync(process.env.GPUCHECK_JSON, JSON.stringify(rows));
process.exit(0);
