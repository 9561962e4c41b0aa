// Memory: every autodiff entry point frees what it allocates. A backend that counts live
// storages (the reference backend underneath) must return to its starting count once the
// results are disposed, as a GPU backend's pooled buffers would.

import test from 'ava';
import * as d from '../../src/index.js';
import type { Backend, Tensor } from '../../src/index.js';

function counting(): { backend: Backend; live: () => number } {
  const live = new Set<unknown>();
  const track = <T>(s: T): T => { if (s) live.add(s); return s; };
  const ops = Object.fromEntries(Object.entries(d.reference.ops).map(([k, f]) => [k, (...a: unknown[]) => track((f as (...b: unknown[]) => unknown)(...a))]));
  const backend = {
    ...d.reference,
    ops: ops as unknown as Backend['ops'],
    upload: (data: Parameters<Backend['upload']>[0]) => track(d.reference.upload(data)),
    free: (s: Parameters<Backend['free']>[0]) => { live.delete(s); d.reference.free(s); },
  };
  return { backend, live: () => live.size };
}

test('memory · grad, hvp, ggnvp, operators and per-example gradients leave no storage behind', (t) => {
  const { backend, live } = counting();
  const net = new d.MLP([4, 5, 3], { activation: 'gelu' });
  const o = { backend };
  const p = net.init({ seed: 1, backend });
  const x = d.randomNormal([6, 4], { seed: 2, ...o });
  const y = d.tensor([0, 1, 2, 0, 1, 2], undefined, { dtype: 'int32', ...o });
  const v = d.randomNormal([net.size], { seed: 3, ...o });
  const V = d.randomNormal([net.size, 3], { seed: 4, ...o });
  const loss = (q: Tensor) => d.softmaxCrossEntropy(net.apply(q, x), y);
  const start = live();
  const check = (what: string, run: () => Tensor[]) => {
    const out = run();
    for (const r of out) r.dispose();
    t.is(live(), start, what);
  };
  check('grad', () => [d.grad(loss)(p)]);
  check('valueAndGrad', () => { const r = d.valueAndGrad(loss)(p); return [r.value, r.grad]; });
  check('hvp', () => [d.hvp(loss, p, v)]);
  check('reverse-over-reverse', () => [d.grad((q: Tensor) => d.dot(d.grad(loss)(q), v))(p)]);
  check('ggnvp', () => [d.ggnvp((q) => net.apply(q, x), (z) => d.softmaxCrossEntropy(z, y), p, v)]);
  check('jvp', () => { const r = d.jvp((q) => net.apply(q, x), p, v); return [r.value, r.jvp]; });
  check('hessianOperator', () => {
    const H = d.hessianOperator(loss, p);
    const out = [H.apply(v), H.apply(V), H.gradient()];
    const res = out.map((r) => d.add(r, 0));
    H.dispose();
    for (const r of out) r.dispose();
    return res;
  });
  check('modelGGN with batches and a block', () => {
    const G = d.modelGGN(net, d.softmaxCrossEntropy, p, { x, y }, { batchSize: 4, block: 2 });
    const r = G.apply(d.slice(V, [net.layerRange(2).begin, 0], [G.size, 3]));
    G.dispose();
    return [r];
  });
  check('modelHessian without caching', () => {
    const H = d.modelHessian(net, d.softmaxCrossEntropy, p, { x, y }, { batchSize: 4, cache: false });
    const r = H.apply(v);
    H.dispose();
    return [r];
  });
  check('pullback and linearize', () => {
    const pb = d.pullback((q) => net.apply(q, x), p);
    const lin = d.linearize((q) => net.apply(q, x), p);
    const u = d.onesLike(pb.value);
    const out = [pb.apply(u), lin.apply(v), u];
    pb.dispose();
    lin.dispose();
    return out;
  });
  check('perExampleGradients', () => [d.perExampleGradients(net, d.softmaxCrossEntropy, p, x, y)]);
});
