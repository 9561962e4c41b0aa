// Learning-rate schedules: closed forms at chosen steps, and their validation.

import test from 'ava';
import { checkSchedule, scheduleFactor } from '../../src/optim/index.js';
import type { ScheduleSpec } from '../../src/optim/index.js';

const close = (a: number, b: number) => Math.abs(a - b) <= 4 * 2 ** -53 * Math.max(1, Math.abs(b));

test('schedule · constant, step', (t) => {
  t.is(scheduleFactor({ kind: 'constant' }, 123), 1);
  const s: ScheduleSpec = { kind: 'step', every: 10, gamma: 0.5 };
  t.deepEqual([1, 10, 11, 20, 21, 31].map((k) => scheduleFactor(s, k)), [1, 1, 0.5, 0.5, 0.25, 0.125]);
});

test('schedule · cosine from 1 to min over total steps, then flat', (t) => {
  const s: ScheduleSpec = { kind: 'cosine', total: 100, min: 0.1 };
  t.is(scheduleFactor(s, 1), 1);
  t.true(close(scheduleFactor(s, 51), 0.1 + 0.9 * 0.5));
  t.true(close(scheduleFactor(s, 101), 0.1));
  t.true(close(scheduleFactor(s, 500), 0.1));
  for (let k = 2; k <= 101; k++) t.true(scheduleFactor(s, k) <= scheduleFactor(s, k - 1));
});

test('schedule · linear warm-up then the inner schedule from its step 1', (t) => {
  const s: ScheduleSpec = { kind: 'warmup', steps: 4, then: { kind: 'step', every: 2, gamma: 0.1 } };
  const f = [1, 2, 3, 4, 5, 6, 7].map((k) => scheduleFactor(s, k));
  t.deepEqual(f.slice(0, 4), [0.25, 0.5, 0.75, 1]);
  t.is(f[4], 1);
  t.is(f[5], 1);
  t.true(close(f[6]!, 0.1));
  t.true(close(scheduleFactor({ kind: 'warmup', steps: 10, start: 0.5 }, 2), 0.6));
});

test('schedule · batch-size scaling, linear and square root', (t) => {
  t.is(scheduleFactor({ kind: 'batchScaling', batchSize: 512, baseBatchSize: 128, rule: 'linear' }, 7), 4);
  t.is(scheduleFactor({ kind: 'batchScaling', batchSize: 512, baseBatchSize: 128, rule: 'sqrt', then: { kind: 'step', every: 1, gamma: 0.5 } }, 2), 1);
});

test('schedule · bad specs name the field', (t) => {
  t.throws(() => checkSchedule({ kind: 'cosine' }), { instanceOf: TypeError, message: "schedule: expected a positive integer for 'schedule.total' but received undefined" });
  t.throws(() => checkSchedule({ kind: 'step', every: 0, gamma: 0.5 }), { instanceOf: RangeError, message: /'schedule.every'.*received 0/ });
  t.throws(() => checkSchedule({ kind: 'warmup', steps: 3, then: { kind: 'nope' } }), { instanceOf: RangeError, message: /'schedule.then.kind'/ });
  t.throws(() => checkSchedule({ kind: 'batchScaling', batchSize: 2, baseBatchSize: 1, rule: 'cube' }), { instanceOf: RangeError, message: /'schedule.rule'/ });
  t.throws(() => checkSchedule(null), { instanceOf: TypeError });
});

test('schedule · poly (t + t0)^−p and inverse time 1/(1 + γ(t − 1)), closed forms', (t) => {
  const poly: ScheduleSpec = { kind: 'poly', power: 0.5 };
  t.is(scheduleFactor(poly, 1), 1);
  t.true(close(scheduleFactor(poly, 4), 0.5));
  t.true(close(scheduleFactor({ kind: 'poly', power: 1, t0: 9 }, 1), 0.1));
  t.true(close(scheduleFactor({ kind: 'poly', power: 0.75, t0: 15 }, 1), 0.125));
  t.is(scheduleFactor({ kind: 'poly', power: 0 }, 1000), 1);
  const inv: ScheduleSpec = { kind: 'inverseTime', gamma: 0.5 };
  t.deepEqual([1, 2, 3, 5].map((k) => scheduleFactor(inv, k)), [1, 1 / 1.5, 0.5, 1 / 3]);
  t.is(scheduleFactor({ kind: 'inverseTime', gamma: 0 }, 77), 1);
  // They nest like the others: a warm-up into poly decay.
  t.true(close(scheduleFactor({ kind: 'warmup', steps: 2, then: poly }, 6), 0.5));
  t.throws(() => checkSchedule({ kind: 'poly' }), { instanceOf: TypeError, message: /'schedule.power'/ });
  t.throws(() => checkSchedule({ kind: 'poly', power: -1 }), { instanceOf: RangeError, message: /'schedule.power'.*received -1/ });
  t.throws(() => checkSchedule({ kind: 'poly', power: 1, t0: -1 }), { instanceOf: RangeError, message: /'schedule.t0'/ });
  t.throws(() => checkSchedule({ kind: 'inverseTime', gamma: Number.NaN }), { instanceOf: RangeError, message: /'schedule.gamma'.*NaN/ });
});
