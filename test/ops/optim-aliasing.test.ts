// Optimizer steps write p and their state in place: arguments that share memory are refused
// with one message on every backend (issue 18 item 2: on webgpu `new SGD(x).step(x)` zeroed x,
// dropped the whole pending batch and failed the next, unrelated op).

import test from 'ava';
import * as d from '../../src/index.js';
import { mustHave, testBackends } from '../helpers/backends.js';

const backends = [{ name: 'reference' as const, backend: d.reference, missing: null }, ...(await testBackends())];

for (const tb of backends) {
  const title = (what: string) => `${what} · ${tb.name}${tb.missing ? ` (skipped: ${tb.missing})` : ''}`;
  const run = tb.backend ? test : mustHave(tb.name as 'cpu' | 'webgpu') ? test : test.skip;
  run(title('a step with the parameters as their own gradient throws and changes nothing'), async (t) => {
    if (!tb.backend) return t.fail(tb.missing!);
    const x = d.tensor([1, 2, 3, 4], [4], { backend: tb.backend });
    const opt = new d.SGD(x, { lr: 0.1, momentum: 0.9 });
    t.throws(() => opt.step(x), { instanceOf: RangeError, message: /sgdStep: expected .*'p'.*'g'/ });
    // Nothing was recorded: x is intact, and the next op works.
    t.deepEqual([...(await x.data())], [1, 2, 3, 4]);
    t.deepEqual([...(await d.mul(x, 2).data())], [2, 4, 6, 8]);
  });
  run(title('a gradient that is a view of the parameters is refused'), async (t) => {
    if (!tb.backend) return t.fail(tb.missing!);
    const arena = d.tensor([1, 2, 3, 4, 5, 6, 7, 8], [8], { backend: tb.backend });
    const p = d.slice(arena, [0], [4]);
    const g = d.slice(arena, [2], [4]);
    const opt = new d.Adam(p, { lr: 0.1 });
    t.throws(() => opt.step(g), { instanceOf: RangeError, message: /adamStep: expected an output that shares no memory with 'g' for 'p'/ });
  });
}
