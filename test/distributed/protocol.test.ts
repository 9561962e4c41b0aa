// The wire formats of distributed jobs: shard ranges equal the in-process batches, and every
// malformed, unknown or stale message is refused with its reason (no Redis needed here).

import test from 'ava';
import {
  blockVersion, checkTask, decodeBlock, decodePartial, encodeBlock, encodePartial, jobId, parseJob, parseTask, PROTOCOL, ProtocolError,
  shardHash, shardRanges, taskFields,
} from '../../src/distributed/index.js';
import type { CurvatureJob, Task } from '../../src/distributed/index.js';

const KINDS = ['curvature'];

function job(): CurvatureJob {
  const x = Float32Array.from({ length: 10 * 3 }, (_, i) => i / 7), y = Int32Array.from({ length: 10 }, (_, i) => i % 3);
  const ranges = shardRanges(10, 3);
  return {
    proto: PROTOCOL, kind: 'curvature',
    source: { model: '3-4-3:relu', activation: null, data: 'x.safetensors', samples: 10, shuffleSeed: null, matrix: 'hessian', layer: null, seed: 0, batchSize: null },
    n: 31, rows: 10, ranges, hashes: ranges.map(([b, e]) => shardHash(x, y, 3, b, e)), weights: ranges.map(([b, e]) => (e - b) / 10),
  };
}

test('shard ranges are the in-process batches of ⌈rows/S⌉ rows, in order; impossible cuts are refused', (t) => {
  t.deepEqual(shardRanges(10, 3), [[0, 4], [4, 8], [8, 10]]);
  t.deepEqual(shardRanges(256, 4), [[0, 64], [64, 128], [128, 192], [192, 256]]);
  t.deepEqual(shardRanges(5, 1), [[0, 5]]);
  // 10 rows in 4 shards of ⌈10/4⌉ = 3: the 4th would be [9, 10) — fine; 10 rows in 6 shards of 2: 5 only.
  t.deepEqual(shardRanges(10, 4).at(-1), [9, 10]);
  t.throws(() => shardRanges(10, 6), { instanceOf: RangeError, message: /non-empty shards/ });
  t.throws(() => shardRanges(10, 0), { instanceOf: RangeError });
});

test('a job round-trips; a tampered, unknown-kind or other-protocol job is refused with the reason', (t) => {
  const j = job();
  const id = jobId(j);
  t.deepEqual(parseJob(JSON.stringify(j), id, KINDS), j);
  t.throws(() => parseJob(JSON.stringify({ ...j, n: 32 }), id, KINDS), { instanceOf: ProtocolError, message: /does not match its id/ });
  const evil = { ...j, kind: 'eval' };
  t.throws(() => parseJob(JSON.stringify(evil), jobId(evil as CurvatureJob), KINDS), { instanceOf: ProtocolError, message: /unknown job kind 'eval'/ });
  const old = { ...j, proto: 99 };
  t.throws(() => parseJob(JSON.stringify(old), jobId(old), KINDS), { instanceOf: ProtocolError, message: /protocol 99/ });
  const badRanges = { ...j, ranges: [[0, 5], [5, 8], [8, 10]] as [number, number][] };
  t.throws(() => parseJob(JSON.stringify(badRanges), jobId(badRanges), KINDS), { instanceOf: ProtocolError, message: /standard shards/ });
  t.throws(() => parseJob('{not json', id, KINDS), { instanceOf: ProtocolError, message: /not JSON/ });
});

test('tasks: fields round-trip; wrong sizes, unknown kinds or ops, bad ids and dtypes are refused', (t) => {
  const j = job();
  const id = jobId(j);
  const task: Task = { proto: PROTOCOL, kind: 'curvature', op: 'apply', job: id, shard: 2, version: 'ab'.repeat(32), n: 31, b: 2, dtype: 'float32' };
  const f = taskFields(task);
  t.deepEqual(parseTask(f, KINDS), task);
  checkTask(parseTask(f, KINDS), j);
  const edit = (name: string, value: string) => { const g = [...f]; g[g.indexOf(name) + 1] = value; return g; };
  const refuse = (fields: string[], message: RegExp) => t.throws(() => checkTask(parseTask(fields, KINDS), j), { instanceOf: ProtocolError, message });
  refuse(edit('kind', 'shell'), /unknown job kind 'shell'/);
  refuse(edit('op', 'exec'), /unknown op 'exec'/);
  refuse(edit('proto', '2'), /protocol 2/);
  refuse(edit('dtype', 'float64'), /dtype 'float64'/);
  refuse(edit('job', 'x'.repeat(64)), /'job' is not a 64-digit hex id/);
  refuse(edit('b', '-1'), /field 'b'/);
  refuse(edit('b', '5000'), /field 'b'/);
  refuse(edit('b', '0'), /op apply with b = 0/);
  refuse(edit('n', '30'), /n = 30 but job .* has order 31/);
  refuse(edit('shard', '3'), /shard 3 but job .* has 3 shards/);
  refuse(edit('n', String(2 ** 30)), /exceed the .*-byte limit/);
  refuse(f.slice(0, 5), /fields/);
});

test('blocks and partials: round trip; stale versions, other sizes and truncated data are refused (never summed)', (t) => {
  const id = jobId(job());
  const rows = Float32Array.from({ length: 2 * 31 }, (_, i) => Math.sin(i));
  const version = blockVersion(id, rows, 2);
  t.is(version, blockVersion(id, Float32Array.from(rows), 2), 'the same vectors have the same version');
  t.not(version, blockVersion(id, Float32Array.from(rows, (v, i) => (i === 5 ? v + 1e-7 : v)), 2));
  const buf = encodeBlock({ version, n: 31, b: 2, rows });
  t.deepEqual(decodeBlock(buf, { version, n: 31, b: 2 }).rows, rows);
  t.throws(() => decodeBlock(buf, { version: 'cd'.repeat(32), n: 31, b: 2 }), { instanceOf: ProtocolError, message: /stale version/ });
  t.throws(() => decodeBlock(buf, { version, n: 31, b: 3 }), { instanceOf: ProtocolError, message: /2 vectors of 31 but the task says 3 of 31/ });
  t.throws(() => decodeBlock(buf.subarray(0, buf.length - 4), { version, n: 31, b: 2 }), { instanceOf: ProtocolError, message: /data bytes/ });
  t.throws(() => decodeBlock(Buffer.from('hello'), { version, n: 31, b: 2 }), { instanceOf: ProtocolError, message: /bad magic/ });
  const p = { op: 'apply' as const, shard: 1, version, n: 31, b: 2, data: rows };
  const pb = encodePartial(p);
  t.deepEqual(decodePartial(pb, p), p);
  t.throws(() => decodePartial(pb, { ...p, version: 'cd'.repeat(32) }), { instanceOf: ProtocolError, message: /stale version/ });
  t.throws(() => decodePartial(pb, { ...p, shard: 2 }), { instanceOf: ProtocolError, message: /expected shard 2/ });
  t.throws(() => decodePartial(pb, { ...p, op: 'value' }), { instanceOf: ProtocolError, message: /op code 0/ });
});
