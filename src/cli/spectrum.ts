// `descent spectrum`: the top eigenvalues, trace and eigenvalue density of a network's
// Hessian (or Gauss-Newton matrix) on a data set, with a progress bar, a summary, JSON and
// SVG outputs, and a checkpoint after every step so that the same command resumes a
// killed run and finishes with the same result.
//
// One Lanczos run serves all three answers. `probes` start vectors (seeded Rademacher) run
// `iterations` steps in lockstep; probe 0's Ritz pairs are the top eigenvalues (their
// residuals are then verified from the products A q_j kept during the run); the quadrature
// rules of all probes give the density (SLQ); probe 0's Krylov basis deflates the trace,
// and the other probes' start vectors are its first Hutchinson samples at no cost, topped
// up with `trace-probes` extra products. docs/spectrum.md documents the options and the
// schema of spectrum.json.

// This module is the command: it parses the arguments, starts inflating the data files
// on zlib's thread pool, and only then loads the job (spectrum-job.ts), whose code takes
// tens of milliseconds to load, so the two overlap.

import { prefetchGzip } from '../io/files.js';
import { dataFiles, HELP, parseSpectrumArgs } from './spectrum-options.js';
import type { SpectrumOptions } from './spectrum-options.js';
import { UsageError } from './usage.js';

export { DEFAULTS, HELP, parseSpectrumArgs } from './spectrum-options.js';
export type { SpectrumOptions } from './spectrum-options.js';

/**
 * Runs the job; returns the exit code (0 success, 2 usage error).
 * @example
 * await spectrumCommand(['--samples', '500', '--iterations', '40', '--out', 'runs/s1']);
 */
export async function spectrumCommand(argv: string[]): Promise<number> {
  let opts: SpectrumOptions | 'help';
  try {
    opts = parseSpectrumArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`descent spectrum: ${e.message}`);
      return 2;
    }
    throw e;
  }
  if (opts === 'help') {
    console.log(HELP);
    return 0;
  }
  try {
    void prefetchGzip(dataFiles(opts));
    const { runSpectrum } = await import('./spectrum-job.js');
    await runSpectrum(opts);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`descent spectrum: ${e.message}`);
      return 2;
    }
    throw e;
  }
}

