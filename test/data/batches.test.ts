// Seeded shuffling and minibatches: determinism, every epoch a permutation, epochs differ,
// subsets are prefixes of the permutation, batch sizes and drop-last, and uniformity of the
// shuffle by a chi-squared test at a fixed seed set.

import test from 'ava';
import {
  IntStream, batchCount, gatherRows, minibatches, permutation, shuffleInPlace, subsetIndices,
} from '../../src/data/batches.js';
import { stream, words } from '../../src/random.js';
import { assertSame } from './same.js';

function isPermutation(p: Int32Array): boolean {
  const seen = new Uint8Array(p.length);
  for (const v of p) {
    if (v < 0 || v >= p.length || seen[v]) return false;
    seen[v] = 1;
  }
  return true;
}

test('the same seed and epoch give the same permutation; each epoch is a permutation', (t) => {
  const n = 10007;
  assertSame(t, permutation(n, 42, 3), permutation(n, 42, 3));
  const epochs = [0, 1, 2, 3].map((e) => permutation(n, 42, e));
  for (const p of epochs) t.true(isPermutation(p));
  for (let a = 0; a < epochs.length; a++) {
    for (let b = a + 1; b < epochs.length; b++) {
      let same = 0;
      for (let i = 0; i < n; i++) if (epochs[a]![i] === epochs[b]![i]) same++;
      // Two independent uniform permutations share Poisson(1)-many fixed positions: > 12 has p < 1e-9.
      t.true(same <= 12, `epochs ${a} and ${b} agree at ${same} positions`);
    }
  }
  t.notDeepEqual([...permutation(100, 1)], [...permutation(100, 2)]);
  t.deepEqual([...permutation(0, 1)], []);
  t.deepEqual([...permutation(1, 1)], [0]);
});

test('the shuffle is the documented forward Fisher–Yates over rejection-sampled Philox words', (t) => {
  const n = 9, seed = 1234, epoch = 5;
  const w = words(seed, 64, 0, stream('shuffle', epoch));
  const expected = [...Array(n).keys()];
  let k = 0;
  for (let i = 0; i + 1 < n; i++) {
    const bound = n - i;
    const limit = 2 ** 32 - (2 ** 32 % bound);
    while (w[k]! >= limit) k++;
    const j = i + (w[k++]! % bound);
    [expected[i], expected[j]] = [expected[j]!, expected[i]!];
  }
  t.deepEqual([...permutation(n, seed, epoch)], expected);
  t.deepEqual([...shuffleInPlace(Int32Array.from(Array(n).keys()), seed, epoch)], expected);
});

test('IntStream results do not depend on its buffer size', (t) => {
  const a = new IntStream(9, 2, 4), b = new IntStream(9, 2, 4096);
  for (let i = 0; i < 5000; i++) t.is(a.next(1 + (i % 97)), b.next(1 + (i % 97)));
});

test('the shuffle is uniform: the 24 orders of 4 items over 24000 seeds pass χ²', (t) => {
  // All 24 orders of 4 items; χ² with 23 degrees of freedom exceeds 70.5 with probability 1e-6.
  const counts = new Map<string, number>();
  const runs = 24000;
  for (let s = 0; s < runs; s++) {
    const key = permutation(4, s).join('');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  t.is(counts.size, 24);
  const e = runs / 24;
  let chi2 = 0;
  for (const c of counts.values()) chi2 += (c - e) ** 2 / e;
  t.true(chi2 < 70.5, `χ² = ${chi2}`);
});

test('subsets: file order without a seed, a prefix of the permutation with one', (t) => {
  t.deepEqual([...subsetIndices(10, 4)], [0, 1, 2, 3]);
  for (const [total, size] of [[1000, 10], [1000, 999], [1000, 1000], [5, 0], [1, 1]] as const) {
    assertSame(t, subsetIndices(total, size, 77, 2), permutation(total, 77, 2).subarray(0, size), `${total}/${size}`);
  }
  t.throws(() => subsetIndices(10, 11, 1), {
    instanceOf: RangeError, message: "subsetIndices: expected an integer in [0, 10] for 'size' but received 11",
  });
});

test('minibatches: sizes, drop-last, order, and their union is one epoch', (t) => {
  const plain = [...minibatches(10, { batchSize: 4 })].map((b) => [...b]);
  t.deepEqual(plain, [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
  t.deepEqual([...minibatches(10, { batchSize: 4, dropLast: true })].map((b) => b.length), [4, 4]);
  t.is(batchCount(10, 4), 3);
  t.is(batchCount(10, 4, true), 2);
  t.deepEqual([...minibatches(0, { batchSize: 4 })], []);
  const batches = [...minibatches(1000, { batchSize: 64, seed: 3, epoch: 1 })];
  t.is(batches.length, 16);
  t.is(batches[15]!.length, 1000 - 15 * 64);
  const joined = Int32Array.from(batches.flatMap((b) => [...b]));
  assertSame(t, joined, permutation(1000, 3, 1));
  t.throws(() => minibatches(10, { batchSize: 0 }).next(), {
    instanceOf: RangeError, message: "minibatches: expected an integer ≥ 1 for 'batchSize' but received 0",
  });
});

test('gatherRows copies rows in order and checks them', (t) => {
  const x = Float32Array.from([0, 1, 2, 10, 11, 12, 20, 21, 22]);
  t.deepEqual([...gatherRows(x, 3, [2, 0])], [20, 21, 22, 0, 1, 2]);
  t.deepEqual([...gatherRows(Int32Array.from([5, 6, 7]), 1, Int32Array.from([1, 1]))], [6, 6]);
  t.throws(() => gatherRows(x, 3, [3]), {
    instanceOf: RangeError, message: "gatherRows: expected row indices in [0, 3) for 'rows' but received 3 at position 0",
  });
});
