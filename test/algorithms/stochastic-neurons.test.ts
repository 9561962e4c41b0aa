// Paper 18: the stochastic-neuron ops and estimators against exact statements (2ⁿ-state
// enumeration in float64), and the experiment's quick run.

import test from 'ava';
import * as d from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { runExperiment } from '../../src/algorithms/experiment.js';
import {
  binaryProblem, binaryStates, exactEstimatorStats, exactGradient, exactOptimalBaseline, MovingBaseline, noisyRectifier, perSampleGradients,
  reinforceSurrogate, stochasticNeuronsExperiment, stochasticTimesSmooth, straightThrough,
} from '../../src/algorithms/stochastic-neurons/index.js';

const F64 = { dtype: 'float64' } as const;
const t64 = (xs: number[], shape?: number[]) => d.tensor(Float64Array.from(xs), shape ?? [xs.length], F64);

test('straight-through: forward 1[u < sigm(a)], backward ∂L/∂h (identity) or ∂L/∂h·sigm′(a)', (t) => {
  const a = t64([-1, 0.5, 2]), u = t64([0.2, 0.7, 0.3]), w = t64([2, 3, 5]);
  t.deepEqual(Array.from(straightThrough(a, u).dataSync()), [1, 0, 1]); // sigm = 0.269, 0.622, 0.881
  t.deepEqual(Array.from(d.grad((z: Tensor) => d.sum(d.mul(w, straightThrough(z, u, 'identity'))))(a).dataSync()), [2, 3, 5]);
  const g = d.grad((z: Tensor) => d.sum(d.mul(w, straightThrough(z, u))))(a).dataSync();
  [-1, 0.5, 2].forEach((ai, i) => { const p = 1 / (1 + Math.exp(-ai)); t.true(Math.abs(g[i]! - [2, 3, 5][i]! * p * (1 - p)) < 1e-15); });
});

test('STS: E[h] = sigm(a) exactly over b; the gradient flows through √p with b fixed', (t) => {
  const a = t64([0.3]);
  const p = 1 / (1 + Math.exp(-0.3)), r = Math.sqrt(p);
  const h1 = stochasticTimesSmooth(a, t64([0])).dataSync()[0]!, h0 = stochasticTimesSmooth(a, t64([1])).dataSync()[0]!;
  t.is(h0, 0);
  t.true(Math.abs(r * h1 + (1 - r) * h0 - p) < 1e-15);
  const g = d.grad((z: Tensor) => d.sum(stochasticTimesSmooth(z, t64([0]))))(a).dataSync()[0]!;
  t.true(Math.abs(g - p * (1 - p) / (2 * r)) < 1e-15);
});

test('noisy rectifier: max(0, a + σz) and its gradient 1[a + σz > 0]', (t) => {
  const a = t64([-0.5, 0.2]), z = t64([1, -1]);
  t.deepEqual(Array.from(noisyRectifier(a, z, 0.3).dataSync()).map((v) => Number(v.toFixed(12))), [0, 0]);
  t.deepEqual(Array.from(d.grad((x: Tensor) => d.sum(noisyRectifier(x, z, 1)))(a).dataSync()), [1, 0]);
  t.throws(() => noisyRectifier(a, z, -1), { message: /noisyRectifier: expected a finite σ ≥ 0/ });
});

test('REINFORCE is unbiased: its expectation over the 2⁸ states equals the exact gradient (any baseline)', (t) => {
  const pr = binaryProblem(8, 4, 3);
  const g = exactGradient(pr);
  for (const b of [null, exactOptimalBaseline(pr), Float64Array.from({ length: 8 }, () => 7)]) {
    const st = exactEstimatorStats(pr, 'reinforce', g, b);
    t.true(Math.abs(st.cosine - 1) < 1e-14, `cosine ${st.cosine}`);
    st.mean.forEach((m, i) => t.true(Math.abs(m - g[i]!) <= 1e-12 * Math.max(1, Math.abs(g[i]!))));
  }
  // The exact gradient itself against a host enumeration: ∂E[L]/∂a_i = sigm′(a_i)(E[L | h_i = 1] − E[L | h_i = 0]).
  const S = binaryStates(8), p = Array.from(pr.a, (v) => 1 / (1 + Math.exp(-v)));
  const L = (k: number) => { let tot = 0; for (let o = 0; o < 4; o++) { let z = -pr.y[o]!; for (let i = 0; i < 8; i++) z += pr.W[o * 8 + i]! * S[k * 8 + i]!; tot += z * z; } return tot; };
  for (let i = 0; i < 8; i++) {
    let e1 = 0, e0 = 0;
    for (let k = 0; k < 256; k++) {
      let w = 1;
      for (let j = 0; j < 8; j++) if (j !== i) w *= S[k * 8 + j] ? p[j]! : 1 - p[j]!;
      if (S[k * 8 + i]) e1 += w * L(k); else e0 += w * L(k);
    }
    t.true(Math.abs(g[i]! - p[i]! * (1 - p[i]!) * (e1 - e0)) < 1e-12);
  }
});

test('the variance-minimising baseline minimises each unit\'s variance among constant baselines (exact)', (t) => {
  const pr = binaryProblem(8, 4, 5);
  const g = exactGradient(pr), b = exactOptimalBaseline(pr);
  const best = exactEstimatorStats(pr, 'reinforce', g, b).variance;
  for (const shift of [-1, -0.1, 0.1, 1]) {
    const other = exactEstimatorStats(pr, 'reinforce', g, b.map((v) => v + shift)).variance;
    t.true(other > best, `shift ${shift}: ${other} ≤ ${best}`);
  }
});

test('Monte Carlo REINFORCE: cosine → 1 as samples grow (2⁸-state exact gradient)', (t) => {
  const pr = binaryProblem(8, 4, 1);
  const g = exactGradient(pr), b = d.tensor(exactOptimalBaseline(pr), [8], F64);
  const U = d.randomUniform([20000, 8], { seed: 2, stream: d.stream('paper18', 7), dtype: 'float64' });
  const G = perSampleGradients(pr, 'reinforce', U, b).dataSync();
  const cosAt = (S: number) => {
    const m = new Float64Array(8);
    for (let j = 0; j < S; j++) for (let i = 0; i < 8; i++) m[i] += G[j * 8 + i]! / S;
    let uv = 0, uu = 0, vv = 0;
    for (let i = 0; i < 8; i++) { uv += m[i]! * g[i]!; uu += m[i]! ** 2; vv += g[i]! ** 2; }
    return uv / Math.sqrt(uu * vv);
  };
  // 1 − cos ≈ ‖ε⊥‖²/(2‖∇‖²) with E‖ε‖² = tr Σ/S: a scaled χ² with ≈ 7 degrees of freedom, which
  // exceeds 5× its mean with probability ≈ 1e-5.
  const c20 = cosAt(20), cAll = cosAt(20000);
  const trS = exactEstimatorStats(pr, 'reinforce', g, exactOptimalBaseline(pr)).variance, g2 = g.reduce((a, v) => a + v * v, 0);
  t.true(1 - cAll <= 5 * trS / (2 * 20000 * g2), `1 − cos = ${1 - cAll}, 5× expectation ${5 * trS / (2 * 20000 * g2)}`);
  t.true(cAll > c20);
});

test('MovingBaseline: the ratio of moving averages; argument errors', (t) => {
  const mb = new MovingBaseline(2, 0.5);
  mb.update([1, 0], [0.5, 0.5], [4]);
  t.deepEqual(Array.from(mb.value()), [4, 4]);
  t.throws(() => mb.update([1], [0.5], [1]), { message: /MovingBaseline\.update: expected h and p of length 1·2/ });
  t.throws(() => reinforceSurrogate(t64([0]), t64([1]), t64([1]), 0).dataSync() && straightThrough(t64([0]), t64([0.5]), 'bad' as never), { message: /straightThrough: expected 'identity' or 'sigmoid'/ });
});

test('stochastic-neurons experiment (quick): metric keys and checks', async (t) => {
  const r = await runExperiment(stochasticNeuronsExperiment, { quick: true });
  t.is(r.experiment, 'stochastic-neurons');
  const m = r.metrics as Record<string, Record<string, unknown>>;
  for (const k of ['reinforce', 'straightThrough', 'sts']) {
    const c = m.cosine![k] as Record<string, number>;
    t.deepEqual(Object.keys(c), ['1', '10', '100', '1000']);
    t.true(Object.values(c).every(Number.isFinite));
    t.true(Number.isFinite(m.variance![k] as number));
    t.true((m.trainLoss![k] as number[]).every(Number.isFinite));
  }
  for (const c of r.checks) t.true(c.pass, `${c.name}: ${JSON.stringify(c.observed)}`);
});
