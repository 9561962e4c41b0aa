// The spectrum job's checkpoint: everything needed to resume a killed run and finish with
// the same result, kept by the job framework (job.ts) in <out>/.
//
// Files. `state/basis-NNNNN.bin` holds the Lanczos vectors written at step NNNNN (step 0:
// the normalised start vectors), one row of n values per probe listed for that step in the
// state, raw little-endian float32 (or float64); `state/products-NNNNN.bin` (steps ≥ 1) the
// row A q_NNNNN of probe 0, whose Ritz pairs are verified from them. The state (the job
// manifest's `state`: the options that determine the result, the phase, the Lanczos
// coefficients α, β and steps per probe as a LanczosSnapshot, the probes of each step, the
// trace samples so far, the verified residuals and the accumulated timings) is committed
// with the size and CRC-32 of every step file in descent-job.json, after the files it
// counts, so a kill at any moment leaves the last complete step, and a step file that is
// missing, damaged or swapped is refused when read back. Writes run on a worker thread
// (background-writer.ts), in the order they were asked for, while the next step computes.

import { mkdirSync } from 'node:fs';
import type { HostArray } from '../backend/ops.js';
import type { LanczosSnapshot } from '../linalg/lanczos.js';
import { BackgroundWriter } from './background-writer.js';
import type { Json } from '../algorithms/experiment.js';
import { Job, JobError } from './job.js';

export const STATE_VERSION = 2;

export type Phase = 'lanczos' | 'trace' | 'verify' | 'done';

export interface ProblemInfo {
  parameters: number;
  samples: number;
  loss: number;
  model: string;
  data: string;
  backend: string;
}

export interface JobState {
  version: number;
  /** The options that determine the result (compared on resume). */
  key: Record<string, unknown>;
  phase: Phase;
  problem: ProblemInfo;
  lanczos: LanczosSnapshot | null;
  /** Probes whose rows are in basis file s (s = 0 … steps). */
  stepProbes: number[][];
  /** byForms: the extra samples came from the operator's quadratic forms, not from products. */
  trace: { exactPart: number; freeSamples: number[]; extraDone: number; extraSamples: number[]; byForms?: boolean } | null;
  /** Explicit residuals of the top Ritz pairs, once verified. */
  residuals: number[] | null;
  /** Seconds spent per phase, summed over runs. */
  timings: Record<string, number>;
  runs: number;
}

/** The raw little-endian values of a step file (copied when the bytes are not aligned for the type). */
function values(bytes: Uint8Array, f64: boolean): Float32Array | Float64Array {
  const size = f64 ? 8 : 4;
  const b = bytes.byteOffset % size === 0 ? bytes : bytes.slice();
  return f64 ? new Float64Array(b.buffer, b.byteOffset, b.byteLength / 8) : new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
}

export class StateDir {
  readonly dir: string;
  private readonly writer = new BackgroundWriter();
  private made = false;
  constructor(readonly job: Job) {
    this.dir = job.path('state');
    job.attachWriter(this.writer);
  }

  private write(name: string, data: Uint8Array): void {
    if (!this.made) mkdirSync(this.dir, { recursive: true });
    this.made = true;
    this.job.queueFile(name, data);
  }

  /** Waits for every queued write; throws the first one that failed. */
  async flush(): Promise<void> {
    await this.writer.flush();
  }

  /** Flushes, hands the checksums to the job (whose later writes are synchronous) and stops the writer thread. */
  async close(): Promise<void> {
    try {
      await this.job.detachWriter();
    } finally {
      await this.writer.close().catch(() => undefined);
    }
  }

  private basisName(step: number): string {
    return `state/basis-${String(step).padStart(5, '0')}.bin`;
  }

  private productsName(step: number): string {
    return `state/products-${String(step).padStart(5, '0')}.bin`;
  }

  /** The saved state, or null when there is none. */
  load(): JobState | null {
    const s = this.job.state as unknown as JobState | null;
    if (s === null) return null;
    if (s.version !== STATE_VERSION) throw new JobError(`the checkpoint in ${this.job.dir} has version ${s.version}, not ${STATE_VERSION}; rerun with --fresh`);
    return s;
  }

  /** Commits the state as it is now (serialised at once, written after the files queued before it). */
  save(state: JobState): void {
    // postMessage copies the manifest (and this state in it) at once: later changes are not seen.
    this.job.commit(state as unknown as Json);
  }

  /** Queues the rows of one step (before the state that counts them); `rows` is moved away, not copied. */
  saveRows(step: number, rows: HostArray): void {
    this.write(this.basisName(step), new Uint8Array(rows.buffer, rows.byteOffset, rows.byteLength));
  }

  /** Queues probe 0's product row A q_step (before the state that counts the step); `row` is moved away. */
  saveProducts(step: number, row: HostArray): void {
    this.write(this.productsName(step), new Uint8Array(row.buffer, row.byteOffset, row.byteLength));
  }

  /** Probe 0's product rows A q_1..A q_steps[0] (and null for the other probes) from the step files, verified. */
  loadProducts(state: JobState): (HostArray | null)[] {
    const snap = state.lanczos!;
    const n = snap.n, f64 = snap.dtype === 'float64', steps = snap.steps[0]!;
    const out = f64 ? new Float64Array(steps * n) : new Float32Array(steps * n);
    for (let step = 1; step <= steps; step++) {
      const name = this.productsName(step);
      const bytes = this.job.readFile(name);
      if (bytes.byteLength !== n * out.BYTES_PER_ELEMENT) throw new JobError(`${this.job.path(name)} holds ${bytes.byteLength} bytes, expected ${n * out.BYTES_PER_ELEMENT}; rerun with --fresh`);
      out.set(values(bytes, f64), (step - 1) * n);
    }
    return snap.steps.map((_, p) => (p === 0 ? out : null));
  }

  /** Reassembles each probe's basis rows 0..steps[p] from the step files, verified. */
  loadBasis(state: JobState): HostArray[] {
    const snap = state.lanczos!;
    const n = snap.n, f64 = snap.dtype === 'float64';
    const out = snap.steps.map((s) => (f64 ? new Float64Array((s + 1) * n) : new Float32Array((s + 1) * n)));
    let last = 0;
    for (const s of snap.steps) last = Math.max(last, s);
    for (let step = 0; step <= last; step++) {
      const probes = state.stepProbes[step];
      if (!probes) throw new JobError(`the checkpoint in ${this.job.dir} lacks the probe list of step ${step}; rerun with --fresh`);
      const name = this.basisName(step);
      const rows = values(this.job.readFile(name), f64);
      if (rows.length !== probes.length * n) throw new JobError(`${this.job.path(name)} holds ${rows.length} values, expected ${probes.length * n}; rerun with --fresh`);
      probes.forEach((p, i) => {
        if (step <= snap.steps[p]!) out[p]!.set(rows.subarray(i * n, (i + 1) * n), step * n);
      });
    }
    return out;
  }
}
