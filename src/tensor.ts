// Tensors: a shape, strides and an offset over storage owned by one backend.
//
// Views (reshape, transpose, slice, broadcast) share storage; the storage is freed when
// the last tensor viewing it is disposed, explicitly or by a tidy() scope. Host-backed
// tensors can also be left to the garbage collector; GPU tensors must not be.

import type { DType } from './dtype.js';
import { DisposedError } from './errors.js';
import type { Backend, Contig, HostArray, Storage, Strided } from './backend/ops.js';
import { sizeOf, stridesFor } from './shape.js';
import type { Shape } from './shape.js';

/** Storage shared by all views of it, with a count of the live tensors that use it. */
class Buffer {
  refs = 0;
  constructor(readonly backend: Backend, private s: Storage | null) {}
  get storage(): Storage {
    if (this.s === null) throw new DisposedError('tensor used after dispose()');
    return this.s;
  }
  get freed(): boolean {
    return this.s === null;
  }
  release(): void {
    if (--this.refs === 0 && this.s !== null) {
      this.backend.free(this.s);
      this.s = null;
    }
  }
}

const scopes: Set<Tensor>[] = [];

export class Tensor {
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
  readonly size: number;
  private readonly buf: Buffer;
  private disposed = false;
  /** Autodiff's bookkeeping (src/autodiff/); opaque to the tensor layer. */
  node: unknown = null;

  /** @internal Use the creation functions (tensor, zeros, ...) instead. */
  constructor(buf: Buffer, shape: Shape, strides: Shape, offset: number) {
    this.buf = buf;
    this.shape = Object.freeze(shape.slice());
    this.strides = Object.freeze(strides.slice());
    this.offset = offset;
    this.size = sizeOf(shape);
    buf.refs++;
    scopes.at(-1)?.add(this);
  }

  /** @internal A tensor over fresh storage, contiguous. */
  static fromStorage(backend: Backend, s: Storage, shape: Shape): Tensor {
    return new Tensor(new Buffer(backend, s), shape, stridesFor(shape), 0);
  }

  /** @internal A view sharing this tensor's storage. */
  view(shape: Shape, strides: Shape, offset: number): Tensor {
    this.storage; // throws if disposed
    return new Tensor(this.buf, shape, strides, offset);
  }

  get backend(): Backend {
    return this.buf.backend;
  }
  get dtype(): DType {
    return this.storage.dtype;
  }
  get rank(): number {
    return this.shape.length;
  }
  get isDisposed(): boolean {
    return this.disposed || this.buf.freed;
  }
  /** @internal */
  get storage(): Storage {
    if (this.disposed) throw new DisposedError(`tensor of shape [${this.shape.join(', ')}] used after dispose()`);
    return this.buf.storage;
  }

  /** True when the elements are laid out row-major without gaps from `offset`. */
  get isContiguous(): boolean {
    let expect = 1;
    for (let i = this.shape.length - 1; i >= 0; i--) {
      if (this.shape[i] !== 1 && this.strides[i] !== expect) return false;
      expect *= this.shape[i]!;
    }
    return true;
  }

  /** @internal The op-table view of a contiguous tensor. */
  get contig(): Contig {
    return { s: this.storage, offset: this.offset };
  }
  /** @internal The op-table view with strides. */
  get strided(): Strided {
    return { s: this.storage, offset: this.offset, shape: this.shape, strides: this.strides };
  }

  /** Reads the elements (row-major) back to the host. */
  async data(): Promise<HostArray> {
    if (this.isContiguous) return this.backend.read(this.storage, this.offset, this.size);
    const c = contiguousCopy(this);
    try {
      return await c.backend.read(c.storage, 0, c.size);
    } finally {
      c.dispose();
    }
  }

  /** Reads the elements synchronously; only for host backends (reference, cpu). */
  dataSync(): HostArray {
    const readSync = this.backend.readSync;
    if (!readSync) throw new TypeError(`dataSync: the '${this.backend.name}' backend has no synchronous read; use 'await t.data()'`);
    if (this.isContiguous) return readSync.call(this.backend, this.storage, this.offset, this.size);
    const c = contiguousCopy(this);
    const out = readSync.call(c.backend, c.storage, 0, c.size);
    c.dispose();
    return out;
  }

  /** The single element of a tensor of size 1. */
  async item(): Promise<number> {
    if (this.size !== 1) throw new RangeError(`item: expected a tensor of size 1 but received shape [${this.shape.join(', ')}]`);
    return (await this.data())[0]!;
  }

  /** The elements as a nested JavaScript array. */
  async array(): Promise<unknown> {
    return nest(Array.from(await this.data()), this.shape);
  }

  /** Frees this tensor's hold on its storage (the storage goes when no view holds it). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.buf.release();
  }

  toString(): string {
    return `Tensor(${this.backend.name}, ${this.dtype}, [${this.shape.join(', ')}])`;
  }
}

function nest(flat: number[], shape: Shape): unknown {
  if (shape.length === 0) return flat[0];
  const [d, ...rest] = shape;
  const step = sizeOf(rest);
  return Array.from({ length: d! }, (_, i) => nest(flat.slice(i * step, (i + 1) * step), rest));
}

/**
 * A new storage of `size` elements on `b` with arbitrary contents (the backend's `alloc`, or
 * zeros where it has none): for outputs that are overwritten completely.
 */
export function allocStorage(b: Backend, size: number, dtype: DType): Storage {
  return b.ops.alloc ? b.ops.alloc(size, dtype) : b.ops.fill(size, 0, dtype);
}

/** A contiguous copy of any view (no autodiff record: callers record if needed). */
export function contiguousCopy(t: Tensor): Tensor {
  const b = t.backend;
  const out = Tensor.fromStorage(b, allocStorage(b, t.size, t.dtype), t.shape);
  b.ops.copyInto(t.strided, out.strided);
  return out;
}

type Tree = Tensor | readonly Tree[] | { readonly [k: string]: Tree } | unknown;

function collect(x: Tree, into: Set<Tensor>): void {
  if (x instanceof Tensor) into.add(x);
  else if (Array.isArray(x)) for (const v of x) collect(v, into);
  else if (x && typeof x === 'object' && Object.getPrototypeOf(x) === Object.prototype) {
    for (const v of Object.values(x)) collect(v, into);
  }
}

/**
 * Runs `fn` and disposes every tensor it created except those it returns (in a tensor,
 * an array or a plain object) and those passed to keep().
 * @example
 * const y = tidy(() => add(mul(x, x), 1)); // the intermediate x·x is freed
 */
export function tidy<T>(fn: () => T): T {
  const scope = new Set<Tensor>();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } finally {
    scopes.pop();
  }
  if (result instanceof Promise) throw new TypeError('tidy: expected a synchronous function for \'fn\' but it returned a Promise');
  const keepers = new Set<Tensor>();
  collect(result, keepers);
  for (const t of scope) {
    if (keepers.has(t)) scopes.at(-1)?.add(t);
    else t.dispose();
  }
  return result;
}

/** Exempts a tensor from the enclosing tidy() scopes. */
export function keep<T extends Tensor>(t: T): T {
  for (const s of scopes) s.delete(t);
  return t;
}

/** Disposes every tensor in a tensor, an array or a plain object. */
export function dispose(x: Tree): void {
  const all = new Set<Tensor>();
  collect(x, all);
  for (const t of all) t.dispose();
}
