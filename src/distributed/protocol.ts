// The wire formats of distributed jobs on Redis: job descriptions (JSON, one key per job),
// task messages (Redis Stream entries, flat string fields), and the binary blobs of vector
// blocks and partial products (one key each). Every message is validated before use: its
// protocol version, the job kind (only kinds a worker knows), sizes against the job's, the
// dtype, and the vector version it belongs to. Nothing from the queue is ever evaluated:
// messages are data (numbers, hex digests, fixed names), parsed field by field.

import { createHash } from 'node:crypto';

/** The protocol version every message carries. */
export const PROTOCOL = 1;
/** The one dtype blocks travel in (the engine's working precision). */
export const WIRE_DTYPE = 'float32';
/** Most vectors in one block (like the spectrum job's --probes bound). */
export const MAX_BLOCK = 4096;
/** Most bytes of one block or partial (n·b·4): just below Redis's 512 MiB limit on one string value. */
export const MAX_BLOB_BYTES = 512 * 2 ** 20 - 128;
/** Most shards of one job. */
export const MAX_SHARDS = 4096;

/** A malformed or stale message: the reason is logged and the message dropped, never used. */
export class ProtocolError extends Error {
  override name = 'ProtocolError';
}

const HEX64 = /^[0-9a-f]{64}$/;

/** SHA-256 of the given parts, as 64 hex digits. */
export function digest(...parts: (string | ArrayBufferView)[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p.buffer, p.byteOffset, p.byteLength));
  return h.digest('hex');
}

// ── Jobs ──

/** What a curvature job's workers load: the model, the data, and how the rows are cut into shards. */
export interface CurvatureSource {
  /** --model: an MLP spec, a .safetensors path or 'reference' (paths as the workers see them). */
  model: string;
  activation: string | null;
  /** --data and the row selection (--samples, --shuffle-seed). */
  data: string;
  samples: number | 'all';
  shuffleSeed: number | null;
  matrix: 'hessian' | 'ggn';
  layer: number | null;
  /** Seed of a spec model's initialisation. */
  seed: number;
  /** Rows per forward pass within a shard (null: the whole shard at once). */
  batchSize: number | null;
}

/** A job as stored under `descent:job:<id>`. */
export interface CurvatureJob {
  proto: number;
  kind: 'curvature';
  source: CurvatureSource;
  /** The operator's order. */
  n: number;
  /** Rows selected in all. */
  rows: number;
  /** Shard s = rows [ranges[s][0], ranges[s][1]) of the selected rows. */
  ranges: [number, number][];
  /** SHA-256 of each shard's rows (features float32 bytes, then labels int32 bytes). */
  hashes: string[];
  /** Shard weights (rows / all rows): the operator is Σ_s w_s M_s. */
  weights: number[];
}

/**
 * Shard s of `shards` over `rows` rows: [s·c, min((s+1)·c, rows)) with c = ⌈rows/shards⌉,
 * exactly the batches the in-process operator makes with batchSize c, in the same order.
 */
export function shardRanges(rows: number, shards: number): [number, number][] {
  if (!Number.isSafeInteger(shards) || shards < 1 || shards > MAX_SHARDS) throw new RangeError(`shardRanges: expected 'shards' an integer in [1, ${MAX_SHARDS}] but received ${shards}`);
  const c = Math.ceil(rows / shards);
  if ((shards - 1) * c >= rows) {
    throw new RangeError(`shardRanges: ${rows} rows cannot be cut into ${shards} non-empty shards of ⌈${rows}/${shards}⌉ = ${c} rows; use fewer shards or more rows`);
  }
  return Array.from({ length: shards }, (_, s) => [s * c, Math.min((s + 1) * c, rows)] as [number, number]);
}

/** The content hash of rows [begin, end) of a data set (row-major features, int32 labels). */
export function shardHash(x: Float32Array, y: Int32Array, features: number, begin: number, end: number): string {
  return digest(x.subarray(begin * features, end * features), y.subarray(begin, end));
}

/** The job's id: a digest of everything that determines its numbers. */
export function jobId(job: CurvatureJob): string {
  return digest(JSON.stringify(job));
}

const isInt = (x: unknown, min: number, max: number): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= min && x <= max;
const isStr = (x: unknown, max = 4096): x is string => typeof x === 'string' && x.length > 0 && x.length <= max;

/** Parses and checks a stored job (JSON text); throws ProtocolError naming the first bad field. */
export function parseJob(text: string, id: string, knownKinds: readonly string[]): CurvatureJob {
  let j: Record<string, unknown>;
  try {
    j = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new ProtocolError(`job ${id.slice(0, 12)}: not JSON`);
  }
  const bad = (what: string) => new ProtocolError(`job ${id.slice(0, 12)}: ${what}`);
  if (typeof j !== 'object' || j === null) throw bad('not an object');
  if (j.proto !== PROTOCOL) throw bad(`protocol ${String(j.proto)} (this worker speaks ${PROTOCOL})`);
  if (typeof j.kind !== 'string' || !knownKinds.includes(j.kind)) throw bad(`unknown job kind '${String(j.kind).slice(0, 40)}' (known: ${knownKinds.join(', ')})`);
  if (jobId(j as unknown as CurvatureJob) !== id) throw bad('content does not match its id');
  const s = j.source as Record<string, unknown> | undefined;
  if (typeof s !== 'object' || s === null) throw bad('no source');
  if (!isStr(s.model) || !isStr(s.data)) throw bad('source.model and source.data must be non-empty strings');
  if (!(s.activation === null || isStr(s.activation, 32))) throw bad('source.activation');
  if (!(s.samples === 'all' || isInt(s.samples, 1, 1e7))) throw bad('source.samples');
  if (!(s.shuffleSeed === null || isInt(s.shuffleSeed, 0, 2 ** 32 - 1))) throw bad('source.shuffleSeed');
  if (s.matrix !== 'hessian' && s.matrix !== 'ggn') throw bad(`source.matrix '${String(s.matrix)}'`);
  if (!(s.layer === null || isInt(s.layer, 1, 10_000))) throw bad('source.layer');
  if (!isInt(s.seed, 0, 2 ** 32 - 1)) throw bad('source.seed');
  if (!(s.batchSize === null || isInt(s.batchSize, 1, 1e7))) throw bad('source.batchSize');
  if (!isInt(j.n, 1, 2 ** 31)) throw bad('n');
  if (!isInt(j.rows, 1, 1e7)) throw bad('rows');
  const ranges = j.ranges, hashes = j.hashes, weights = j.weights;
  if (!Array.isArray(ranges) || ranges.length < 1 || ranges.length > MAX_SHARDS) throw bad('ranges');
  const expect = shardRanges(j.rows as number, ranges.length);
  if (ranges.some((r, i) => !Array.isArray(r) || r[0] !== expect[i]![0] || r[1] !== expect[i]![1])) throw bad('ranges are not the standard shards of its rows');
  if (!Array.isArray(hashes) || hashes.length !== ranges.length || !hashes.every((h) => typeof h === 'string' && HEX64.test(h))) throw bad('hashes');
  if (!Array.isArray(weights) || weights.length !== ranges.length || !weights.every((w) => typeof w === 'number' && w > 0 && w <= 1)) throw bad('weights');
  return j as unknown as CurvatureJob;
}

// ── Tasks ──

/** One shard's work: M_s·V for the block `version` ('apply'), or the shard's loss ('value'). */
export interface Task {
  proto: number;
  kind: string;
  op: 'apply' | 'value';
  job: string;
  shard: number;
  version: string;
  n: number;
  /** Vectors in the block (0 for 'value'). */
  b: number;
  dtype: typeof WIRE_DTYPE;
}

/** A task as Stream entry fields. */
export function taskFields(t: Task): string[] {
  return ['proto', String(t.proto), 'kind', t.kind, 'op', t.op, 'job', t.job, 'shard', String(t.shard), 'version', t.version, 'n', String(t.n), 'b', String(t.b), 'dtype', t.dtype];
}

/** Parses a Stream entry's fields into a task; throws ProtocolError with the reason. Sizes are checked against the job later (checkTask). */
export function parseTask(fields: readonly string[], knownKinds: readonly string[]): Task {
  if (fields.length % 2 !== 0 || fields.length > 40) throw new ProtocolError(`task: ${fields.length} fields (expected name/value pairs)`);
  const f = new Map<string, string>();
  for (let i = 0; i < fields.length; i += 2) f.set(fields[i]!, fields[i + 1]!);
  const int = (name: string, min: number, max: number) => {
    const v = f.get(name);
    const x = Number(v);
    if (v === undefined || !/^\d+$/.test(v) || !isInt(x, min, max)) throw new ProtocolError(`task: field '${name}' = '${String(v).slice(0, 40)}' (expected an integer in [${min}, ${max}])`);
    return x;
  };
  const proto = int('proto', 0, 1e6);
  if (proto !== PROTOCOL) throw new ProtocolError(`task: protocol ${proto} (this worker speaks ${PROTOCOL})`);
  const kind = f.get('kind') ?? '';
  if (!knownKinds.includes(kind)) throw new ProtocolError(`task: unknown job kind '${kind.slice(0, 40)}' (known: ${knownKinds.join(', ')})`);
  const op = f.get('op');
  if (op !== 'apply' && op !== 'value') throw new ProtocolError(`task: unknown op '${String(op).slice(0, 40)}' (expected apply or value)`);
  const job = f.get('job') ?? '', version = f.get('version') ?? '';
  if (!HEX64.test(job)) throw new ProtocolError('task: field \'job\' is not a 64-digit hex id');
  if (!HEX64.test(version)) throw new ProtocolError('task: field \'version\' is not a 64-digit hex digest');
  const dtype = f.get('dtype');
  if (dtype !== WIRE_DTYPE) throw new ProtocolError(`task: dtype '${String(dtype).slice(0, 20)}' (expected ${WIRE_DTYPE})`);
  const t: Task = { proto, kind, op, job, shard: int('shard', 0, MAX_SHARDS - 1), version, n: int('n', 1, 2 ** 31), b: int('b', 0, MAX_BLOCK), dtype };
  if ((op === 'apply') !== (t.b > 0)) throw new ProtocolError(`task: op ${op} with b = ${t.b} (apply needs b ≥ 1, value b = 0)`);
  checkBytes('task', t.n, t.b);
  return t;
}

/** Checks a task against its job: shard in range, n equal to the job's order. */
export function checkTask(t: Task, job: CurvatureJob): void {
  if (t.shard >= job.ranges.length) throw new ProtocolError(`task: shard ${t.shard} but job ${t.job.slice(0, 12)} has ${job.ranges.length} shards`);
  if (t.n !== job.n) throw new ProtocolError(`task: n = ${t.n} but job ${t.job.slice(0, 12)} has order ${job.n}`);
}

function checkBytes(what: string, n: number, b: number): void {
  const bytes = n * Math.max(b, 1) * 4;
  if (bytes > MAX_BLOB_BYTES) throw new ProtocolError(`${what}: ${n} × ${b} float32 values (${bytes} bytes) exceed the ${MAX_BLOB_BYTES}-byte limit of one Redis value`);
}

// ── Blobs ──
// Vector block: 'DSV1' | u32 proto | u32 dtype (1 = float32) | u32 n | u32 b | 12 bytes 0 | 32 bytes version | b·n float32 (rows)
// Partial:      'DSP1' | u32 proto | u32 op (0 apply, 1 value) | u32 shard | u32 n | u32 b | 8 bytes 0 | 32 bytes version | data

export const HEADER_BYTES = 64;
const DTYPE_F32 = 1;

export interface Block {
  version: string;
  n: number;
  b: number;
  /** b rows of n values (the vectors as rows). */
  rows: Float32Array;
}

function header(magic: string, words: number[], version: string): Buffer {
  const h = Buffer.alloc(HEADER_BYTES);
  h.write(magic, 0, 'latin1');
  words.forEach((w, i) => h.writeUInt32LE(w, 4 + 4 * i));
  Buffer.from(version, 'hex').copy(h, 32);
  return h;
}

const bytesOf = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** The version of a block: a digest of the job, the op and the vectors' bytes (the same vectors give the same version). */
export function blockVersion(job: string, rows: Float32Array, b: number): string {
  return digest(job, `apply:${b}`, rows);
}

export function encodeBlock(bl: Block): Buffer {
  return Buffer.concat([header('DSV1', [PROTOCOL, DTYPE_F32, bl.n, bl.b], bl.version), bytesOf(bl.rows)]);
}

/** Parses a block for a task, refusing a block of another size, dtype or version (a stale one). */
export function decodeBlock(buf: Buffer, t: Pick<Task, 'n' | 'b' | 'version'>): Block {
  if (buf.length < HEADER_BYTES || buf.toString('latin1', 0, 4) !== 'DSV1') throw new ProtocolError('block: not a vector block (bad magic)');
  const [proto, dtype, n, b] = [4, 8, 12, 16].map((o) => buf.readUInt32LE(o)) as [number, number, number, number];
  const version = buf.toString('hex', 32, 64);
  if (proto !== PROTOCOL) throw new ProtocolError(`block: protocol ${proto}`);
  if (dtype !== DTYPE_F32) throw new ProtocolError(`block: dtype code ${dtype} (expected ${DTYPE_F32} = float32)`);
  if (version !== t.version) throw new ProtocolError(`block: stale version ${version.slice(0, 12)} (the task is for ${t.version.slice(0, 12)})`);
  if (n !== t.n || b !== t.b) throw new ProtocolError(`block: ${b} vectors of ${n} but the task says ${t.b} of ${t.n}`);
  if (buf.length !== HEADER_BYTES + n * b * 4) throw new ProtocolError(`block: ${buf.length - HEADER_BYTES} data bytes (expected ${n * b * 4})`);
  const rows = new Float32Array(n * b);
  bytesOf(rows).set(buf.subarray(HEADER_BYTES));
  return { version, n, b, rows };
}

export interface Partial {
  op: 'apply' | 'value';
  shard: number;
  version: string;
  n: number;
  b: number;
  /** 'apply': b rows of n values (M_s·v as rows); 'value': one value, the shard's loss. */
  data: Float32Array;
}

export function encodePartial(p: Partial): Buffer {
  return Buffer.concat([header('DSP1', [PROTOCOL, p.op === 'apply' ? 0 : 1, p.shard, p.n, p.b], p.version), bytesOf(p.data)]);
}

/** Parses a partial, refusing one of another op, shard, size or vector version: it is never summed. */
export function decodePartial(buf: Buffer, want: Pick<Partial, 'op' | 'shard' | 'version' | 'n' | 'b'>): Partial {
  if (buf.length < HEADER_BYTES || buf.toString('latin1', 0, 4) !== 'DSP1') throw new ProtocolError(`partial of shard ${want.shard}: bad magic`);
  const [proto, op, shard, n, b] = [4, 8, 12, 16, 20].map((o) => buf.readUInt32LE(o)) as [number, number, number, number, number];
  const version = buf.toString('hex', 32, 64);
  const opName = op === 0 ? 'apply' : op === 1 ? 'value' : null;
  if (proto !== PROTOCOL) throw new ProtocolError(`partial of shard ${want.shard}: protocol ${proto}`);
  if (opName !== want.op) throw new ProtocolError(`partial of shard ${want.shard}: op code ${op} (expected ${want.op})`);
  if (version !== want.version) throw new ProtocolError(`partial of shard ${want.shard}: stale version ${version.slice(0, 12)} (expected ${want.version.slice(0, 12)})`);
  if (shard !== want.shard || n !== want.n || b !== want.b) throw new ProtocolError(`partial: shard ${shard}, ${b} × ${n} (expected shard ${want.shard}, ${want.b} × ${want.n})`);
  const len = want.op === 'apply' ? n * b : 1;
  if (buf.length !== HEADER_BYTES + len * 4) throw new ProtocolError(`partial of shard ${shard}: ${buf.length - HEADER_BYTES} data bytes (expected ${len * 4})`);
  const data = new Float32Array(len);
  bytesOf(data).set(buf.subarray(HEADER_BYTES));
  return { op: opName, shard, version, n, b, data };
}

// ── Keys ──

/** The Redis key names of one deployment (prefix default 'descent'). */
export function keys(prefix = 'descent') {
  return {
    tasks: `${prefix}:tasks`,
    group: 'workers',
    job: (id: string) => `${prefix}:job:${id}`,
    block: (id: string, version: string) => `${prefix}:vec:${id}:${version}`,
    partial: (id: string, version: string, shard: number) => `${prefix}:part:${id}:${version}:${shard}`,
    done: (id: string, version: string) => `${prefix}:done:${id}:${version}`,
    rejects: `${prefix}:rejects`,
  };
}
export type Keys = ReturnType<typeof keys>;
