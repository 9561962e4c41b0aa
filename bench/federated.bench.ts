// Federated round benchmark (issue 13): one round of N ∈ {10, 100} clients × 5 local SGD steps on
// a Fashion-MNIST MLP (784-128-10, minibatch 32 per client), three ways, in the same run:
//
//   population  descent, the N clients as one arena [N, P]: the start model broadcast on the
//               backend, each local step's N·32 minibatch rows gathered on the backend from the
//               data set uploaded once (in the warm-up round, as the peer loads its data before
//               timing), one batched forward/backward and fused SGD steps per local step (on the
//               cpu backend the first layer's W̄1 = xᵀ·z̄1, its SGD step and the next step's x·W1
//               are one native call, sgemmSgd, and the first step reads the shared start W1 with
//               stride 0), and the mean of the end models reduced on the backend
//               (MlpClients.reduce with N tasks, what runRounds does): only P values come back;
//   one-by-one  descent, the same clients stepped one after another (N train calls of 1 task),
//               their end models summed on the host;
//   torch       PyTorch (Debian's python3-torch, /usr/bin/python3), a Python loop over clients as
//               Flower-style simulations run it, summing the end models (bench/peers/
//               federated_torch.py), same thread count; with --threads above 1 also at 1 thread
//               (torch-1), its fastest setting on a 2-core machine: at 2 threads its OpenMP and
//               OpenBLAS pools contend for the cores and a round takes 3–6× as long, even alone.
//               The population is then compared with the faster of the two (`speedupBest`).
//
// Each time is the wall clock of a whole round (the start model in, the round's mean of the end
// models out), median of --repeat rounds after one warm-up round each. The three kinds of round
// are interleaved (population, torch, one-by-one, population, ...; the peer runs as a child
// process serving one round per request, --serve), so that they share the machine's load, and
// each round's torch / population ratio is printed. Target: population ≥ 3× the PyTorch loop at
// N = 100.
//
// Run: `npm run bench -- federated [--repeat K] [--clients 10,100] [--threads T] [--quick] [--json FILE]`
// or `npx tsx bench/federated.bench.ts …`. Rows: kernel federated.round.{population,one-by-one,torch},
// shape N=…, median/min/max seconds, unit 's', speedup (torch / population).

import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import * as d from '../src/index.js';
import { getThreads, setThreads } from '../src/backend/cpu/index.js';
import type { BenchRow } from './run.js';

const STEPS = 5, BATCH = 32, HIDDEN = 128, PER_CLIENT = 300, LR = 0.05;
const PYTHON = '/usr/bin/python3';

function stats(xs: number[]): { median: number; min: number; max: number } {
  const s = xs.slice().sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)]!, min: s[0]!, max: s.at(-1)! };
}

async function seconds(round: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await round();
  return (performance.now() - t0) / 1000;
}

/** The PyTorch peer in --serve mode: one timed round per request, between descent's rounds. */
class TorchPeer {
  private constructor(private readonly child: ChildProcessWithoutNullStreams, private readonly lines: AsyncIterator<string>, readonly version: string) {}

  static async start(args: string[]): Promise<TorchPeer> {
    const child = spawn(PYTHON, [join(import.meta.dirname ?? 'bench', 'peers', 'federated_torch.py'), ...args, '--serve']);
    let err = '';
    child.stderr.on('data', (b: Buffer) => { err += b.toString(); });
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const ready = await TorchPeer.next(lines, () => err);
    const blas = (ready['blas'] as string[] | undefined) ?? [];
    if (!blas.some((path) => path.includes('openblas'))) {
      console.log(`federated bench: PyTorch runs its products in ${blas.join(', ') || 'an unknown BLAS'}, not OpenBLAS: apt-get install libopenblas0-pthread for a fair peer`);
    }
    return new TorchPeer(child, lines, String(ready['torch']));
  }

  private static async next(lines: AsyncIterator<string>, err: () => string): Promise<Record<string, unknown>> {
    const r = await lines.next();
    if (r.done) throw new Error(`federated bench: the PyTorch peer exited: ${err()}`);
    return JSON.parse(r.value) as Record<string, unknown>;
  }

  async round(): Promise<number> {
    this.child.stdin.write('round\n');
    return Number((await TorchPeer.next(this.lines, () => ''))['seconds']);
  }

  close(): void {
    this.child.stdin.end('quit\n');
  }
}

export async function run(argv: string[] = []): Promise<BenchRow[]> {
  const { values } = parseArgs({ args: argv, strict: false, options: { repeat: { type: 'string' }, clients: { type: 'string' }, threads: { type: 'string' }, quick: { type: 'boolean' }, json: { type: 'string' } } });
  const repeat = Number(values.repeat ?? (values.quick ? 2 : 5));
  const Ns = String(values.clients ?? '10,100').split(',').map(Number);
  if (values.threads !== undefined) setThreads(Number(values.threads));
  const threads = getThreads();
  const rowsNeeded = Math.max(...Ns) * PER_CLIENT;
  const data = d.loadFashionMnist({ split: 'train', limit: rowsNeeded });
  const model = new d.MLP([784, HIDDEN, 10]);
  const x0 = Float64Array.from(await model.init({ seed: 0 }).data());
  const rows: BenchRow[] = [];
  const file = join(tmpdir(), `descent-federated-bench-${process.pid}.bin`);
  const buf = Buffer.alloc(rowsNeeded * 784 * 4 + rowsNeeded * 4);
  Buffer.from(data.x.buffer, data.x.byteOffset, rowsNeeded * 784 * 4).copy(buf, 0);
  Buffer.from(data.y.buffer, data.y.byteOffset, rowsNeeded * 4).copy(buf, rowsNeeded * 784 * 4);
  writeFileSync(file, buf);
  const haveTorch = existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
  console.log(`federated round: ${STEPS} local SGD steps × batch ${BATCH}, MLP 784-${HIDDEN}-10 (P = ${model.size}), cpu ${threads} thread${threads === 1 ? '' : 's'}, median of ${repeat}`);
  try {
    for (const N of Ns) {
      const partition = Array.from({ length: N }, (_, i) => Int32Array.from({ length: PER_CLIENT }, (_, k) => i * PER_CLIENT + k));
      const trainer = new d.MlpClients({ model, data, partition, localSteps: STEPS, batchSize: BATCH, lr: LR, stream: d.stream('paper11', 3) });
      let round = 0;
      const tasks = () => Array.from({ length: N }, (_, c) => ({ client: c, round, version: round }));
      const w = new Float64Array(N).fill(1 / N);
      const population = async () => { round++; return trainer.reduce(x0, tasks(), 0, w); };
      const oneByOne = async () => {
        round++;
        const acc = new Float64Array(model.size);
        for (const t of tasks()) {
          const end = await trainer.train(x0, [t], 0);
          for (let k = 0; k < acc.length; k++) acc[k]! += end[k]! / N;
        }
        return acc;
      };
      const peerArgs = (t: number) => ['--data', file, '--rows', String(rowsNeeded), '--clients', String(N), '--per', String(PER_CLIENT),
        '--steps', String(STEPS), '--batch', String(BATCH), '--hidden', String(HIDDEN), '--lr', String(LR), '--threads', String(t)];
      const peer = haveTorch ? await TorchPeer.start(peerArgs(threads)) : undefined;
      const peer1 = haveTorch && threads > 1 ? await TorchPeer.start(peerArgs(1)) : undefined;
      const pop: number[] = [], one: number[] = [], torch: number[] = [], torch1: number[] = [];
      try {
        await population(); // warm-up (the peer warmed up before saying it is ready)
        await oneByOne();
        // Interleaved: population, torch, one-by-one, population, torch, ... under the same load.
        // The 1-thread peer goes before the multi-threaded one, whose OpenBLAS threads keep
        // spinning for a while after its round (they would slow whatever runs next).
        for (let i = 0; i < repeat; i++) {
          pop.push(await seconds(population));
          if (peer1) torch1.push(await peer1.round());
          if (peer) torch.push(await peer.round());
          one.push(await seconds(oneByOne));
        }
      } finally {
        peer?.close();
        peer1?.close();
      }
      const mk = (kernel: string, times: number[], extra: Record<string, unknown> = {}): BenchRow => ({ kernel, backend: 'cpu', shape: `N=${N}`, threads, ...stats(times), unit: 's', rounds: times, ...extra });
      const rp = mk('federated.round.population', pop), ro = mk('federated.round.one-by-one', one);
      rows.push(rp, ro);
      let line = `N=${String(N).padEnd(4)} population ${(rp.median * 1000).toFixed(1).padStart(8)} ms   one-by-one ${(ro.median * 1000).toFixed(1).padStart(8)} ms (${(ro.median / rp.median).toFixed(2)}×)`;
      if (peer) {
        const rt = mk('federated.round.torch', torch, { torch: peer.version });
        const perRound = torch.map((t, i) => t / pop[i]!);
        rp['speedup'] = rt.median / rp.median;
        rp['speedupPerRound'] = perRound;
        rows.push(rt);
        line += `   torch loop ${(rt.median * 1000).toFixed(1).padStart(8)} ms   population vs torch ${(rt.median / rp.median).toFixed(2)}×`;
        line += `\n       per round (population / torch ms, ratio): ${pop.map((p, i) => `${(p * 1000).toFixed(0)}/${(torch[i]! * 1000).toFixed(0)} ${perRound[i]!.toFixed(2)}×`).join(', ')}`;
        if (peer1) {
          const r1 = mk('federated.round.torch-1thread', torch1, { torch: peer.version, threads: 1 });
          const best = Math.min(rt.median, r1.median);
          rp['speedupBest'] = best / rp.median;
          rows.push(r1);
          line += `\n       torch loop at 1 thread ${(r1.median * 1000).toFixed(1)} ms: population vs torch's faster setting ${(best / rp.median).toFixed(2)}×`;
          line += ` (per round ${pop.map((p, i) => (Math.min(torch[i]!, torch1[i]!) / p).toFixed(2)).join(', ')})`;
        }
      } else {
        line += '   torch: skipped (apt-get install python3-torch for /usr/bin/python3)';
      }
      console.log(line);
    }
  } finally {
    rmSync(file, { force: true });
  }
  if (typeof values.json === 'string' && import.meta.url === pathToFileURL(process.argv[1] ?? '').href) writeFileSync(values.json, JSON.stringify(rows, null, 2));
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run(process.argv.slice(2));
