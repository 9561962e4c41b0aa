// Spectrum benchmark on the reference problem (../shared/reference/mlp-fmnist-init: the
// Hessian of a 784-256-256-10 ReLU MLP on 2,048 Fashion-MNIST rows, n = 269,322), cpu backend.
//
// Parts, each timed (best and median of --repeat runs, default 1) and checked:
//   top5     Lanczos from v0 until the top 5 residuals are below 1e-4·|θ|, plus one product
//            on the 5 Ritz vectors to verify them; errors against the float64 values.
//   trace    100 probes' worth: Hutchinson (100 probes), Hutch++ (100 products), and the
//            Krylov-deflated estimate (the top5 run's basis + 100 probes); with standard errors;
//            Hutchinson and the deflated estimate also with the Hessian's Taylor-mode quadratic
//            forms in place of products (`.forms`).
//   slq      8 probes × 80 Lanczos steps in lockstep.
//   job      `descent spectrum --model reference --data reference --samples all --probes 1
//            --iterations 150 --min-iterations 20 --trace-probes 16` in-process: the whole job
//            (Lanczos until the top 5 residuals are below 1e-4·|θ|, verified; the density from
//            the same run; the Krylov-deflated trace ± its standard error).
//   command  the same job as a command, `node bin/descent.js spectrum …` in a child process:
//            the wall clock issue 5 asks about (process start, module loading and data
//            inflating included). Needs the build (dist/, `npm run build`). Each round also
//            prints, from the command's spectrum.json, a Lanczos step's milliseconds and the
//            operator's share of them (timings.lanczosProductsSeconds / steps).
// Peer, same run (the command part): PyHessian's own code (a checkout outside the repository,
// $DESCENT_PYHESSIAN, default ../peers/PyHessian; bench/peers/peer.ts says how to get it and
// the part runs without it, saying so) on Debian's python3-torch, same weights and rows:
// hessian(model, CrossEntropyLoss, data=(x, y), cuda=False) + eigenvalues(top_n=5) + trace()
// + density() with its defaults, timed in-process (Python start and imports excluded). The
// command's runs and PyHessian's alternate (command, PyHessian, command, PyHessian, …, --repeat
// rounds, default 3); speed-up = PyHessian s / command s per round, and of the medians.
// `--model PATH` runs both on a .safetensors MLP (e.g. `descent train --out DIR`'s
// DIR/weights.safetensors) instead of the reference weights, on the same reference rows.
// `--no-peers` leaves PyHessian out.
// PyHessian's figures on the old machine (issue 5): eigenvalues(top_n=5) 6.71 s, trace() 1.52 s,
// density() 4.63 s, 12.86 s in all (the other parts still quote these).
//
// Run: `npm run bench -- spectrum [--json FILE] [--repeat R] [--parts top5,trace,slq,job,command] [--model PATH] [--no-peers] [--quick]`
// (--quick: top5 and job only), or `npx tsx bench/spectrum.bench.ts` with the same options.
// Rows (bench/run.ts's BenchRow): kernel, backend, shape, threads, median/min/max seconds, unit 's',
// plus each part's results (values, errors, standard errors, products, PyHessian's time).

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as d from '../src/index.js';
import { useBackend } from '../src/backend/backend.js';
import { getThreads } from '../src/backend/cpu/index.js';
import { parseSpectrumArgs } from '../src/cli/spectrum.js';
import { runSpectrum } from '../src/cli/spectrum-job.js';
import type { SpectrumOptions } from '../src/cli/spectrum.js';
import * as L from '../src/linalg/index.js';
import { readMlpSafetensors, flattenMlp } from '../src/io/index.js';
import { Peer, median as med, pyhessianHint, pyhessianPath, writeProblem } from './peers/peer.js';
import type { BenchRow } from './run.js';

const PYHESSIAN_S = { top5: 6.71, trace: 1.52, slq: 4.63, job: 12.86 };

async function timeIt<T>(repeat: number, f: () => Promise<T>): Promise<{ times: number[]; last: T }> {
  const times: number[] = [];
  let last!: T;
  for (let i = 0; i < repeat; i++) {
    const t0 = performance.now();
    last = await f();
    times.push((performance.now() - t0) / 1000);
  }
  return { times, last };
}

function row(kernel: string, times: number[], extra: Record<string, unknown>): BenchRow {
  const s = times.slice().sort((a, b) => a - b);
  return {
    kernel, backend: 'cpu', shape: 'mlp-fmnist-init n=269322 rows=2048', threads: getThreads(),
    median: s[Math.floor(s.length / 2)]!, min: s[0]!, max: s.at(-1)!, unit: 's', ...extra,
  };
}

/** Runs the benchmark and returns its rows (printing a line per part). */
export async function run(argv: string[] = []): Promise<BenchRow[]> {
  const { values } = parseArgs({ args: argv, strict: false, options: { json: { type: 'string' }, repeat: { type: 'string' }, parts: { type: 'string' }, quick: { type: 'boolean' }, model: { type: 'string' }, 'no-peers': { type: 'boolean' } } });
  const repeat = Number(values.repeat ?? 1);
  const modelPath = typeof values.model === 'string' ? values.model : null;
  const parts = new Set(String(values.parts ?? (values.quick ? 'top5,job' : 'top5,trace,slq,job,command')).split(','));
  const rows: BenchRow[] = [];
  const print = (r: BenchRow, note: string) => console.log(`${r.kernel.padEnd(22)} ${r.median.toFixed(3).padStart(8)} s  ${note}`);
  const want = d.loadReferenceProblem().expected.top5_eigenvalues;
  // First, before this process has done any work of its own that could linger (its thread
  // pool, its heap) beside the child's.
  if (parts.has('command')) {
    const root = join(dirname(fileURLToPath(import.meta.url)), '..');
    if (!existsSync(join(root, 'dist', 'src', 'cli', 'spectrum-job.js'))) {
      console.log('spectrum.command          skipped: no build (run `npm run build` first; without dist/ the command compiles TypeScript as it starts)');
    } else {
      // PyHessian first (its worker starts and loads torch before the first timed command).
      let peer: Peer | null = null;
      const pyh = pyhessianPath();
      if (values['no-peers'] === true) console.log('spectrum: PyHessian peer left out (--no-peers)');
      else if (!pyh) console.log(pyhessianHint);
      else {
        const p = await Peer.start({ torch: true });
        if (typeof p === 'string') console.log(`spectrum: PyHessian peer skipped: ${p}`);
        else {
          peer = p;
          const ref0 = d.loadReferenceProblem();
          const flat = modelPath ? flattenMlp(readMlpSafetensors(modelPath)) : ref0.flat;
          const widths = modelPath ? readMlpSafetensors(modelPath).widths : ref0.widths;
          const dir = writeProblem({ widths, x: ref0.x, y: ref0.y, n: ref0.n, flat }, 'spectrum');
          await peer.request({ op: 'problem', dir });
          rmSync(dir, { recursive: true, force: true });
          await peer.request({ op: 'threads', n: getThreads() });
          console.log(`spectrum peer: PyHessian (${pyh}), ${peer.describe()}, ${getThreads()} threads`);
        }
      }
      const out = join(tmpdir(), `descent-bench-command-${process.pid}`);
      const args = [join(root, 'bin', 'descent.js'), 'spectrum', '--model', modelPath ?? 'reference', '--data', 'reference', '--samples', 'all', '--probes', '1', '--iterations', '150',
        '--min-iterations', '20', '--tol', '1e-4', '--backend', 'cpu', '--out', out, '--quiet'];
      console.log(`command: node ${args.slice(0, -3).join(' ')}`);
      const times: number[] = [], peerTimes: number[] = [], ratios: number[] = [], stepsMs: number[] = [], productsMs: number[] = [];
      let last: Record<string, any> = {};
      const rounds = values.repeat !== undefined ? Math.max(repeat, 1) : peer ? 3 : 1;
      for (let i = 0; i < rounds; i++) {
        rmSync(out, { recursive: true, force: true });
        const t0 = performance.now();
        const res = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
        const t = (performance.now() - t0) / 1000;
        times.push(t);
        if (res.status !== 0) throw new Error(`spectrum.command: the command exited with status ${res.status}`);
        const j = JSON.parse(readFileSync(join(out, 'spectrum.json'), 'utf8')) as Record<string, any>;
        const tm = j.timings as Record<string, number>, steps = j.lanczos.iterations[0] as number;
        const stepMs = (1000 * tm.lanczosSeconds!) / steps, productMs = (1000 * (tm.lanczosProductsSeconds ?? NaN)) / steps;
        stepsMs.push(stepMs);
        productsMs.push(productMs);
        let line = `  round ${i + 1}: command ${t.toFixed(2)} s (${j.eigenvalues.steps} steps: ${stepMs.toFixed(1)} ms a step, of which the product ${productMs.toFixed(1)} ms;`
          + ` setup ${tm.setupSeconds!.toFixed(2)} s, lanczos ${tm.lanczosSeconds!.toFixed(2)} s, trace ${tm.traceSeconds!.toFixed(2)} s, verify ${tm.verifySeconds!.toFixed(2)} s)`;
        if (peer) {
          last = await peer.request({ op: 'pyhessian', path: pyh, seed: i });
          peerTimes.push(last.seconds as number);
          ratios.push((last.seconds as number) / t);
          line += `, PyHessian ${(last.seconds as number).toFixed(2)} s (eigenvalues ${(last.eigenvalues as number).toFixed(2)}, trace ${(last.trace as number).toFixed(2)}, density ${(last.density as number).toFixed(2)}), speed-up ${(ratios.at(-1)!).toFixed(2)}×`;
        }
        console.log(line);
      }
      peer?.close();
      const j = JSON.parse(readFileSync(join(out, 'spectrum.json'), 'utf8')) as Record<string, any>;
      rmSync(out, { recursive: true, force: true });
      const top = j.eigenvalues.top as number[];
      const relErr = modelPath ? null : top.map((v, i) => Math.abs(v - want[i]!) / want[i]!);
      const m = med(times);
      const pm = peerTimes.length > 0 ? med(peerTimes) : null;
      const r = row('spectrum.command', times, {
        model: modelPath ?? 'reference', top, relErr, steps: j.eigenvalues.steps, stepMs: stepsMs, productMs: productsMs, residuals: j.eigenvalues.residuals, trace: j.trace.estimate, stdError: j.trace.standardError,
        ...(pm !== null ? { pyhessian: pm, pyhessianTimes: peerTimes, pyhessianTop: last.top, pyhessianTrace: last.trace_estimate, speedup: pm / m, speedups: ratios } : {}),
      });
      if (modelPath) r.shape = `${modelPath} rows=2048`;
      rows.push(r);
      const acc = relErr ? `top-5 max rel. error ${Math.max(...relErr).toExponential(1)}` : `top-5 ${top.map((v) => v.toPrecision(6)).join(', ')}${pm !== null ? ` (PyHessian ${(last.top as number[]).map((v) => v.toPrecision(4)).join(', ')})` : ''}`;
      print(r, `wall clock of the command (median of ${times.length}, spread ${Math.min(...times).toFixed(2)}–${Math.max(...times).toFixed(2)}): ${j.eigenvalues.steps} Lanczos steps, ${acc}, trace ${(j.trace.estimate as number).toFixed(2)} ± ${(j.trace.standardError as number)?.toFixed(2)}`
        + (pm !== null ? `; PyHessian median ${pm.toFixed(2)} s (${Math.min(...peerTimes).toFixed(2)}–${Math.max(...peerTimes).toFixed(2)}): speed-up ${(pm / m).toFixed(2)}× (rounds ${ratios.map((x) => x.toFixed(2)).join(', ')})` : ''));
    }
    if (modelPath) {
      if (typeof values.json === 'string') writeFileSync(values.json, JSON.stringify(rows, null, 1));
      return rows;
    }
  }
  const b = await useBackend('cpu');
  const ref = d.loadReferenceProblem();
  const { model, params } = d.mlpFromWeights({ widths: ref.widths, layers: ref.layers }, { activation: 'relu', backend: b });
  const x = d.tensor(ref.x, [ref.n, ref.features], { backend: b });
  const y = d.tensor(ref.y, [ref.n], { dtype: 'int32', backend: b });
  const H = d.modelHessian(model, d.softmaxCrossEntropy, params, { x, y });
  const n = H.size;
  const op: L.Operator = (v) => H.apply(v);
  const v0 = d.tensor(ref.v0, [n, 1], { backend: b });
  let top: L.EigshResult | null = null;

  if (parts.has('top5') || parts.has('trace')) {
    const { times, last } = await timeIt(repeat, async () => {
      top?.run.dispose();
      top?.vectors?.dispose();
      return L.eigsh(op, n, { k: 5, tol: 1e-4, maxSteps: 200, start: v0 });
    });
    top = last;
    const relErr = Array.from(last.values, (v, i) => Math.abs(v - want[i]!) / want[i]!);
    const r = row('spectrum.top5', times, {
      steps: last.steps, matvecs: last.matvecs, values: Array.from(last.values), relErr, residuals: Array.from(last.residuals),
      pyhessian: PYHESSIAN_S.top5, speedup: PYHESSIAN_S.top5 / Math.min(...times),
    });
    rows.push(r);
    print(r, `${last.steps} steps, ${last.matvecs} products, max rel. error ${Math.max(...relErr).toExponential(1)} (PyHessian ${PYHESSIAN_S.top5} s)`);
  }
  if (parts.has('trace')) {
    const exp = ref.expected.hutchinson_trace_100_rademacher;
    const h = await timeIt(repeat, () => L.hutchinson(op, n, { probes: 100, block: 10, seed: 1, backend: b }));
    const p = await timeIt(repeat, () => L.hutchPlusPlus(op, n, { matvecs: 100, block: 10, seed: 1, backend: b }));
    const f = await timeIt(repeat, () => L.deflatedTrace(op, top!.run, { extraProbes: 100, block: 10, seed: 1 }));
    const quadratic = H.quadratic!;
    const hq = await timeIt(repeat, () => L.hutchinson(op, n, { probes: 100, block: 2, seed: 1, backend: b, quadratic }));
    const fq = await timeIt(repeat, () => L.deflatedTrace(op, top!.run, { extraProbes: 100, block: 2, seed: 1, quadratic }));
    for (const [name, t] of [['hutchinson', h], ['hutchpp', p], ['deflated', f], ['hutchinson.forms', hq], ['deflated.forms', fq]] as const) {
      const r = row(`spectrum.trace.${name}`, t.times, { trace: t.last.trace, stdError: t.last.stdError, matvecs: t.last.matvecs, pyhessian: PYHESSIAN_S.trace });
      rows.push(r);
      const cost = name.endsWith('forms') ? '100 quadratic forms' : `${t.last.matvecs} products`;
      print(r, `${t.last.trace.toFixed(3)} ± ${t.last.stdError.toFixed(3)} (${cost}; reference ${exp.mean.toFixed(3)} ± ${exp.standard_error.toFixed(3)})`);
    }
  }
  top?.run.dispose();
  top?.vectors?.dispose();
  if (parts.has('slq')) {
    const t = await timeIt(repeat, async () => {
      const s = await L.slq(op, n, { probes: 8, steps: 80, seed: 1, backend: b });
      s.run.dispose();
      return s;
    });
    const tr = L.traceFromRules(t.last.rules, n);
    const r = row('spectrum.slq8x80', t.times, { matvecs: t.last.matvecs, trace: tr.trace, stdError: tr.stdError, pyhessian: PYHESSIAN_S.slq });
    rows.push(r);
    print(r, `${t.last.matvecs} products (PyHessian density() ${PYHESSIAN_S.slq} s with 100 products; PyTorch SLQ 8×80 20.1 s)`);
  }
  H.dispose();
  if (parts.has('job')) {
    const out = join(tmpdir(), `descent-bench-spectrum-${process.pid}`);
    const o = parseSpectrumArgs(['--model', 'reference', '--data', 'reference', '--samples', 'all', '--probes', '1', '--iterations', '150', '--min-iterations', '20', '--tol', '1e-4',
      '--trace-probes', '16', '--top-k', '5', '--backend', 'cpu', '--out', out, '--fresh', '--quiet']) as SpectrumOptions;
    const t = await timeIt(repeat, () => runSpectrum(o));
    const j = t.last.json as Record<string, any>;
    const relErr = (j.eigenvalues.top as number[]).map((v, i) => Math.abs(v - want[i]!) / want[i]!);
    const r = row('spectrum.job', t.times, {
      relErr, trace: j.trace.estimate, stdError: j.trace.standardError, pyhessian: PYHESSIAN_S.job, speedup: PYHESSIAN_S.job / Math.min(...t.times),
    });
    rows.push(r);
    print(r, `whole job: top-5 max rel. error ${Math.max(...relErr).toExponential(1)}, trace ${j.trace.estimate.toFixed(3)} ± ${j.trace.standardError?.toFixed(3)}; ${(PYHESSIAN_S.job / Math.min(...t.times)).toFixed(2)}× PyHessian's ${PYHESSIAN_S.job} s`);
  }
  if (typeof values.json === 'string') writeFileSync(values.json, JSON.stringify(rows, null, 1));
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) await run(process.argv.slice(2));
