// Hidden features (src/nn/features.ts): layer-by-layer evaluation equals MLP.apply for a single
// arena and for a population arena, on every backend against reference.

import test from 'ava';
import { MLP, mlpFeatures, mlpLayer, randomNormal, toBackend } from '../../src/index.js';
import { testBackends } from '../helpers/backends.js';

for (const activation of ['relu', 'tanh'] as const) {
  test(`mlpFeatures (${activation}): the last entry is apply(), hidden entries are act(h·W + b) (cpu, exact op sequence)`, (t) => {
    const net = new MLP([3, 5, 4, 2], { activation });
    const p = net.init({ seed: 1 }), x = randomNormal([6, 3], { seed: 2 });
    const feats = mlpFeatures(net, p, x);
    t.deepEqual(feats.map((f) => f.shape), [[6, 5], [6, 4], [6, 2]]);
    t.deepEqual(Array.from(feats[2]!.dataSync()), Array.from(net.apply(p, x).dataSync()));
    t.deepEqual(Array.from(mlpLayer(net, p, 3, mlpLayer(net, p, 2, feats[0]!)).dataSync()), Array.from(feats[2]!.dataSync()));
    // population arena [R, P] with shared inputs and with per-replica inputs
    const pp = net.init({ seed: 3, replicas: 2 });
    const fp = mlpFeatures(net, pp, x);
    t.deepEqual(fp.map((f) => f.shape), [[2, 6, 5], [2, 6, 4], [2, 6, 2]]);
    t.deepEqual(Array.from(fp[2]!.dataSync()), Array.from(net.apply(pp, x).dataSync()));
  });
}

test('mlpLayer names its arguments in errors', (t) => {
  const net = new MLP([3, 4, 2]);
  const p = net.init({ seed: 0 });
  t.throws(() => mlpLayer(net, p, 3, randomNormal([1, 3], { seed: 0 })), { message: /mlpLayer.*'l'/ });
  t.throws(() => mlpLayer(net, p, 1, randomNormal([1, 4], { seed: 0 })), { message: /mlpLayer: expected features of shape \[\.\.\., 3\] for 'h'/ });
});

test('mlpFeatures on each backend matches reference within float32 dot-product rounding', async (t) => {
  const net = new MLP([3, 8, 2], { activation: 'tanh' });
  const p = net.init({ seed: 5, replicas: 2 }), x = randomNormal([2, 4, 3], { seed: 6 });
  const ref = mlpFeatures(net, await toBackend(p, 'reference'), await toBackend(x, 'reference')).map((f) => f.dataSync());
  for (const b of await testBackends()) {
    if (!b.backend) { t.log(`${b.name} skipped: ${b.missing}`); continue; }
    const got = mlpFeatures(net, await toBackend(p, b.backend), await toBackend(x, b.backend));
    for (let k = 0; k < got.length; k++) {
      const g = await got[k]!.data();
      // k ≤ 8 products per output, |terms| ≲ 3: error ≤ 8·2⁻²⁴·3·(depth)
      g.forEach((v, i) => t.true(Math.abs(v - ref[k]![i]!) < 1e-5, `${b.name} layer ${k} [${i}]: ${v} vs ${ref[k]![i]}`));
    }
  }
});
