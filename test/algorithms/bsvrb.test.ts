// Paper 9: BSVRB v2's pieces against exact statements (float64, small problem): the block
// population's derivatives equal each block's own, the exact hypergradient against finite
// differences of F(x) = (1/m)Σf_i(y_i*(x)), the MSVR/STORM bookkeeping, and the quick run.

import test from 'ava';
import * as d from '../../src/index.js';
import { runExperiment } from '../../src/algorithms/experiment.js';
import { bsvrbExperiment, bsvrbStep, disposeBsvrb, exactHypergradient, hoLowerLoss, hoProblem, initBsvrb, sampleBlocks } from '../../src/algorithms/bsvrb/index.js';

const small = () => hoProblem({ n: 40, nVal: 30, d: 4, m: 3, noise: 0.1, lambda: 0.05, seed: 3, dtype: 'float64' });

test('exact hypergradient against central differences of F(x) = (1/m)Σ f_i(y_i*(x)) (Newton to machine precision)', (t) => {
  const pr = small();
  const x = d.tensor(Float64Array.from({ length: 40 }, (_, j) => 0.3 * Math.sin(j)), [40], { dtype: 'float64' });
  const ex = exactHypergradient(pr, x, undefined, 12);
  // h = 1e-4: truncation h²|F‴| ≲ 1e-9, rounding u·|F|/h ≈ 1e-12.
  const h = 1e-4;
  for (const j of [7, 23]) {
    const e = new Float64Array(40);
    e[j] = h;
    const Fp = exactHypergradient(pr, d.add(x, d.tensor(e, [40], { dtype: 'float64' })), undefined, 12).F;
    const Fm = exactHypergradient(pr, d.sub(x, d.tensor(e, [40], { dtype: 'float64' })), undefined, 12).F;
    t.true(Math.abs(ex.grad[j]! - (Fp - Fm) / (2 * h)) < 1e-8, `∂F/∂x_${j}: ${ex.grad[j]} vs ${(Fp - Fm) / (2 * h)}`);
  }
});

test('blocks as a population: the mixed product of the summed loss with a masked V is Σ over the unmasked blocks', (t) => {
  const pr = small();
  const x = d.zeros([40], { dtype: 'float64' });
  const Y = d.tensor(Float64Array.from({ length: 12 }, (_, k) => Math.cos(k)), [3, 4], { dtype: 'float64' });
  const V = d.tensor(Float64Array.from({ length: 12 }, (_, k) => Math.sin(k + 1)), [3, 4], { dtype: 'float64' });
  const mask = d.tensor([1, 0, 1], [3, 1], { dtype: 'float64' });
  const all = d.mixedHvp((a, y) => hoLowerLoss(pr, a, y, null), x, Y, d.mul(V, mask)).dataSync();
  const sumBlocks = new Float64Array(40);
  for (const i of [0, 2]) {
    const Vi = d.mul(V, d.tensor(Float64Array.from({ length: 3 }, (_, k) => (k === i ? 1 : 0)), [3, 1], { dtype: 'float64' }));
    const part = d.mixedHvp((a, y) => hoLowerLoss(pr, a, y, null), x, Y, Vi).dataSync();
    part.forEach((v, j) => { sumBlocks[j] += v; });
  }
  all.forEach((v, j) => t.true(Math.abs(v - sumBlocks[j]!) < 1e-15));
});

test('sampleBlocks: I distinct blocks, reproducible', (t) => {
  const a = sampleBlocks(20, 5, 1, 7), b = sampleBlocks(20, 5, 1, 7);
  t.deepEqual(a, b);
  t.is(new Set(a).size, 5);
  t.true(a.every((i) => i >= 0 && i < 20));
});

test('bsvrbStep: unsampled blocks keep y, v, s, u; the first step sets s = ∇_y g on the sampled blocks', (t) => {
  const pr = small();
  const st = initBsvrb(pr, d.zeros([40], { dtype: 'float64' }));
  const o = { I: 1, B: 8, alpha: 0.9, gamma: 1, beta: 0.9, tau: 0.5, tauV: 0.5, eta: 1, vBound: 10, seed: 4 };
  const chosen = sampleBlocks(3, 1, o.seed, 0)[0]!;
  bsvrbStep(pr, st, o);
  const S = st.S.dataSync(), Y = st.Y.dataSync();
  for (let i = 0; i < 3; i++) {
    const rowS = Array.from(S.slice(i * 4, i * 4 + 4)), rowY = Array.from(Y.slice(i * 4, i * 4 + 4));
    if (i === chosen) {
      t.true(rowS.some((v) => v !== 0));
      // y ← y − τ·dc·s with dc = 1 at t = 0.
      rowY.forEach((v, k) => t.true(Math.abs(v + 0.5 * rowS[k]!) < 1e-15));
    } else {
      t.true(rowS.every((v) => v === 0) && rowY.every((v) => v === 0));
    }
  }
  t.is(st.last[chosen], 0);
  bsvrbStep(pr, st, o);
  t.is(st.t, 2);
  disposeBsvrb(st);
});

test('bsvrb experiment (quick): metric keys and checks', async (t) => {
  const r = await runExperiment(bsvrbExperiment, { quick: true });
  const m = r.metrics as Record<string, unknown>;
  t.true(Object.values(m.hypergradError as Record<string, number>).every(Number.isFinite));
  t.true((m.upperLoss as number[]).every(Number.isFinite));
  t.deepEqual(Object.keys(m.itersToEps as object).sort(), ['40', '8']);
  for (const c of r.checks) t.true(c.pass, `${c.name}: ${JSON.stringify(c.observed)}`);
});
