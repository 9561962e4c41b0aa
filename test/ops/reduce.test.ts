// Reductions on every backend against the reference backend.

import * as d from '../../src/index.js';
import type { Backend } from '../../src/index.js';
import { assertClose, U } from '../helpers/close.js';
import { eachBackend } from '../helpers/cases.js';
import { label, randu } from '../helpers/gen.js';

const ref = d.reference;
const on = (b: Backend, data: Float32Array, shape: number[]) => d.tensor(data, shape, { backend: b });

const CASES: { shape: number[]; axis?: number | number[] }[] = [
  { shape: [0] }, { shape: [1] }, { shape: [17] }, { shape: [100003] }, { shape: [1 << 20] },
  { shape: [33, 65], axis: 0 }, { shape: [33, 65], axis: 1 }, { shape: [7, 0, 3], axis: 1 },
  { shape: [4, 129, 5], axis: 1 }, { shape: [3, 4, 5], axis: [0, 2] }, { shape: [2, 1031], axis: -1 },
];

for (const op of ['sum', 'sumSquares', 'max', 'min'] as const) {
  for (const c of CASES) {
    eachBackend(`${op} · ${label(c)}`, async (t, b) => {
      const n = c.shape.reduce((p, v) => p * v, 1);
      const x = randu(n, n + 1, -2, 3);
      const want = await d[op](on(ref, x, c.shape), c.axis).data();
      const got = await d[op](on(b, x, c.shape), c.axis).data();
      const len = n / Math.max(want.length, 1);
      // Pairwise (or float64) accumulation: |err| ≤ (⌈log2 n⌉ + 1)·u·Σ|x| with Σ|x| ≤ 3n (|x| ≤ 3, squares ≤ 9).
      const scale = op === 'sumSquares' ? 9 : 3;
      const bound = op === 'max' || op === 'min' ? 0 : (Math.ceil(Math.log2(Math.max(len, 1))) + 2) * U.float32 * scale * len;
      assertClose(t, got, want, () => bound, op);
    });
  }
}

for (const op of ['argmax', 'argmin'] as const) {
  for (const [shape, axis] of [[[17], 0], [[33, 65], 1], [[33, 65], 0], [[5, 1, 7], 1]] as [number[], number][]) {
    eachBackend(`${op} · ${label({ shape, axis })}`, async (t, b) => {
      const n = shape.reduce((p, v) => p * v, 1);
      const x = randu(n, 7 * n);
      const r = d[op](on(b, x, shape), axis);
      t.is(r.dtype, 'int32');
      t.deepEqual(Array.from(await r.data()), Array.from(await d[op](on(ref, x, shape), axis).data()));
    });
  }
}

eachBackend('mean · norm · dot', async (t, b) => {
  const x = randu(1000, 1), y = randu(1000, 2);
  for (const [name, f] of [
    ['mean', (be: Backend) => d.mean(on(be, x, [10, 100]), 1)],
    ['norm', (be: Backend) => d.norm(on(be, x, [1000]))],
    ['dot', (be: Backend) => d.dot(on(be, x, [1000]), on(be, y, [1000]))],
  ] as const) {
    const want = await f(ref).data();
    assertClose(t, await f(b).data(), want, (i) => 12 * U.float32 * 1000 * Math.max(1, Math.abs(want[i]!)), name);
  }
});

eachBackend('sumSquares · over several axes squares once', async (t, b) => {
  const x = d.tensor([[1, 2], [3, 4]], undefined, { backend: b });
  t.is(await d.sumSquares(x, [0, 1]).item(), 30);
  t.is(await d.norm(d.tensor([[3], [4]], undefined, { backend: b })).item(), 5);
});
