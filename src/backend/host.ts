// Host memory shared by the `reference` and `cpu` backends: a storage is a typed array.

import type { DType } from '../dtype.js';
import { arrayFor, dtypeOf } from '../dtype.js';
import { DisposedError } from '../errors.js';
import type { HostArray, Storage } from './ops.js';

/**
 * Allocates a large zero-filled ArrayBuffer, or returns null to fall back to the engine's
 * allocator. The cpu backend registers the addon's (`hugeBuffer`: memory on transparent huge
 * pages, one page fault per 2 MiB instead of one per 4 KiB on first write; a fresh 1 MB row
 * costs 0.1 ms instead of 2.8 ms here). Only the allocation changes, never a value.
 */
export type LargeAllocator = (bytes: number) => ArrayBuffer | null;
let largeAllocator: LargeAllocator | null = null;
/** Arrays from this size on go to the large allocator (which rounds up to 2 MiB pages: at most 2× the memory, for far fewer faults). */
const LARGE_BYTES = 2 ** 20;

/** Registers the allocator of large host arrays (see LargeAllocator; null: the engine's). */
export function setLargeAllocator(f: LargeAllocator | null): void {
  largeAllocator = f;
}

/** A zero-filled host array of `size` elements, from the large allocator when it is big. */
export function newHostArray(dtype: DType, size: number): HostArray {
  const bytes = size * (dtype === 'float64' ? 8 : 4);
  const buf = largeAllocator && bytes >= LARGE_BYTES ? largeAllocator(bytes) : null;
  if (!buf) return arrayFor(dtype, size);
  return dtype === 'float32' ? new Float32Array(buf) : dtype === 'float64' ? new Float64Array(buf) : new Int32Array(buf);
}

/**
 * Freed float32 arrays kept for reuse, by length. Kernels that allocate a result of the same
 * size on every call (a curvature product, a training step) then skip the allocator and the
 * zeroing it does; small arrays are cheap to allocate and are not kept.
 */
const pool = new Map<number, Float32Array[]>();
const POOL_MIN_LENGTH = 4096;
const POOL_MAX_BYTES = 256 * 2 ** 20;
let pooledBytes = 0;

/**
 * A float32 array of `size` elements, from the pool when one is free. Its contents are
 * arbitrary unless `zero` is set: only for outputs that a kernel overwrites completely.
 */
export function takeF32(size: number, zero: boolean): Float32Array {
  const reuse = size >= POOL_MIN_LENGTH ? pool.get(size)?.pop() : undefined;
  if (!reuse) return newHostArray('float32', size) as Float32Array;
  pooledBytes -= reuse.byteLength;
  if (zero) reuse.fill(0);
  return reuse;
}

export class HostStorage implements Storage {
  private array: HostArray | null;
  readonly dtype: DType;
  readonly size: number;
  constructor(data: HostArray) {
    this.array = data;
    this.dtype = dtypeOf(data);
    this.size = data.length;
  }
  static alloc(dtype: DType, size: number): HostStorage {
    return new HostStorage(dtype === 'float32' ? takeF32(size, true) : newHostArray(dtype, size));
  }
  get data(): HostArray {
    if (this.array === null) throw new DisposedError('storage used after it was freed (dispose() was called on its tensor)');
    return this.array;
  }
  /** Frees the storage; a whole float32 array of pooled size goes back to the pool. */
  free(): void {
    const a = this.array;
    this.array = null;
    // NOTE: only arrays this storage owns outright (not views into a larger buffer) are reused.
    if (a instanceof Float32Array && a.length >= POOL_MIN_LENGTH && a.byteOffset === 0 && a.buffer.byteLength === a.byteLength
      && pooledBytes + a.byteLength <= POOL_MAX_BYTES) {
      let list = pool.get(a.length);
      if (!list) pool.set(a.length, (list = []));
      list.push(a);
      pooledBytes += a.byteLength;
    }
  }
}

export function host(s: Storage): HostStorage {
  if (!(s instanceof HostStorage)) throw new TypeError('expected host storage (a tensor of the reference or cpu backend)');
  return s;
}

/** Host backend methods other than the op table. */
export const hostMemory = {
  upload(data: HostArray): Storage {
    const copy = newHostArray(dtypeOf(data), data.length);
    copy.set(data);
    return new HostStorage(copy);
  },
  readSync(s: Storage, offset = 0, size?: number): HostArray {
    const d = host(s).data;
    return d.slice(offset, size === undefined ? d.length : offset + size) as HostArray;
  },
  async read(s: Storage, offset = 0, size?: number): Promise<HostArray> {
    return hostMemory.readSync(s, offset, size);
  },
  free(s: Storage): void {
    host(s).free();
  },
  async sync(): Promise<void> {},
};
