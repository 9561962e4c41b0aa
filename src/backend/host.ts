// Host memory shared by the `reference` and `cpu` backends: a storage is a typed array.

import type { DType } from '../dtype.js';
import { arrayFor, dtypeOf } from '../dtype.js';
import { DisposedError } from '../errors.js';
import type { HostArray, Storage } from './ops.js';

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
    return new HostStorage(arrayFor(dtype, size));
  }
  get data(): HostArray {
    if (this.array === null) throw new DisposedError('storage used after it was freed (dispose() was called on its tensor)');
    return this.array;
  }
  free(): void {
    this.array = null;
  }
}

export function host(s: Storage): HostStorage {
  if (!(s instanceof HostStorage)) throw new TypeError('expected host storage (a tensor of the reference or cpu backend)');
  return s;
}

/** Host backend methods other than the op table. */
export const hostMemory = {
  upload(data: HostArray): Storage {
    return new HostStorage(data.slice() as HostArray);
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
