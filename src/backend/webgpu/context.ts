// The state one webgpu backend shares with its kernel families: the device and its limits,
// the buffer pools, the pipeline cache, the command batch, and the error state.
//
// Contract. Ops are synchronous: they validate, allocate from the pool and record
// dispatches. Failures that the GPU reports later (device loss, out of memory, a pipeline
// validation error, an index out of range found by a kernel) are stored and make every
// pending read reject, and later reads and ops fail, with a typed error. Kernel families
// call `run()` with a kernel file, an entry point, override constants, storage bindings
// (in binding order) and uniform parameters (bound after the storages).

import type { DType } from '../../dtype.js';
import { typeError } from '../../errors.js';
import type { HostArray, Storage } from '../ops.js';
import { CommandBatch } from './encoder.js';
import type { Groups } from './encoder.js';
import { DeviceLostError, GPUOutOfMemoryError, GPUValidationError, WebGPUError } from './errors.js';
import type { Constants } from './pipelines.js';
import { Pipelines } from './pipelines.js';
import { BufferPool, ELEMENT_BYTES, GPUStorage, MAP_READ_MODE, USAGE } from './pool.js';

export type { Groups };

export interface ContextOptions {
  /** Idle bytes each buffer pool keeps for reuse (default 256 MiB). */
  maxIdleBytes?: number;
  /** Dispatches per submitted batch (default 1024). */
  maxDispatches?: number;
  /**
   * Submit the batch after this many dispatches (default: $DESCENT_WEBGPU_SUBMIT_EVERY, else `maxDispatches`), so that
   * the GPU starts on the first dispatches of a long computation while the host records the rest (on the H200 it
   * did not shorten the reference HVP: 3.38 ms at 16 against 3.43 ms, within the noise, so it is off by default).
   */
  submitEvery?: number;
  /** The matmul kernel: by default $DESCENT_MATMUL, else the subgroup kernel on a software adapter with fixed-size subgroups, else the tiled one. */
  matmulKernel?: 'subgroup' | 'tiled';
  /** The tiled kernel's outputs per invocation along rows and columns: by default $DESCENT_MATMUL_TILE, else on a GPU 8 when 128×128 tiles make ≥ 128 workgroups, else 4 (src/backend/webgpu/kernels/matmul.ts). */
  matmulTile?: 4 | 8;
}

/** A deferred index check recorded by a kernel (gather, scatterAdd). */
interface IndexCheck {
  fn: string;
  n: number;
}

/** f32 bits of a number, for uniform parameter words. */
export function f32bits(x: number): number {
  f32[0] = x;
  return u32[0]!;
}
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export class WebGPUContext {
  readonly limits: { maxStorageBinding: number; maxBuffer: number; maxGroups: number; maxWorkgroupStorage: number; maxInvocations: number };
  readonly storagePool: BufferPool;
  readonly readPool: BufferPool;
  readonly pipelines: Pipelines;
  readonly batch: CommandBatch;
  /** A small buffer for bindings a kernel declares but an op does not use. */
  readonly dummy: GPUBuffer;
  /** Subgroup size when the device has subgroups of one fixed size, else 0. */
  readonly subgroupSize: number;
  /** A software (CPU) adapter such as lavapipe. */
  readonly isSoftware: boolean;
  private lost: WebGPUError | null = null;
  private failure: WebGPUError | null = null;
  private readonly pending = new Set<(e: Error) => void>();
  /** Index-check status words: [count of bad indices, position, value, check tag]. */
  private readonly status: GPUBuffer;
  private checks: IndexCheck[] = [];
  private destroyed = false;

  constructor(readonly adapter: GPUAdapter, readonly device: GPUDevice, readonly options: ContextOptions = {}) {
    const l = device.limits;
    this.limits = {
      maxStorageBinding: l.maxStorageBufferBindingSize,
      maxBuffer: l.maxBufferSize,
      maxGroups: l.maxComputeWorkgroupsPerDimension,
      maxWorkgroupStorage: l.maxComputeWorkgroupStorageSize,
      maxInvocations: l.maxComputeInvocationsPerWorkgroup,
    };
    const info = adapter.info as GPUAdapterInfo & { subgroupMinSize?: number; subgroupMaxSize?: number; isFallbackAdapter?: boolean };
    this.subgroupSize = device.features.has('subgroups') && info.subgroupMinSize && info.subgroupMinSize === info.subgroupMaxSize ? info.subgroupMinSize : 0;
    this.isSoftware = info.isFallbackAdapter === true || /llvmpipe|lavapipe|swiftshader/i.test(`${info.device} ${info.description}`);
    const idle = options.maxIdleBytes ?? 256 * 2 ** 20;
    const watch = (what: string) => (buffer: GPUBuffer, bytes: number) => this.watchAllocation(bytes, what);
    this.storagePool = new BufferPool(device, USAGE.STORAGE | USAGE.COPY_SRC | USAGE.COPY_DST, 'descent tensor', idle, watch('a tensor'));
    this.readPool = new BufferPool(device, USAGE.MAP_READ | USAGE.COPY_DST, 'descent read-back', idle / 4, watch('a read-back buffer'));
    this.pipelines = new Pipelines(device, (e) => this.fail(e));
    const maxDispatches = options.maxDispatches ?? 1024;
    this.batch = new CommandBatch(device, maxDispatches, options.submitEvery ?? (Number(process.env.DESCENT_WEBGPU_SUBMIT_EVERY) || maxDispatches));
    this.storagePool.busy = (b) => this.batch.used.has(b);
    this.readPool.busy = (b) => this.batch.used.has(b);
    this.dummy = device.createBuffer({ label: 'descent dummy', size: 256, usage: USAGE.STORAGE });
    this.status = device.createBuffer({ label: 'descent index status', size: 16, usage: USAGE.STORAGE | USAGE.COPY_SRC | USAGE.COPY_DST });
    device.lost.then((info) => {
      this.lost = new DeviceLostError(info.reason === 'destroyed' ? 'destroyed' : String(info.reason ?? 'unknown'), info.message);
      this.rejectPending(this.lost);
    }, () => {});
    device.addEventListener('uncapturederror', (ev) => {
      const err = (ev as GPUUncapturedErrorEvent).error;
      const isOom = err.constructor?.name === 'GPUOutOfMemoryError';
      this.fail(isOom ? new GPUOutOfMemoryError(0, 'a GPU operation', err.message) : new GPUValidationError('a GPU command', err.message));
    });
  }

  private watchAllocation(bytes: number, what: string): void {
    this.device.pushErrorScope('out-of-memory');
    void this.device.popErrorScope().then((err) => {
      if (err) this.fail(new GPUOutOfMemoryError(bytes, what, err.message));
    }, () => {});
  }

  /** Records a GPU failure: pending reads reject now, the next read or sync rejects too. */
  fail(e: WebGPUError): void {
    this.failure ??= e;
    this.rejectPending(e);
  }

  private rejectPending(e: Error): void {
    for (const reject of this.pending) reject(e);
    this.pending.clear();
  }

  /** Throws if the device is gone (every op calls this first). */
  alive(): void {
    if (this.lost) throw this.lost;
    if (this.destroyed) throw new DeviceLostError('destroyed', 'the backend was disposed');
  }

  /** The GPU storage behind an op argument; float64 is refused with the op's name. */
  storage(op: string, arg: string, s: Storage): GPUStorage {
    if (!(s instanceof GPUStorage)) throw typeError(op, arg, 'a tensor of the webgpu backend', s);
    if (s.dtype === 'float64') throw this.f64(op, arg);
    return s;
  }

  f64(op: string, arg: string): TypeError {
    return new TypeError(`${op}: expected a float32 or int32 tensor for '${arg}' but received float64 (WGSL has no float64; cast() to float32, or use the cpu backend)`);
  }

  /** Checks that `bytes` fit one storage binding. */
  checkBindable(op: string, bytes: number, what: string): void {
    if (bytes > this.limits.maxStorageBinding) {
      throw new RangeError(`${op}: ${what} needs ${bytes} bytes but this adapter's maxStorageBufferBindingSize is ${this.limits.maxStorageBinding} bytes (${(this.limits.maxStorageBinding / 2 ** 20).toFixed(0)} MiB); split the tensor, or use the cpu backend`);
    }
  }

  /** A new storage of `size` elements of `dtype` from the pool. */
  alloc(op: string, dtype: DType, size: number): GPUStorage {
    this.alive();
    if (dtype === 'float64') throw this.f64(op, 'dtype');
    const bytes = Math.max(4, size * ELEMENT_BYTES[dtype]);
    this.checkBindable(op, bytes, `a ${dtype} result of ${size} elements`);
    return new GPUStorage(this.storagePool.acquire(bytes), dtype, size);
  }

  /** Uploads host data into a new storage. */
  upload(data: HostArray): GPUStorage {
    this.alive();
    if (data instanceof Float64Array) throw this.f64('upload', 'data');
    const s = this.alloc('upload', data instanceof Int32Array ? 'int32' : 'float32', data.length);
    if (data.length > 0) {
      // queue.writeBuffer runs at queue time: submit first if the unsubmitted batch uses this buffer.
      if (this.batch.used.has(s.buffer)) this.batch.flush();
      this.device.queue.writeBuffer(s.buffer, 0, data.buffer, data.byteOffset, data.byteLength);
    }
    return s;
  }

  /** A temporary storage buffer holding `data`, returned to the pool after the batch is submitted. */
  temp(data: Uint32Array | Int32Array | Float32Array): GPUBuffer {
    const b = this.storagePool.acquire(Math.max(16, data.byteLength));
    if (this.batch.used.has(b)) this.batch.flush();
    if (data.byteLength > 0) this.device.queue.writeBuffer(b, 0, data.buffer, data.byteOffset, data.byteLength);
    this.batch.used.add(b);
    this.batch.afterSubmit(() => this.storagePool.release(b));
    return b;
  }

  /** A temporary device buffer of `bytes` (contents undefined), returned to the pool after submission. */
  scratch(op: string, bytes: number): GPUBuffer {
    this.checkBindable(op, bytes, 'scratch space');
    const b = this.storagePool.acquire(Math.max(16, bytes));
    this.batch.used.add(b);
    this.batch.afterSubmit(() => this.storagePool.release(b));
    return b;
  }

  free(s: Storage): void {
    if (!(s instanceof GPUStorage)) throw typeError('free', 's', 'a tensor of the webgpu backend', s);
    if (s.freed) return;
    const b = s.take();
    if (this.lost || this.destroyed) return;
    this.storagePool.release(b);
    // Idle buffers the unsubmitted batch uses survived the eviction: retry after its submit.
    if (this.storagePool.evict()) this.batch.afterSubmit(() => this.storagePool.evict());
  }

  /** A binding of a whole buffer, capped at the binding limit. */
  binding(b: GPUStorage | GPUBuffer): GPUBufferBinding {
    const buffer = b instanceof GPUStorage ? b.buffer : b;
    return { buffer, offset: 0, size: Math.min(buffer.size, Math.floor(this.limits.maxStorageBinding / 4) * 4) };
  }

  /** Records a dispatch of `file:entry{constants}`. */
  run(file: string, entry: string, constants: Constants, buffers: readonly (GPUStorage | GPUBuffer)[], params: Uint32Array | readonly number[] | null, groups: Groups): void {
    this.alive();
    const pipeline = this.pipelines.get(file, entry, constants);
    const p = params === null ? null : params instanceof Uint32Array ? params : Uint32Array.from(params);
    this.batch.dispatch(pipeline, buffers.map((b) => this.binding(b)), p, groups);
  }

  /** Workgroup counts covering `total` invocations of `wg` each, split over x and y when x would exceed the limit. */
  groups1d(total: number, wg: number): Groups {
    const n = Math.ceil(total / wg);
    if (n <= this.limits.maxGroups) return [n, 1, 1];
    const y = Math.ceil(n / this.limits.maxGroups);
    return [Math.ceil(n / y), y, 1];
  }

  /** The index-status buffer and the tag a kernel writes into it when it finds a bad index. */
  indexCheck(fn: string, n: number): { status: GPUBuffer; tag: number } {
    this.checks.push({ fn, n });
    return { status: this.status, tag: this.checks.length - 1 };
  }

  private track<T>(p: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.add(reject);
      p.then(resolve, reject).finally(() => this.pending.delete(reject));
    });
  }

  /** After a failed map: the device-loss error if the device is gone (waiting briefly for its lost promise). */
  private async explain(e: unknown): Promise<Error> {
    if (this.lost) return this.lost;
    if (this.failure) return this.takeFailure()!;
    await Promise.race([this.device.lost, new Promise((r) => setTimeout(r, 50).unref?.())]);
    return this.lost ?? (e as Error);
  }

  private takeFailure(): WebGPUError | null {
    const f = this.failure;
    this.failure = null;
    return f;
  }

  /** Reads `count` elements from element `offset` of `s` back to the host. */
  async read(s: GPUStorage, offset: number, count: number): Promise<HostArray> {
    this.alive();
    const failure = this.takeFailure();
    if (failure) throw failure;
    const bytes = count * 4;
    const checks = this.checks;
    const staging = bytes > 0 ? this.readPool.acquire(bytes) : null;
    const statusStaging = checks.length > 0 ? this.readPool.acquire(16) : null;
    if (staging) this.batch.copy(s.buffer, offset * 4, staging, 0, bytes);
    if (statusStaging) {
      this.batch.copy(this.status, 0, statusStaging, 0, 16);
      this.batch.clear(this.status, 0, 16);
      this.checks = [];
    }
    this.batch.flush();
    try {
      const [data, status] = await this.track(Promise.all([
        staging ? staging.mapAsync(MAP_READ_MODE, 0, bytes).then(() => staging.getMappedRange(0, bytes).slice(0)) : Promise.resolve(new ArrayBuffer(0)),
        statusStaging ? statusStaging.mapAsync(MAP_READ_MODE, 0, 16).then(() => new Uint32Array(statusStaging.getMappedRange(0, 16).slice(0))) : Promise.resolve(null),
      ]));
      if (status && status[0]! > 0) {
        const c = checks[status[3]!]!;
        throw new RangeError(`${c.fn}: expected indices in [0, ${c.n - 1}] for 'indices' but received ${status[2]! | 0} at position ${status[1]!}`);
      }
      return s.dtype === 'int32' ? new Int32Array(data) : new Float32Array(data);
    } catch (e) {
      if (e instanceof RangeError) throw e;
      throw await this.explain(e);
    } finally {
      for (const b of [staging, statusStaging]) {
        if (!b) continue;
        if (b.mapState === 'mapped') b.unmap();
        // A buffer whose map is still pending (the read was rejected early) cannot be reused.
        if (b.mapState === 'unmapped' && !this.lost && !this.destroyed) this.readPool.release(b);
        else b.destroy();
      }
    }
  }

  /** Submits pending work and waits for the queue to drain; rejects with any recorded failure. */
  async sync(): Promise<void> {
    this.alive();
    if (this.checks.length > 0) {
      const s = this.dummyStorageForSync();
      await this.read(s, 0, 0);
      return;
    }
    this.batch.flush();
    try {
      await this.track(this.device.queue.onSubmittedWorkDone());
    } catch (e) {
      throw await this.explain(e);
    }
    const failure = this.takeFailure();
    if (failure) throw failure;
  }

  private syncStorage: GPUStorage | null = null;
  private dummyStorageForSync(): GPUStorage {
    this.syncStorage ??= new GPUStorage(this.dummy, 'float32', 0);
    return this.syncStorage;
  }

  /** Destroys the device: later ops fail with DeviceLostError('destroyed'). */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.batch.destroy();
    this.device.destroy();
  }
}
