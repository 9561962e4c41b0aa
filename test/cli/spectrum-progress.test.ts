// The progress bar used by the spectrum job (and any other job): text, ETA, and how often it
// writes on a terminal and in a log.

import test from 'ava';
import { Progress, formatDuration } from '../../src/cli/progress.js';

function fakeStream(tty: boolean) {
  const writes: string[] = [];
  return { writes, stream: { isTTY: tty, columns: 200, write: (s: string) => { writes.push(s); return true; } } };
}

test('formatDuration · seconds, minutes, hours', (t) => {
  t.is(formatDuration(0.44), '0.4s');
  t.is(formatDuration(59.94), '59.9s');
  t.is(formatDuration(245), '4m05s');
  t.is(formatDuration(3725), '1h02m');
  t.is(formatDuration(NaN), '--');
});

test('Progress · ETA from the rate since start, resumed work excluded', (t) => {
  let now = 0;
  const { stream } = fakeStream(true);
  const bar = new Progress({ total: 100, label: 'job', stream, now: () => now });
  bar.start(40);
  t.true(Number.isNaN(bar.eta));
  now = 2000;
  bar.update(50, 'phase a');
  // 10 units in 2 s: 50 left take 10 s.
  t.is(bar.eta, 10);
  t.is(bar.line(), 'job [############............]  50% 50/100  2.0s  ETA 10.0s  phase a');
  bar.finish();
  t.regex(bar.line(), /100% 100\/100 {2}2\.0s {2}done/);
});

test('Progress · redraws in place on a terminal at most every minIntervalMs', (t) => {
  let now = 0;
  const { stream, writes } = fakeStream(true);
  const bar = new Progress({ total: 10, stream, now: () => now, minIntervalMs: 100 });
  bar.start();
  for (let i = 1; i <= 10; i++) { now += 30; bar.tick(); }
  bar.finish();
  t.true(writes.every((w) => w.startsWith('\r\x1b[2K')));
  t.true(writes.length < 8, `${writes.length} writes`);
  t.true(writes.at(-1)!.endsWith('\n'));
});

test('Progress · in a log, one line per tenth of the work', (t) => {
  let now = 0;
  const { stream, writes } = fakeStream(false);
  const bar = new Progress({ total: 1000, stream, now: () => now });
  bar.start();
  for (let i = 0; i < 1000; i++) { now += 1; bar.tick(); }
  bar.finish();
  t.is(writes.length, 11);
  t.true(writes.every((w) => !w.includes('\r') && w.endsWith('\n')));
  const quiet = fakeStream(false);
  const off = new Progress({ total: 5, stream: quiet.stream, enabled: false });
  off.start();
  off.tick(5);
  off.finish();
  t.is(quiet.writes.length, 0);
  t.throws(() => new Progress({ total: -1 }), { instanceOf: RangeError, message: "Progress: expected an integer ≥ 0 for 'opts.total' but received -1" });
});
