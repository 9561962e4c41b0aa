// Views, copies, creation and the tensor lifecycle, on every backend.

import test from 'ava';
import * as d from '../../src/index.js';
import { DisposedError, ShapeError } from '../../src/index.js';
import { eachBackend } from '../helpers/cases.js';

eachBackend('views · reshape, permute, slice, squeeze, broadcastTo share storage', async (t, b) => {
  const x = d.arange(24, undefined, 1, { backend: b });
  const y = d.reshape(x, [2, 3, 4]);
  t.deepEqual(await d.slice(y, [1, 1, 0], [1, 2, -1]).array(), [[[16, 17, 18, 19], [20, 21, 22, 23]]]);
  const p = d.permute(y, [2, 0, 1]);
  t.deepEqual(p.shape, [4, 2, 3]);
  t.deepEqual((await p.array() as number[][][])[1]![0], [1, 5, 9]);
  t.deepEqual(await d.reshape(d.transpose(d.reshape(x, [4, 6])), [-1]).data().then((a) => Array.from(a).slice(0, 6)), [0, 6, 12, 18, 1, 7]);
  t.deepEqual(d.squeeze(d.expandDims(y, 1)).shape, [2, 3, 4]);
  t.deepEqual(await d.broadcastTo(d.tensor([1, 2], undefined, { backend: b }), [2, 2]).array(), [[1, 2], [1, 2]]);
  t.throws(() => d.reshape(x, [5, 5]), { instanceOf: ShapeError, message: 'reshape: cannot reshape [24] (24 elements) to [5, 5]' });
  t.throws(() => d.slice(y, [0, 2, 0], [1, 2, 4]), { instanceOf: RangeError, message: /slice: begin \[0, 2, 0\] with size \[1, 2, 4\] is out of bounds for shape \[2, 3, 4\] \(axis 1\)/ });
});

eachBackend('concat · stack', async (t, b) => {
  const a = d.tensor([[1, 2], [3, 4]], undefined, { backend: b }), c = d.tensor([[5, 6]], undefined, { backend: b });
  t.deepEqual(await d.concat([a, c], 0).array(), [[1, 2], [3, 4], [5, 6]]);
  t.deepEqual(await d.concat([a, d.transpose(a)], 1).array(), [[1, 2, 1, 3], [3, 4, 2, 4]]);
  t.deepEqual(await d.stack([d.tensor([1, 2], undefined, { backend: b }), d.tensor([3, 4], undefined, { backend: b })], 1).array(), [[1, 3], [2, 4]]);
  t.throws(() => d.concat([a, d.zeros([2, 3], { backend: b })], 0), { instanceOf: ShapeError, message: /concat: expected shapes that agree except on axis 0/ });
});

eachBackend('creation · zeros, ones, full, arange, eye, int32 and random streams', async (t, b) => {
  const opts = { backend: b };
  t.deepEqual(Array.from(await d.full([2, 2], 7, opts).data()), [7, 7, 7, 7]);
  t.deepEqual(Array.from(await d.arange(1, 2, 0.25, opts).data()), [1, 1.25, 1.5, 1.75]);
  t.deepEqual(await d.eye(2, opts).array(), [[1, 0], [0, 1]]);
  const i = d.tensor([1, 2, 3], undefined, { ...opts, dtype: 'int32' });
  t.is(i.dtype, 'int32');
  const r = await d.randomNormal([1000], { seed: 7, backend: b }).data();
  const r2 = await d.randomNormal([1000], { seed: 7, backend: d.reference }).data();
  t.deepEqual(Array.from(r), Array.from(r2), 'the same stream on every backend');
});

eachBackend('lifecycle · dispose, tidy, views keep storage alive', async (t, b) => {
  const x = d.ones([4], { backend: b });
  const v = d.reshape(x, [2, 2]);
  x.dispose();
  t.deepEqual(await v.array(), [[1, 1], [1, 1]], 'a view outlives the disposed original');
  v.dispose();
  await t.throwsAsync(() => v.data(), { instanceOf: DisposedError });
  let inner: d.Tensor | null = null;
  const kept = d.tidy(() => {
    inner = d.add(d.ones([3], { backend: b }), 1);
    return d.mul(inner, 2);
  });
  t.true(inner!.isDisposed);
  t.deepEqual(Array.from(await kept.data()), [4, 4, 4]);
});

test('errors · mixing backends names both', (t) => {
  const a = d.ones([2], { backend: d.reference });
  const fake = { ...d.reference, name: 'cpu' as const };
  const c = d.ones([2], { backend: fake });
  t.throws(() => d.add(a, c), { instanceOf: TypeError, message: /add: expected all tensors on one backend but received 'reference' and 'cpu'/ });
  t.throws(() => d.add(a, 'x' as unknown as number), { instanceOf: TypeError, message: "add: expected a Tensor or a number for 'b' but received 'x'" });
  t.throws(() => d.add(d.ones([2, 3], { backend: d.reference }), d.ones([4], { backend: d.reference })), { message: 'add: shapes [2, 3] and [4] do not broadcast (axis 1: 3 vs 4)' });
});
