// Paper 9: BSVRB v2's pieces against exact statements (float64, small problem): the block
// population's derivatives equal each block's own, the exact hypergradient against finite
// differences of F(x) = (1/m)Σf_i(y_i*(x)), the MSVR/STORM bookkeeping, and the quick run.

import test from 'ava';
import * as d from '../../src/index.js';
import { runExperiment } from '../../src/algorithms/experiment.js';
import {
  blockHessians, bsvrbExperiment, bsvrbStep, bsvrbV1Step, clipEigenvalues, disposeBsvrb, exactHypergradient, hoLowerLoss, hoProblem, initBsvrb, initBsvrbV1, sampleBlocks, upperValue,
} from '../../src/algorithms/bsvrb/index.js';

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

test('v1 pieces: block Hessians against finite differences of the gradient; Π leaves a positive definite H unchanged and floors the rest', (t) => {
  const pr = small();
  const x = d.zeros([40], { dtype: 'float64' });
  const Ys = Float64Array.from({ length: 12 }, (_, k) => 0.3 * Math.cos(k));
  const H = blockHessians(pr, x, d.tensor(Ys, [3, 4], { dtype: 'float64' }), null);
  const h = 1e-4;
  for (const [i, c] of [[0, 1], [2, 3]] as const) {
    const at = (s: number) => { const y = Ys.slice(); y[i * 4 + c] += s * h; return d.grad((z: d.Tensor) => hoLowerLoss(pr, x, z, null))(d.tensor(y, [3, 4], { dtype: 'float64' })).dataSync(); };
    const p = at(1), m = at(-1);
    for (let r = 0; r < 4; r++) t.true(Math.abs(H[i]![r * 4 + c]! - (p[i * 4 + r]! - m[i * 4 + r]!) / (2 * h)) < 1e-8);
  }
  const same = clipEigenvalues(H[0]!, 4, 1e-6);
  same.forEach((v, k) => t.true(Math.abs(v - H[0]![k]!) < 1e-14));
  const floored = clipEigenvalues(Float64Array.of(1, 0, 0, -2), 2, 0.5);
  t.deepEqual(Array.from(floored).map((v) => Number(v.toFixed(12))), [1, 0, 0, 0.5]);
});

test('v1 and v2 both lower the upper loss on the same stream; their iterates stay close (d = 4)', (t) => {
  const pr = small();
  const o = { I: 2, B: 16, alpha: 0.9, gamma: 1, beta: 0.9, tau: 0.5, tauV: 0.5, eta: 5, vBound: 10, seed: 5 };
  const s1 = initBsvrbV1(pr, d.zeros([40], { dtype: 'float64' })), s2 = initBsvrb(pr, d.zeros([40], { dtype: 'float64' }));
  const F0 = upperValue(pr, s2.Y);
  for (let k = 0; k < 60; k++) { bsvrbV1Step(pr, s1, { ...o, hFloor: pr.lambda }); bsvrbStep(pr, s2, o); }
  const F1 = upperValue(pr, s1.Y), F2 = upperValue(pr, s2.Y);
  t.true(F1 < F0 && F2 < F0, `F0 ${F0}, v1 ${F1}, v2 ${F2}`);
  const a = s1.x.dataSync(), b = s2.x.dataSync();
  let num = 0, den = 0;
  for (let j = 0; j < 40; j++) { num += (a[j]! - b[j]!) ** 2; den += b[j]! ** 2; }
  t.log(`‖x_v1 − x_v2‖/‖x_v2‖ = ${Math.sqrt(num / den).toFixed(3)}; upper loss v1 ${F1.toFixed(4)}, v2 ${F2.toFixed(4)}`);
  t.true(Math.sqrt(num / den) < 1, 'the two variants move x in the same direction');
  disposeBsvrb(s1);
  disposeBsvrb(s2);
});

test('bsvrb experiment (quick): metric keys and checks', async (t) => {
  const r = await runExperiment(bsvrbExperiment, { quick: true });
  const m = r.metrics as Record<string, unknown>;
  t.true(Object.values(m.hypergradError as Record<string, number>).every(Number.isFinite));
  t.true((m.upperLoss as number[]).every(Number.isFinite));
  t.deepEqual(Object.keys(m.itersToEps as object).sort(), ['40', '8']);
  for (const c of r.checks) t.true(c.pass, `${c.name}: ${JSON.stringify(c.observed)}`);
});
