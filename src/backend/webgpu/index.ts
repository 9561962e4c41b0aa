// The `webgpu` backend: every op of src/backend/ops.ts as a WGSL kernel (kernels/), run
// through Dawn. Tensors live in pooled GPU buffers; ops record into one command batch that is
// submitted on read-back, on sync() or when full. See kernels/README.md for the kernel files.
//
// Adding an op family: write kernels/<family>.wgsl (contract header first), add
// kernels/<family>.ts here exporting `(ctx) => Pick<OpSignatures, ...>`, spread it into `ops`
// below and list its files in KERNEL_FILES. The OpTable type makes a missing op a tsc error.

import type { Backend, HostArray, OpTable, Storage } from '../ops.js';
import { WebGPUContext } from './context.js';
import type { ContextOptions } from './context.js';
import { adapterInfo, autoChoice, describeAdapter, hasAdapter, openDevice } from './device.js';
import type { AdapterDescription, AutoChoice } from './device.js';
import { elementwise } from './kernels/elementwise.js';
import { gather } from './kernels/gather.js';
import { matmul } from './kernels/matmul.js';
import { orth } from './kernels/orth.js';
import { optim, OPTIM_FILES } from './kernels/optim.js';
import { reduce } from './kernels/reduce.js';
import { GPUStorage } from './pool.js';

export { adapterInfo, autoChoice, hasAdapter };
export type { AdapterDescription, AutoChoice, ContextOptions };
export * from './errors.js';

/** Kernel files compiled when a backend is created (so that a WGSL error fails early). */
export const KERNEL_FILES = ['elementwise.wgsl', 'copy.wgsl', 'reduce.wgsl', 'softmax.wgsl', 'gather.wgsl', 'matmul.wgsl', ...OPTIM_FILES];

export interface WebGPUBackend extends Backend {
  readonly name: 'webgpu';
  /** The device state shared by the kernels (pools, pipelines, batch); for tests and benches. */
  readonly context: WebGPUContext;
  readonly adapter: AdapterDescription;
  /** Destroys the device now; the backend's tensors and later ops fail with DeviceLostError. */
  dispose(): void;
}

/**
 * Creates a webgpu backend on the process's adapter (lavapipe on a machine without a GPU).
 * Throws NoAdapterError when there is none, KernelCompileError if a kernel fails to compile.
 * @example
 * const gpu = await createWebGPUBackend();
 * const x = tensor([1, 2, 3], [3], { backend: gpu });
 */
export async function createWebGPUBackend(opts: ContextOptions = {}): Promise<WebGPUBackend> {
  const { adapter, device } = await openDevice();
  const ctx = new WebGPUContext(adapter, device, opts);
  await ctx.pipelines.compile(ctx.subgroupSize ? [...KERNEL_FILES, 'matmul_subgroup.wgsl'] : KERNEL_FILES);
  const { matmul: mm } = matmul(ctx);
  const base = {
    ...elementwise(ctx),
    ...reduce(ctx),
    matmul: mm,
    ...gather(ctx),
    ...optim(ctx),
  };
  const ops: OpTable = { ...base, ...orth(ctx, base) };
  const storage = (fn: string, s: Storage): GPUStorage => {
    if (!(s instanceof GPUStorage)) throw new TypeError(`${fn}: expected a storage of the webgpu backend but received ${(s as object)?.constructor?.name ?? typeof s}`);
    return s;
  };
  return {
    name: 'webgpu',
    ops,
    context: ctx,
    adapter: describeAdapter(adapter),
    upload: (data: HostArray) => ctx.upload(data),
    read(s: Storage, offset = 0, size?: number): Promise<HostArray> {
      const g = storage('read', s);
      const count = size ?? g.size - offset;
      if (offset < 0 || count < 0 || offset + count > g.size) {
        return Promise.reject(new RangeError(`read: expected a range within the ${g.size} elements of the storage but received offset ${offset}, size ${count}`));
      }
      return ctx.read(g, offset, count);
    },
    free: (s: Storage) => ctx.free(s),
    sync: () => ctx.sync(),
    dispose: () => ctx.destroy(),
  };
}
