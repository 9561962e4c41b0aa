// The job framework: one output folder, one resume policy and one set of file rules for
// every `descent` command (run, reproduce, train, spectrum).
//
// Contract.
// - The output folder (--out) must be a non-empty path; it is created when missing.
// - A lock file (`descent.lock`, holding the owner's pid) keeps a second job from running in
//   the same folder at the same time: the second one is refused, naming the first one's pid.
//   A lock left by a killed job (its process is gone) is taken over.
// - The manifest (`descent-job.json`) is the job's commit point: the command, the options
//   fingerprint (every option that changes the result), the inputs' fingerprints (each input
//   file's size and SHA-256, so an edited --data or --model file counts as a change), the
//   job's small JSON state, and for every file the job wrote its size and CRC-32. It is
//   written atomically after the files it lists, so a kill at any moment leaves a manifest
//   that describes whole files.
// - Frequent commits (`commit`, once per Lanczos step or epoch) are appended to a journal
//   (`descent-job.journal`) instead: one line per commit, the whole manifest as compact JSON
//   with its own CRC-32 and a commit number `seq`. An append is one write to the page cache,
//   where replacing the manifest by a rename also starts its write-back (0.4–0.6 ms a step
//   on this project's ext4 guests against 0.05 ms). The job's state is the manifest's or the
//   newest whole journal line's, whichever has the higher `seq` (`readManifest`); a line cut
//   by a kill fails its checksum and is skipped. Every process writes the manifest (and
//   empties the journal) before its first journal line, so lines are never appended after a
//   torn one, and again whenever the journal passes 1 MiB and at `finish`.
// - Appended files (`appendFile`: a checkpoint that grows by rows, such as the spectrum
//   job's Lanczos basis) are the exception to "every write is atomic": each append is one
//   positioned write at the end of the committed part, and the manifest records the
//   committed size and the CRC-32 of those bytes (kept running, so an append costs a CRC of
//   its own bytes only). Bytes past the committed size are what a kill between an append
//   and its commit leaves: they are discarded when the file is read back (`readAppended`),
//   saying so; a file shorter than its committed size or whose committed bytes do not match
//   their CRC-32 is refused like any damaged state file.
// - ONE resume policy. Same command, options and inputs → the job resumes from its state
//   (or, when finished, reuses its outputs). Anything different → a refusal that names each
//   difference, unless --fresh (also with --quiet: nothing is ever discarded silently).
//   --fresh deletes only the files the manifest names, never anything else in the folder.
// - Every state file is verified against the manifest when it is read back: a missing,
//   truncated, corrupted or swapped file is a refusal with the --fresh hint, never a result.
// - Every write is atomic (temporary name, rename); the first one that fails stops the job
//   with an error naming the file, and its temporary file is removed.

import { closeSync, existsSync, fstatSync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync, truncateSync, writeSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join, relative, resolve } from 'node:path';
import { totalmem } from 'node:os';
import { crc32 } from '../io/crc32.js';
import { DescentError } from '../errors.js';
import { WriteError, writeAtomic } from '../io/files.js';
import type { Json } from '../algorithms/experiment.js';
import { formatDuration } from './progress.js';
import { UsageError } from './usage.js';

/** The manifest's schema identifier. */
export const JOB_SCHEMA = 'descent.job/1';
export const MANIFEST = 'descent-job.json';
/** The commit journal beside the manifest (see the file header). */
export const JOURNAL = 'descent-job.journal';
/** A journal past this size is folded into the manifest at the next commit. */
const JOURNAL_LIMIT = 2 ** 20;
export const LOCK = 'descent.lock';

/** A job that cannot continue as asked: the folder holds another job, a corrupt state, a lock. */
export class JobError extends DescentError {
  override name = 'JobError';
}

/** An input file's identity: its size and content hash. */
export interface InputPrint {
  path: string;
  size: number;
  sha256: string;
}

export interface FileEntry {
  bytes: number;
  crc32: string;
  /** Written by appends (`Job.appendFile`): `bytes` and `crc32` describe the committed prefix. */
  append?: true;
}

export interface Manifest {
  schema: typeof JOB_SCHEMA;
  command: string;
  options: { [key: string]: Json };
  inputs: { [option: string]: InputPrint[] };
  status: 'running' | 'done';
  state: Json;
  files: { [name: string]: FileEntry };
  timings: { [phase: string]: number };
  runs: number;
  created: string;
  updated: string;
  /** Commits so far (manifest writes and journal lines): the newer of the two has the higher. Absent in older jobs (0). */
  seq?: number;
  /** CRC-32 of the manifest's JSON (indent 1; a journal line's: compact) without this field: a damaged manifest is refused. */
  checksum?: string;
}

const HASH_WHOLE = 8 * 2 ** 20;
const SAMPLE_BLOCKS = 64, SAMPLE_BYTES = 2 ** 16;

/**
 * The fingerprint of an input file (or of every file in a folder): its size and a SHA-256
 * of its content. Files up to 8 MiB are hashed whole; larger ones (data sets of tens of MiB)
 * by their size, modification time and 64 blocks of 64 KiB spread over the file, head and
 * tail included (4 MiB read instead of all), so an edit of the length, the time, the ends
 * or a sampled block counts as a change.
 */
export function fingerprintInput(option: string, path: string): InputPrint[] {
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new UsageError(`${option}: ${path} does not exist`);
  }
  if (st.isDirectory()) {
    return readdirSync(path).sort().filter((f) => statSync(join(path, f)).isFile()).flatMap((f) => fingerprintInput(option, join(path, f)));
  }
  const h = createHash('sha256');
  if (st.size <= HASH_WHOLE) {
    h.update(readFileSync(path));
  } else {
    const fd = openSync(path, 'r');
    try {
      const block = Buffer.alloc(SAMPLE_BYTES);
      for (let i = 0; i < SAMPLE_BLOCKS; i++) {
        const at = Math.floor(((st.size - block.length) * i) / (SAMPLE_BLOCKS - 1));
        const got = readSync(fd, block, 0, block.length, at);
        h.update(block.subarray(0, got));
      }
    } finally {
      closeSync(fd);
    }
    h.update(`size:${st.size} mtime:${st.mtimeMs}`);
  }
  return [{ path: resolve(path), size: st.size, sha256: h.digest('hex') }];
}

/** CRC-32 of bytes as 8 hex digits. */
export function checksum(data: string | Uint8Array): string {
  return crc32(typeof data === 'string' ? Buffer.from(data) : data).toString(16).padStart(8, '0');
}

const hex32 = (c: number): string => (c >>> 0).toString(16).padStart(8, '0');

/** A write error's reason in words (the same wording as writeAtomic's). */
function writeReason(err: NodeJS.ErrnoException, path: string): string {
  const why = err.code === 'ENOENT' ? `the folder ${dirname(path)} does not exist`
    : err.code === 'ENOSPC' ? 'no space left on the device'
    : err.code === 'EROFS' ? 'the file system is read-only'
    : err.code === 'EACCES' || err.code === 'EPERM' ? 'permission denied'
    : err.code === 'EDQUOT' ? 'the disk quota is exhausted'
    : err.message;
  return `${why}${err.code ? ` (${err.code})` : ''}`;
}

// Fault injection for the test suite (test/jobs/): DESCENT_FAULT_KILL_AT=N makes the process
// SIGKILL itself just before its Nth file operation (a file written, queued, adopted, or a
// manifest commit), so kills land at exact, reproducible points of any job. Unset in use.
const KILL_AT = Number.parseInt(process.env.DESCENT_FAULT_KILL_AT ?? '', 10);
let operations = 0;
function faultPoint(): void {
  if (Number.isInteger(KILL_AT) && ++operations === KILL_AT) process.kill(process.pid, 'SIGKILL');
}

/** True when process `pid` exists (signal 0 probes without sending anything). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface JobOptions {
  /** The command as the user typed it: 'train', 'spectrum', 'run diffgrad'. */
  command: string;
  out: string;
  /** Every option that changes the result (JSON values; compared on resume). */
  options: { [key: string]: Json };
  /** Input files (or folders) by option name; their content is part of the fingerprint. */
  inputs?: { [option: string]: string | readonly string[] };
  fresh?: boolean;
  quiet?: boolean;
  /** Where messages go (default: stderr, unless quiet). */
  log?: (line: string) => void;
}

function describeValue(v: Json | undefined): string {
  if (v === undefined) return '(absent)';
  const s = JSON.stringify(v);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

/**
 * An open job in its output folder. Open with `Job.open`, which applies the resume policy;
 * write with `writeFile`, commit state with `commit`, read back with `readFile`/`state`;
 * end with `finish` (status done) and always `close` (releases the lock).
 */
export class Job {
  readonly dir: string;
  readonly command: string;
  /** The job continues from a previous run's state (not necessarily unfinished). */
  readonly resumed: boolean;
  private manifest: Manifest;
  private locked = false;
  private readonly onExit = () => this.releaseLock();
  private readonly log: (line: string) => void;
  /** Appended files open in this process: descriptor, size written and running CRC-32. */
  private appending = new Map<string, { fd: number; bytes: number; crc: number }>();
  /** The journal, once this process has written the manifest (and emptied the journal): its descriptor and size. */
  private journal: { fd: number; bytes: number } | null = null;

  private constructor(dir: string, manifest: Manifest, resumed: boolean, log: (line: string) => void) {
    this.dir = dir;
    this.command = manifest.command;
    this.manifest = manifest;
    this.resumed = resumed;
    this.log = log;
  }

  /**
   * Opens (or resumes) the job in `o.out`. Refuses, with a JobError naming the difference,
   * when the folder holds a job with another command, options or inputs, unless `o.fresh`.
   */
  static open(o: JobOptions): Job {
    if (typeof o.out !== 'string' || o.out.trim() === '') throw new UsageError("--out: expected a folder but received ''");
    const dir = resolve(o.out);
    if (existsSync(dir) && !statSync(dir).isDirectory()) throw new UsageError(`--out: ${o.out} is a file, not a folder`);
    try {
      mkdirSync(dir, { recursive: true });
    } catch (e) {
      throw new JobError(`cannot create the output folder ${dir}: ${(e as Error).message}`);
    }
    const log = o.log ?? ((s: string) => { if (!o.quiet) process.stderr.write(`${s}\n`); });
    const inputs: Manifest['inputs'] = {};
    for (const [opt, paths] of Object.entries(o.inputs ?? {})) {
      inputs[opt] = (typeof paths === 'string' ? [paths] : paths).flatMap((p) => fingerprintInput(opt, p));
    }
    const now = new Date().toISOString();
    const fresh: Manifest = {
      schema: JOB_SCHEMA, command: o.command, options: o.options, inputs, status: 'running', state: null,
      files: {}, timings: {}, runs: 0, created: now, updated: now,
    };
    // The lock first: no other job may read or change the folder meanwhile.
    const job = new Job(dir, fresh, false, log);
    job.takeLock();
    try {
      removeStaleTemporaries(dir);
      const old = readManifest(dir);
      if (old) {
        const differences = compare(old, fresh);
        if (differences.length > 0 && !o.fresh) {
          throw new JobError(`${dir} holds a job made with other settings: ${differences.join('; ')}; `
            + 'pass --fresh to discard it (only the files descent wrote there are deleted) or choose another --out');
        }
        if (differences.length > 0 || o.fresh) {
          job.discard(old);
          if (!o.quiet) log(`descent: --fresh: discarded the previous job in ${dir}`);
        } else {
          const resumed = new Job(dir, { ...old, runs: old.runs }, true, log);
          resumed.locked = true;
          job.locked = false;
          process.off('exit', job.onExit);
          process.on('exit', resumed.onExit);
          return resumed;
        }
      }
      job.save();
      return job;
    } catch (e) {
      job.close();
      throw e;
    }
  }

  private takeLock(): void {
    const path = join(this.dir, LOCK);
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(path, 'wx');
        try {
          writeSync(fd, `${process.pid}\n`);
        } finally {
          closeSync(fd);
        }
        this.locked = true;
        process.on('exit', this.onExit);
        return;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== 'EEXIST') throw new JobError(`cannot create the lock file ${path}: ${(e as Error).message}`);
        let pid = NaN;
        try {
          pid = Number.parseInt(readFileSync(path, 'utf8'), 10);
        } catch {
          // Removed meanwhile: try again.
        }
        if (Number.isInteger(pid) && pid > 0 && alive(pid)) {
          throw new JobError(`another descent job (pid ${pid}${pid === process.pid ? ', this process' : ''}) is running in ${this.dir}; wait for it to end, or choose another --out`);
        }
        // A lock left by a job that is gone (killed): take it over.
        rmSync(path, { force: true });
      }
    }
    throw new JobError(`another descent job took the lock on ${this.dir} at the same moment; choose another --out`);
  }

  private releaseLock(): void {
    if (!this.locked) return;
    this.locked = false;
    try {
      const path = join(this.dir, LOCK);
      if (Number.parseInt(readFileSync(path, 'utf8'), 10) === process.pid) rmSync(path, { force: true });
    } catch {
      // Already gone.
    }
  }

  /** Deletes the files a previous job's manifest names (and nothing else). */
  private discard(old: Manifest): void {
    for (const name of Object.keys(old.files)) {
      const path = this.path(name);
      try {
        if (existsSync(path) && statSync(path).isFile()) rmSync(path, { force: true });
      } catch {
        // A file we cannot delete is overwritten or reported when it is written again.
      }
    }
    rmSync(join(this.dir, MANIFEST), { force: true });
    rmSync(join(this.dir, JOURNAL), { force: true });
  }

  /** Absolute path of a job file named relative to the folder. */
  path(name: string): string {
    const p = resolve(this.dir, name);
    const rel = relative(this.dir, p);
    if (rel.startsWith('..') || rel === '') throw new RangeError(`Job.path: expected a file name inside ${this.dir} but received '${name}'`);
    return p;
  }

  /** The job's state as last committed (null for a new job). */
  get state(): Json {
    return this.manifest.state;
  }

  get status(): Manifest['status'] {
    return this.manifest.status;
  }

  /** How many times this job has been started, this run included once `begin` ran. */
  get runs(): number {
    return this.manifest.runs;
  }

  get timings(): Readonly<Record<string, number>> {
    return this.manifest.timings;
  }

  /** The names of the files the job has written (as committed). */
  get files(): string[] {
    return Object.keys(this.manifest.files);
  }

  /** Counts this start (call once per process). */
  begin(): void {
    this.manifest.runs++;
    this.manifest.status = this.manifest.status === 'done' ? 'done' : 'running';
    this.save();
  }

  /**
   * Writes a file of the job atomically and records its checksum (committed with the next
   * `commit`/`finish`, or at once with `commitNow`). Fails at once, naming the file, when
   * the write fails.
   */
  writeFile(name: string, data: string | Uint8Array, opts: { commitNow?: boolean } = {}): void {
    faultPoint();
    this.closeAppended(name);
    const path = this.path(name);
    mkdirSync(dirname(path), { recursive: true });
    writeAtomic(path, data, this.fn);
    this.manifest.files[name] = { bytes: typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength, crc32: checksum(data) };
    if (opts.commitNow) this.save();
  }

  /**
   * Appends `data` to a job file that is only ever appended to (see the file header): one
   * synchronous positioned write at the end of the part written so far, no temporary file,
   * no copy of `data` (a view of a tensor's memory will do). The file's size and running
   * CRC-32 are committed with the next `commit`, so a kill before it leaves a tail that
   * `readAppended` discards. The first append of a resumed job cuts the file back to its
   * committed size; the first append of a file the manifest does not list truncates it. A
   * failed write throws a WriteError naming the file.
   */
  appendFile(name: string, data: Uint8Array): void {
    faultPoint();
    const path = this.path(name);
    let f = this.appending.get(name);
    try {
      if (!f) {
        const entry = this.manifest.files[name];
        if (entry && !entry.append) throw new RangeError(`Job.appendFile: ${path} was written whole (writeFile), not by appends`);
        mkdirSync(dirname(path), { recursive: true });
        const fd = openSync(path, entry ? 'r+' : 'w');
        if (entry) ftruncateSync(fd, entry.bytes);
        f = { fd, bytes: entry?.bytes ?? 0, crc: entry ? Number.parseInt(entry.crc32, 16) : 0 };
        this.appending.set(name, f);
      }
      for (let done = 0; done < data.byteLength;) done += writeSync(f.fd, data, done, data.byteLength - done, f.bytes + done);
    } catch (e) {
      if (e instanceof RangeError) throw e;
      // The part written, if any, lies past the committed size: the next run discards it.
      if (f) {
        this.appending.delete(name);
        try { closeSync(f.fd); } catch { /* already closed */ }
      }
      throw new WriteError(`${this.fn}: cannot write ${path}: ${writeReason(e as NodeJS.ErrnoException, path)}`, path, (e as NodeJS.ErrnoException).code);
    }
    f.bytes += data.byteLength;
    f.crc = crc32(data, f.crc);
    this.manifest.files[name] = { bytes: f.bytes, crc32: hex32(f.crc), append: true };
  }

  /**
   * The committed bytes of an appended file (`appendFile`), verified against the recorded
   * size and CRC-32. Bytes past the committed size (appended by a run killed before it
   * committed them) are cut off the file and reported through the job's log; a missing or
   * shorter file, or committed bytes that do not match their CRC-32, are a JobError naming
   * the file and saying to rerun with --fresh.
   */
  readAppended(name: string): { bytes: Buffer; discarded: number } {
    const entry = this.manifest.files[name];
    const path = this.path(name);
    const hint = `; the job's state in ${this.dir} is damaged: rerun with --fresh to start over`;
    if (!entry) throw new JobError(`${path} is not part of the job${hint}`);
    if (!entry.append) return { bytes: this.readFile(name), discarded: 0 };
    if (this.appending.has(name)) throw new RangeError(`Job.readAppended: ${path} is being appended to by this job`);
    const reader = this.appendedReader(name);
    const bytes = Buffer.allocUnsafe(reader.bytes);
    reader.read(bytes);
    const discarded = reader.size - reader.bytes;
    if (discarded > 0) {
      truncateSync(path, reader.bytes);
      this.log(`descent ${this.command.split(' ')[0]}: discarded ${discarded} bytes past the last committed step in ${path} (written by a run stopped before it committed them)`);
    }
    return { bytes, discarded };
  }

  /**
   * Reads an appended file's committed bytes in order, a block at a time (for files too large to
   * hold whole beside what is made of them): each `read(into)` fills `into` with the next bytes.
   * When the last committed byte has been read, their CRC-32 is checked: a mismatch is the same
   * JobError as readAppended's, so nothing made of the bytes may be used before the end is read.
   * A missing or shorter file is a JobError at once; bytes past the committed size (`size` is
   * the file's) are ignored.
   */
  appendedReader(name: string): { readonly bytes: number; readonly size: number; read(into: Uint8Array): void; close(): void } {
    const entry = this.manifest.files[name];
    const path = this.path(name);
    const hint = `; the job's state in ${this.dir} is damaged: rerun with --fresh to start over`;
    if (!entry?.append) throw new JobError(`${path} is not an appended file of the job${hint}`);
    // Written by this process until now: reopened (and cut back to its committed size) by a later append.
    this.closeAppended(name);
    let fd: number | null;
    try {
      fd = openSync(path, 'r');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new JobError(`${path} ${code === 'ENOENT' ? 'is missing' : `cannot be read (${(e as Error).message})`}${hint}`);
    }
    const size = fstatSync(fd).size;
    if (size < entry.bytes) {
      closeSync(fd);
      throw new JobError(`${path} holds ${size} bytes, fewer than the ${entry.bytes} its last commit counts (truncated)${hint}`);
    }
    let at = 0, crc = 0;
    const close = () => {
      if (fd !== null) closeSync(fd);
      fd = null;
    };
    return {
      bytes: entry.bytes,
      size,
      read: (into: Uint8Array) => {
        if (fd === null) throw new RangeError(`Job.appendedReader: ${path} is closed`);
        if (at + into.byteLength > entry.bytes) throw new RangeError(`Job.appendedReader: ${into.byteLength} bytes asked at ${at}, past the ${entry.bytes} committed bytes of ${path}`);
        try {
          for (let done = 0; done < into.byteLength;) {
            const got = readSync(fd, into, done, into.byteLength - done, at + done);
            if (got === 0) throw new JobError(`${path} ended after ${at + done} of its ${entry.bytes} committed bytes${hint}`);
            done += got;
          }
        } catch (e) {
          close();
          throw e;
        }
        crc = crc32(into, crc);
        at += into.byteLength;
        if (at === entry.bytes) {
          close();
          if (hex32(crc) !== entry.crc32) throw new JobError(`${path} does not match its checksum (CRC-32 of its ${entry.bytes} committed bytes ${hex32(crc)}, expected ${entry.crc32})${hint}`);
        }
      },
      close,
    };
  }

  /** Records a file written by other code (e.g. saveCheckpoint) with its checksum as it is now. */
  adoptFile(name: string): void {
    faultPoint();
    const bytes = readFileSync(this.path(name));
    this.manifest.files[name] = { bytes: bytes.byteLength, crc32: checksum(bytes) };
  }

  /** Deletes a file of the job (one the manifest names). */
  removeFile(name: string): void {
    if (!(name in this.manifest.files)) return;
    this.closeAppended(name);
    delete this.manifest.files[name];
    rmSync(this.path(name), { force: true });
  }

  /** True when the manifest names `name`. */
  has(name: string): boolean {
    return name in this.manifest.files;
  }

  /**
   * A committed file's bytes, verified against its recorded size and CRC-32. A missing,
   * truncated or changed file is a JobError that names it and says to rerun with --fresh.
   */
  readFile(name: string): Buffer {
    const entry = this.manifest.files[name];
    const path = this.path(name);
    const hint = `; the job's state in ${this.dir} is damaged: rerun with --fresh to start over`;
    if (!entry) throw new JobError(`${path} is not part of the job${hint}`);
    if (entry.append) return this.readAppended(name).bytes;
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new JobError(`${path} ${code === 'ENOENT' ? 'is missing' : `cannot be read (${(e as Error).message})`}${hint}`);
    }
    if (bytes.byteLength !== entry.bytes || checksum(bytes) !== entry.crc32) {
      throw new JobError(`${path} does not match its checksum (${bytes.byteLength} bytes, expected ${entry.bytes}; CRC-32 ${checksum(bytes)}, expected ${entry.crc32})${hint}`);
    }
    return bytes;
  }

  /** Verifies every committed file (size and CRC-32; of appended files, the committed part); throws the first mismatch. */
  verifyAll(): void {
    for (const [name, entry] of Object.entries(this.manifest.files)) {
      if (entry?.append) this.readAppended(name);
      else this.readFile(name);
    }
  }

  /**
   * Commits the job's state together with the files written since the last commit: one line
   * appended to the journal (see the file header), or the manifest itself when this process
   * has not written it yet or the journal has grown past its limit.
   */
  commit(state: Json): void {
    this.manifest.state = state;
    if (!this.journal || this.journal.bytes >= JOURNAL_LIMIT) {
      this.save();
      return;
    }
    faultPoint();
    const path = join(this.dir, JOURNAL);
    this.manifest.updated = new Date().toISOString();
    this.manifest.seq = (this.manifest.seq ?? 0) + 1;
    const line = Buffer.from(sealJournalLine(this.manifest));
    try {
      for (let done = 0; done < line.byteLength;) done += writeSync(this.journal.fd, line, done, line.byteLength - done, this.journal.bytes + done);
    } catch (e) {
      this.closeJournal();
      throw new WriteError(`${this.fn}: cannot write ${path}: ${writeReason(e as NodeJS.ErrnoException, path)}`, path, (e as NodeJS.ErrnoException).code);
    }
    this.journal.bytes += line.byteLength;
  }

  /** Adds seconds to a phase's timing (summed over runs; committed with the next save). */
  addTiming(phase: string, seconds: number): void {
    this.manifest.timings[phase] = (this.manifest.timings[phase] ?? 0) + seconds;
  }

  /** Times `f` as `phase`. */
  async timed<T>(phase: string, f: () => T | Promise<T>): Promise<T> {
    const t = performance.now();
    try {
      return await f();
    } finally {
      this.addTiming(phase, (performance.now() - t) / 1000);
    }
  }

  /** Marks the job finished (a rerun with the same options reuses its outputs). */
  finish(state?: Json): void {
    if (state !== undefined) this.manifest.state = state;
    this.manifest.status = 'done';
    this.save();
  }

  /** Writes the manifest atomically, then empties the journal (whose lines it supersedes). */
  save(): void {
    faultPoint();
    this.manifest.updated = new Date().toISOString();
    this.manifest.seq = (this.manifest.seq ?? 0) + 1;
    writeAtomic(join(this.dir, MANIFEST), sealManifest(this.manifest), this.fn);
    const path = join(this.dir, JOURNAL);
    try {
      if (this.journal) ftruncateSync(this.journal.fd, 0);
      else this.journal = { fd: openSync(path, 'w'), bytes: 0 };
      this.journal.bytes = 0;
    } catch {
      // No journal this time: the next commit writes the manifest again.
      this.closeJournal();
    }
  }

  private closeJournal(): void {
    if (!this.journal) return;
    try {
      closeSync(this.journal.fd);
    } catch {
      // Already closed.
    }
    this.journal = null;
  }

  /** Closes the descriptors of appended files (their committed sizes stay as recorded). */
  private closeAppended(name?: string): void {
    for (const [k, f] of this.appending) {
      if (name !== undefined && k !== name) continue;
      this.appending.delete(k);
      try {
        closeSync(f.fd);
      } catch {
        // Already closed.
      }
    }
  }

  /** Releases the lock and closes appended files and the journal (idempotent). */
  close(): void {
    this.closeAppended();
    this.closeJournal();
    this.releaseLock();
    process.off('exit', this.onExit);
  }

  /** A line on the timings: "setup 0.2s, lanczos 1.3s". */
  timingLine(): string {
    return Object.entries(this.manifest.timings).map(([k, v]) => `${k} ${formatDuration(v)}`).join(', ');
  }

  /** The name write errors carry: 'descent run', 'descent train'. */
  private get fn(): string {
    return `descent ${this.command.split(' ')[0]}`;
  }

  /** Logs a line (unless quiet). */
  say(line: string): void {
    this.log(line);
  }
}

/**
 * Removes the temporary files (`NAME.tmp-PID`) that a killed job's writes left behind in
 * `dir` and `dir/state/`: only those of descent's own names (the manifest, and state files
 * it writes) whose process is gone. Called with the folder's lock held.
 */
function removeStaleTemporaries(dir: string): void {
  for (const sub of ['', 'state']) {
    const folder = join(dir, sub);
    let names: string[];
    try {
      names = readdirSync(folder);
    } catch {
      continue;
    }
    for (const f of names) {
      const m = /^(.+)\.tmp-(\d+)$/.exec(f);
      if (!m || alive(Number(m[2]))) continue;
      const ours = sub === '' ? m[1] === MANIFEST || OUTPUT_NAMES.has(m[1]!) : /^(basis|products)-\d+\.bin$|^stage-[0-9a-f]+\.json$|^checkpoint-\d+\.(safetensors|json)$/.test(m[1]!);
      if (ours) rmSync(join(folder, f), { force: true });
    }
  }
}

/** The output files descent's jobs write at the top of --out (their temporaries may be cleaned up). */
const OUTPUT_NAMES = new Set(['result.json', 'figure.svg', 'index.html', 'spectrum.json', 'density.svg', 'config.json', 'metrics.json',
  'plot.svg', 'plot.vl.json', 'weights.safetensors']);

/** The manifest's text with its checksum field set (readManifest checks it). */
export function sealManifest(m: Manifest): string {
  const { checksum: _, ...rest } = m;
  const sealed = { ...rest, checksum: checksum(JSON.stringify(rest, null, 1)) };
  return `${JSON.stringify(sealed, null, 1)}\n`;
}

/** What precedes a journal line's checksum, its last field. */
const LINE_CHECKSUM = ',"checksum":"';

/** A journal line: the manifest as compact JSON with the checksum of that JSON, and a newline. */
function sealJournalLine(m: Manifest): string {
  const { checksum: _, ...rest } = m;
  const text = JSON.stringify(rest);
  return `${text.slice(0, -1)}${LINE_CHECKSUM}${checksum(text)}"}\n`;
}

/** The newest whole line of the journal in `dir` (a line cut by a kill, or damaged, is skipped), or null. */
function newestJournalLine(dir: string): Manifest | null {
  let text: string;
  try {
    text = readFileSync(join(dir, JOURNAL), 'utf8');
  } catch {
    return null;
  }
  const lines = text.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!;
    const at = line.lastIndexOf(LINE_CHECKSUM);
    if (at < 0 || !line.endsWith('"}')) continue;
    const body = `${line.slice(0, at)}}`, sum = line.slice(at + LINE_CHECKSUM.length, -2);
    if (checksum(body) !== sum) continue;
    try {
      const m = JSON.parse(body) as Manifest;
      if (m?.schema === JOB_SCHEMA && typeof m.files === 'object' && m.files !== null) return { ...m, checksum: sum };
    } catch {
      // Not JSON after all: an older line may still be whole.
    }
  }
  return null;
}

/**
 * The job in `dir` as last committed (the manifest, or its journal's newest whole line when
 * that is newer: see the file header), or null when there is none. An unreadable or damaged
 * manifest is a JobError.
 */
export function readManifest(dir: string): Manifest | null {
  const m = readManifestFile(dir);
  if (!m) return null;
  const line = newestJournalLine(dir);
  return line && (line.seq ?? 0) > (m.seq ?? 0) ? line : m;
}

function readManifestFile(dir: string): Manifest | null {
  const path = join(dir, MANIFEST);
  if (!existsSync(path)) return null;
  let m: Manifest;
  try {
    m = JSON.parse(readFileSync(path, 'utf8')) as Manifest;
  } catch (e) {
    throw new JobError(`${path} is not valid JSON (${(e as Error).message}); rerun with --fresh to start over`);
  }
  if (m?.schema !== JOB_SCHEMA || typeof m.files !== 'object' || m.files === null) {
    throw new JobError(`${path} is not a descent job manifest (${JOB_SCHEMA}); rerun with --fresh to start over`);
  }
  const { checksum: sum, ...rest } = m;
  if (sum !== checksum(JSON.stringify(rest, null, 1))) {
    throw new JobError(`${path} does not match its checksum (it was changed or damaged); rerun with --fresh to start over`);
  }
  return m;
}

/** What differs between a saved job and a new one, in words. */
function compare(old: Manifest, now: Manifest): string[] {
  const out: string[] = [];
  if (old.command !== now.command) {
    out.push(`command '${old.command}', not '${now.command}'`);
    return out;
  }
  for (const k of new Set([...Object.keys(old.options), ...Object.keys(now.options)])) {
    const a = old.options[k], b = now.options[k];
    if (JSON.stringify(a) !== JSON.stringify(b)) out.push(`${k} ${describeValue(a)} then, ${describeValue(b)} now`);
  }
  for (const k of new Set([...Object.keys(old.inputs ?? {}), ...Object.keys(now.inputs)])) {
    const a = old.inputs?.[k] ?? [], b = now.inputs[k] ?? [];
    if (JSON.stringify(a) !== JSON.stringify(b)) {
      const changed = b.filter((f, i) => a[i]?.path === f.path && a[i]?.sha256 !== f.sha256).map((f) => f.path);
      out.push(changed.length > 0 ? `the content of ${k} (${changed.join(', ')}) changed` : `${k} names other files`);
    }
  }
  return out;
}

/**
 * Refuses a job whose estimated memory exceeds what the machine has (three quarters of its
 * RAM), before any work starts: `what` names the options that set the size.
 */
export function checkMemory(what: string, bytes: number): void {
  const limit = 0.75 * totalmem();
  if (!(bytes <= limit)) {
    const gib = (b: number) => `${(b / 2 ** 30).toFixed(b < 2 ** 30 ? 3 : 1)} GiB`;
    throw new UsageError(`${what} need about ${Number.isFinite(bytes) ? gib(bytes) : 'unbounded'} of memory, more than this machine can give (${gib(limit)}: ¾ of ${gib(totalmem())}); choose smaller values`);
  }
}
