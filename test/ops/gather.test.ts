// gather, scatterAdd and oneHot on every backend against the reference backend.

import * as d from '../../src/index.js';
import type { Backend } from '../../src/index.js';
import { assertClose, U } from '../helpers/close.js';
import { eachBackend } from '../helpers/cases.js';
import { label, randu } from '../helpers/gen.js';
import { words } from '../../src/random.js';

const ref = d.reference;
const idxOn = (b: Backend, idx: Int32Array) => d.tensor(idx, [idx.length], { backend: b });

for (const [shape, axis, m] of [[[10], 0, 4], [[7, 5], 0, 9], [[7, 5], 1, 3], [[3, 17, 4], 1, 33], [[5, 3], 0, 0]] as [number[], number, number][]) {
  const n = shape[axis]!;
  const idx = Int32Array.from(words(m + 1, m), (w) => w % n);
  eachBackend(`gather · ${label({ shape, axis, m })}`, async (t, b) => {
    const x = randu(shape.reduce((p, v) => p * v, 1), 3);
    const want = await d.gather(d.tensor(x, shape, { backend: ref }), idxOn(ref, idx), axis).data();
    const got = await d.gather(d.tensor(x, shape, { backend: b }), idxOn(b, idx), axis).data();
    assertClose(t, got, want, () => 0, 'gather');
  });
  eachBackend(`scatterAdd · ${label({ shape, axis, m })}`, async (t, b) => {
    const src = shape.slice();
    src[axis] = m;
    const x = randu(src.reduce((p, v) => p * v, 1), 4);
    const want = await d.scatterAdd(d.tensor(x, src, { backend: ref }), idxOn(ref, idx), n, axis).data();
    const got = await d.scatterAdd(d.tensor(x, src, { backend: b }), idxOn(b, idx), n, axis).data();
    // Each output sums at most m terms of magnitude ≤ 1, in any order.
    assertClose(t, got, want, () => m * m * U.float32, 'scatterAdd');
  });
}

eachBackend('gather · an out-of-range index is a RangeError', async (t, b) => {
  if (b.name === 'webgpu') { t.pass('webgpu clamps on the device; the tensor layer cannot see device indices without a read-back'); return; }
  const x = d.zeros([4, 2], { backend: b });
  t.throws(() => d.gather(x, idxOn(b, new Int32Array([0, 4])), 0), { instanceOf: RangeError, message: /gather: expected indices in \[0, 3\]/ });
});

eachBackend('oneHot · rows of the identity', async (t, b) => {
  const h = d.oneHot(idxOn(b, new Int32Array([2, 0, 1, 2])), 3);
  t.deepEqual(h.shape, [4, 3]);
  t.deepEqual(Array.from(await h.data()), [0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 1]);
});
