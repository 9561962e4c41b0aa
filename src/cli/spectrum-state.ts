// The spectrum job's checkpoint: everything needed to resume a killed run and finish with
// the same result, kept by the job framework (job.ts) in <out>/.
//
// Files, both only ever appended to (Job.appendFile). `state/basis.bin` holds the Lanczos
// vectors in step order: for step s = 0, 1, … (step 0: the normalised start vectors) one row
// of n values per probe listed for that step in the state, raw little-endian float32 (or
// float64). `state/products.bin` holds probe 0's product rows A q_1, A q_2, … (one per step
// it took), whose Ritz pairs are verified from them, read back a block at a time
// (`productRows`): the run keeps no copy of them in memory. Each step appends its new rows with one
// write straight from the tensors' memory (no host copy on the cpu backend) and then
// commits the state (the job manifest's `state`: the options that determine the result, the
// phase, the Lanczos coefficients α, β and steps per probe as a LanczosSnapshot, the probes
// of each step, the trace samples so far, the verified residuals and the accumulated
// timings) together with each file's committed size and the running CRC-32 of those bytes.
// The commit is the step's only atomic rename, of a small file (the manifest, a few kB),
// made at once on the main thread: a kill at any moment leaves the last committed step, and
// a killed job loses at most the step in flight. Rows appended after the last commit are
// discarded when the job resumes (saying so); committed bytes that are missing or do not
// match their CRC-32 are refused.

import type { HostArray } from '../backend/ops.js';
import { HostStorage } from '../backend/host.js';
import type { Backend } from '../backend/ops.js';
import { empty, tensor } from '../ops/creation.js';
import { slice } from '../ops/views.js';
import type { Tensor } from '../tensor.js';
import { PRODUCT_BLOCK } from '../linalg/eigsh.js';
import type { ProductRows } from '../linalg/eigsh.js';
import type { LanczosSnapshot } from '../linalg/lanczos.js';
import type { Json } from '../algorithms/experiment.js';
import { Job, JobError } from './job.js';

export const STATE_VERSION = 4;

const BASIS = 'state/basis.bin';
const PRODUCTS = 'state/products.bin';

/**
 * A contiguous tensor's values on the host: on host-memory backends (cpu, reference) a view
 * of the tensor's own memory, no copy (valid while the tensor lives and is not written;
 * do not modify it), elsewhere a copy.
 */
export async function hostValues(t: Tensor): Promise<HostArray> {
  const s = t.storage;
  if (s instanceof HostStorage && t.isContiguous) return s.data.subarray(t.offset, t.offset + t.size) as HostArray;
  return t.data();
}

const bytesOf = (a: HostArray): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

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

/** The raw little-endian values of a checkpoint file (copied when the bytes are not aligned for the type). */
function values(bytes: Uint8Array, f64: boolean): Float32Array | Float64Array {
  const size = f64 ? 8 : 4;
  const b = bytes.byteOffset % size === 0 ? bytes : bytes.slice();
  return f64 ? new Float64Array(b.buffer, b.byteOffset, b.byteLength / 8) : new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
}

export class StateDir {
  readonly dir: string;
  constructor(readonly job: Job) {
    this.dir = job.path('state');
  }

  /** The saved state, or null when there is none. */
  load(): JobState | null {
    const s = this.job.state as unknown as JobState | null;
    if (s === null) return null;
    if (s.version !== STATE_VERSION) throw new JobError(`the checkpoint in ${this.job.dir} has version ${s.version}, not ${STATE_VERSION}; rerun with --fresh`);
    return s;
  }

  /** Commits the state as it is now, with the sizes and CRC-32s of the rows appended so far (the manifest, written atomically at once). */
  save(state: JobState): void {
    this.job.commit(state as unknown as Json);
  }

  /** Appends one step's basis rows (in the order of the step's probes) before the commit that counts them; `rows` is only read. */
  appendRows(rows: HostArray): void {
    this.job.appendFile(BASIS, bytesOf(rows));
  }

  /** Appends probe 0's product row A q_step before the commit that counts the step; `row` is only read. */
  appendProducts(row: HostArray): void {
    this.job.appendFile(PRODUCTS, bytesOf(row));
  }

  /** The committed values of an appended file, checked to hold `expected` values. */
  private committed(name: string, f64: boolean, expected: number): Float32Array | Float64Array {
    const out = values(this.job.readAppended(name).bytes, f64);
    if (out.length !== expected) {
      throw new JobError(`${this.job.path(name)} holds ${out.length} committed values, but the state counts ${expected}; the job's state in ${this.job.dir} is damaged: rerun with --fresh to start over`);
    }
    return out;
  }

  /**
   * Verifies probe 0's committed product rows when a run resumes (their size and CRC-32, as
   * loadBasis does the basis rows) and cuts off rows appended after the last commit, saying so.
   */
  checkProducts(state: JobState): void {
    const snap = state.lanczos!;
    const steps = snap.steps[0]!;
    if (steps > 0) this.committed(PRODUCTS, snap.dtype === 'float64', steps * snap.n);
  }

  /**
   * Probe 0's committed product rows A q_1..A q_steps[0] as a source for keptResiduals: read in
   * order, a block of PRODUCT_BLOCK rows at a time, into one block tensor (on host-memory
   * backends straight into its memory), so that they never take new memory for all of them at
   * once; their CRC-32 is checked when the last one is read. Each call returns a view of the
   * block (valid until the next call); the block is freed after the last rows.
   */
  productRows(state: JobState, backend: Backend): ProductRows {
    const snap = state.lanczos!;
    const n = snap.n, f64 = snap.dtype === 'float64', steps = snap.steps[0]!;
    if (steps === 0) return () => { throw new RangeError('StateDir.productRows: probe 0 took no step, so there are no product rows'); };
    const reader = this.job.appendedReader(PRODUCTS);
    if (reader.bytes !== steps * n * (f64 ? 8 : 4)) {
      reader.close();
      throw new JobError(`${this.job.path(PRODUCTS)} holds ${reader.bytes / (f64 ? 8 : 4)} committed values, but the state counts ${steps * n}; the job's state in ${this.job.dir} is damaged: rerun with --fresh to start over`);
    }
    const rowsPerBlock = Math.min(PRODUCT_BLOCK, steps);
    // Host-memory backends: read into the block tensor's own memory; others: into a host buffer, then uploaded.
    const block: Tensor | null = backend.name === 'webgpu' ? null : empty([rowsPerBlock, n], { dtype: snap.dtype, backend });
    const memory = block?.storage instanceof HostStorage ? block.storage.data as Float32Array | Float64Array : null;
    if (block && !memory) block.dispose();
    const host = memory ?? (f64 ? new Float64Array(rowsPerBlock * n) : new Float32Array(rowsPerBlock * n));
    let next = 0;
    return (from, count) => {
      if (from !== next || from + count > steps || count > rowsPerBlock) throw new RangeError(`StateDir.productRows: rows ${from}..${from + count - 1} asked, expected the next ${next}.. of ${steps} (at most ${rowsPerBlock})`);
      const into = host.subarray(0, count * n);
      next += count;
      try {
        reader.read(bytesOf(into));
      } catch (e) {
        if (memory) block!.dispose();
        throw e;
      }
      // A view of the block (the caller's dispose leaves the block), or an uploaded copy.
      const rows = memory ? slice(block!, [0, 0], [count, n]) : tensor(into, [count, n], { dtype: snap.dtype, backend });
      // After the last rows the block goes once their view does.
      if (memory && next >= steps) block!.dispose();
      return rows;
    };
  }

  /** Each probe's basis rows 0..steps[p], from the committed rows of basis.bin, verified. */
  loadBasis(state: JobState): HostArray[] {
    const snap = state.lanczos!;
    const n = snap.n, f64 = snap.dtype === 'float64';
    let last = 0;
    for (const s of snap.steps) last = Math.max(last, s);
    let count = 0;
    for (let step = 0; step <= last; step++) {
      const probes = state.stepProbes[step];
      if (!probes) throw new JobError(`the checkpoint in ${this.job.dir} lacks the probe list of step ${step}; rerun with --fresh`);
      count += probes.length;
    }
    const rows = this.committed(BASIS, f64, count * n);
    const out = snap.steps.map((s) => (f64 ? new Float64Array((s + 1) * n) : new Float32Array((s + 1) * n)));
    let at = 0;
    for (let step = 0; step <= last; step++) {
      for (const p of state.stepProbes[step]!) {
        if (step <= snap.steps[p]!) out[p]!.set(rows.subarray(at * n, (at + 1) * n), step * n);
        at++;
      }
    }
    return out;
  }
}
