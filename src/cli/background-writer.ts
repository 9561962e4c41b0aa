// Atomic file writes (temporary name + rename) done in order on a worker thread, so a job's
// checkpoints cost its main thread only a message. fs.promises would not do: each of its
// steps (open, write, close, rename) waits for the main thread, which is busy in native
// kernels between awaits, so the writes would pile up until the job ends.

import { Worker } from 'node:worker_threads';

// CommonJS run with eval, so it needs no file of its own (and no TypeScript loader under tsx).
const WORKER = `
const { parentPort } = require('node:worker_threads');
const { renameSync, writeFileSync } = require('node:fs');
let failure = null;
parentPort.on('message', (m) => {
  if (m.flush !== undefined) return parentPort.postMessage({ flushed: m.flush, failure });
  if (failure) return;
  try {
    writeFileSync(m.tmp, m.data);
    renameSync(m.tmp, m.path);
  } catch (e) {
    failure = e.message;
  }
});`;

export class BackgroundWriter {
  private worker: Worker | null = null;
  private flushes = 0;
  private waiting = new Map<number, (failure: string | null) => void>();

  private start(): Worker {
    const w = new Worker(WORKER, { eval: true });
    w.unref();
    w.on('message', (m: { flushed: number; failure: string | null }) => {
      this.waiting.get(m.flushed)?.(m.failure);
      this.waiting.delete(m.flushed);
    });
    return w;
  }

  /**
   * Queues an atomic write of `data` to `path` behind the earlier ones. A Uint8Array that
   * spans its whole buffer is moved to the worker, not copied: the caller must not use it again.
   */
  write(path: string, data: string | Uint8Array): void {
    this.worker ??= this.start();
    const tmp = `${path}.tmp-${process.pid}`;
    const move = typeof data !== 'string' && data.byteOffset === 0 && data.byteLength === data.buffer.byteLength && data.buffer instanceof ArrayBuffer;
    this.worker.postMessage({ path, tmp, data }, move ? [data.buffer as ArrayBuffer] : []);
  }

  /** Waits until every queued write is on disk (renamed into place); throws the first failure. */
  async flush(): Promise<void> {
    const w = this.worker;
    if (!w) return;
    const id = this.flushes++;
    w.ref();
    try {
      const failure = await new Promise<string | null>((done) => {
        this.waiting.set(id, done);
        w.postMessage({ flush: id });
      });
      if (failure !== null) throw new Error(`a checkpoint write failed: ${failure}`);
    } finally {
      w.unref();
    }
  }

  /** Flushes, then stops the worker. */
  async close(): Promise<void> {
    try {
      await this.flush();
    } finally {
      await this.worker?.terminate();
      this.worker = null;
    }
  }
}
