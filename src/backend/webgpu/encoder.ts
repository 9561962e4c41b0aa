// Batches GPU work: every dispatch and copy goes into one command encoder (one compute pass
// between copies), submitted when a result is read back, when the batch is full, or on sync().
//
// Contract. Each dispatch gets its own 256-byte slot of uniform parameters in a host-side
// staging area; the slots are written to one uniform buffer with a single writeBuffer just
// before the batch is submitted (queue order makes that write land before the batch runs,
// and after the previous batch, which used the same buffer). A batch holds at most
// `maxDispatches` dispatches, and is submitted once it holds `submitEvery` (so that the GPU
// starts while the host records the rest of a long computation). `used` holds the buffers
// the unsubmitted batch touches, so an upload (queue.writeBuffer, which runs at queue time)
// into one of them submits the batch first. Callbacks registered with `afterSubmit` run once the batch has been submitted
// (they return temporary buffers to their pools: later batches run after this one), never
// while the ops that registered them are still recording.
//
// Host cost. Recording is the webgpu backend's main cost for small products (an HVP of the
// reference MLP is ~50 dispatches), so a dispatch reuses what it can: each pipeline's bind
// group layout is fetched once, and bind groups are cached by (pipeline, buffers, binding
// ranges, parameter slot) — a repeated computation draws the same pooled buffers in the same
// order, so its dispatches find their bind groups. A cached group never outlives its buffers'
// use: a destroyed buffer is never bound again (the pool drops it), so its entries are only
// dead weight, and the cache is emptied when it passes `MAX_CACHED_GROUPS` entries.

export const PARAM_SLOT_BYTES = 256;
/** Bind groups kept for reuse before the cache is emptied. */
export const MAX_CACHED_GROUPS = 4096;

export type Groups = readonly [number, number, number];

export class CommandBatch {
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private readonly staging: ArrayBuffer;
  private readonly stagingU32: Uint32Array;
  private readonly params: GPUBuffer;
  private slots = 0;
  private commands = 0;
  private callbacks: (() => void)[] = [];
  readonly used = new Set<GPUBuffer>();
  /** Number of batches submitted so far. */
  submitted = 0;
  /** Dispatches recorded so far (all batches). */
  dispatches = 0;
  /** Bind groups created and found in the cache (all batches). */
  groupsCreated = 0;
  groupsReused = 0;
  private readonly layouts = new WeakMap<GPUComputePipeline, GPUBindGroupLayout>();
  private readonly ids = new WeakMap<object, number>();
  private nextId = 1;
  private readonly groups = new Map<string, GPUBindGroup>();

  constructor(private readonly device: GPUDevice, readonly maxDispatches = 1024, readonly submitEvery = maxDispatches) {
    this.staging = new ArrayBuffer(maxDispatches * PARAM_SLOT_BYTES);
    this.stagingU32 = new Uint32Array(this.staging);
    this.params = device.createBuffer({ label: 'descent params', size: this.staging.byteLength, usage: 0x40 | 0x8 });
  }

  /** Whether the current batch has unsubmitted work. */
  get pending(): boolean {
    return this.commands > 0;
  }

  private enc(): GPUCommandEncoder {
    this.encoder ??= this.device.createCommandEncoder({ label: `descent batch ${this.submitted}` });
    return this.encoder;
  }

  private endPass(): void {
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
  }

  /**
   * Records one dispatch. `entries` are the storage bindings in binding order; when
   * `params` is given it is bound as a uniform at binding `entries.length`.
   */
  dispatch(pipeline: GPUComputePipeline, buffers: readonly GPUBufferBinding[], params: Uint32Array | null, groups: Groups): void {
    if (groups[0] === 0 || groups[1] === 0 || groups[2] === 0) return;
    if (params && this.slots >= this.maxDispatches) this.flush();
    let key = `${this.id(pipeline)}`;
    for (const b of buffers) {
      key += `,${this.id(b.buffer)}`;
      if ((b.offset ?? 0) !== 0 || (b.size !== undefined && b.size !== b.buffer.size)) key += `@${b.offset ?? 0}+${b.size ?? ''}`;
    }
    const offset = this.slots * PARAM_SLOT_BYTES;
    if (params) {
      this.stagingU32.set(params, offset / 4);
      key += `|${this.slots}`;
      this.slots++;
    }
    for (const b of buffers) this.used.add(b.buffer);
    let bindGroup = this.groups.get(key);
    if (bindGroup) this.groupsReused++;
    else {
      const entries: GPUBindGroupEntry[] = buffers.map((resource, binding) => ({ binding, resource }));
      if (params) entries.push({ binding: buffers.length, resource: { buffer: this.params, offset, size: PARAM_SLOT_BYTES } });
      let layout = this.layouts.get(pipeline);
      if (!layout) this.layouts.set(pipeline, (layout = pipeline.getBindGroupLayout(0)));
      bindGroup = this.device.createBindGroup({ layout, entries });
      if (this.groups.size >= MAX_CACHED_GROUPS) this.groups.clear();
      this.groups.set(key, bindGroup);
      this.groupsCreated++;
    }
    this.pass ??= this.enc().beginComputePass();
    this.pass.setPipeline(pipeline);
    this.pass.setBindGroup(0, bindGroup);
    this.pass.dispatchWorkgroups(groups[0], groups[1], groups[2]);
    this.commands++;
    this.dispatches++;
    // The dispatch is recorded (its buffers are in `used` until now): submitting here is like a full batch's flush.
    if (this.commands >= this.submitEvery) this.flush();
  }

  /** A number naming a pipeline or buffer for the bind-group cache's keys. */
  private id(o: object): number {
    let i = this.ids.get(o);
    if (i === undefined) this.ids.set(o, (i = this.nextId++));
    return i;
  }

  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
    if (bytes === 0) return;
    this.endPass();
    this.enc().copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
    this.used.add(src);
    this.used.add(dst);
    this.commands++;
  }

  clear(buffer: GPUBuffer, offset: number, bytes: number): void {
    if (bytes === 0) return;
    this.endPass();
    this.enc().clearBuffer(buffer, offset, bytes);
    this.used.add(buffer);
    this.commands++;
  }

  /**
   * Runs `fn` once the batch being recorded is submitted (or, if it ends up empty, at the next
   * flush). Never at once: the caller is about to record commands that use its buffer.
   */
  afterSubmit(fn: () => void): void {
    this.callbacks.push(fn);
  }

  private runCallbacks(): void {
    const cbs = this.callbacks;
    this.callbacks = [];
    for (const cb of cbs) cb();
  }

  /** Submits the batch (if any work is pending). */
  flush(): void {
    if (this.commands === 0) {
      this.runCallbacks();
      return;
    }
    this.endPass();
    if (this.slots > 0) this.device.queue.writeBuffer(this.params, 0, this.staging, 0, this.slots * PARAM_SLOT_BYTES);
    this.device.queue.submit([this.encoder!.finish()]);
    this.encoder = null;
    this.slots = 0;
    this.commands = 0;
    this.submitted++;
    this.used.clear();
    this.runCallbacks();
  }

  destroy(): void {
    this.groups.clear();
    this.encoder = null;
    this.pass = null;
    this.params.destroy();
  }
}
