// Distributed curvature products (`npm run bench -- distributed`): the Hessian of the reference
// problem (../shared/reference/mlp-fmnist-init, n = 269,322) on --samples rows (default 512)
// cut into --shards shards (default 4), a block of --block vectors (default 2), cpu backend.
//
// Rows: the in-process operator (batches of ⌈rows/S⌉, the same sum), then the distributed
// operator with 1 and 2 `descent worker` child processes on a redis-server this bench starts
// on a free loopback port. For each: products per second (blocks per second × block size),
// the median seconds per block product, the added latency per block product (distributed −
// in-process median), and the bytes moved through Redis per block product: the coordinator's
// block write and partial reads (measured), the workers' block reads and partial writes
// (S reads of the block, S partials: counted from the sizes), i.e. (1 + 3S)·b·n·4 + headers.
// --repeat K products per configuration (default 8, after one warm-up product).

import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { parseArgs } from 'node:util';
import { initBackend, useBackend } from '../src/backend/backend.js';
import { curvatureJob } from '../src/cli/spectrum-distributed.js';
import { DEFAULTS } from '../src/cli/spectrum-options.js';
import type { SpectrumOptions } from '../src/cli/spectrum-options.js';
import { buildProblem, loadData, loadModel } from '../src/cli/spectrum-setup.js';
import { distributedOperator } from '../src/distributed/index.js';
import { HEADER_BYTES } from '../src/distributed/protocol.js';
import { tensor } from '../src/ops/creation.js';
import type { Tensor } from '../src/tensor.js';
import { startRedis } from '../test/helpers/redis.js';
import type { BenchRow } from './run.js';
import '../src/backends.js';

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]!; };

export async function run(argv: string[] = []): Promise<BenchRow[]> {
  const { values } = parseArgs({ args: argv, strict: false, options: { samples: { type: 'string' }, shards: { type: 'string' }, block: { type: 'string' }, repeat: { type: 'string' }, quick: { type: 'boolean' } } });
  const samples = Number(values.samples ?? (values.quick ? 128 : 512)), S = Number(values.shards ?? 4), b = Number(values.block ?? 2);
  const repeat = Number(values.repeat ?? (values.quick ? 3 : 8));
  const backend = await initBackend('cpu');
  await useBackend(backend);
  const o: SpectrumOptions = { ...DEFAULTS, model: 'reference', data: 'reference', samples, backend: 'cpu', matrix: 'hessian', out: '', fresh: false, quiet: true };
  const data = loadData(o.data, samples, undefined);
  const local = buildProblem(loadModel(o.model, undefined, 0, backend), data, 'hessian', undefined, Math.ceil(samples / S), backend);
  const n = local.n;
  const job = curvatureJob(o, data, n, S);
  const rows: BenchRow[] = [];
  const shape = `n=${n} rows=${samples} S=${S} b=${b}`;
  let k = 0;
  const nextV = (): Tensor => tensor(Float32Array.from({ length: n * b }, (_, i) => Math.sin(0.001 * i + k++)), [n, b], { backend });
  const time = async (apply: (V: Tensor) => Promise<Tensor> | Tensor) => {
    const ts: number[] = [];
    for (let i = 0; i <= repeat; i++) {
      const V = nextV();
      const t0 = performance.now();
      const R = await apply(V);
      await R.data();
      if (i > 0) ts.push((performance.now() - t0) / 1000);
      R.dispose(); V.dispose();
    }
    return ts;
  };
  const report = (kernel: string, ts: number[], extra: Record<string, unknown>) => {
    const m = median(ts);
    const r: BenchRow = { kernel, backend: 'cpu', shape, threads: 0, median: m, min: Math.min(...ts), max: Math.max(...ts), unit: 's', productsPerSecond: b / m, ...extra };
    rows.push(r);
    console.log(`${kernel.padEnd(26)} ${m.toFixed(3).padStart(7)} s/block  ${(b / m).toFixed(2).padStart(7)} products/s  ${Object.entries(extra).map(([a, v]) => `${a} ${typeof v === 'number' ? v.toPrecision(4) : v}`).join('  ')}`);
  };
  console.log(`distributed products: Hessian of the reference problem, ${shape}, cpu backend, ${repeat} block products each`);
  const base = await time((V) => local.op.apply(V));
  report('in-process', base, {});
  const server = await startRedis();
  const workers: ChildProcess[] = [];
  try {
    for (const W of [1, 2]) {
      while (workers.length < W) {
        const c = spawn(process.execPath, ['--import', 'tsx', 'src/cli/descent.ts', 'worker', '--redis', server.url, '--backend', 'cpu', '--quiet'], { stdio: 'ignore' });
        workers.push(c);
      }
      const op = distributedOperator({ url: server.url, job, backend });
      await op.value(); // workers up, shards loaded by whoever serves them
      for (let warm = 0; warm < W; warm++) await (await op.apply(nextV())).data();
      const before = { out: op.stats.bytesOut, in: op.stats.bytesIn, calls: op.stats.calls };
      const ts = await time((V) => op.apply(V));
      const calls = op.stats.calls - before.calls;
      const coordBytes = (op.stats.bytesOut - before.out + op.stats.bytesIn - before.in) / calls;
      const blockBytes = HEADER_BYTES + n * b * 4;
      const workerBytes = S * blockBytes + S * blockBytes; // S block reads + S partial writes
      report(`redis ${W} worker${W > 1 ? 's' : ''}`, ts, {
        addedLatency: median(ts) - median(base),
        bytesPerProduct: (coordBytes + workerBytes) / b,
        MiBPerBlock: (coordBytes + workerBytes) / 2 ** 20,
      });
      await op.close();
    }
  } finally {
    for (const c of workers) c.kill('SIGTERM');
    await Promise.all(workers.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))));
    await server.stop();
    local.dispose();
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) await run(process.argv.slice(2));
