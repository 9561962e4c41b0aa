// The stream registry: each purpose owns a disjoint range of Philox streams, so two purposes
// (initialisation, shuffling, probes, data, statistics, each paper's noise) can never read the
// same words under one seed.

import test from 'ava';
import { stream, streamPurpose, STREAM_PURPOSES, STREAM_INDEX_LIMIT, words } from '../../src/random.js';
import type { StreamPurpose } from '../../src/random.js';
import { PROBE_STREAM } from '../../src/linalg/probes.js';

const purposes = Object.keys(STREAM_PURPOSES) as StreamPurpose[];

test('the registry names init, shuffle, probes, data and paper1 … paper21', (t) => {
  for (const p of ['init', 'shuffle', 'probes', 'data', ...Array.from({ length: 21 }, (_, i) => `paper${i + 1}`)]) {
    t.true(purposes.includes(p as StreamPurpose), p);
  }
});

test('property: no two purposes can meet, whatever their indices, nor meet the raw streams 0 … 2^26 − 1', (t) => {
  // Each purpose's range is the interval [stream(p, 0), stream(p, 2^26 − 1)]: contiguous and
  // increasing in the index (checked on samples), so disjoint intervals mean disjoint ranges.
  const ranges = purposes.map((p) => [stream(p, 0), stream(p, STREAM_INDEX_LIMIT - 1), p] as const);
  for (const [lo, hi] of ranges) {
    t.is(hi - lo, STREAM_INDEX_LIMIT - 1);
    t.true(lo >= STREAM_INDEX_LIMIT, 'above the raw range');
    t.true(hi <= 0xffffffff, 'a u32');
  }
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < sorted.length; i++) t.true(sorted[i]![0] > sorted[i - 1]![1], `${sorted[i - 1]![2]} and ${sorted[i]![2]} overlap`);
  // Random pairs (deterministic Philox draws): equal streams only for equal (purpose, index).
  const w = words(1, 40000, 0, 7);
  for (let k = 0; k < 40000; k += 4) {
    const p = purposes[w[k]! % purposes.length]!, q = purposes[w[k + 1]! % purposes.length]!;
    const i = w[k + 2]! % STREAM_INDEX_LIMIT, j = k % 8 === 0 ? i : w[k + 3]! % STREAM_INDEX_LIMIT;
    const same = stream(p, i) === stream(q, j);
    if (same !== (p === q && i === j)) t.fail(`stream('${p}', ${i}) vs stream('${q}', ${j})`);
    t.deepEqual(streamPurpose(stream(p, i)), { purpose: p, index: i });
  }
  t.deepEqual(streamPurpose(5), { purpose: undefined, index: 5 });
});

test('the engine\'s own users sit in their ranges: probe streams in "probes"', (t) => {
  for (const [name, s] of Object.entries(PROBE_STREAM)) t.is(streamPurpose(s).purpose, 'probes', name);
  t.is(new Set(Object.values(PROBE_STREAM)).size, Object.keys(PROBE_STREAM).length);
});

test('stream: named errors for an unknown purpose or an index out of range', (t) => {
  t.throws(() => stream('paper22' as StreamPurpose), { instanceOf: TypeError, message: /stream: expected one of 'init', .* for 'purpose' but received 'paper22'/ });
  t.throws(() => stream('toString' as StreamPurpose), { instanceOf: TypeError, message: /'purpose'/ });
  t.throws(() => stream('init', -1), { instanceOf: RangeError, message: /stream: expected an integer in \[0, 2\^26\) for 'index' but received -1/ });
  t.throws(() => stream('init', STREAM_INDEX_LIMIT), { instanceOf: RangeError, message: /'index'/ });
  t.throws(() => stream('init', 1.5), { instanceOf: RangeError });
});
