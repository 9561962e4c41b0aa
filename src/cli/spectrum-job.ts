// The spectrum job (`descent spectrum`, whose options live in spectrum-options.ts): the top
// eigenvalues, trace and eigenvalue density of a network's Hessian (or Gauss-Newton
// matrix) on a data set, with a progress bar, a summary, JSON and SVG outputs, and a
// checkpoint after every step (its new rows appended, the state committed: spectrum-state.ts)
// so that the same command resumes a killed run and finishes with the same result.
//
// One Lanczos run serves all three answers. `probes` start vectors (seeded Rademacher) run
// `iterations` steps in lockstep; probe 0's Ritz pairs are the top eigenvalues (their
// residuals are then verified from the products A q_j the checkpoint kept); the quadrature
// rules of all probes give the density (SLQ); probe 0's Krylov basis deflates the trace,
// and the other probes' start vectors are its first Hutchinson samples at no cost, topped
// up with `trace-probes` extra products. docs/spectrum.md documents the options and the
// schema of spectrum.json.

import '../backends.js';
import { existsSync, rmSync, statfsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { initBackend, useBackend } from '../backend/backend.js';
import { prefetchGzip } from '../io/files.js';
import type { Json } from '../algorithms/experiment.js';
import { defaultDataDir, FASHION_MNIST_DIR, fashionMnistFiles } from '../data/fashion-mnist.js';
import { checkMemory, Job, JobError } from './job.js';
import { bulkEdge, outliers, spectralDensity } from '../linalg/density.js';
import { convergedCount, keptResiduals, ritzValues } from '../linalg/eigsh.js';
import { deflatedTrace } from '../linalg/hutchinson.js';
import { Lanczos } from '../linalg/lanczos.js';
import type { Operator } from '../linalg/operators.js';
import { PROBE_STREAM, probeRows } from '../linalg/probes.js';
import { gaussRule, meanAndError, traceFromRules } from '../linalg/slq.js';
import type { QuadratureRule } from '../linalg/slq.js';
import { tridiagEigImplementation } from '../linalg/tridiag.js';
import { Progress, formatDuration } from './progress.js';
import { dataFiles, referenceDirOf } from './spectrum-options.js';
import type { SpectrumOptions } from './spectrum-options.js';
import { PlotWorker, renderDensitySvg } from './spectrum-plot.js';
import type { PlotInput } from './spectrum-plot.js';
import { buildProblem, loadData, loadModel } from './spectrum-setup.js';
import type { Problem } from './spectrum-setup.js';
import { hostValues, StateDir, STATE_VERSION } from './spectrum-state.js';
import type { JobState } from './spectrum-state.js';
import { UsageError } from './usage.js';

/** The options that determine the numbers (a checkpoint made with other ones is not reused). */
function resultKey(o: SpectrumOptions, backend: string): Record<string, unknown> {
  return {
    model: o.model, activation: o.activation ?? null, data: o.data, samples: o.samples, shuffleSeed: o.shuffleSeed ?? null,
    batchSize: o.batchSize ?? null, iterations: o.iterations, minIterations: o.minIterations ?? null, tol: o.minIterations === undefined ? null : o.tol,
    probes: o.probes, topK: o.topK, traceProbes: o.traceProbes, matrix: o.matrix, layer: o.layer ?? null, seed: o.seed, backend,
    ...(o.shards === undefined ? {} : { shards: o.shards }),
  };
}

const sameKey = (a: Record<string, unknown>, b: Record<string, unknown>) => JSON.stringify(a) === JSON.stringify(b);

// Trace probes per call of the quadratic forms. Each probe's pass is already matrix work for
// a batch of hundreds of rows, and bigger blocks allocate bigger fresh buffers: on the
// reference problem the trace phase took 0.22 s with blocks of 1–2, 0.27 s with 8, 0.36 s with 16.
const TRACE_BLOCK = 2;

/** How long the finished job waits for the plot worker before drawing density.svg itself. */
const PLOT_WAIT_MS = 1000;

export interface SpectrumReport {
  json: Record<string, unknown>;
  outDir: string;
}

/** The job itself (also callable from code and benchmarks). */
export async function runSpectrum(o: SpectrumOptions): Promise<SpectrumReport> {
  const wall0 = performance.now();
  const log = (s: string) => { if (!o.quiet) console.log(s); };
  const backend = await initBackend(o.backend);
  await useBackend(backend);
  const key = resultKey(o, backend.name);
  // One resume policy (job.ts): the same options and input files resume; others are refused
  // unless --fresh, which deletes only the files this job wrote.
  const job = Job.open({ command: 'spectrum', out: o.out, options: key as { [k: string]: Json }, inputs: spectrumInputs(o), fresh: o.fresh, quiet: o.quiet });
  const outDir = job.dir;
  let dir: StateDir;
  let state: JobState | null;
  try {
    dir = new StateDir(job);
    state = dir.load();
    job.begin();
  } catch (e) {
    job.close();
    throw e;
  }
  const resumed = state !== null && state.phase !== 'done';
  const timings: Record<string, number> = {};
  const timed = async <T>(name: string, f: () => Promise<T> | T): Promise<T> => {
    const t = performance.now();
    try {
      return await f();
    } finally {
      timings[name] = (timings[name] ?? 0) + (performance.now() - t) / 1000;
    }
  };

  let problem: Problem | null = null;
  let run: Lanczos | null = null;
  // The density plot is drawn on a worker thread, which loads vega now, while the job sets up.
  let plots: PlotWorker | null = null;
  try {
    plots = new PlotWorker();
  } catch {
    plots = null;
  }
  const svgPath = join(outDir, 'density.svg');
  let drawn: Promise<void> | null = null;
  let summary: LanczosSummary | null = null;
  /** Once the Lanczos phase is over: its results, and the plot drawn from them meanwhile. */
  const lanczosOver = async () => {
    summary = await timed('output', () => summarize(o, state!));
    drawn = plots?.draw(plotInput(o, state!, summary), svgPath) ?? null;
    // A failure here shows when the job awaits it; keep it from being reported unhandled before.
    drawn?.catch(() => undefined);
  };
  try {
    if (!state || state.phase !== 'done') {
      problem = await timed('setup', async () => {
        await prefetchGzip(dataFiles(o));
        const data = loadData(o.data, o.samples, o.shuffleSeed);
        const model = loadModel(o.model, o.activation, o.seed, backend);
        const p: Omit<Problem, 'loss'> = o.redis !== undefined && o.shards !== undefined
          // Loaded only for --redis: the Redis client costs ~70 ms of module loading.
          ? await (await import('./spectrum-distributed.js')).distributedProblem({ ...o, redis: o.redis, shards: o.shards }, model, data, backend, log)
          : buildProblem(model, data, o.matrix, o.layer, o.batchSize, backend);
        const loss = (await p.op.value.data())[0]!;
        return { ...p, loss };
      });
      if (o.iterations > problem.n) throw new UsageError(`--iterations (${o.iterations}) must not exceed the matrix order ${problem.n}`);
      checkSize(o, problem.n, outDir);
      state ??= {
        version: STATE_VERSION, key, phase: 'lanczos',
        problem: {
          parameters: problem.n, samples: problem.data.data.n, loss: problem.loss,
          model: problem.model.description, data: problem.data.description, backend: backend.name,
        },
        lanczos: null, stepProbes: [], trace: null, residuals: null, timings: {}, runs: 0,
      };
    }
    const st: JobState = state!;
    st.runs++;
    const n = st.problem.parameters;
    const totalWork = o.probes * o.iterations + o.traceProbes;
    const doneWork = (st.lanczos?.matvecs ?? 0) + (st.trace?.extraDone ?? 0);
    const bar = new Progress({ total: totalWork, label: 'spectrum', enabled: !o.quiet });
    if (st.phase !== 'done') {
      if (resumed) log(`descent spectrum: resuming from ${dir.dir} (phase ${st.phase}, ${doneWork}/${totalWork} products done)`);
      bar.start(doneWork, st.phase);
    }
    // The operator, timed during the Lanczos phase (timings.lanczosProductsSeconds): what a step
    // costs beyond its product is lanczosSeconds minus that.
    const op: Operator | null = problem
      ? async (v) => {
        const t = performance.now();
        try {
          return await problem!.op.apply(v);
        } finally {
          if (st.phase === 'lanczos') timings.lanczosProducts = (timings.lanczosProducts ?? 0) + (performance.now() - t) / 1000;
        }
      }
      : null;

    // ── Lanczos: all probes in lockstep, a checkpoint per step ──
    if (st.phase !== 'done') {
      if (st.lanczos) {
        dir.checkProducts(st);
        run = Lanczos.restore(op!, st.lanczos, dir.loadBasis(st), backend);
      } else {
        // Probe 0's products go to the checkpoint (not kept in memory), so that its Ritz pairs'
        // residuals cost no further products.
        run = Lanczos.create(op!, n, { steps: o.iterations, probes: o.probes, seed: o.seed, backend, reportProducts: [0] });
        for (let p = 0; p < o.probes; p++) {
          const row = run.nextVector(p);
          try {
            dir.appendRows(await hostValues(row));
          } finally {
            row.dispose();
          }
        }
        st.stepProbes = [Array.from({ length: o.probes }, (_, p) => p)];
        st.lanczos = run.snapshot();
        dir.save(st);
      }
    }
    if (st.phase === 'lanczos') {
      // With --min-iterations, the phase ends once probe 0's top k have converged; the test
      // reads only the saved coefficients, so a resumed run stops at the same step.
      const done = () => o.minIterations !== undefined && run!.steps[0]! >= o.minIterations &&
        convergedCount(run!, 0, o.topK, 'largest', o.tol).count === o.topK;
      await timed('lanczos', async () => {
        if (done()) return;
        for (let info = await run!.step(); info; info = await run!.step()) {
          // The new rows straight from the tensors' memory (valid until the next step).
          dir.appendRows(await hostValues(info.rows));
          if (info.products) dir.appendProducts(await hostValues(info.products.rows));
          st.stepProbes[info.step] = info.probes;
          st.lanczos = run!.snapshot();
          dir.save(st);
          bar.tick(info.probes.length, `lanczos ${info.step}/${o.iterations}`);
          if (done()) {
            bar.update(bar.completed, 'converged');
            break;
          }
        }
      });
      st.phase = 'trace';
      dir.save(st);
    }

    await lanczosOver();

    // ── Trace: Krylov-deflated Hutchinson (free samples, then extra probes in blocks) ──
    if (st.phase === 'trace') {
      await timed('trace', async () => {
        if (!st.trace) {
          const g = o.probes > 1 ? probeRows('rademacher', n, o.probes, { seed: o.seed, stream: PROBE_STREAM.lanczos, backend }) : undefined;
          const free = await deflatedTrace(op!, run!, g ? { startProbes: g } : {});
          g?.dispose();
          st.trace = { exactPart: free.exactPart, freeSamples: Array.from(free.samples), extraDone: 0, extraSamples: [] };
          dir.save(st);
        }
        const tr = st.trace;
        while (tr.extraDone < o.traceProbes) {
          const count = Math.min(TRACE_BLOCK, o.traceProbes - tr.extraDone);
          // The samples need only gᵀMg: the operator's quadratic forms (half a product for an MLP) when it has them.
          const quadratic = problem!.op.quadratic;
          const part = await deflatedTrace(op!, run!, { extraProbes: count, first: tr.extraDone, seed: o.seed, block: count, ...(quadratic ? { quadratic } : {}) });
          tr.byForms = quadratic !== undefined;
          tr.extraSamples.push(...part.samples);
          tr.extraDone += count;
          dir.save(st);
          bar.tick(count, `trace ${tr.extraDone}/${o.traceProbes}`);
        }
      });
      st.phase = 'verify';
      dir.save(st);
    }

    // ── Verify the top Ritz pairs: ‖A y − θ y‖ from the products A q_j in the checkpoint ──
    if (st.phase === 'verify') {
      await timed('verify', async () => {
        st.residuals = Array.from((await keptResiduals(run!, 0, o.topK, 'largest', dir.productRows(st, backend))).residuals);
      });
      st.phase = 'done';
      dir.save(st);
      bar.update(bar.completed, 'verified');
    }
    if (doneWork < totalWork) bar.finish();

    // ── Outputs (from the state alone) ──
    const report = await timed('output', async () => {
      const out = writeOutputs(o, st, outDir, summary!);
      checkResult(out.json, o.topK);
      return out;
    });
    for (const [k, v] of Object.entries(timings)) st.timings[k] = (st.timings[k] ?? 0) + v;
    dir.save(st);
    await timed('output', async () => {
      try {
        if (!drawn) throw new Error('no plot worker');
        // The worker draws at the lowest priority (spectrum-plot.ts): on a machine busy with
        // other work it may still be starved here, and then this thread draws instead.
        let timer: NodeJS.Timeout | undefined;
        try {
          await Promise.race([drawn, new Promise((_, fail) => { timer = setTimeout(() => fail(new Error('the plot worker is late')), PLOT_WAIT_MS); })]);
        } finally {
          clearTimeout(timer);
        }
        job.adoptFile('density.svg');
      } catch {
        await plots?.close().catch(() => undefined);
        rmSync(`${svgPath}.tmp-${process.pid}`, { force: true });
        job.writeFile('density.svg', await renderDensitySvg(plotInput(o, st, summary!)));
      }
    });
    const wall = (performance.now() - wall0) / 1000;
    const json = report.json;
    json.timings = {
      ...Object.fromEntries(Object.entries(st.timings).map(([k, v]) => [`${k}Seconds`, round(v, 4)])),
      thisRunSeconds: round(wall, 4),
      runs: st.runs,
      resumed,
    };
    job.writeFile('spectrum.json', JSON.stringify(json, null, 1));
    job.finish(JSON.parse(JSON.stringify(st)) as Json);
    if (!o.quiet) printSummary(json, outDir, wall);
    return { json, outDir };
  } finally {
    await plots?.close().catch(() => undefined);
    run?.dispose();
    problem?.dispose();
    job.close();
  }
}

/** The input files a run reads (their content is part of the job's fingerprint); missing ones are left to the loaders to report. */
export function spectrumInputs(o: Pick<SpectrumOptions, 'data' | 'model'>): { [option: string]: string[] } {
  const data: string[] = [];
  const d = o.data;
  const both = (f: { images: string; labels: string }) => [f.images, f.labels];
  if (d === 'default') data.push(...both(fashionMnistFiles('test', defaultDataDir())));
  else if (d === 'fashion-mnist:train' || d === 'fashion-mnist:test') data.push(...both(fashionMnistFiles(d.endsWith('train') ? 'train' : 'test', FASHION_MNIST_DIR)));
  else if (referenceDirOf(d)) data.push(referenceDirOf(d)!, ...both(fashionMnistFiles('train', FASHION_MNIST_DIR)));
  else if (d.includes('images-idx3')) data.push(d, d.replace('images-idx3', 'labels-idx1'));
  else data.push(d);
  const model: string[] = [];
  const ref = referenceDirOf(o.model);
  if (ref) model.push(ref);
  else if (o.model.endsWith('.safetensors')) model.push(o.model);
  const present = (xs: string[]) => xs.filter((f) => existsSync(f));
  return { '--data': present(data), '--model': present(model) };
}

/**
 * Refuses, before the Lanczos phase, a run whose vectors would not fit in memory or whose
 * checkpoint would not fit on the disk of --out: probes × (iterations + 1) basis rows of n
 * float32 values kept in memory, and those with iterations product rows appended to the checkpoint.
 */
function checkSize(o: SpectrumOptions, n: number, outDir: string): void {
  const basis = o.probes * (o.iterations + 1) * n * 4;
  const bytes = basis + o.iterations * n * 4;
  const grid = 8 * o.grid * (4 + o.probes * o.iterations / 64);
  checkMemory(`--probes ${o.probes} × --iterations ${o.iterations} Lanczos vectors of ${n.toLocaleString('en-US')} parameters (and --grid ${o.grid})`, 2 * basis + grid);
  try {
    const fs = statfsSync(outDir);
    const free = fs.bavail * fs.bsize;
    if (bytes > free) {
      throw new UsageError(`--probes ${o.probes} × --iterations ${o.iterations}: the checkpoint needs about ${(bytes / 2 ** 20).toFixed(1)} MiB in ${outDir}, but only ${(free / 2 ** 20).toFixed(1)} MiB are free; free space or choose another --out`);
    }
  } catch (e) {
    if (e instanceof UsageError) throw e;
    // statfs unsupported: the first failed write will say so.
  }
}

/** A result that is not one: NaN or infinite numbers, residuals that were not verified. */
export function checkResult(json: Record<string, unknown>, topK: number): void {
  const e = json.eigenvalues as { top: number[]; residuals: number[] };
  const t = json.trace as { estimate: number; standardError: number | null };
  const bad: string[] = [];
  if (!e.top.every(Number.isFinite)) bad.push(`top eigenvalues ${JSON.stringify(e.top)}`);
  if (e.residuals.length < Math.min(topK, e.top.length) || !e.residuals.every(Number.isFinite)) bad.push(`residuals ${JSON.stringify(e.residuals)} (not verified for all ${Math.min(topK, e.top.length)} eigenvalues)`);
  if (!Number.isFinite(t.estimate) || (t.standardError !== null && !Number.isFinite(t.standardError))) bad.push(`trace ${t.estimate} ± ${t.standardError}`);
  if (bad.length > 0) {
    throw new JobError(`the run produced no valid result: ${bad.join('; ')}. Non-finite values come from the model or data (NaN weights or inputs, an overflow); `
      + 'a damaged checkpoint is refused before this point. Nothing was written as spectrum.json');
  }
}

function round(x: number, digits: number): number {
  return Number(x.toPrecision(digits));
}

interface LanczosSummary {
  rules: QuadratureRule[];
  top: { value: number; residual: number }[];
  bottom: { value: number; residual: number }[];
  density: ReturnType<typeof spectralDensity>;
  /** n·φ on the grid. */
  count: number[];
  bulk: ReturnType<typeof bulkEdge>;
  outlying: number[];
}

/** What the Lanczos coefficients alone give: quadrature rules, probe 0's Ritz values, the density. */
async function summarize(o: SpectrumOptions, st: JobState): Promise<LanczosSummary> {
  const snap = st.lanczos!;
  const n = st.problem.parameters;
  const tri = (p: number) => ({ diag: Float64Array.from(snap.alpha[p]!), off: Float64Array.from(snap.beta[p]!.slice(0, Math.max(snap.steps[p]! - 1, 0))) });
  const rules: QuadratureRule[] = [];
  for (let p = 0; p < snap.probes; p++) rules.push(await gaussRule(tri(p).diag, tri(p).off));
  const rv = await ritzValues(tri(0).diag, tri(0).off, snap.beta[0]![snap.steps[0]! - 1] ?? 0);
  const j = rv.values.length;
  const ritz = Array.from(rv.values, (v, i) => ({ value: v, residual: rv.residualEstimates[i]! }));
  const density = spectralDensity(rules, { points: o.grid, ...(o.sigma ? { sigma: o.sigma } : {}) });
  const bulk = bulkEdge(density, n);
  return {
    rules,
    top: ritz.slice().reverse().slice(0, o.topK),
    bottom: ritz.slice(0, Math.min(o.topK, j)),
    density,
    count: Array.from(density.density, (v) => v * n),
    bulk,
    outlying: outliers(rv.values, rv.residualEstimates, bulk.edge),
  };
}

function plotInput(o: SpectrumOptions, st: JobState, s: LanczosSummary): PlotInput {
  const snap = st.lanczos!;
  return {
    grid: s.density.grid, countDensity: s.count, top: s.top.map((r) => r.value),
    title: `${o.matrix === 'hessian' ? 'Hessian' : o.matrix === 'ggn' ? 'Gauss-Newton' : 'Residual (H − G)'} spectral density${o.layer ? ` (layer ${o.layer})` : ''}`,
    subtitle: [
      `${st.problem.model}; ${st.problem.samples} rows of ${st.problem.data}`,
      `${snap.probes} probes × ${snap.steps.reduce((a, b) => Math.max(a, b), 0)} Lanczos steps; Gaussian kernel, standard deviation σ = ${s.density.sigma.toPrecision(3)}; dashed: top eigenvalues`,
    ],
  };
}

/** spectrum.json's content from the state and the Lanczos summary (timings are added by the caller). */
function writeOutputs(o: SpectrumOptions, st: JobState, outDir: string, sm: LanczosSummary): SpectrumReport {
  const snap = st.lanczos!;
  const n = st.problem.parameters;
  const { rules, top, bottom, density, count, bulk, outlying } = sm;
  const tr = st.trace!;
  const samples = [...tr.freeSamples, ...tr.extraSamples];
  const part = meanAndError(samples);
  const slqTrace = traceFromRules(rules, n);
  const residuals = st.residuals ?? [];
  const json: Record<string, unknown> = {
    schema: 'descent.spectrum/1',
    created: new Date().toISOString(),
    options: {
      model: o.model, activation: o.activation ?? null, data: o.data, samples: o.samples, shuffleSeed: o.shuffleSeed ?? null,
      batchSize: o.batchSize ?? null, iterations: o.iterations, minIterations: o.minIterations ?? null, probes: o.probes, topK: o.topK, tol: o.tol,
      traceProbes: o.traceProbes, matrix: o.matrix, layer: o.layer ?? null, backend: o.backend, seed: o.seed,
      sigma: o.sigma ?? null, grid: o.grid,
    },
    problem: { ...st.problem, matrix: o.matrix, layer: o.layer ?? null, tridiagonalSolver: tridiagEigImplementation() },
    eigenvalues: {
      top: top.map((r) => r.value),
      residuals: residuals.slice(0, top.length),
      relativeResiduals: residuals.slice(0, top.length).map((r, i) => r / Math.abs(top[i]!.value)),
      residualEstimates: top.map((r) => r.residual),
      converged: top.map((r) => r.residual <= o.tol * Math.abs(r.value)),
      tol: o.tol,
      bottom: bottom.map((r) => r.value),
      bottomResidualEstimates: bottom.map((r) => r.residual),
      steps: snap.steps[0],
    },
    trace: {
      estimate: tr.exactPart + part.trace,
      standardError: samples.length > 1 ? part.stdError : null,
      method: 'Krylov-deflated Hutchinson: tr(T) of probe 0 plus Rademacher samples of tr((I−QQᵀ)M(I−QQᵀ))',
      samplesFrom: tr.byForms ? 'quadratic forms gᵀMg by second-order forward mode (no products)' : 'products M·g',
      exactPart: tr.exactPart,
      samples: samples.length,
      slq: { estimate: slqTrace.trace, standardError: slqTrace.samples.length > 1 ? slqTrace.stdError : null },
    },
    density: {
      sigma: density.sigma,
      sigmaMeaning: 'standard deviation of the Gaussian kernel',
      normalization: 'density integrates to 1; countDensity = parameters × density (eigenvalues per unit)',
      grid: Array.from(density.grid),
      density: Array.from(density.density),
      countDensity: count,
    },
    outliers: { bulkEdge: bulk.edge, count: outlying.length, values: outlying },
    quadrature: rules.map((r) => ({ nodes: Array.from(r.nodes), weights: Array.from(r.weights) })),
    lanczos: { iterations: snap.steps, probes: snap.probes, matvecs: snap.matvecs + (tr.byForms ? 0 : tr.extraDone), reorthogonalization: 'full (two classical Gram–Schmidt passes)' },
  };
  return { json, outDir };
}

function printSummary(json: Record<string, unknown>, outDir: string, wall: number): void {
  const p = json.problem as JobState['problem'] & { matrix: string };
  const e = json.eigenvalues as { top: number[]; residuals: number[]; relativeResiduals: number[]; converged: boolean[]; bottom: number[]; steps: number };
  const t = json.trace as { estimate: number; standardError: number | null; samples: number; slq: { estimate: number; standardError: number | null } };
  const out = json.outliers as { bulkEdge: number; count: number };
  const d = json.density as { sigma: number };
  const tm = json.timings as Record<string, number>;
  const g = (x: number) => x.toPrecision(6);
  const lines = [
    `${p.matrix === 'hessian' ? 'Hessian' : p.matrix === 'ggn' ? 'Gauss-Newton matrix' : 'Residual H − G (Hessian minus Gauss-Newton)'} of ${p.model} on ${p.samples} rows of ${p.data}`,
    `  ${p.parameters.toLocaleString('en-US')} parameters, loss ${p.loss.toPrecision(6)}, backend ${p.backend}`,
    `top eigenvalues (probe 0 after ${e.steps} Lanczos steps; residual ‖My − θy‖, verified):`,
    ...e.top.map((v, i) => `  ${String(i + 1).padStart(2)}  ${g(v).padStart(12)}   residual ${(e.residuals[i] ?? NaN).toExponential(2)}  (relative ${(e.relativeResiduals[i] ?? NaN).toExponential(2)})${e.converged[i] ? '' : '  not converged: raise --iterations'}`),
    `smallest Ritz value: ${g(e.bottom[0] ?? NaN)}`,
    `trace: ${g(t.estimate)} ± ${t.standardError === null ? 'n/a' : t.standardError.toPrecision(3)} (Krylov-deflated Hutchinson, ${t.samples} samples; plain SLQ: ${g(t.slq.estimate)} ± ${t.slq.standardError === null ? 'n/a' : t.slq.standardError.toPrecision(3)})`,
    `outliers above the bulk (edge ${g(out.bulkEdge)}): ${out.count}`,
    `density: Gaussian kernel with standard deviation σ = ${d.sigma.toPrecision(3)}`,
    `wrote ${join(outDir, 'spectrum.json')} and ${join(outDir, 'density.svg')} in ${formatDuration(wall)}` +
      ` (setup ${formatDuration(tm.setupSeconds ?? 0)}, lanczos ${formatDuration(tm.lanczosSeconds ?? 0)}, trace ${formatDuration(tm.traceSeconds ?? 0)}, verify ${formatDuration(tm.verifySeconds ?? 0)})`,
  ];
  console.log(lines.join('\n'));
}
