// softmax and log-softmax on every backend against the reference backend.

import * as d from '../../src/index.js';
import type { Backend } from '../../src/index.js';
import { assertClose, U } from '../helpers/close.js';
import { eachBackend } from '../helpers/cases.js';
import { label, randu } from '../helpers/gen.js';

const ref = d.reference;
const on = (b: Backend, data: Float32Array, shape: number[]) => d.tensor(data, shape, { backend: b });

for (const [rows, cols, axis] of [[1, 1, -1], [3, 10, -1], [0, 5, -1], [17, 129, -1], [64, 1000, -1], [10, 7, 0], [2, 3000, 1]] as const) {
  for (const op of ['softmax', 'logSoftmax'] as const) {
    eachBackend(`${op} · ${label({ rows, cols, axis })}`, async (t, b) => {
      const x = randu(rows * cols, rows + cols, -30, 30);
      const want = await d[op](on(ref, x, [rows, cols]), axis).data();
      const got = await d[op](on(b, x, [rows, cols]), axis).data();
      const len = axis === 0 ? rows : cols;
      // Shift (u·|x−max| ≤ 60u), exp (8u), the sum of `len` terms (len·u), the divide (5u): relative for
      // softmax; for log-softmax the same errors are absolute plus rounding of the result.
      const budget = (len + 60 + 8 + 5 + 2) * U.float32;
      assertClose(t, got, want, (i) => (op === 'softmax' ? budget * Math.abs(want[i]!) : budget + 2 * U.float32 * Math.abs(want[i]!)), op);
    });
  }
}
