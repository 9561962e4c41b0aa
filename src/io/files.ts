// Reading data files from disk with errors that name the file and what was wrong with it.
//
// Contract: `readBytes` returns a file's whole contents, or throws a `DataFileError` whose
// message starts with the calling function's name and the file's path (missing, a folder,
// unreadable). `readMaybeGzip` also inflates gzip files (recognised by their magic bytes
// 1f 8b, not by their name); a gzip stream that ends early still yields the bytes it holds,
// flagged `gzipTruncated`, so a caller can say how much of its own format arrived.
// `readMaybeGzipPrefix` inflates only as much of a file's head as a caller needs.
// `prefetchGzip` inflates gzip files in the background (zlib's thread pool) so that a later
// `readMaybeGzip` of the same unchanged file takes the result instead of inflating on the
// main thread: a job starts it, loads its code meanwhile, then reads as usual.
// `findPackageRoot` (from src/package-root.ts, the one place that finds it) locates descent's
// own folder (the one whose package.json is named "descent").

import { closeSync, fstatSync, openSync, readFileSync, readSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { constants, gunzip, gunzipSync } from 'node:zlib';
import { DescentError } from '../errors.js';

/** What was wrong with a data file. */
export type FileProblem =
  | 'missing'     // no such file or folder
  | 'unreadable'  // exists but cannot be read (a folder, permissions)
  | 'truncated'   // ends before its own header says it should
  | 'format'      // wrong magic bytes, bad header, trailing bytes, corrupt compression
  | 'dtype'       // an element type this reader does not handle
  | 'mismatch';   // well-formed but inconsistent with another file or with the caller's needs

/** A data file that is missing, truncated or malformed. `path` and `problem` say which and how. */
export class DataFileError extends DescentError {
  constructor(message: string, readonly path: string, readonly problem: FileProblem) {
    super(message);
  }
}

/** Reads a whole file; errors name `fn`, the path and the reason. */
export function readBytes(fn: string, path: string, hint = ''): Uint8Array {
  let size: number;
  try {
    const st = statSync(path);
    if (st.isDirectory()) {
      throw new DataFileError(`${fn}: ${path} is a folder, not a file${hint}`, path, 'unreadable');
    }
    size = st.size;
  } catch (e) {
    if (e instanceof DataFileError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new DataFileError(`${fn}: ${path} does not exist${hint}`, path, 'missing');
    }
    throw new DataFileError(`${fn}: cannot read ${path}: ${(e as Error).message}${hint}`, path, 'unreadable');
  }
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new DataFileError(`${fn}: cannot read ${path}: ${(e as Error).message}${hint}`, path, 'unreadable');
  }
  if (bytes.length !== size) {
    throw new DataFileError(`${fn}: ${path} changed while it was read (${size} bytes, then ${bytes.length})`,
      path, 'unreadable');
  }
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export interface Inflated {
  bytes: Uint8Array;
  /** The file was gzip-compressed. */
  gzip: boolean;
  /** The gzip stream ended before its end marker and checksum; `bytes` holds what it had. */
  gzipTruncated: boolean;
}

/** Inflated contents by absolute path, with the size and time of the file they came from. */
const prefetched = new Map<string, { size: number; mtimeMs: number; bytes: Uint8Array }>();

/**
 * Inflates the gzip files among `paths` in the background, for readMaybeGzip to take once.
 * Never rejects: a file that cannot be read or inflated is left for readMaybeGzip to report.
 * @example
 * const [plot] = await Promise.all([import('./plot.js'), prefetchGzip([imagesPath])]);
 * const images = openIdx(imagesPath); // no inflating here
 */
export function prefetchGzip(paths: readonly string[]): Promise<void> {
  return Promise.all(paths.map((path) => {
    const abs = resolve(path);
    // A file already inflated, or on its way, is not inflated twice.
    if (prefetched.has(abs)) return undefined;
    let job = inflating.get(abs);
    if (!job) inflating.set(abs, (job = inflate(abs).finally(() => inflating.delete(abs))));
    return job;
  })).then(() => undefined);
}

/** The prefetches in flight, by absolute path. */
const inflating = new Map<string, Promise<void>>();

async function inflate(abs: string): Promise<void> {
  try {
    // Read at once (fs.promises.readFile reads in 512 KiB pieces, each needing this thread).
    const st = statSync(abs);
    const raw = readFileSync(abs);
    if (raw.length !== st.size || raw.length < 2 || raw[0] !== 0x1f || raw[1] !== 0x8b) return;
    // One output chunk of about the whole result keeps the inflating on one pool thread,
    // without a main-thread callback per 64 KiB.
    const chunkSize = Math.min(2 ** 30, Math.max(2 ** 16, 8 * raw.length));
    const out = await new Promise<Buffer>((ok, fail) => gunzip(raw, { chunkSize }, (e, r) => (e ? fail(e) : ok(r))));
    prefetched.set(abs, { size: st.size, mtimeMs: st.mtimeMs, bytes: new Uint8Array(out.buffer, out.byteOffset, out.byteLength) });
  } catch {
    // readMaybeGzip reads the file itself and names the problem.
  }
}

/** The prefetched contents of `path` if the file has not changed since; each is taken once. */
function takePrefetched(path: string): Uint8Array | null {
  if (prefetched.size === 0) return null;
  const abs = resolve(path);
  const hit = prefetched.get(abs);
  if (!hit) return null;
  prefetched.delete(abs);
  try {
    const st = statSync(abs);
    return st.size === hit.size && st.mtimeMs === hit.mtimeMs ? hit.bytes : null;
  } catch {
    return null;
  }
}

/** Reads a file and inflates it when it starts with the gzip magic bytes 1f 8b. */
export function readMaybeGzip(fn: string, path: string, hint = ''): Inflated {
  const ready = takePrefetched(path);
  if (ready) return { bytes: ready, gzip: true, gzipTruncated: false };
  const raw = readBytes(fn, path, hint);
  if (raw.length < 2 || raw[0] !== 0x1f || raw[1] !== 0x8b) return { bytes: raw, gzip: false, gzipTruncated: false };
  return inflateAll(fn, path, raw, hint);
}

function inflateAll(fn: string, path: string, raw: Uint8Array, hint: string): Inflated {
  try {
    const out = gunzipSync(raw);
    return { bytes: new Uint8Array(out.buffer, out.byteOffset, out.byteLength), gzip: true, gzipTruncated: false };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'Z_BUF_ERROR') {
      // NOTE: a sync flush makes zlib hand back what the partial stream decodes to instead of throwing.
      const part = gunzipSync(raw, { finishFlush: constants.Z_SYNC_FLUSH });
      return { bytes: new Uint8Array(part.buffer, part.byteOffset, part.byteLength), gzip: true, gzipTruncated: true };
    }
    throw new DataFileError(`${fn}: ${path} is not a valid gzip file: zlib says '${err.message}'${hint}`,
      path, 'format');
  }
}

/**
 * The head of a file, inflated when it is gzip-compressed, as far as `enough(head)` asks,
 * without reading or inflating the rest: a loader that needs the first 2,048 of 60,000
 * images inflates 1.6 MB of a 47 MB file from 1 MB of its 26 (milliseconds, not a sixth of a
 * second). `complete` tells whether the bytes are the whole file; a problem with the file is
 * reported as readMaybeGzip would.
 */
export function readMaybeGzipPrefix(fn: string, path: string, enough: (head: Uint8Array) => boolean, hint = ''): Inflated & { complete: boolean } {
  const ready = takePrefetched(path);
  if (ready) return { bytes: ready, gzip: true, gzipTruncated: false, complete: true };
  let fd: number | null = null;
  try {
    fd = openSync(path, 'r');
    const size = fstatSync(fd).size;
    let raw = Buffer.alloc(0);
    const readTo = (length: number) => {
      const more = Buffer.alloc(Math.min(length, size) - raw.length);
      const got = readSync(fd!, more, 0, more.length, raw.length);
      raw = Buffer.concat([raw, more.subarray(0, got)]);
    };
    readTo(2);
    if (raw.length === 2 && raw[0] === 0x1f && raw[1] === 0x8b) {
      // Inflate a growing head of the compressed stream (from the start each time: the
      // doubling keeps the total within twice the last try).
      for (let head = 2 ** 16; head < size; head *= 2) {
        readTo(head);
        let out: Buffer;
        try {
          out = gunzipSync(raw.subarray(0, head), { finishFlush: constants.Z_SYNC_FLUSH });
        } catch {
          break;
        }
        const bytes = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
        if (enough(bytes)) return { bytes, gzip: true, gzipTruncated: false, complete: false };
      }
    }
  } catch {
    // Reported below by readMaybeGzip, with the messages every loader gives.
  } finally {
    if (fd !== null) closeSync(fd);
  }
  return { ...readMaybeGzip(fn, path, hint), complete: true };
}

/** A file that could not be written (a full or read-only disk, a missing folder). `path` names it. */
export class WriteError extends DescentError {
  constructor(message: string, readonly path: string, readonly code: string | undefined) {
    super(message);
  }
}

/**
 * Writes `data` to `path` atomically: to a temporary name beside it, then renamed, so a
 * reader (or a run resumed after a kill) sees the old file or the new one, never a part.
 * A failed write (ENOSPC, EROFS, a missing folder...) removes the temporary file and throws
 * a WriteError naming `fn` and `path` (never the temporary name) with the system's reason.
 */
export function writeAtomic(path: string, data: string | Uint8Array, fn = 'writeAtomic'): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // Nothing was created, or it is already gone.
    }
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? `the folder ${dirname(path)} does not exist`
      : err.code === 'ENOSPC' ? 'no space left on the device'
      : err.code === 'EROFS' ? 'the file system is read-only'
      : err.code === 'EACCES' || err.code === 'EPERM' ? 'permission denied'
      : err.code === 'EDQUOT' ? 'the disk quota is exhausted'
      : err.message;
    throw new WriteError(`${fn}: cannot write ${path}: ${why}${err.code ? ` (${err.code})` : ''}`, path, err.code);
  }
}

/** The first `n` bytes as hex pairs, for messages about magic numbers. */
export function hexBytes(bytes: Uint8Array, n: number): string {
  const shown = Array.from(bytes.subarray(0, n), (b) => b.toString(16).padStart(2, '0'));
  return shown.length > 0 ? shown.join(' ') : '(none: the file is empty)';
}

// The package root is found in one place (src/package-root.ts); re-exported here for data loaders.
export { findPackageRoot } from '../package-root.js';
