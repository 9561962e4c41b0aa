// The options of `descent spectrum`: their defaults, help text and parsing, and the data
// files an option names. Kept apart from the job (spectrum-job.ts) and light to load, so
// the command can parse its arguments and start inflating the data before the job's code
// has loaded.

import { parseArgs } from 'node:util';
import type { BackendName } from '../backend/ops.js';
import { defaultDataDir, fashionMnistFiles } from '../data/fashion-mnist.js';
import { defaultReferenceDir } from '../data/reference.js';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from './usage.js';

export interface SpectrumOptions {
  model: string;
  activation?: string;
  data: string;
  samples: number | 'all';
  shuffleSeed?: number;
  batchSize?: number;
  iterations: number;
  /** Stop the Lanczos phase after this many steps once the top-k have converged (default: iterations). */
  minIterations?: number;
  probes: number;
  topK: number;
  tol: number;
  traceProbes: number;
  matrix: 'hessian' | 'ggn';
  layer?: number;
  backend: BackendName | 'auto';
  seed: number;
  out: string;
  sigma?: number;
  grid: number;
  fresh: boolean;
  quiet: boolean;
}

export const DEFAULTS = {
  model: '784-256-256-10:relu',
  data: 'default',
  samples: 1000,
  iterations: 80,
  probes: 4,
  topK: 5,
  tol: 1e-4,
  traceProbes: 16,
  matrix: 'hessian',
  backend: 'auto',
  seed: 0,
  out: 'spectrum-out',
  grid: 512,
} as const;

export const HELP = `usage: descent spectrum [options]

Top eigenvalues, trace and eigenvalue density of a network's loss Hessian (or Gauss-Newton
matrix) on a data set, by Lanczos with full reorthogonalisation. Rerun the same command after
an interruption to resume from the checkpoint in --out.

  --model SPEC         MLP spec like 784-256-10:relu (seeded init), a .safetensors state_dict
                       of an nn.Sequential, or 'reference' (default ${DEFAULTS.model})
  --activation NAME    activation for a .safetensors model (default: from the file, else relu)
  --data SRC           default | fashion-mnist:train | fashion-mnist:test | reference |
                       FILE.safetensors (x, y) | FILE images-idx3-ubyte[.gz] (default ${DEFAULTS.data})
  --samples N|all      rows used: the first N in file order (default ${DEFAULTS.samples})
  --shuffle-seed S     take a seeded random subset of N rows instead
  --batch-size B       rows per forward pass when accumulating products (default: all)
  --iterations M       Lanczos steps per probe (default ${DEFAULTS.iterations})
  --min-iterations N   stop after N steps or more as soon as the top-k have converged (--tol);
                       default: always take --iterations steps
  --probes P           Lanczos probes run in lockstep, for the density (default ${DEFAULTS.probes})
  --top-k K            top eigenvalues reported with verified residuals (default ${DEFAULTS.topK})
  --tol T              relative residual at which a top eigenvalue counts as converged (default ${DEFAULTS.tol})
  --trace-probes T     extra Hutchinson probes on the Krylov-deflated trace (default ${DEFAULTS.traceProbes})
  --matrix KIND        hessian | ggn (default ${DEFAULTS.matrix})
  --layer L            only layer L's block (1-based; default: all parameters)
  --backend NAME       cpu | webgpu | reference | auto (default ${DEFAULTS.backend})
  --seed S             seed of the initialisation and of every probe (default ${DEFAULTS.seed})
  --out DIR            output folder: spectrum.json, density.svg, state/ (default ${DEFAULTS.out})
  --sigma S            density kernel standard deviation (default: 1% of the spectrum's span)
  --grid N             density grid points (default ${DEFAULTS.grid})
  --fresh              ignore an existing checkpoint in --out
  --quiet              no progress bar or summary
  -h, --help           this text`;

function int(name: string, v: string | undefined, min: number): number | undefined {
  if (v === undefined) return undefined;
  const x = Number(v);
  if (!Number.isSafeInteger(x) || x < min) throw new UsageError(`--${name}: expected an integer ≥ ${min} but received '${v}'`);
  return x;
}

function num(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const x = Number(v);
  if (!Number.isFinite(x) || x <= 0) throw new UsageError(`--${name}: expected a positive number but received '${v}'`);
  return x;
}

/** Parses the command line into options (throws UsageError on bad input). */
export function parseSpectrumArgs(argv: string[]): SpectrumOptions | 'help' {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        model: { type: 'string' }, activation: { type: 'string' }, data: { type: 'string' },
        samples: { type: 'string' }, 'shuffle-seed': { type: 'string' }, 'batch-size': { type: 'string' },
        iterations: { type: 'string' }, 'min-iterations': { type: 'string' }, probes: { type: 'string' }, 'top-k': { type: 'string' }, tol: { type: 'string' },
        'trace-probes': { type: 'string' }, matrix: { type: 'string' }, layer: { type: 'string' },
        backend: { type: 'string' }, seed: { type: 'string' }, out: { type: 'string' }, sigma: { type: 'string' },
        grid: { type: 'string' }, fresh: { type: 'boolean' }, quiet: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    throw new UsageError(`${(e as Error).message} (see descent spectrum --help)`);
  }
  if (values.help) return 'help';
  const s = (k: string) => values[k] as string | undefined;
  const matrix = s('matrix') ?? DEFAULTS.matrix;
  if (matrix !== 'hessian' && matrix !== 'ggn') throw new UsageError(`--matrix: expected 'hessian' or 'ggn' but received '${matrix}'`);
  const backend = s('backend') ?? DEFAULTS.backend;
  if (!['cpu', 'webgpu', 'reference', 'auto'].includes(backend)) throw new UsageError(`--backend: expected cpu, webgpu, reference or auto but received '${backend}'`);
  const samplesText = s('samples');
  const samples = samplesText === 'all' ? 'all' : int('samples', samplesText, 1) ?? DEFAULTS.samples;
  const opts: SpectrumOptions = {
    model: s('model') ?? DEFAULTS.model,
    data: s('data') ?? DEFAULTS.data,
    samples,
    iterations: int('iterations', s('iterations'), 1) ?? DEFAULTS.iterations,
    probes: int('probes', s('probes'), 1) ?? DEFAULTS.probes,
    topK: int('top-k', s('top-k'), 1) ?? DEFAULTS.topK,
    tol: num('tol', s('tol')) ?? DEFAULTS.tol,
    traceProbes: int('trace-probes', s('trace-probes'), 0) ?? DEFAULTS.traceProbes,
    matrix,
    backend: backend as SpectrumOptions['backend'],
    seed: int('seed', s('seed'), 0) ?? DEFAULTS.seed,
    out: s('out') ?? DEFAULTS.out,
    grid: int('grid', s('grid'), 2) ?? DEFAULTS.grid,
    fresh: values.fresh === true,
    quiet: values.quiet === true,
  };
  const optional = {
    activation: s('activation'),
    shuffleSeed: int('shuffle-seed', s('shuffle-seed'), 0),
    batchSize: int('batch-size', s('batch-size'), 1),
    minIterations: int('min-iterations', s('min-iterations'), 1),
    layer: int('layer', s('layer'), 1),
    sigma: num('sigma', s('sigma')),
  };
  for (const [k, v] of Object.entries(optional)) if (v !== undefined) (opts as unknown as Record<string, unknown>)[k] = v;
  if (opts.minIterations !== undefined && opts.minIterations > opts.iterations) {
    throw new UsageError(`--min-iterations (${opts.minIterations}) must not exceed --iterations (${opts.iterations})`);
  }
  if (opts.topK > opts.iterations) throw new UsageError(`--top-k (${opts.topK}) must not exceed --iterations (${opts.iterations})`);
  return opts;
}

function isReferenceDir(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory() && existsSync(join(path, 'manifest.json'));
}

/** The reference problem's folder named by a --model or --data value ('reference' or a folder with its manifest), else null. */
export function referenceDirOf(spec: string): string | null {
  if (spec === 'reference') return defaultReferenceDir();
  return isReferenceDir(spec) ? spec : null;
}

/**
 * The compressed files to inflate in the background for these options (prefetchGzip): those
 * the loader reads whole. The first N rows in file order (and the reference problem's rows,
 * the first 2,048) are inflated only as far as they go, which takes milliseconds.
 */
export function dataFiles(o: Pick<SpectrumOptions, 'data' | 'samples' | 'shuffleSeed'>): string[] {
  const whole = o.samples === 'all' || o.shuffleSeed !== undefined;
  const spec = o.data;
  if (!whole || referenceDirOf(spec)) return [];
  const both = (f: { images: string; labels: string }) => [f.images, f.labels];
  if (spec === 'default') return both(fashionMnistFiles('test', defaultDataDir()));
  if (spec === 'fashion-mnist:train' || spec === 'fashion-mnist:test') return both(fashionMnistFiles(spec.endsWith('train') ? 'train' : 'test'));
  if (spec.includes('images-idx3')) return [spec, spec.replace('images-idx3', 'labels-idx1')];
  return [];
}
