// The spectrum job's checkpoint, in <out>/state/: everything needed to resume a killed run
// and finish with the same result.
//
// Files. `basis-NNNNN.bin` holds the Lanczos vectors written at step NNNNN (step 0: the
// normalised start vectors), one row of n values per probe listed for that step in
// state.json, raw little-endian float32 (or float64); `products-NNNNN.bin` (steps ≥ 1) the
// row A q_NNNNN of probe 0, whose Ritz pairs are verified from them. `state.json` holds the options that
// determine the result, the phase, the Lanczos coefficients (α, β, steps per probe, as a
// LanczosSnapshot), the probes of each step, the trace samples so far, the verified
// residuals and the accumulated timings. Every file is written to a temporary name and
// renamed, and a step's basis file is renamed before the state that counts it, so a kill
// at any moment leaves the last complete step (at most the steps in flight are lost).
// Checkpoint writes run on a worker thread (background-writer.ts), in the order they were
// asked for, while the next step computes; flush() waits for them.

import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { HostArray } from '../backend/ops.js';
import type { LanczosSnapshot } from '../linalg/lanczos.js';
import { BackgroundWriter } from './background-writer.js';

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
  constructor(out: string) {
    this.dir = join(out, 'state');
  }

  private write(path: string, data: string | Uint8Array): void {
    if (!this.made) mkdirSync(this.dir, { recursive: true });
    this.made = true;
    this.writer.write(path, data);
  }

  /** Waits for every queued write; throws the first one that failed. */
  flush(): Promise<void> {
    return this.writer.flush();
  }

  /** Flushes and stops the writer thread. */
  close(): Promise<void> {
    return this.writer.close();
  }

  private basisPath(step: number): string {
    return join(this.dir, `basis-${String(step).padStart(5, '0')}.bin`);
  }

  private productsPath(step: number): string {
    return join(this.dir, `products-${String(step).padStart(5, '0')}.bin`);
  }

  /** The saved state, or null when there is none (or it is unreadable). */
  load(): JobState | null {
    const path = join(this.dir, 'state.json');
    if (!existsSync(path)) return null;
    try {
      const s = JSON.parse(readFileSync(path, 'utf8')) as JobState;
      return s.version === STATE_VERSION ? s : null;
    } catch {
      return null;
    }
  }

  /** Queues a write of the state as it is now (serialised at once). */
  save(state: JobState): void {
    this.write(join(this.dir, 'state.json'), JSON.stringify(state));
  }

  /** Queues the rows of one step (before the state that counts them); `rows` is moved away, not copied. */
  saveRows(step: number, rows: HostArray): void {
    this.write(this.basisPath(step), new Uint8Array(rows.buffer, rows.byteOffset, rows.byteLength));
  }

  /** Queues probe 0's product row A q_step (before the state that counts the step); `row` is moved away. */
  saveProducts(step: number, row: HostArray): void {
    this.write(this.productsPath(step), new Uint8Array(row.buffer, row.byteOffset, row.byteLength));
  }

  /** Probe 0's product rows A q_1..A q_steps[0] (and null for the other probes) from the step files. */
  loadProducts(state: JobState): (HostArray | null)[] {
    const snap = state.lanczos!;
    const n = snap.n, f64 = snap.dtype === 'float64', steps = snap.steps[0]!;
    const out = f64 ? new Float64Array(steps * n) : new Float32Array(steps * n);
    for (let step = 1; step <= steps; step++) {
      const path = this.productsPath(step);
      const bytes = readFileSync(path);
      if (bytes.byteLength !== n * out.BYTES_PER_ELEMENT) throw new Error(`spectrum: ${path} holds ${bytes.byteLength} bytes, expected ${n * out.BYTES_PER_ELEMENT}; rerun with --fresh`);
      out.set(values(bytes, f64), (step - 1) * n);
    }
    return snap.steps.map((_, p) => (p === 0 ? out : null));
  }

  /** Reassembles each probe's basis rows 0..steps[p] from the step files. */
  loadBasis(state: JobState): HostArray[] {
    const snap = state.lanczos!;
    const n = snap.n, f64 = snap.dtype === 'float64';
    const out = snap.steps.map((s) => (f64 ? new Float64Array((s + 1) * n) : new Float32Array((s + 1) * n)));
    const last = Math.max(...snap.steps);
    for (let step = 0; step <= last; step++) {
      const probes = state.stepProbes[step];
      if (!probes) throw new Error(`spectrum: the checkpoint in ${this.dir} lacks the probe list of step ${step}; rerun with --fresh`);
      const bytes = readFileSync(this.basisPath(step));
      const rows = values(bytes, f64);
      if (rows.length !== probes.length * n) throw new Error(`spectrum: ${this.basisPath(step)} holds ${rows.length} values, expected ${probes.length * n}; rerun with --fresh`);
      probes.forEach((p, i) => {
        if (step <= snap.steps[p]!) out[p]!.set(rows.subarray(i * n, (i + 1) * n), step * n);
      });
    }
    return out;
  }

  /** Removes the checkpoint (a fresh start). */
  clear(): void {
    if (!existsSync(this.dir)) return;
    for (const f of readdirSync(this.dir)) rmSync(join(this.dir, f), { force: true });
  }
}
