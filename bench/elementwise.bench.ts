// Native elementwise kernels, reductions and softmax (cpu backend) at 1M, 4M and 16M float32
// elements, in GB/s of the minimum memory traffic of each op: unary 8 bytes per element
// (read + write), binary 12, a row-broadcast binary 8 (the broadcast row stays in cache),
// reductions 4, softmax 8, copy 8, fill 4; against the machine's STREAM triad.
// Transcendental ops (exp, tanh, gelu) evaluate float64 library functions per element, so
// they are compute-bound where the plain ones are memory-bound.

import { loadNative } from '../src/backend/cpu/load.js';
import { BINARY, REDUCE, UNARY } from '../src/backend/ops.js';
import { normal } from '../src/random.js';
import type { BenchCase, BenchFamily } from './run.js';

const SIZES = [1 << 20, 1 << 22, 1 << 24];
const label = (n: number) => `${n >> 20}M`;

const family: BenchFamily = {
  family: 'elementwise',
  unit: 'GB/s',
  backends: ['cpu'],
  threaded: true,
  cases({ quick }) {
    const native = loadNative();
    const cases: BenchCase[] = [];
    for (const n of quick ? [1 << 20] : SIZES) {
      const x = normal(1, n), y = normal(2, n), out = new Float32Array(n);
      const cols = 1024, rows = n / cols, row = normal(3, cols);
      const sums = new Float32Array(1), idx = new Int32Array(1);
      const maxTime = quick ? 0.2 : 0.6;
      const add = (kernel: string, bytes: number, run: () => void) => cases.push({ kernel, shape: label(n), work: bytes, maxTime, run });
      add('fill', 4 * n, () => native.fill(out, 1.5));
      add('copy', 8 * n, () => native.copyInto(x, 0, [1], out, 0, [1], [n]));
      for (const op of ['neg', 'relu', 'exp', 'tanh', 'gelu'] as const) add(`unary.${op}`, 8 * n, () => native.unary(UNARY[op], x, 0, out, n));
      for (const op of ['add', 'mul', 'max'] as const) add(`binary.${op}`, 12 * n, () => native.binary(BINARY[op], x, 0, [1], y, 0, [1], out, [n]));
      add('binary.add.row', 8 * n, () => native.binary(BINARY.add, x, 0, [cols, 1], row, 0, [0, 1], out, [rows, cols]));
      add('reduce.sum', 4 * n, () => native.reduce(REDUCE.sum, x, 0, 1, n, 1, sums));
      add('reduce.max', 4 * n, () => native.reduce(REDUCE.max, x, 0, 1, n, 1, sums));
      add('reduce.argmax', 4 * n, () => native.reduce(REDUCE.argmax, x, 0, 1, n, 1, idx));
      add('reduce.sum.cols', 4 * n, () => native.reduce(REDUCE.sum, x, 0, 1, rows, cols, new Float32Array(cols)));
      add('softmax.rows', 8 * n, () => native.softmax(x, 0, rows, cols, false, out));
    }
    return cases;
  },
};

export default family;
