// NaN propagates through every op with IEEE semantics (issue 18 item 5): relu(NaN) was 0 on all
// three backends, so a model with one NaN weight gave a finite loss and spectrum.

import test from 'ava';
import * as d from '../../src/index.js';
import { mustHave, testBackends } from '../helpers/backends.js';

const backends = [{ name: 'reference' as const, backend: d.reference, missing: null }, ...(await testBackends())];

for (const tb of backends) {
  const run = tb.backend || mustHave(tb.name as 'cpu' | 'webgpu') ? test : test.skip;
  const title = (what: string) => `${what} · ${tb.name}${tb.missing ? ` (skipped: ${tb.missing})` : ''}`;
  run(title('relu, max, min and the fused linear+relu keep NaN; comparisons with NaN are false'), async (t) => {
    if (!tb.backend) return t.fail(tb.missing!);
    const be = tb.backend;
    const x = d.tensor([NaN, -1, 0, 2], [4], { backend: be });
    const r = [...(await d.relu(x).data())];
    t.true(Number.isNaN(r[0]!), `relu(NaN) = ${r[0]}`);
    t.deepEqual(r.slice(1), [0, 0, 2]);
    const s = [...(await d.sign(x).data())];
    t.true(Number.isNaN(s[0]!), `sign(NaN) = ${s[0]}`);
    t.true(s[1] === -1 && s[2] === 0 && s[3] === 1, `sign(-1, 0, 2) = ${s.slice(1)}`); // ±0 alike
    t.true(Number.isNaN((await d.max(x).data())[0]!));
    t.true(Number.isNaN((await d.min(x).data())[0]!));
    t.deepEqual([...(await d.greater(x, d.tensor([0, 0, 0, 0], [4], { backend: be })).data())], [0, 0, 0, 1]);
    // Fused matmul + relu: a NaN weight reaches the output it feeds.
    const a = d.tensor([1, 1, 1, 1], [2, 2], { backend: be });
    const w = d.tensor([NaN, 1, -1, 1], [2, 2], { backend: be });
    const y = [...(await d.linear(a, w, undefined, 'relu').data())];
    t.true(Number.isNaN(y[0]!) && Number.isNaN(y[2]!), `linear relu: ${y}`);
    t.deepEqual([y[1], y[3]], [2, 2]);
  });
  run(title('an MLP loss with one NaN weight is NaN'), async (t) => {
    if (!tb.backend) return t.fail(tb.missing!);
    const be = tb.backend;
    const net = new d.MLP([3, 4, 2]);
    const p = await (await net.init({ seed: 1 }).data());
    p[0] = NaN;
    const params = d.tensor(p, [p.length], { backend: be });
    const x = d.randomNormal([5, 3], { seed: 2, backend: be });
    const labels = d.tensor(new Int32Array([0, 1, 0, 1, 1]), [5], { backend: be });
    const loss = d.softmaxCrossEntropy(net.apply(params, x), labels);
    t.true(Number.isNaN((await loss.data())[0]!));
  });
}
