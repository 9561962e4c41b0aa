// The spectrum job on workers (`descent spectrum ... --redis URL --shards S`) and what a
// worker loads for it (`descent worker`): the glue between the job's model/data loaders
// (spectrum-setup.ts) and the distributed operator (src/distributed/). No numerics here.
//
// The coordinator loads the model (for the order n and its description) and the selected
// rows (for their count, the shards' content hashes and the job's fingerprint), but never
// records a forward pass: the products come from the workers, each of which loads the same
// model and data by the same names, keeps only its shard's rows (checked against the
// shard's hash), and serves M_s·V. The sum over shards in shard order with weights
// rows_s/rows equals the in-process operator with --batch-size ⌈rows/S⌉ bit for bit on the
// same backend (spectrum-job.ts's in-process run with that batch size is the reference).

import type { Backend } from '../backend/ops.js';
import { takeRows } from '../data/dataset.js';
import { distributedOperator, redactUrl, shardHash, shardRanges } from '../distributed/index.js';
import { tensor } from '../ops/creation.js';
import type { CurvatureJob, DistributedOperator, ShardServer } from '../distributed/index.js';
import { PROTOCOL } from '../distributed/protocol.js';
import type { Tensor } from '../tensor.js';
import type { SpectrumOptions } from './spectrum-options.js';
import { buildProblem, loadData, loadModel } from './spectrum-setup.js';
import type { DataChoice, JobOperator, ModelChoice, Problem } from './spectrum-setup.js';
import { UsageError } from './usage.js';

/** The job description workers receive for these options and the loaded rows. */
export function curvatureJob(o: SpectrumOptions, data: DataChoice, n: number, shards: number): CurvatureJob {
  const d = data.data;
  const matrix = o.matrix;
  if (matrix === 'residual') throw new UsageError('--matrix residual is not served by descent workers (--redis): use hessian or ggn there');
  let ranges: [number, number][];
  try {
    ranges = shardRanges(d.n, shards);
  } catch (e) {
    throw new UsageError(`--shards ${shards}: ${(e as Error).message.replace(/^shardRanges: /, '')}`);
  }
  const y = d.y instanceof Int32Array ? d.y : Int32Array.from(d.y);
  return {
    proto: PROTOCOL, kind: 'curvature',
    source: {
      model: o.model, activation: o.activation ?? null, data: o.data, samples: o.samples, shuffleSeed: o.shuffleSeed ?? null,
      matrix, layer: o.layer ?? null, seed: o.seed, batchSize: o.batchSize ?? null,
    },
    n, rows: d.n, ranges,
    hashes: ranges.map(([b, e]) => shardHash(d.x, y, d.features, b, e)),
    weights: ranges.map(([b, e]) => (e - b) / d.n),
  };
}

/**
 * The coordinator's problem for `--redis URL --shards S`: the same shape as buildProblem's,
 * with an operator whose products (and loss) come from the workers.
 */
export async function distributedProblem(o: SpectrumOptions & { redis: string; shards: number }, model: ModelChoice, data: DataChoice,
  backend: Backend, log: (s: string) => void): Promise<Omit<Problem, 'loss'> & { op: JobOperator & { dist: DistributedOperator } }> {
  // The order n: the operator on the first row only (no forward pass over the data).
  const d = data.data;
  const first = buildProblem(model, { data: takeRows(d, [0]), description: data.description }, o.matrix, o.layer, undefined, backend);
  const n = first.n;
  first.op.dispose(); first.x.dispose(); first.y.dispose();
  model.params.dispose();
  const job = curvatureJob(o, data, n, o.shards);
  const dist = distributedOperator({ url: o.redis, job, backend, log });
  log(`descent spectrum: products on ${o.shards} shards through descent workers at ${redactUrl(o.redis)} (job ${dist.id.slice(0, 12)})`);
  let value: Tensor;
  try {
    value = await dist.value();
  } catch (e) {
    await dist.close();
    throw e;
  }
  const x = tensor(new Float32Array(0), [0, d.features], { backend });
  const y = tensor(new Int32Array(0), [0], { dtype: 'int32', backend });
  const op = {
    size: n, value, dist,
    apply: (V: Tensor) => dist.apply(V),
    gradient(): Tensor { throw new Error('the distributed operator serves products and the loss, not the gradient'); },
    dispose() { value.dispose(); void dist.close(); },
  };
  return {
    model, data, x, y, op, n,
    dispose() {
      const st = dist.stats;
      log(`descent spectrum: distributed: ${st.calls} calls, ${st.enqueued} shard tasks sent, ${st.reused} stored partials reused, `
        + `${st.refused} refused, ${(st.bytesOut / 2 ** 20).toFixed(1)} MiB written, ${(st.bytesIn / 2 ** 20).toFixed(1)} MiB read, ${st.outages} Redis outages`);
      op.dispose(); x.dispose(); y.dispose();
    },
  };
}

let dataCache: { key: string; data: DataChoice } | null = null;

/** What `descent worker` loads for a curvature job's shard: the job's model and data, the shard's rows only. */
export function loadCurvatureShard(backend: Backend) {
  return (job: CurvatureJob, shard: number): ShardServer => {
    const s = job.source;
    const key = JSON.stringify([s.data, s.samples, s.shuffleSeed]);
    if (dataCache?.key !== key) dataCache = { key, data: loadData(s.data, s.samples, s.shuffleSeed ?? undefined) };
    const all = dataCache.data.data;
    if (all.n !== job.rows) throw new Error(`--data ${s.data} gives ${all.n} rows here but the job has ${job.rows}`);
    const [b, e] = job.ranges[shard]!;
    const y = all.y instanceof Int32Array ? all.y : Int32Array.from(all.y);
    const hash = shardHash(all.x, y, all.features, b, e);
    if (hash !== job.hashes[shard]) throw new Error(`the rows ${b}–${e} of --data ${s.data} differ here from the coordinator's (content hash ${hash.slice(0, 12)} ≠ ${job.hashes[shard]!.slice(0, 12)}): give every machine the same data files`);
    const rows = Int32Array.from({ length: e - b }, (_, i) => b + i);
    const data: DataChoice = { data: takeRows(all, rows), description: dataCache.data.description };
    const model = loadModel(s.model, s.activation ?? undefined, s.seed, backend);
    const p = buildProblem(model, data, s.matrix, s.layer ?? undefined, s.batchSize ?? undefined, backend);
    return { n: p.n, apply: (V) => p.op.apply(V), value: () => p.op.value, dispose: () => p.dispose() };
  };
}

