// The native SGEMM (cpu backend): C = op(A)·op(B) for square sizes 128–2048 and the MLP
// layer shapes M×K×N of a 784-512/256-…-10 network at batch 1024/2048, in all four
// transpose cases (nn, nt = A·Bᵀ, tn = Aᵀ·B as in weight gradients, tt). flops = 2·M·N·K.
// Operands are prepared once; each run writes into a preallocated C, so the figure is the
// kernel's (packing included), not allocation. For reference on this machine, OpenBLAS
// 0.3.21 reaches 94–103 GFLOP/s on one thread and 172–206 on two for the MLP shapes, and
// 45–50 for N = 10 (issue 2). `--backend webgpu` runs the same shapes through the WGSL
// kernels (bench/webgpu.bench.ts; `npm run bench -- webgpu` adds read-back and tfjs-webgpu).
//
// Peer, same run (cpu): OpenBLAS through Debian's python3-numpy (bench/peers/peer.py, a child
// process with OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE unset; its header line names the OpenBLAS
// kernel), `np.matmul(op(A), op(B), out=C)` on the same shapes and transposes (a transposed
// operand is a transposed view: numpy passes the flag to sgemm, no copy), on the same thread
// count. Each case is measured descent, numpy, descent, numpy, both sides timing each call on
// its own after two warm-up calls (the runner's measureCalls and peer.py's timed); `ratio` is
// descent's median GFLOP/s over numpy's, one per round. `--no-peers` (or DESCENT_BENCH_PEERS=0) leaves the peer out.

import { loadNative } from '../src/backend/cpu/load.js';
import { uniform } from '../src/random.js';
import { Peer } from './peers/peer.js';
import type { BenchCase, BenchFamily } from './run.js';
import { webgpuMatmulCases } from './webgpu.bench.js';

export const SQUARES = [128, 256, 512, 1024, 2048];
/** M×K×N */
export const MLP: [number, number, number][] = [
  [1024, 784, 512], [1024, 512, 512], [1024, 512, 10], [2048, 784, 256], [2048, 256, 256], [2048, 256, 10],
];
const TRANSPOSES = ['nn', 'nt', 'tn', 'tt'] as const;

let peer: Promise<Peer | string> | null = null;
let peerReady: Peer | null = null;
const peersWanted = () => !process.argv.includes('--no-peers') && process.env.DESCENT_BENCH_PEERS !== '0';

const family: BenchFamily = {
  family: 'matmul',
  unit: 'GFLOP/s',
  backends: ['cpu', 'webgpu'],
  threaded: true,
  peerName: () => (peerReady ? `OpenBLAS via numpy: ${peerReady.describe()}` : null),
  done() {
    peerReady?.close();
    peerReady = null;
    peer = null;
  },
  async cases({ backend, threads, quick }) {
    // The GPU has no thread pool: run its cases once, on the first thread count.
    if (backend === 'webgpu') return threads === firstThreads(threads) ? webgpuMatmulCases(quick) : [];
    const native = loadNative();
    if (peersWanted() && !peer) {
      peer = Peer.start();
      const p = await peer;
      if (typeof p === 'string') console.log(`matmul peer skipped: ${p}`);
      else peerReady = p;
    }
    if (peerReady) await peerReady.request({ op: 'threads', n: threads });
    const shapes: [number, number, number][] = [
      ...SQUARES.filter((s) => !quick || s <= 512).map((s): [number, number, number] => [s, s, s]),
      ...MLP,
    ];
    const cases: BenchCase[] = [];
    for (const [m, k, n] of shapes) {
      const a = uniform(1, m * k), b = uniform(2, k * n), c = new Float32Array(m * n);
      const flops = 2 * m * n * k;
      for (const tr of quick ? (['nn', 'tn'] as const) : TRANSPOSES) {
        const transA = tr[0] === 't', transB = tr[1] === 't';
        cases.push({
          kernel: `sgemm.${tr}`,
          shape: m === n && n === k ? `${m}³` : `${m}x${k}x${n}`,
          work: flops,
          maxTime: quick ? 0.3 : flops > 4e9 ? 1.5 : 0.8,
          run: () => native.sgemm(a, 0, 0, transA, b, 0, 0, transB, c, 1, m, n, k, null, 0, 0),
          ...(peerReady ? { peer: ((p: Peer) => () => p.times({ op: 'matmul', m, k, n, tr, reps: 1000, max_time: (quick ? 0.3 : flops > 4e9 ? 1.5 : 0.8) / 2 }))(peerReady) } : {}),
        });
      }
    }
    return cases;
  },
};

let first: number | null = null;
function firstThreads(threads: number): number {
  return (first ??= threads);
}

export default family;
