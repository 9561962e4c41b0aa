// `descent federated --redis URL ...`: asynchronous federated optimisation with the clients
// served by `descent worker`s (src/distributed/federated.ts), and the glue between the
// distributed layer and the algorithm layer's federated engine: the trainer factories a worker
// builds a job's population with (QuadraticClients, MlpClients over a Dirichlet partition of a
// named data set), the job builders, and the scheme's weights d_i (clockWeights). The
// simulated-clock mode (`descent run fedfix`, runScheduled) stays the default and the
// reference; docs/distributed.md, "Federated clients on Redis", is the guide.

import '../backends.js';
import { initBackend, useBackend } from '../backend/backend.js';
import type { BackendName } from '../backend/ops.js';
import {
  clientsSchedule, clockWeights, computeTimes, dirichletPartition, federatedAggregate, fedfixProblem, MlpClients, QuadraticClients,
} from '../algorithms/index.js';
import type { ClockScheme } from '../algorithms/index.js';
import { MLP } from '../nn/mlp.js';
import type { Activation } from '../nn/mlp.js';
import { stream } from '../random.js';
import { digest } from '../distributed/protocol.js';
import { FED_PROTOCOL, federatedJobId } from '../distributed/federated-protocol.js';
import type { FederatedJob, MlpPopulation } from '../distributed/federated-protocol.js';
import { runFederatedAsync } from '../distributed/federated.js';
import type { FederatedAsyncStats, FederatedCheckpoint, FederatedTrainer, FederatedTrainerFactory, FederatedUpdate } from '../distributed/federated.js';
import type { Json } from '../algorithms/experiment.js';
import { Job, JobError } from './job.js';
import { backendChoices, helpText, parseOptions } from './args.js';
import type { OptionSpecs } from './args.js';
import { loadData, parseMlpSpec } from './spectrum-setup.js';
import { UsageError } from './usage.js';

// ── Populations ──

/** Loads an MLP population's data and Dirichlet partition (an empty client gets one row, as fedau-fmnist does). */
function mlpData(p: Pick<MlpPopulation, 'data' | 'samples' | 'partition'>, clients: number) {
  const data = loadData(p.data, p.samples, undefined).data;
  const part = dirichletPartition(data.y, data.classes, clients, p.partition.alpha, p.partition.seed, p.partition.stream);
  const rows = part.rows.map((r, n) => (r.length > 0 ? r : Int32Array.of(n % data.n)));
  // The content hash: the rows' features and labels, then each client's row indices.
  const hash = digest(data.x.subarray(0, data.n * data.features), data.y.subarray(0, data.n), ...rows);
  return { data, rows, hash };
}

/**
 * The trainer factories of `descent worker`: a job's population built with the algorithm
 * layer's ClientTrainers. An MLP population's data is loaded by name on this machine and
 * refused (with the reason) when its content hash differs from the job's.
 */
export function federatedTrainers(backend?: BackendName): Record<string, FederatedTrainerFactory> {
  return {
    quadratic: (job): FederatedTrainer => {
      const p = job.population;
      if (p.kind !== 'quadratic') throw new Error(`expected a quadratic population but received '${p.kind}'`);
      // Float64 parameters: WGSL has none, so a webgpu worker trains quadratic clients on the cpu backend (host-sized work).
      const b: BackendName | undefined = backend === 'webgpu' ? 'cpu' : backend;
      return new QuadraticClients({ centers: p.centers, dim: p.dim, localSteps: p.localSteps, lr: p.lr, noise: p.noise, stream: p.stream, ...(b ? { backend: b } : {}) });
    },
    mlp: (job): FederatedTrainer => {
      const p = job.population;
      if (p.kind !== 'mlp') throw new Error(`expected an mlp population but received '${p.kind}'`);
      const { data, rows, hash } = mlpData(p, job.clients);
      if (hash !== p.hash) throw new Error(`the data '${p.data}' (${p.samples} rows) and its partition differ here from the aggregator's (content hash ${hash.slice(0, 12)} ≠ ${p.hash.slice(0, 12)}): give every machine the same data files`);
      const model = new MLP(p.sizes, { activation: p.activation as Activation });
      return new MlpClients({ model, data, partition: rows, localSteps: p.localSteps, batchSize: p.batchSize, lr: p.lr, stream: p.stream, ...(backend ? { backend } : {}) });
    },
  };
}

/** A quadratic population's job (centers M·dim row-major); noise in the 'paper1' stream 1 like fedfix by default. */
export function quadraticJob(o: { centers: ArrayLike<number>; dim: number; localSteps: number; lr: number; noise: number; seed: number; stream?: number; delayMs?: readonly number[] | null }): FederatedJob {
  const M = o.centers.length / o.dim;
  if (!Number.isSafeInteger(M) || M < 1) throw new RangeError(`quadraticJob: expected M·${o.dim} values for 'centers' but received ${o.centers.length}`);
  return {
    proto: FED_PROTOCOL, kind: 'federated', clients: M, size: o.dim, dtype: 'float64', seed: o.seed, delayMs: o.delayMs ? [...o.delayMs] : null,
    population: { kind: 'quadratic', centers: Array.from(o.centers), dim: o.dim, localSteps: o.localSteps, lr: o.lr, noise: o.noise, stream: o.stream ?? stream('paper1', 1) },
  };
}

/** An MLP population's job: loads the data here to fix its content hash, which every worker checks. */
export function mlpJob(o: {
  sizes: number[]; activation: string; data: string; samples: number | 'all'; clients: number; alpha: number;
  localSteps: number; batchSize: number; lr: number; seed: number; delayMs?: readonly number[] | null;
}): FederatedJob {
  const partition = { seed: o.seed, stream: stream('paper11', 4), alpha: o.alpha };
  const { hash } = mlpData({ data: o.data, samples: o.samples, partition }, o.clients);
  const size = new MLP(o.sizes, { activation: o.activation as Activation }).size;
  return {
    proto: FED_PROTOCOL, kind: 'federated', clients: o.clients, size, dtype: 'float32', seed: o.seed, delayMs: o.delayMs ? [...o.delayMs] : null,
    population: {
      kind: 'mlp', sizes: o.sizes, activation: o.activation, data: o.data, samples: o.samples, partition,
      localSteps: o.localSteps, batchSize: o.batchSize, lr: o.lr, stream: stream('paper11', 3), hash,
    },
  };
}

/** An asynchronous scheme: 'async' (identical weights), 'async-weight' (unbiased weights) or 'fedbuff-<c>' (identical, 1/c). */
export function parseAsyncScheme(name: string): { clock: ClockScheme; weighting: 'identical' | 'weight'; buffer: number } {
  if (name === 'async') return { clock: { kind: 'async' }, weighting: 'identical', buffer: 1 };
  if (name === 'async-weight') return { clock: { kind: 'async' }, weighting: 'weight', buffer: 1 };
  const m = /^fedbuff-(\d+)$/.exec(name);
  if (m && Number(m[1]) >= 1) return { clock: { kind: 'fedbuff', c: Number(m[1]) }, weighting: 'identical', buffer: Number(m[1]) };
  throw new UsageError(`--scheme: expected 'async', 'async-weight' or 'fedbuff-<c>' but received '${name}'`);
}

/**
 * d_i of a scheme from the algorithm layer's clockWeights (Fraboni et al., Table 1): async
 * identical 1, async 'weight' (Σ_j 1/τ_j)·τ_i·p_i with τ_i the clients' (expected) compute
 * times, FedBuff-c 1/c; p_i = 1/M.
 */
export function schemeWeights(scheme: ReturnType<typeof parseAsyncScheme>, tau: ArrayLike<number>): Float64Array {
  const M = tau.length;
  return clockWeights(clientsSchedule(scheme.clock, tau, 0), new Float64Array(M).fill(1 / M), scheme.weighting);
}

// ── The command ──

const FEDERATED_OPTIONS = {
  redis: { kind: 'string', arg: 'URL', nonEmpty: true, help: 'the Redis server the workers serve: redis://[user:password@]host:port[/db] or rediss://... (required)' },
  population: { kind: 'choice', choices: () => ['quadratic', 'mlp'], default: 'quadratic', help: 'the clients: quadratic f_i(θ) = ½‖θ − c_i‖², or MLP classifiers on a Dirichlet partition' },
  clients: { kind: 'int', arg: 'M', min: 1, max: 100_000, default: 10, help: 'number of clients' },
  scheme: { kind: 'string', arg: 'S', default: 'async', help: "'async' (identical weights), 'async-weight' (unbiased weights) or 'fedbuff-<c>'" },
  'lr-g': { kind: 'number', arg: 'X', min: 0, default: 0.5, help: 'server step η_g' },
  aggregations: { kind: 'int', arg: 'A', min: 1, default: 200, help: 'aggregations to do' },
  concurrency: { kind: 'int', arg: 'K', min: 1, help: 'most tasks in flight (default: every client)' },
  'max-staleness': { kind: 'int', arg: 'T', min: 0, help: 'refuse updates staler than T versions (default: no limit)' },
  slower: { kind: 'number', arg: 'X', min: 0, max: 99, default: 0, help: "emulated compute times τ_i = 1 − i·(X/100)/(M − 1) (fedfix's 'F-X' scenario) in units of --time-unit" },
  'time-unit': { kind: 'number', arg: 'MS', min: 0, default: 0, help: 'ms per unit of τ: each worker sleeps τ_i·MS before training client i (0: no emulated delay)' },
  'local-steps': { kind: 'int', arg: 'I', min: 1, default: 5, help: 'local SGD steps per task' },
  lr: { kind: 'number', arg: 'X', min: 0, default: 0.1, help: 'local learning rate' },
  seed: { kind: 'int', arg: 'S', min: 0, default: 0, help: 'seed of the centers / initial model, the partition and the clients\' noise' },
  dim: { kind: 'int', arg: 'D', min: 1, default: 10, help: 'quadratic: dimension' },
  'center-scale': { kind: 'number', arg: 'X', min: 0, default: 3, help: 'quadratic: centers c_i ~ N(0, X²) (fedfix\'s problem)' },
  noise: { kind: 'number', arg: 'X', min: 0, default: 0.1, help: 'quadratic: gradient noise standard deviation' },
  model: { kind: 'string', arg: 'SPEC', default: '784-32-10:relu', help: 'mlp: the model, widths and activation' },
  data: { kind: 'string', arg: 'NAME', default: 'reference', help: "mlp: the data set (as --data of descent spectrum: 'reference', 'fashion-mnist:train', a file); every worker needs it" },
  samples: { kind: 'int', arg: 'N', min: 1, default: 2000, help: 'mlp: rows of the data set used' },
  alpha: { kind: 'number', arg: 'X', positive: true, default: 0.1, help: 'mlp: Dirichlet concentration of the label partition' },
  'batch-size': { kind: 'int', arg: 'B', min: 1, default: 16, help: 'mlp: minibatch rows per local step' },
  prefix: { kind: 'string', arg: 'P', nonEmpty: true, default: 'descent', help: 'key prefix shared with the workers' },
  backend: { kind: 'choice', choices: backendChoices, default: 'cpu', help: 'backend of the initial model (mlp)' },
  out: { kind: 'string', arg: 'DIR', nonEmpty: true, help: 'write DIR/result.json (final model, staleness histogram, per-update records, stats); checkpoints there, and a rerun of the same command resumes' },
  'checkpoint-every': { kind: 'int', arg: 'K', min: 1, default: 10, help: 'with --out: checkpoint every K aggregations' },
  'checkpoint-seconds': { kind: 'number', arg: 'T', positive: true, default: 30, help: 'with --out: checkpoint at least every T seconds (at an aggregation)' },
  fresh: { kind: 'flag', help: 'discard a previous job in --out (only the files descent wrote) and start over' },
  quiet: { kind: 'flag', help: 'no log lines' },
} as const satisfies OptionSpecs;

export const HELP = helpText('descent federated --redis URL [options]',
  'Asynchronous federated optimisation with real concurrency: the clients are trained by\n'
  + '`descent worker`s over Redis, the aggregator (this command) applies the scheme as updates\n'
  + 'arrive, with staleness from the model version each client read. The simulated-clock\n'
  + 'reference is `descent run fedfix`. docs/distributed.md has the guide.', FEDERATED_OPTIONS);

function dist(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += (a[k]! - b[k]!) ** 2;
  return Math.sqrt(s);
}

/** Runs one asynchronous federated run against the workers; returns the exit code. */
export async function federatedCommand(argv: string[]): Promise<number> {
  const p = parseOptions('federated', FEDERATED_OPTIONS, argv);
  if (p === 'help') { console.log(HELP); return 0; }
  const v = p.values;
  if (v.redis === undefined) { console.error('descent federated: --redis URL is required (see descent federated --help)'); return 2; }
  const url = v.redis;
  const scheme = parseAsyncScheme(v.scheme);
  const M = v.clients;
  if (scheme.buffer > M) throw new UsageError(`--scheme: fedbuff-${scheme.buffer} needs at least ${scheme.buffer} clients (--clients is ${M})`);
  const tau = computeTimes(M, v.slower);
  const delayMs = v['time-unit'] > 0 ? Array.from(tau, (t) => t * v['time-unit']) : null;
  const backend = await initBackend(v.backend as BackendName);
  await useBackend(backend);
  let job: FederatedJob, x0: Float64Array, optimum: Float64Array | null = null, surrogate: Float64Array | null = null;
  if (v.population === 'quadratic') {
    // fedfix's problem (src/algorithms/federated/experiments.ts fedfixProblem): centers c_i ~ N(0, scale²), optimum their mean.
    const prob = fedfixProblem(v.seed, M, v.dim, v['center-scale'], v.slower);
    job = quadraticJob({ centers: prob.c, dim: v.dim, localSteps: v['local-steps'], lr: v.lr, noise: v.noise, seed: v.seed, delayMs });
    x0 = new Float64Array(v.dim);
    optimum = prob.opt;
    surrogate = prob.surr;
  } else {
    const { widths, activation } = parseMlpSpec(v.model);
    job = mlpJob({ sizes: widths, activation, data: v.data, samples: v.samples, clients: M, alpha: v.alpha, localSteps: v['local-steps'], batchSize: v['batch-size'], lr: v.lr, seed: v.seed, delayMs });
    x0 = Float64Array.from(await new MLP(widths, { activation }).init({ seed: v.seed }).data());
  }
  const log = v.quiet ? () => undefined : (line: string) => console.error(line);
  const id = federatedJobId(job);
  // With --out: the job framework's folder (one resume policy; every write atomic). Options that change the result are
  // its fingerprint (not --redis, --prefix or the checkpoint cadence: a rerun may use another server).
  const out = v.out === undefined ? null : Job.open({
    command: 'federated', out: v.out, fresh: v.fresh, quiet: v.quiet, options: {
      jobId: id, scheme: v.scheme, lrG: v['lr-g'], aggregations: v.aggregations, concurrency: v.concurrency ?? null, maxStaleness: v['max-staleness'] ?? null, backend: v.backend,
    },
  });
  try {
    if (out?.status === 'done' && out.has('result.json')) {
      const done = JSON.parse(out.readFile('result.json').toString('utf8')) as Record<string, unknown>;
      log(`descent federated: ${out.dir} holds this run, finished (rerun with --fresh to run it again)`);
      const { jobSpec: _j, jobId: _i, model: _m, updates: _u, rejects: _r, ...summary } = done;
      console.log(JSON.stringify(summary));
      return 0;
    }
    out?.begin();
    const resume = out ? readCheckpoint(out, id) : undefined;
    if (resume) log(`descent federated: resuming from the checkpoint in ${out!.dir}: version ${resume.version} of ${v.aggregations} (run ${resume.run.slice(0, 12)}; a new run id, so the old run's updates are not read)`);
    return await runIt(resume);
  } finally {
    out?.close();
  }

  async function runIt(resume: FederatedCheckpoint | undefined): Promise<number> {
    // Seconds of the earlier runs (up to their last checkpoint) plus this one's.
    const before = resume ? (out!.state as CheckpointState | null)?.seconds ?? 0 : 0;
    const t0 = Date.now();
    const res = await runFederatedAsync({
      url, job, x0, weights: schemeWeights(scheme, tau), lrG: v['lr-g'], aggregate: federatedAggregate, aggregations: v.aggregations,
      buffer: scheme.buffer, prefix: v.prefix, log,
      ...(v.concurrency !== undefined ? { concurrency: v.concurrency } : {}), ...(v['max-staleness'] !== undefined ? { maxStaleness: v['max-staleness'] } : {}),
      onAggregate: ({ n }) => { if (!v.quiet && (n + 1) % Math.max(1, Math.floor(v.aggregations / 10)) === 0) log(`descent federated: ${n + 1}/${v.aggregations} aggregations`); },
      ...(resume ? { resume } : {}),
      ...(out ? { checkpoint: { every: v['checkpoint-every'], seconds: v['checkpoint-seconds'], save: (cp: FederatedCheckpoint) => writeCheckpoint(out, cp, before + (Date.now() - t0) / 1000) } } : {}),
    });
    const seconds = before + (Date.now() - t0) / 1000;
    const summary = {
      job: res.job, run: res.run, scheme: v.scheme, clients: M, aggregations: res.aggregations, seconds,
      // The federated optimum Σ p_i c_i, and async's surrogate optimum Σ (1/τ_i) c_i / Σ 1/τ_j (fedfix's distToSurrogate).
      distToOptimum: optimum ? dist(res.model, optimum) : null, distToSurrogate: surrogate ? dist(res.model, surrogate) : null, stalenessHistogram: res.stalenessHistogram, stats: res.stats,
    };
    console.log(JSON.stringify(summary));
    if (out) {
      out.writeFile('result.json', `${JSON.stringify({ ...summary, resumed: resume ? resume.version : null, jobSpec: job, jobId: id, model: Array.from(res.model), updates: res.updates, rejects: res.rejects }, null, 1)}\n`);
      out.finish({ ...(out.state as object | null ?? {}), done: true } as Json);
    }
    return 0;
  }
}

// ── The checkpoint (with --out): model.f64 (the model's float64 bytes) and checkpoint.json (the rest), committed together ──

interface CheckpointState { jobId: string; run: string; version: number; seconds: number }

/** Writes `cp` into the job's folder (each file atomically; the manifest commits them together). */
function writeCheckpoint(job: Job, cp: FederatedCheckpoint, seconds: number): void {
  job.writeFile('model.f64', new Uint8Array(cp.model.buffer, cp.model.byteOffset, cp.model.byteLength));
  const { model: _m, ...rest } = cp;
  job.writeFile('checkpoint.json', JSON.stringify(rest));
  const state: CheckpointState = { jobId: cp.job, run: cp.run, version: cp.version, seconds };
  job.commit(state as unknown as Json);
}

/** The committed checkpoint of job `id` in the folder, or undefined (none yet). */
function readCheckpoint(job: Job, id: string): FederatedCheckpoint | undefined {
  const st = job.state as CheckpointState | null;
  if (!st || !job.has('checkpoint.json') || !job.has('model.f64')) return undefined;
  if (st.jobId !== id) throw new JobError(`${job.path('checkpoint.json')} holds job ${st.jobId.slice(0, 12)}, not ${id.slice(0, 12)}; rerun with --fresh`);
  const bytes = job.readFile('model.f64');
  const model = new Float64Array(bytes.length / 8);
  Buffer.from(model.buffer).set(bytes);
  const rest = JSON.parse(job.readFile('checkpoint.json').toString('utf8')) as { job: string; run: string; version: number; rounds: number[]; order: number[]; updates: FederatedUpdate[]; stats: FederatedAsyncStats; rejects: string[] };
  if (rest.version !== st.version || rest.job !== id) throw new JobError(`${job.path('checkpoint.json')} (version ${rest.version}) does not match its manifest (version ${st.version}); rerun with --fresh`);
  return { ...rest, model };
}
