// The spectrum job's checkpoint, in <out>/state/: everything needed to resume a killed run
// and finish with the same result.
//
// Files. `basis-NNNNN.bin` holds the Lanczos vectors written at step NNNNN (step 0: the
// normalised start vectors), one row of n values per probe listed for that step in
// state.json, raw little-endian float32 (or float64). `state.json` holds the options that
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

export { writeAtomic } from './background-writer.js';

export const STATE_VERSION = 1;

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
  trace: { exactPart: number; freeSamples: number[]; extraDone: number; extraSamples: number[] } | null;
  /** Explicit residuals of the top Ritz pairs, once verified. */
  residuals: number[] | null;
  /** Seconds spent per phase, summed over runs. */
  timings: Record<string, number>;
  runs: number;
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
      const rows = f64 ? new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8) : new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
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
