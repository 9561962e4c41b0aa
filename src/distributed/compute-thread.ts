// A compute thread: heavy, synchronous work (native kernels, model and data loading) moved
// off the caller's event loop onto a node:worker_threads thread, so the caller's timers and
// sockets (Redis heartbeats, reads, claims) keep flowing while it runs.
//
// The API is a small RPC over one module of named handlers:
//
//   const ct = await startComputeThread(new URL('./my-handlers.js', import.meta.url), initArg);
//   const out = await ct.call<Float32Array>('apply', [key, rows], [rows.buffer]);
//   await ct.close();
//
// The handler module (loaded in the thread, never in the caller) exports functions by name:
//   - `init(initArg)` (optional) runs once before any call; startComputeThread resolves after
//     it (and rejects with its error);
//   - any other exported function `f(...args)` serves `call('f', args)`; its (awaited) return
//     value comes back by structured clone. To move a large result instead of copying it,
//     return `transferable(value, [buffer, ...])` (the ArrayBuffers are transferred, and
//     detached in the thread). Arguments are moved the same way through call's `transfer`
//     (detached in the caller).
// A handler's throw rejects its call with an Error of the same message (and `name`); the
// thread keeps serving. If the thread itself dies (an uncaught error, out of memory,
// process.exit in the thread), every pending and later call rejects with the reason. Calls
// may overlap; the thread runs one synchronous stretch at a time, so a handler that computes
// synchronously serves calls in the order they were made.
//
// Loading TypeScript: a worker thread does not inherit the loader hooks that `tsx` (or
// `node --import tsx`) installed in the main thread (Node 20 runs the worker's execArgv
// preloads, but the hooks tsx registers do not apply to the worker's entry), so a handler
// module ending in .ts/.mts/.cts is imported after registering tsx's ESM API in the thread
// (`tsx/esm/api`, resolved from this file, present wherever the sources run through tsx).
// Compiled modules (dist/, .js) are imported as they are. The thread's entry is a short
// eval'd script that does this and then imports this file's `serveComputeThread`.
//
// Native addons: the cpu backend's addon (node-addon-api, context aware) loads in a thread as
// in the main thread, with its own instance data; tensors (handles) belong to the thread that
// made them and never cross: only plain data (typed arrays, JSON-like values) does. Each
// thread that uses a backend initialises it itself (initBackend in the handler's init). The
// webgpu backend (Dawn) also initialises in a thread (checked on this machine with lavapipe).

import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { ResourceLimits, Transferable } from 'node:worker_threads';

const TRANSFER = Symbol.for('descent.computeThread.transfer');
const MARK = '__descentComputeThread';

interface Transferred<T> { [TRANSFER]: true; value: T; transfer: Transferable[] }

/** For a handler's return value: `value` comes back to the caller with `transfer`'s buffers moved, not copied. */
export function transferable<T>(value: T, transfer: Transferable[]): T {
  return { [TRANSFER]: true, value, transfer } as unknown as T;
}

/** A running compute thread; see the header. */
export interface ComputeThread {
  /** Calls the handler module's export `method` with `args` (structured clone; `transfer`'s buffers are moved). */
  call<T = unknown>(method: string, args?: readonly unknown[], transfer?: readonly Transferable[]): Promise<T>;
  /** Stops the thread now (terminate); pending calls reject. Idempotent. */
  close(): Promise<void>;
  /** Calls made and not yet answered. */
  readonly pending: number;
  /** False once the thread has died or been closed (every call then rejects). */
  readonly alive: boolean;
  /** The thread's id (node:worker_threads threadId). */
  readonly threadId: number;
}

export interface ComputeThreadOptions {
  /** A name for messages (default: the module's file name). */
  name?: string;
  /** Passed to the Worker (heap limits). */
  resourceLimits?: ResourceLimits;
}

type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: { message: string; name: string; stack?: string } };
type Msg = { kind: 'ready' } | { kind: 'init-failed'; error: { message: string; name: string; stack?: string } } | ({ kind: 'reply' } & Reply);

const isTs = (u: string) => /\.[mc]?ts$/i.test(new URL(u).pathname);

/**
 * Starts a thread running the handler module `moduleUrl` (a file URL or absolute URL string)
 * and calls its `init(init)`; resolves when that is done. See the header for the handler
 * contract. Close it with `close()`.
 */
export async function startComputeThread(moduleUrl: string | URL, init?: unknown, o: ComputeThreadOptions = {}): Promise<ComputeThread> {
  let url: string;
  try {
    url = new URL(String(moduleUrl)).href;
  } catch {
    throw new TypeError(`startComputeThread: expected an absolute URL (e.g. new URL('./handlers.js', import.meta.url)) for 'moduleUrl' but received '${String(moduleUrl)}'`);
  }
  const label = o.name ?? url.split('/').at(-1)!;
  const self = import.meta.url;
  let tsxApi: string | null = null;
  if (isTs(url) || isTs(self)) {
    try {
      tsxApi = import.meta.resolve('tsx/esm/api');
    } catch (e) {
      throw new Error(`startComputeThread(${label}): the module is TypeScript but tsx cannot be resolved from ${self} (${(e as Error).message}); build with npm run build and use dist/`);
    }
  }
  const boot = `(async () => {
  ${tsxApi ? `const { register } = await import(${JSON.stringify(tsxApi)}); register();` : ''}
  const rt = await import(${JSON.stringify(self)});
  await rt.serveComputeThread();
})().catch((e) => { require('node:worker_threads').parentPort.postMessage({ kind: 'init-failed', error: { message: String(e && e.message || e), name: String(e && e.name || 'Error'), stack: e && e.stack } }); });`;
  const worker = new Worker(boot, { eval: true, workerData: { [MARK]: true, module: url, init }, ...(o.resourceLimits ? { resourceLimits: o.resourceLimits } : {}) });
  const calls = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; method: string }>();
  let next = 1;
  let dead: Error | null = null;
  const failAll = (e: Error) => {
    dead ??= e;
    for (const c of calls.values()) c.reject(new Error(`compute thread ${label}: ${c.method}: ${dead.message}`));
    calls.clear();
  };

  await new Promise<void>((resolve, reject) => {
    const onMsg = (m: Msg) => {
      if (m.kind === 'ready') { cleanup(); resolve(); } else if (m.kind === 'init-failed') {
        cleanup();
        const err = new Error(`startComputeThread(${label}): ${m.error.message}`);
        if (m.error.stack) err.stack = `${err.message}\n(in the thread) ${m.error.stack}`;
        void worker.terminate();
        reject(err);
      }
    };
    const onError = (e: Error) => { cleanup(); reject(new Error(`startComputeThread(${label}): ${e.message}`)); };
    const onExit = (code: number) => { cleanup(); reject(new Error(`startComputeThread(${label}): the thread exited (code ${code}) before it was ready`)); };
    const cleanup = () => { worker.off('message', onMsg); worker.off('error', onError); worker.off('exit', onExit); };
    worker.on('message', onMsg);
    worker.once('error', onError);
    worker.once('exit', onExit);
  });

  worker.on('message', (m: Msg) => {
    if (m.kind !== 'reply') return;
    const c = calls.get(m.id);
    if (!c) return;
    calls.delete(m.id);
    if (m.ok) c.resolve(m.value);
    else {
      const err = new Error(m.error.message);
      err.name = m.error.name;
      if (m.error.stack) err.stack = m.error.stack;
      c.reject(err);
    }
  });
  worker.on('error', (e) => failAll(new Error(`the thread failed: ${e.message}`)));
  worker.on('exit', (code) => failAll(new Error(`the thread exited (code ${code})`)));

  return {
    call<T>(method: string, args: readonly unknown[] = [], transfer: readonly Transferable[] = []): Promise<T> {
      if (typeof method !== 'string' || method === '' || method === 'init') {
        return Promise.reject(new TypeError(`compute thread ${label}: call: expected a handler name (not 'init') for 'method' but received '${String(method)}'`));
      }
      if (dead) return Promise.reject(new Error(`compute thread ${label}: ${method}: ${dead.message}`));
      const id = next++;
      return new Promise<T>((resolve, reject) => {
        calls.set(id, { resolve: resolve as (v: unknown) => void, reject, method });
        worker.postMessage({ id, method, args }, transfer as Transferable[]);
      });
    },
    async close() {
      if (!dead) failAll(new Error('the thread was closed'));
      await worker.terminate();
    },
    get pending() { return calls.size; },
    get alive() { return dead === null; },
    threadId: worker.threadId,
  };
}

/** The thread's side (called by the bootstrap in the thread; not for other use). */
export async function serveComputeThread(): Promise<void> {
  const data = workerData as { [MARK]?: true; module: string; init: unknown } | undefined;
  if (isMainThread || !parentPort || !data?.[MARK]) throw new Error('serveComputeThread: runs only inside a thread started by startComputeThread');
  const port = parentPort;
  const mod = await import(data.module) as Record<string, unknown>;
  if (typeof mod.init === 'function') await (mod.init as (x: unknown) => unknown)(data.init);
  const errorOf = (e: unknown) => ({ message: String((e as Error)?.message ?? e), name: String((e as Error)?.name ?? 'Error'), stack: (e as Error)?.stack });
  port.on('message', async (m: { id: number; method: string; args: unknown[] }) => {
    const f = Object.prototype.hasOwnProperty.call(mod, m.method) ? mod[m.method] : undefined;
    try {
      if (typeof f !== 'function') throw new TypeError(`compute thread: the module ${data.module.split('/').at(-1)} exports no handler '${m.method}'`);
      const out = await (f as (...a: unknown[]) => unknown)(...(Array.isArray(m.args) ? m.args : []));
      if (out !== null && typeof out === 'object' && (out as Partial<Transferred<unknown>>)[TRANSFER] === true) {
        const t = out as unknown as Transferred<unknown>;
        port.postMessage({ kind: 'reply', id: m.id, ok: true, value: t.value }, t.transfer);
      } else {
        port.postMessage({ kind: 'reply', id: m.id, ok: true, value: out });
      }
    } catch (e) {
      port.postMessage({ kind: 'reply', id: m.id, ok: false, error: errorOf(e) });
    }
  });
  port.postMessage({ kind: 'ready' });
}
