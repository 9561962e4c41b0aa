// The options of `descent spectrum`: their defaults, help text and parsing, and the data
// files an option names. Kept apart from the job (spectrum-job.ts) and light to load, so
// the command can parse its arguments and start inflating the data before the job's code
// has loaded.

import type { BackendName } from '../backend/ops.js';
import { defaultDataDir, fashionMnistFiles } from '../data/fashion-mnist.js';
import { defaultReferenceDir } from '../data/reference.js';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { activationChoices, backendChoices, convert, helpText, parseOptions } from './args.js';
import type { OptionSpecs } from './args.js';
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
  /** The curvature matrix: the Hessian H, the Gauss-Newton matrix G, or the residual H − G. */
  matrix: 'hessian' | 'ggn' | 'residual';
  layer?: number;
  backend: BackendName | 'auto';
  seed: number;
  out: string;
  sigma?: number;
  grid: number;
  fresh: boolean;
  quiet: boolean;
  /** Products on `descent worker`s through this Redis (with shards). */
  redis?: string;
  shards?: number;
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

/** Upper bounds of the size options: beyond them a run cannot fit in memory or end in reasonable time. */
export const LIMITS = { samples: 10_000_000, iterations: 100_000, probes: 4096, topK: 10_000, traceProbes: 100_000, grid: 1_000_000, batchSize: 10_000_000 } as const;

export const SPECTRUM_OPTIONS = {
  model: { kind: 'string', arg: 'SPEC', nonEmpty: true, default: DEFAULTS.model,
    help: "MLP spec like 784-256-10:relu (seeded init), a .safetensors state_dict of an nn.Sequential (e.g. descent train's weights.safetensors), or 'reference'" },
  activation: { kind: 'choice', arg: 'NAME', choices: activationChoices,
    help: "activation of a .safetensors model (default: the file's, else relu), or of a spec without one; must agree with a spec's own" },
  data: { kind: 'string', arg: 'SRC', nonEmpty: true, default: DEFAULTS.data,
    help: 'default | fashion-mnist:train | fashion-mnist:test | reference | FILE.safetensors (x, y) | FILE images-idx3-ubyte[.gz]' },
  samples: { kind: 'string', arg: 'N|all', help: `rows used: the first N in file order (default ${DEFAULTS.samples}; at most ${LIMITS.samples})` },
  'shuffle-seed': { kind: 'int', arg: 'S', min: 0, max: 2 ** 32 - 1, help: 'take a seeded random subset of N rows instead' },
  'batch-size': { kind: 'int', arg: 'B', min: 1, max: LIMITS.batchSize, help: 'rows per forward pass when accumulating products (default: all)' },
  iterations: { kind: 'int', arg: 'M', min: 1, max: LIMITS.iterations, default: DEFAULTS.iterations, help: 'Lanczos steps per probe' },
  'min-iterations': { kind: 'int', arg: 'N', min: 1, max: LIMITS.iterations, help: 'stop after N steps or more as soon as the top-k have converged (--tol); default: always take --iterations steps' },
  probes: { kind: 'int', arg: 'P', min: 1, max: LIMITS.probes, default: DEFAULTS.probes, help: 'Lanczos probes run in lockstep, for the density' },
  'top-k': { kind: 'int', arg: 'K', min: 1, max: LIMITS.topK, default: DEFAULTS.topK, help: 'top eigenvalues reported with verified residuals' },
  tol: { kind: 'number', arg: 'T', positive: true, default: DEFAULTS.tol, help: 'relative residual at which a top eigenvalue counts as converged' },
  'trace-probes': { kind: 'int', arg: 'T', min: 0, max: LIMITS.traceProbes, default: DEFAULTS.traceProbes, help: 'extra Hutchinson probes on the Krylov-deflated trace' },
  matrix: { kind: 'choice', arg: 'KIND', choices: () => ['hessian', 'ggn', 'residual'], default: DEFAULTS.matrix, help: 'the curvature matrix: hessian H, ggn (Gauss-Newton) G, or residual H − G (Sagun et al. 2017: what the GGN leaves out)' },
  layer: { kind: 'int', arg: 'L', min: 1, max: 10_000, help: "only layer L's block (1-based; default: all parameters)" },
  backend: { kind: 'choice', choices: backendChoices, default: DEFAULTS.backend, help: 'backend' },
  seed: { kind: 'int', arg: 'S', min: 0, max: 2 ** 32 - 1, default: DEFAULTS.seed, help: 'seed of the initialisation and of every probe' },
  out: { kind: 'string', arg: 'DIR', nonEmpty: true, default: DEFAULTS.out, help: 'output folder: spectrum.json, density.svg, descent-job.json, state/' },
  sigma: { kind: 'number', arg: 'S', positive: true, help: "density kernel standard deviation (default: 1% of the spectrum's span)" },
  grid: { kind: 'int', arg: 'N', min: 2, max: LIMITS.grid, default: DEFAULTS.grid, help: 'density grid points' },
  fresh: { kind: 'flag', help: 'discard a previous job in --out (only the files descent wrote there) and start over' },
  quiet: { kind: 'flag', help: 'no progress bar or summary' },
  redis: { kind: 'string', arg: 'URL', nonEmpty: true, help: 'compute the products on descent workers through this Redis (redis://[user:pass@]host:port, rediss:// for TLS); needs --shards' },
  shards: { kind: 'int', arg: 'S', min: 1, max: 4096, help: 'with --redis: cut the rows into S shards (equal to the in-process run with --batch-size ceil(rows/S))' },
} as const satisfies OptionSpecs;

export const HELP = helpText('descent spectrum [options]',
  "Top eigenvalues, trace and eigenvalue density of a network's loss Hessian (or Gauss-Newton\n"
  + 'matrix) on a data set, by Lanczos with full reorthogonalisation. Rerun the same command after\n'
  + 'an interruption to resume from the checkpoint in --out; other options or changed input files\n'
  + 'are refused unless --fresh.', SPECTRUM_OPTIONS);

/** Parses the command line into options (throws UsageError on bad input). */
export function parseSpectrumArgs(argv: string[]): SpectrumOptions | 'help' {
  const p = parseOptions('spectrum', SPECTRUM_OPTIONS, argv);
  if (p === 'help') return 'help';
  const v = p.values;
  let samples: number | 'all' = DEFAULTS.samples;
  if (v.samples !== undefined) {
    samples = v.samples === 'all' ? 'all' : convert('samples', { kind: 'int', min: 1, max: LIMITS.samples, help: '' }, v.samples) as number;
  }
  const opts: SpectrumOptions = {
    model: v.model, data: v.data, samples, iterations: v.iterations, probes: v.probes, topK: v['top-k'], tol: v.tol,
    traceProbes: v['trace-probes'], matrix: v.matrix as SpectrumOptions['matrix'], backend: v.backend as SpectrumOptions['backend'],
    seed: v.seed, out: v.out, grid: v.grid, fresh: v.fresh, quiet: v.quiet,
  };
  const optional = {
    activation: v.activation, shuffleSeed: v['shuffle-seed'], batchSize: v['batch-size'], minIterations: v['min-iterations'],
    layer: v.layer, sigma: v.sigma, redis: v.redis, shards: v.shards,
  };
  for (const [k, x] of Object.entries(optional)) if (x !== undefined) (opts as unknown as Record<string, unknown>)[k] = x;
  if (opts.minIterations !== undefined && opts.minIterations > opts.iterations) {
    throw new UsageError(`--min-iterations (${opts.minIterations}) must not exceed --iterations (${opts.iterations})`);
  }
  if ((opts.redis === undefined) !== (opts.shards === undefined)) throw new UsageError('--redis and --shards go together (the products on S shards served by descent workers)');
  if (opts.redis !== undefined && opts.matrix === 'residual') throw new UsageError('--matrix residual is not served by descent workers (--redis): use hessian or ggn there');
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
