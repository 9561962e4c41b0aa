// Size-bucketed pools of GPUBuffers, and the storage handle of the webgpu backend.
//
// Contract. A request for n bytes gets a buffer from the bucket of the smallest size
// class ≥ n; size classes are 256 B and then four per power of two (2^k·{1, 1.25, 1.5,
// 1.75}), so at most 25% of a buffer is slack. Released buffers return to their bucket
// and are reused; idle buffers above `maxIdleBytes` are destroyed, oldest first, except those
// the unsubmitted command batch still uses (destroyed after its submit). Storage
// buffers and map-read staging buffers have separate pools (their usages differ).
// Allocation failures surface as GPUOutOfMemoryError through the device's error scopes.

import type { DType } from '../../dtype.js';
import { DisposedError } from '../../errors.js';
import type { Storage } from '../ops.js';

/** GPUBufferUsage flags (fixed by the WebGPU spec; Node has no global for them). */
export const USAGE = {
  MAP_READ: 0x1, MAP_WRITE: 0x2, COPY_SRC: 0x4, COPY_DST: 0x8, UNIFORM: 0x40, STORAGE: 0x80,
} as const;
export const MAP_READ_MODE = 0x1;

/** The smallest size class holding `bytes`. */
export function sizeClass(bytes: number): number {
  if (bytes <= 256) return 256;
  const p = 2 ** Math.floor(Math.log2(bytes));
  for (const f of [1, 1.25, 1.5, 1.75, 2]) if (p * f >= bytes) return p * f;
  return 2 * p;
}

export class BufferPool {
  private readonly free = new Map<number, GPUBuffer[]>();
  /** Idle buffers in release order (for eviction). */
  private readonly idle: GPUBuffer[] = [];
  private idleBytes = 0;
  /** Bytes in buffers this pool created and has not destroyed. */
  allocatedBytes = 0;
  created = 0;
  reused = 0;

  constructor(
    private readonly device: GPUDevice,
    private readonly usage: number,
    private readonly label: string,
    readonly maxIdleBytes: number,
    private readonly onCreate: (buffer: GPUBuffer, bytes: number) => void,
  ) {}

  acquire(bytes: number): GPUBuffer {
    const size = sizeClass(bytes);
    const list = this.free.get(size);
    const b = list?.pop();
    if (b) {
      this.idle.splice(this.idle.lastIndexOf(b), 1);
      this.idleBytes -= size;
      this.reused++;
      return b;
    }
    const buffer = this.device.createBuffer({ size, usage: this.usage, label: `${this.label}[${size}]` });
    this.allocatedBytes += size;
    this.created++;
    this.onCreate(buffer, size);
    return buffer;
  }

  /**
   * Whether the unsubmitted command batch uses a buffer. Such a buffer may be handed out again
   * (commands in one batch run in order) but never destroyed before the batch is submitted.
   */
  busy: (buffer: GPUBuffer) => boolean = () => false;

  release(buffer: GPUBuffer): void {
    const size = buffer.size;
    let list = this.free.get(size);
    if (!list) this.free.set(size, (list = []));
    list.push(buffer);
    this.idle.push(buffer);
    this.idleBytes += size;
    this.evict();
  }

  /**
   * Destroys idle buffers, oldest first, until the idle bytes fit `budget`, skipping busy
   * ones. Returns whether the pool is still over budget (call again after the next submit).
   */
  evict(budget = this.maxIdleBytes): boolean {
    for (let i = 0; i < this.idle.length && this.idleBytes > budget; ) {
      const old = this.idle[i]!;
      if (this.busy(old)) {
        i++;
        continue;
      }
      this.idle.splice(i, 1);
      const l = this.free.get(old.size)!;
      l.splice(l.indexOf(old), 1);
      this.idleBytes -= old.size;
      this.allocatedBytes -= old.size;
      old.destroy();
    }
    return this.idleBytes > budget;
  }

  /** Bytes held idle in the pool. */
  get idleByteCount(): number {
    return this.idleBytes;
  }

  /** Destroys every idle buffer that the unsubmitted batch does not use. */
  trim(): void {
    this.evict(0);
  }
}

/** Bytes per element of each dtype on the GPU (float64 has no WGSL type and is refused). */
export const ELEMENT_BYTES: Record<DType, number> = { float32: 4, int32: 4, float64: 8 };

/** A tensor's memory on the GPU: one pooled buffer holding `size` elements from byte 0. */
export class GPUStorage implements Storage {
  private buf: GPUBuffer | null;
  constructor(buffer: GPUBuffer, readonly dtype: DType, readonly size: number) {
    this.buf = buffer;
  }
  get buffer(): GPUBuffer {
    if (this.buf === null) throw new DisposedError('storage used after it was freed (dispose() was called on its tensor)');
    return this.buf;
  }
  get freed(): boolean {
    return this.buf === null;
  }
  /** Bytes of data (at least 4, so that an empty tensor still binds). */
  get byteLength(): number {
    return Math.max(4, this.size * ELEMENT_BYTES[this.dtype]);
  }
  /** Detaches the buffer (for the pool); the storage is unusable afterwards. */
  take(): GPUBuffer {
    const b = this.buffer;
    this.buf = null;
    return b;
  }
}
