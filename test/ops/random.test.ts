// The shared Philox4x32-10 generator: known-answer vectors and stream properties.

import test from 'ava';
import { normal, philox4x32, rademacher, Rng, uniform } from '../../src/random.js';

const hex = (a: Uint32Array) => Array.from(a, (x) => x.toString(16).padStart(8, '0')).join(' ');

test('philox4x32-10 · Random123 known-answer vectors', (t) => {
  t.is(hex(philox4x32(0, 0, 0, 0, 0, 0)), '6627e8d5 e169c58d bc57ac4c 9b00dbd8');
  t.is(hex(philox4x32(0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff)), '408f276d 41c83b0e a20bc7c6 6d5451fd');
  t.is(hex(philox4x32(0xa4093822, 0x299f31d0, 0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344)), 'd16cfe09 94fdcceb 5001e420 24126ea1');
});

test('streams · an element depends only on (seed, stream, index)', (t) => {
  const whole = normal(5, 103);
  t.deepEqual(Array.from(normal(5, 50, 53)), Array.from(whole.subarray(53)));
  t.notDeepEqual(Array.from(normal(5, 8, 0, 1)), Array.from(whole.subarray(0, 8)));
  const rng = new Rng(5);
  t.deepEqual(Array.from(rng.normal(4)), Array.from(whole.subarray(0, 4)));
  t.deepEqual(Array.from(rng.normal(4)), Array.from(whole.subarray(4, 8)));
});

test('rademacher · one bit per sign, a function of (seed, stream, index) alone', (t) => {
  const whole = rademacher(7, 1000, 0, 3);
  t.deepEqual(Array.from(rademacher(7, 301, 260, 3)), Array.from(whole.subarray(260, 561)));
  t.deepEqual(Array.from(rademacher(7, 5, 127, 3)), Array.from(whole.subarray(127, 132)));
  // Element 37 is bit 5 of word 1 of block 0.
  const w = philox4x32(7, 0, 0, 0, 3, 0);
  t.is(whole[37], (w[1]! >>> 5) & 1 ? -1 : 1);
  t.notDeepEqual(Array.from(rademacher(7, 64, 0, 4)), Array.from(whole.subarray(0, 64)));
});

test('moments · within 5 standard errors for n = 2^16', (t) => {
  const n = 1 << 16, se = 1 / Math.sqrt(n);
  const z = normal(1, n), u = uniform(2, n), r = rademacher(3, n);
  const mean = (a: Float32Array) => a.reduce((s, v) => s + v, 0) / n;
  const m2 = (a: Float32Array) => a.reduce((s, v) => s + v * v, 0) / n;
  t.true(Math.abs(mean(z)) < 5 * se);
  t.true(Math.abs(m2(z) - 1) < 5 * Math.SQRT2 * se);
  t.true(Math.abs(mean(u) - 0.5) < 5 * se / Math.sqrt(12));
  t.true(u.every((v) => v > 0 && v < 1));
  t.true(Math.abs(mean(r)) < 5 * se && r.every((v) => v === 1 || v === -1));
});

test('errors · bad seeds name the argument', (t) => {
  t.throws(() => normal(-1, 3), { instanceOf: RangeError, message: "normal: expected a non-negative safe integer for 'seed' but received -1" });
  t.throws(() => new Rng(1).int(0), { instanceOf: RangeError, message: /Rng.int: expected an integer in \[1, 2\^32\] for 'bound'/ });
});
