// startComputeThread (src/distributed/compute-thread.ts): a thread serving the named handlers
// of a TypeScript module (loaded through tsx in the thread), with init, buffers moved both
// ways, handler errors as rejections, the native cpu addon in the thread (bit-identical to
// the main thread's product), the caller's event loop running during a synchronous handler,
// close() rejecting what is pending, and a thread that dies failing its calls with the reason.

import test from 'ava';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { threadId } from 'node:worker_threads';
import { startComputeThread } from '../../src/distributed/compute-thread.js';
import { initBackend } from '../../src/backend/backend.js';
import { tensor } from '../../src/ops/creation.js';
import { matmul } from '../../src/ops/matmul.js';
import '../../src/backends.js';

const HANDLERS = new URL('./worker-handlers.ts', import.meta.url);

test.serial('calls, init, moved buffers, errors, the cpu addon in the thread, a live caller loop, close', async (t) => {
  const ct = await startComputeThread(HANDLERS, { scale: 3 });
  try {
    const who = await ct.call<{ threadId: number; scale: number }>('whoami');
    t.is(who.scale, 3);
    t.not(who.threadId, threadId);
    t.is(who.threadId, ct.threadId);

    const x = Float32Array.from([1, 2, -4.5]);
    const y = await ct.call<Float32Array>('scale', [x], [x.buffer]);
    t.is(x.length, 0, 'the argument\'s buffer moved to the thread (detached here)');
    t.deepEqual(Array.from(y), [3, 6, -13.5]);

    const err = await t.throwsAsync(ct.call('fail', ['on purpose']));
    t.is(err!.message, 'fail: on purpose');
    t.is(err!.name, 'RangeError');
    await t.throwsAsync(ct.call('nothing'), { message: /exports no handler 'nothing'/ });
    await t.throwsAsync(ct.call('init', [{}]), { message: /expected a handler name \(not 'init'\)/ });

    // The native addon in the thread: the same product bits as here.
    const m = 37, k = 53, n = 11;
    const a = Float32Array.from({ length: m * k }, (_, i) => Math.sin(i * 0.31));
    const b = Float32Array.from({ length: k * n }, (_, i) => Math.cos(i * 0.17));
    const there = await ct.call<Float32Array>('cpuMatmul', [a, b, m, k, n]);
    const be = await initBackend('cpu');
    const here = await matmul(tensor(a, [m, k], { backend: be }), tensor(b, [k, n], { backend: be })).data();
    t.deepEqual(Array.from(there), Array.from(here));

    // A synchronous 600 ms handler: this loop keeps ticking meanwhile.
    const h = monitorEventLoopDelay({ resolution: 10 });
    h.enable();
    let ticks = 0;
    const timer = setInterval(() => { ticks++; }, 20);
    const t0 = performance.now();
    const iters = await ct.call<number>('spin', [600]);
    const took = performance.now() - t0;
    clearInterval(timer);
    h.disable();
    t.true(iters > 0);
    t.true(took >= 600);
    // At least a quarter of the 20 ms ticks the spin's length allows (a blocked loop would give 0 or 1).
    t.true(ticks >= Math.floor(took / 20 / 4), `${ticks} ticks in ${took.toFixed(0)} ms; max event-loop delay ${(h.max / 1e6).toFixed(0)} ms`);
    t.log(`${ticks} ticks of 20 ms during a 600 ms handler (${took.toFixed(0)} ms); event-loop delay max ${(h.max / 1e6).toFixed(1)} ms, mean ${(h.mean / 1e6).toFixed(1)} ms`);

    // close() while a call is in flight: it rejects; later calls reject.
    const inFlight = ct.call('spin', [5000]);
    await ct.close();
    await t.throwsAsync(inFlight, { message: /spin: the thread was closed/ });
    await t.throwsAsync(ct.call('whoami'), { message: /closed/ });
  } finally {
    await ct.close();
  }
});

test('a failing init or a missing module rejects startComputeThread with the reason', async (t) => {
  await t.throwsAsync(startComputeThread(HANDLERS, { scale: -1 }), { message: /startComputeThread\(worker-handlers\.ts\): init: expected scale > 0 but received -1/ });
  await t.throwsAsync(startComputeThread(new URL('./no-such-module.ts', import.meta.url)), { message: /startComputeThread\(no-such-module\.ts\): .*Cannot find module/ });
  await t.throwsAsync(startComputeThread('relative/path.js'), { message: /expected an absolute URL/ });
});

test('a thread that dies rejects the call in flight and every later call with the reason', async (t) => {
  const ct = await startComputeThread(HANDLERS, { scale: 1 });
  try {
    t.true(ct.alive);
    await t.throwsAsync(ct.call('exit', [3]), { message: /compute thread worker-handlers\.ts: exit: the thread exited \(code 3\)/ });
    t.false(ct.alive);
    t.is(ct.pending, 0);
    await t.throwsAsync(ct.call('whoami'), { message: /whoami: the thread exited \(code 3\)/ });
  } finally {
    await ct.close();
  }
});
