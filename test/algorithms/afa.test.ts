// Paper 14 (AFA): the zero-init identity (step 0 = uniform feature average), routing with a
// saturated aggregator reproduces one expert, identical experts average to themselves, and the
// quick `afa-ensemble` experiment.

import test from 'ava';
import { MLP, randomNormal, tensor } from '../../src/index.js';
import { afaExperiment, afaForward, createAggregators, runExperiment, uniformFeatureAverage } from '../../src/algorithms/index.js';

const net = new MLP([5, 16, 16, 3], { activation: 'relu' });

for (const m of [2, 3]) {
  test(`zero-initialised aggregators give the uniform feature average exactly (M = ${m})`, (t) => {
    const experts = net.init({ seed: 1, replicas: m });
    const x = randomNormal([32, 5], { seed: 2 }), emb = randomNormal([32, 4], { seed: 3 });
    const { aggregators, params } = createAggregators(net, m, 4, { seed: 4 });
    const out = afaForward(net, experts, aggregators, params, x, emb);
    const uni = uniformFeatureAverage(net, experts, m, x).dataSync(), got = out.output.dataSync();
    // softmax(0) = 1/M: exact for M = 2 (a·½ + b·½ = (a + b)/2); for M = 3 the weight 1/3 rounds (≤ 1 ulp per term, 3 layers)
    const tol = m === 2 ? 0 : 16 * 2 ** -24 * Math.max(...Array.from(uni, Math.abs));
    let worst = 0;
    for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i]! - uni[i]!));
    t.true(worst <= tol, `max |diff| ${worst} > ${tol}`);
    for (const w of out.weights) t.true(Array.from(w.dataSync()).every((v) => Math.abs(v - 1 / m) < 1e-7));
  });
}

test('a saturated aggregator routes to one expert: the output is that expert alone', (t) => {
  const experts = net.init({ seed: 5, replicas: 2 });
  const x = randomNormal([16, 5], { seed: 6 }), emb = randomNormal([16, 2], { seed: 7 });
  const { aggregators, params } = createAggregators(net, 2, 2, { seed: 8 });
  const host = Float32Array.from(params.dataSync());
  aggregators.models.forEach((g, l) => {
    const b2 = g.layout.get('b2');
    host[aggregators.offsets[l]! + b2.offset] = 60; // logit gap 120: the other weight is e^-120 = 0 in float32
    host[aggregators.offsets[l]! + b2.offset + 1] = -60;
  });
  const out = afaForward(net, experts, aggregators, tensor(host, [aggregators.size]), x, emb).output.dataSync();
  const p0 = tensor(Float32Array.from(experts.dataSync()).slice(0, net.size), [net.size]);
  const want = net.apply(p0, x).dataSync();
  // population (batched matmul + bias add) vs single-arena fused linear: float32 rounding of 16-term dot products
  for (let i = 0; i < out.length; i++) t.true(Math.abs(out[i]! - want[i]!) <= 1e-5 * Math.max(1, Math.abs(want[i]!)), `${i}: ${out[i]} vs ${want[i]}`);
});

test('identical experts: the uniform feature average is the expert itself', (t) => {
  const one = Float32Array.from(net.init({ seed: 9 }).dataSync());
  const both = new Float32Array(2 * net.size);
  both.set(one, 0); both.set(one, net.size);
  const x = randomNormal([8, 5], { seed: 10 });
  const got = uniformFeatureAverage(net, tensor(both, [2, net.size]), 2, x).dataSync();
  const want = net.apply(tensor(both, [2, net.size]), x).dataSync().slice(0, 8 * 3);
  t.deepEqual(Array.from(got), Array.from(want));
});

test('afa-ensemble experiment (quick): metrics present, every check holds', async (t) => {
  const res = await runExperiment(afaExperiment, { quick: true });
  const m = res.metrics as Record<string, unknown>;
  const loss = m['loss'] as Record<string, number>;
  for (const k of ['ensemble', 'expertA', 'expertB', 'uniform']) t.true(Number.isFinite(loss[k]!), k);
  t.is(m['stepZeroEqualsUniform'], 0);
  for (const c of res.checks) t.true(c.pass, `${c.name}: ${JSON.stringify(c.observed)}`);
});
