// The wire formats of federated runs on Redis (docs/distributed.md, "Federated clients on
// Redis"): the client population as a job (JSON data under its own SHA-256), local-training
// task messages (flat Stream fields), and the two binary blobs, the global model (one key per
// run, overwritten at each aggregation, carrying its version) and a client's end model (an
// entry of the run's updates Stream). Every message is validated field by field before use:
// protocol version, the population kind (only kinds the worker was given trainers for), sizes
// against the job's, the dtype, the run it belongs to and the model version. Nothing from the
// queue is ever evaluated: a population is numbers and fixed names.

import { digest, ProtocolError } from './protocol.js';

/** The protocol version of every federated message. */
export const FED_PROTOCOL = 1;
/** Most clients of one population. */
export const MAX_CLIENTS = 1_000_000;
/** Most parameters of one model (P·8 bytes must fit one Redis value). */
export const MAX_PARAMS = 2 ** 26 - 8;

/** Quadratic clients f_i(θ) = ½‖θ − c_i‖² (the algorithm layer's QuadraticClients options, as data). */
export interface QuadraticPopulation {
  kind: 'quadratic';
  /** c_i, M rows of `dim` values, row-major. */
  centers: number[];
  dim: number;
  localSteps: number;
  lr: number;
  noise: number;
  /** The Philox stream of the gradient noise. */
  stream: number;
}

/** MLP classifiers on a Dirichlet(α) label partition of a named data set (MlpClients, as data). */
export interface MlpPopulation {
  kind: 'mlp';
  /** Layer sizes, e.g. [784, 32, 10]. */
  sizes: number[];
  activation: string;
  /** A data source name the workers resolve on their machine (`--data` of the CLI, e.g. 'fashion-mnist:train'). */
  data: string;
  /** Rows taken from it (the first `samples`, or all). */
  samples: number | 'all';
  /** The Dirichlet label partition: its seed, stream and concentration α. */
  partition: { seed: number; stream: number; alpha: number };
  localSteps: number;
  batchSize: number;
  lr: number;
  /** The Philox stream of the minibatch draws. */
  stream: number;
  /** SHA-256 of the data rows and the partition (workers refuse other data). */
  hash: string;
}

export type FederatedPopulation = QuadraticPopulation | MlpPopulation;
/** The population kinds this protocol describes (a worker serves those it has trainers for). */
export const POPULATION_KINDS = ['quadratic', 'mlp'] as const;

/** A federated job as stored under `<prefix>:fed:job:<id>`: everything that determines a task's numbers. */
export interface FederatedJob {
  proto: number;
  kind: 'federated';
  population: FederatedPopulation;
  /** M, the number of clients. */
  clients: number;
  /** P, parameters per model. */
  size: number;
  /** The float type of the end models the trainer returns (quadratic: float64, mlp: float32). */
  dtype: 'float32' | 'float64';
  /** The run's seed (ClientTrainer.train's `seed`). */
  seed: number;
  /**
   * Emulated compute time of each client in ms (a worker sleeps this long after reading the
   * model, before training): heterogeneous client speeds on one machine. null: none.
   */
  delayMs: number[] | null;
}

/** The job's id: the SHA-256 of its JSON text. */
export function federatedJobId(job: FederatedJob): string {
  return digest(JSON.stringify(job));
}

const HEX64 = /^[0-9a-f]{64}$/;
const isInt = (x: unknown, min: number, max: number): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= min && x <= max;
const isNum = (x: unknown, min: number, max: number): x is number => typeof x === 'number' && Number.isFinite(x) && x >= min && x <= max;
const isStr = (x: unknown, max = 4096): x is string => typeof x === 'string' && x.length > 0 && x.length <= max;

/** Parses and checks a stored federated job (JSON text); throws ProtocolError naming the first bad field. */
export function parseFederatedJob(text: string, id: string, knownKinds: readonly string[]): FederatedJob {
  const bad = (what: string) => new ProtocolError(`federated job ${id.slice(0, 12)}: ${what}`);
  let j: Record<string, unknown>;
  try {
    j = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw bad('not JSON');
  }
  if (typeof j !== 'object' || j === null || Array.isArray(j)) throw bad('not an object');
  if (j.proto !== FED_PROTOCOL) throw bad(`protocol ${String(j.proto).slice(0, 20)} (this worker speaks ${FED_PROTOCOL})`);
  if (j.kind !== 'federated') throw bad(`kind '${String(j.kind).slice(0, 40)}' (expected 'federated')`);
  const p = j.population as Record<string, unknown> | undefined;
  if (typeof p !== 'object' || p === null) throw bad('no population');
  if (typeof p.kind !== 'string' || !knownKinds.includes(p.kind)) throw bad(`unknown population kind '${String(p.kind).slice(0, 40)}' (known: ${knownKinds.join(', ')})`);
  if (federatedJobId(j as unknown as FederatedJob) !== id) throw bad('content does not match its id');
  if (!isInt(j.clients, 1, MAX_CLIENTS)) throw bad('clients');
  if (!isInt(j.size, 1, MAX_PARAMS)) throw bad('size');
  if (j.dtype !== 'float32' && j.dtype !== 'float64') throw bad(`dtype '${String(j.dtype).slice(0, 20)}' (expected float32 or float64)`);
  if (!isInt(j.seed, 0, 2 ** 32 - 1)) throw bad('seed');
  const M = j.clients, P = j.size;
  if (!(j.delayMs === null || (Array.isArray(j.delayMs) && j.delayMs.length === M && j.delayMs.every((d) => isNum(d, 0, 3_600_000))))) {
    throw bad(`delayMs (expected null or ${M} times in [0, 3600000] ms)`);
  }
  const common = () => {
    if (!isInt(p.localSteps, 1, 1e6)) throw bad('population.localSteps');
    if (!isNum(p.lr, 0, 1e6)) throw bad('population.lr');
    if (!isInt(p.stream, 0, 2 ** 32 - 1)) throw bad('population.stream');
  };
  if (p.kind === 'quadratic') {
    common();
    if (!isInt(p.dim, 1, MAX_PARAMS) || p.dim !== P) throw bad(`population.dim (expected the model size ${P})`);
    if (!Array.isArray(p.centers) || p.centers.length !== M * P || !p.centers.every((c) => typeof c === 'number' && Number.isFinite(c))) {
      throw bad(`population.centers (expected ${M}·${P} finite numbers)`);
    }
    if (!isNum(p.noise, 0, 1e6)) throw bad('population.noise');
    if (j.dtype !== 'float64') throw bad('dtype (quadratic clients return float64 models)');
  } else if (p.kind === 'mlp') {
    common();
    if (!Array.isArray(p.sizes) || p.sizes.length < 2 || p.sizes.length > 64 || !p.sizes.every((s) => isInt(s, 1, 1e6))) throw bad('population.sizes');
    const sizes = p.sizes as number[];
    let n = 0;
    for (let l = 1; l < sizes.length; l++) n += sizes[l - 1]! * sizes[l]! + sizes[l]!;
    if (n !== P) throw bad(`size ${P} but layers ${sizes.join('-')} have ${n} parameters`);
    if (!isStr(p.activation, 32) || !/^[a-z0-9_]+$/.test(p.activation)) throw bad('population.activation');
    if (!isStr(p.data) || /[\0\n]/.test(p.data)) throw bad('population.data');
    if (!(p.samples === 'all' || isInt(p.samples, 1, 1e8))) throw bad('population.samples');
    const q = p.partition as Record<string, unknown> | undefined;
    if (typeof q !== 'object' || q === null || !isInt(q.seed, 0, 2 ** 32 - 1) || !isInt(q.stream, 0, 2 ** 32 - 1) || !isNum(q.alpha, Number.MIN_VALUE, 1e9)) {
      throw bad('population.partition (expected {seed, stream, alpha > 0})');
    }
    if (!isInt(p.batchSize, 1, 1e6)) throw bad('population.batchSize');
    if (typeof p.hash !== 'string' || !HEX64.test(p.hash)) throw bad('population.hash');
    if (j.dtype !== 'float32') throw bad('dtype (MLP clients return float32 models)');
  } else {
    // A kind the worker has a trainer for but this protocol does not describe.
    throw bad(`population kind '${p.kind}' has no wire description`);
  }
  return j as unknown as FederatedJob;
}

// ── Tasks ──

/** One local-training task: client `client`'s `round`-th task of run `run`, from the run's current model. */
export interface FederatedTask {
  proto: number;
  /** The population kind (a worker serves only the kinds it has trainers for). */
  kind: string;
  job: string;
  /** The run (one aggregator's life): its model key and updates stream. */
  run: string;
  client: number;
  round: number;
  /** P (checked against the job). */
  size: number;
  dtype: 'float32' | 'float64';
}

export function federatedTaskFields(t: FederatedTask): string[] {
  return ['proto', String(t.proto), 'kind', t.kind, 'job', t.job, 'run', t.run, 'client', String(t.client), 'round', String(t.round), 'size', String(t.size), 'dtype', t.dtype];
}

/** Parses a task's Stream fields; throws ProtocolError with the reason. Checked against its job by checkFederatedTask. */
export function parseFederatedTask(fields: readonly string[], knownKinds: readonly string[]): FederatedTask {
  if (fields.length % 2 !== 0 || fields.length > 40) throw new ProtocolError(`federated task: ${fields.length} fields (expected name/value pairs)`);
  const f = new Map<string, string>();
  for (let i = 0; i < fields.length; i += 2) f.set(fields[i]!, fields[i + 1]!);
  const int = (name: string, min: number, max: number) => {
    const v = f.get(name);
    const x = Number(v);
    if (v === undefined || !/^\d+$/.test(v) || !isInt(x, min, max)) throw new ProtocolError(`federated task: field '${name}' = '${String(v).slice(0, 40)}' (expected an integer in [${min}, ${max}])`);
    return x;
  };
  const proto = int('proto', 0, 1e6);
  if (proto !== FED_PROTOCOL) throw new ProtocolError(`federated task: protocol ${proto} (this worker speaks ${FED_PROTOCOL})`);
  const kind = f.get('kind') ?? '';
  if (!knownKinds.includes(kind)) throw new ProtocolError(`federated task: unknown job kind '${kind.slice(0, 40)}' (known: ${knownKinds.join(', ')})`);
  const job = f.get('job') ?? '', run = f.get('run') ?? '';
  if (!HEX64.test(job)) throw new ProtocolError('federated task: field \'job\' is not a 64-digit hex id');
  if (!HEX64.test(run)) throw new ProtocolError('federated task: field \'run\' is not a 64-digit hex id');
  const dtype = f.get('dtype');
  if (dtype !== 'float32' && dtype !== 'float64') throw new ProtocolError(`federated task: dtype '${String(dtype).slice(0, 20)}' (expected float32 or float64)`);
  return { proto, kind, job, run, client: int('client', 0, MAX_CLIENTS - 1), round: int('round', 0, 2 ** 32 - 1), size: int('size', 1, MAX_PARAMS), dtype };
}

/** Checks a task against its job: the population kind, client in range, size and dtype equal to the job's. */
export function checkFederatedTask(t: FederatedTask, job: FederatedJob): void {
  const id = t.job.slice(0, 12);
  if (t.kind !== job.population.kind) throw new ProtocolError(`federated task: kind '${t.kind}' but job ${id} holds '${job.population.kind}' clients`);
  if (t.client >= job.clients) throw new ProtocolError(`federated task: unknown client ${t.client} (job ${id} has ${job.clients})`);
  if (t.size !== job.size) throw new ProtocolError(`federated task: size ${t.size} but job ${id} has models of ${job.size} parameters`);
  if (t.dtype !== job.dtype) throw new ProtocolError(`federated task: dtype ${t.dtype} but job ${id} says ${job.dtype}`);
}

// ── Blobs ──
// Model:  'DFM1' | u32 proto | u32 dtype | u32 P | u32 version | u32 client (0xffffffff) | u32 round (0) | u32 flags (0) | 32 bytes run | P values
// Update: 'DFU1' | u32 proto | u32 dtype | u32 P | u32 version read | u32 client | u32 round | u32 flags (1: reclaimed task) | 32 bytes run | P values
// dtype: 1 = float32, 2 = float64 (little-endian). The model always travels in float64 (the aggregator's type).

export const FED_HEADER_BYTES = 64;
const DTYPE_CODE = { float32: 1, float64: 2 } as const;
const NO_CLIENT = 0xffffffff;

/** A decoded model or update. */
export interface FederatedBlob {
  run: string;
  version: number;
  client: number;
  round: number;
  reclaimed: boolean;
  data: Float32Array | Float64Array;
}

function encode(magic: 'DFM1' | 'DFU1', b: FederatedBlob): Buffer {
  const h = Buffer.alloc(FED_HEADER_BYTES);
  h.write(magic, 0, 'latin1');
  const dtype = b.data instanceof Float64Array ? DTYPE_CODE.float64 : DTYPE_CODE.float32;
  [FED_PROTOCOL, dtype, b.data.length, b.version, b.client, b.round, b.reclaimed ? 1 : 0].forEach((w, i) => h.writeUInt32LE(w, 4 + 4 * i));
  Buffer.from(b.run, 'hex').copy(h, 32);
  return Buffer.concat([h, Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength)]);
}

function decode(magic: 'DFM1' | 'DFU1', what: string, buf: Buffer, want: { run: string; size: number; dtype: 'float32' | 'float64' }): FederatedBlob {
  if (!Buffer.isBuffer(buf) || buf.length < FED_HEADER_BYTES || buf.toString('latin1', 0, 4) !== magic) throw new ProtocolError(`${what}: not a ${magic} blob (bad magic or shorter than its header)`);
  const [proto, dtype, P, version, client, round, flags] = [4, 8, 12, 16, 20, 24, 28].map((o) => buf.readUInt32LE(o)) as [number, number, number, number, number, number, number];
  const run = buf.toString('hex', 32, 64);
  if (proto !== FED_PROTOCOL) throw new ProtocolError(`${what}: protocol ${proto} (expected ${FED_PROTOCOL})`);
  if (run !== want.run) throw new ProtocolError(`${what}: belongs to run ${run.slice(0, 12)}, not ${want.run.slice(0, 12)}`);
  if (dtype !== DTYPE_CODE[want.dtype]) throw new ProtocolError(`${what}: dtype code ${dtype} (expected ${DTYPE_CODE[want.dtype]} = ${want.dtype})`);
  if (P !== want.size) throw new ProtocolError(`${what}: ${P} parameters (expected ${want.size})`);
  const bytes = want.dtype === 'float64' ? 8 : 4;
  if (buf.length !== FED_HEADER_BYTES + P * bytes) throw new ProtocolError(`${what}: ${buf.length - FED_HEADER_BYTES} data bytes (expected ${P * bytes} = ${P} × ${want.dtype})`);
  if (flags > 1) throw new ProtocolError(`${what}: flags ${flags}`);
  const data = want.dtype === 'float64' ? new Float64Array(P) : new Float32Array(P);
  Buffer.from(data.buffer).set(buf.subarray(FED_HEADER_BYTES));
  return { run, version, client, round, reclaimed: flags === 1, data };
}

/** The run's global model of `version` (float64). */
export function encodeModel(run: string, version: number, x: Float64Array): Buffer {
  return encode('DFM1', { run, version, client: NO_CLIENT, round: 0, reclaimed: false, data: x });
}

/** Parses the run's model blob, refusing another run's, another size or dtype. */
export function decodeModel(buf: Buffer, want: { run: string; size: number }): { version: number; x: Float64Array } {
  const b = decode('DFM1', 'model', buf, { ...want, dtype: 'float64' });
  if (b.client !== NO_CLIENT) throw new ProtocolError(`model: client field ${b.client}`);
  return { version: b.version, x: b.data as Float64Array };
}

/** A client's end model after training from the model of `version`. */
export function encodeUpdate(u: FederatedBlob): Buffer {
  return encode('DFU1', u);
}

/** Parses an update, refusing another run's, another size or dtype (checks against the run's state are the aggregator's). */
export function decodeUpdate(buf: Buffer, want: { run: string; size: number; dtype: 'float32' | 'float64' }): FederatedBlob {
  return decode('DFU1', 'update', buf, want);
}

// ── Keys ──

/** The Redis key names of federated runs (prefix default 'descent', shared with the curvature jobs' keys). */
export function federatedKeys(prefix = 'descent') {
  return {
    tasks: `${prefix}:fed:tasks`,
    group: 'workers',
    job: (id: string) => `${prefix}:fed:job:${id}`,
    model: (run: string) => `${prefix}:fed:run:${run}:model`,
    updates: (run: string) => `${prefix}:fed:run:${run}:updates`,
    fail: (run: string) => `${prefix}:fed:run:${run}:fail`,
    rejects: `${prefix}:rejects`,
  };
}
export type FederatedKeys = ReturnType<typeof federatedKeys>;
