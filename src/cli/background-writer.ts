// Atomic file writes (temporary name + rename) done in order on a worker thread, so a job's
// checkpoints cost its main thread only a message. fs.promises would not do: each of its
// steps (open, write, close, rename) waits for the main thread, which is busy in native
// kernels between awaits, so the writes would pile up until the job ends.
//
// Checksums and commits. A write may be `tracked` under a name: the worker computes its
// CRC-32 (off the main thread) and keeps {bytes, crc32}. `commit(path, manifest)` writes a
// job manifest (job.ts) whose `files` entries that are null are filled from those tracked
// writes first, so a manifest always lists the checksums of the files written before it.
// `flush()` hands the tracked checksums back to the main thread.
//
// Failures. The first write that fails (ENOSPC, EROFS...) removes its temporary file, stops
// every later write, and is reported to the main thread at once; the next `write`,
// `commit` or `flush` throws a WriteError naming the file, so a job stops at the first
// failed write rather than computing on and failing at the end.

import { Worker } from 'node:worker_threads';
import { WriteError } from '../io/files.js';

// CommonJS run with eval, so it needs no file of its own (and no TypeScript loader under tsx).
const WORKER = `
const { parentPort } = require('node:worker_threads');
const { renameSync, unlinkSync, writeFileSync } = require('node:fs');
const { crc32 } = require('node:zlib');
let failure = null;
const tracked = {};
function atomic(path, tmp, data) {
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
    return true;
  } catch (e) {
    try { unlinkSync(tmp); } catch {}
    failure = { path, code: e.code ?? null, message: e.message };
    parentPort.postMessage({ failed: failure });
    return false;
  }
}
const hex = (data) => (crc32(typeof data === 'string' ? Buffer.from(data) : data) >>> 0).toString(16).padStart(8, '0');
parentPort.on('message', (m) => {
  if (m.flush !== undefined) {
    const out = { ...tracked };
    return parentPort.postMessage({ flushed: m.flush, failure, tracked: out });
  }
  if (failure) return;
  if (m.commit) {
    const man = m.manifest;
    for (const [name, entry] of Object.entries(man.files)) {
      if (entry === null) {
        if (!tracked[name]) { failure = { path: m.path, code: null, message: 'the manifest lists ' + name + ', which was never written' }; parentPort.postMessage({ failed: failure }); return; }
        man.files[name] = tracked[name];
      }
    }
    delete man.checksum;
    const body = JSON.stringify(man, null, 1);
    man.checksum = hex(body);
    atomic(m.path, m.tmp, JSON.stringify(man, null, 1) + '\\n');
    return;
  }
  if (atomic(m.path, m.tmp, m.data) && m.track) tracked[m.track] = { bytes: typeof m.data === 'string' ? Buffer.byteLength(m.data) : m.data.byteLength, crc32: hex(m.data) };
});`;

interface Failure {
  path: string;
  code: string | null;
  message: string;
}

export interface TrackedFile {
  bytes: number;
  crc32: string;
}

export class BackgroundWriter {
  private worker: Worker | null = null;
  private flushes = 0;
  private failure: Failure | null = null;
  private waiting = new Map<number, (r: { failure: Failure | null; tracked: Record<string, TrackedFile> }) => void>();

  private start(): Worker {
    const w = new Worker(WORKER, { eval: true });
    w.unref();
    w.on('message', (m: { flushed?: number; failure?: Failure | null; tracked?: Record<string, TrackedFile>; failed?: Failure }) => {
      if (m.failed) {
        this.failure ??= m.failed;
        return;
      }
      this.waiting.get(m.flushed!)?.({ failure: m.failure ?? null, tracked: m.tracked ?? {} });
      this.waiting.delete(m.flushed!);
    });
    return w;
  }

  private check(): void {
    const f = this.failure;
    if (f) {
      const why = f.code === 'ENOSPC' ? 'no space left on the device' : f.code === 'EROFS' ? 'the file system is read-only' : f.message;
      throw new WriteError(`cannot write ${f.path}: ${why}${f.code ? ` (${f.code})` : ''}`, f.path, f.code ?? undefined);
    }
  }

  /**
   * Queues an atomic write of `data` to `path` behind the earlier ones; with `track`, its
   * size and CRC-32 are kept under that name for the next commit. A Uint8Array that spans
   * its whole buffer is moved to the worker, not copied: the caller must not use it again.
   * Throws the first failed write reported so far.
   */
  write(path: string, data: string | Uint8Array, track?: string): void {
    this.check();
    this.worker ??= this.start();
    const tmp = `${path}.tmp-${process.pid}`;
    const move = typeof data !== 'string' && data.byteOffset === 0 && data.byteLength === data.buffer.byteLength && data.buffer instanceof ArrayBuffer;
    this.worker.postMessage({ path, tmp, data, track }, move ? [data.buffer as ArrayBuffer] : []);
  }

  /** Queues a manifest write; its null `files` entries are filled from tracked writes. */
  commit(path: string, manifest: object): void {
    this.check();
    this.worker ??= this.start();
    this.worker.postMessage({ commit: true, path, tmp: `${path}.tmp-${process.pid}`, manifest });
  }

  /** Waits until every queued write is on disk; throws the first failure; returns the tracked checksums. */
  async flush(): Promise<Record<string, TrackedFile>> {
    const w = this.worker;
    if (!w) {
      this.check();
      return {};
    }
    const id = this.flushes++;
    w.ref();
    try {
      const r = await new Promise<{ failure: Failure | null; tracked: Record<string, TrackedFile> }>((done) => {
        this.waiting.set(id, done);
        w.postMessage({ flush: id });
      });
      if (r.failure) this.failure ??= r.failure;
      this.check();
      return r.tracked;
    } finally {
      w.unref();
    }
  }

  /** Flushes, then stops the worker. */
  async close(): Promise<Record<string, TrackedFile>> {
    try {
      return await this.flush();
    } finally {
      await this.worker?.terminate();
      this.worker = null;
    }
  }
}
