// Counter-based distributions (random.ts, ops/creation.ts): moments within 4 standard errors
// (the SE from the distribution's own higher moments), Kolmogorov–Smirnov on 10⁵ draws against
// the exact CDF, categorical frequencies against the weights, and identical tensors on every backend.

import test from 'ava';
import { bernoulli, geometric, categorical, gamma, dirichlet, studentT, stream } from '../../src/random.js';
import { ksTest, meanSE } from '../../src/stats/index.js';
import { gammaP } from '../../src/stats/tests.js';
import {
  randomBernoulli, randomGeometric, randomGamma, randomDirichlet, randomStudentT, randomCategorical, randomCategoricalAsync, tensor, reference,
} from '../../src/index.js';
import { testBackends } from '../helpers/backends.js';

const N = 100000;
// A KS p-value below 1e-4 fails: a correct generator does that once in 10⁴ runs of each test.
const KS_ALPHA = 1e-4;

/** |mean − μ| ≤ 4·√(σ²/n), with σ² the distribution's variance. */
function assertMean(t: import('ava').ExecutionContext, xs: ArrayLike<number>, mu: number, variance: number, label: string): void {
  const { mean, n } = meanSE(xs);
  t.true(Math.abs(mean - mu) <= 4 * Math.sqrt(variance / n), `${label}: mean ${mean} vs ${mu} (SE ${Math.sqrt(variance / n)})`);
}

/** |s² − σ²| ≤ 4·√((μ₄ − σ⁴)/n): the SE of a sample variance from the fourth central moment. */
function assertVariance(t: import('ava').ExecutionContext, xs: ArrayLike<number>, variance: number, mu4: number, label: string): void {
  const { sd, n } = meanSE(xs);
  const se = Math.sqrt((mu4 - variance * variance) / n);
  t.true(Math.abs(sd * sd - variance) <= 4 * se, `${label}: variance ${sd * sd} vs ${variance} (SE ${se})`);
}

test('bernoulli: frequency within 4 SE of p; p = 0 and p = 1 exact; element g depends only on (seed, stream, g)', (t) => {
  for (const p of [0.3, 0.01, 0.999]) assertMean(t, bernoulli(1, N, p, 0, 3), p, p * (1 - p), `p=${p}`);
  t.true(bernoulli(1, 1000, 0).every((v) => v === 0));
  t.true(bernoulli(1, 1000, 1).every((v) => v === 1));
  const whole = bernoulli(2, 101, 0.5, 0, 4);
  t.deepEqual(bernoulli(2, 50, 0.5, 51, 4), whole.subarray(51));
  t.deepEqual(bernoulli(2, 3, 0.5, 1, 4), whole.subarray(1, 4));
  t.throws(() => bernoulli(1, 3, 1.5), { instanceOf: RangeError, message: /bernoulli: expected a number in \[0, 1\] for 'p' but received 1.5/ });
});

test('geometric: mean 1/p, variance (1 − p)/p², and P(X = k) = (1 − p)^{k−1}p within 4 SE', (t) => {
  const p = 0.2, xs = geometric(3, N, p);
  t.true(xs.every((v) => Number.isInteger(v) && v >= 1));
  assertMean(t, xs, 1 / p, (1 - p) / p ** 2, 'mean');
  for (let k = 1; k <= 10; k++) {
    const q = (1 - p) ** (k - 1) * p;
    let c = 0;
    for (const v of xs) if (v === k) c++;
    t.true(Math.abs(c / N - q) <= 4 * Math.sqrt(q * (1 - q) / N), `P(X=${k}) ${c / N} vs ${q}`);
  }
  t.true(geometric(3, 10, 1).every((v) => v === 1));
  t.throws(() => geometric(1, 3, 0), { instanceOf: RangeError, message: /geometric: expected a number in \(0, 1\] for 'p' but received 0/ });
});

test('gamma: KS against the Gamma CDF on 10⁵ draws and mean/variance within 4 SE, for α < 1, = 1, > 1', (t) => {
  for (const alpha of [0.3, 1, 2.5, 40]) {
    const xs = gamma(4, N, alpha, 0, 1);
    t.true(xs.every((v) => v >= 0 && Number.isFinite(v)));
    const ks = ksTest(xs, (x) => gammaP(alpha, x));
    t.true(ks.p > KS_ALPHA, `α=${alpha}: KS D=${ks.d} p=${ks.p}`);
    // Gamma(α): variance α, fourth central moment 3α² + 6α.
    assertMean(t, xs, alpha, alpha, `α=${alpha}`);
    assertVariance(t, xs, alpha, 3 * alpha * alpha + 6 * alpha, `α=${alpha}`);
  }
  // Tiny shapes stay finite and positive or 0 (no NaN), mean still α.
  assertMean(t, gamma(5, N, 0.01), 0.01, 0.01, 'α=0.01');
  t.throws(() => gamma(1, 3, 0), { instanceOf: RangeError, message: /gamma: expected a positive finite number for 'alpha' but received 0/ });
});

test('dirichlet: rows on the simplex, Beta(1, 2) marginals by KS, means α_k/α₀ within 4 SE', (t) => {
  const rows = N, K = 3;
  const flat = dirichlet(6, rows, [1, 1, 1]);
  const first = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const s = flat[r * K]! + flat[r * K + 1]! + flat[r * K + 2]!;
    if (Math.abs(s - 1) > 4 * 2 ** -53) t.fail(`row ${r} sums to ${s}`);
    first[r] = flat[r * K + 1]!;
  }
  const ks = ksTest(first, (x) => 1 - (1 - Math.min(1, Math.max(0, x))) ** 2);
  t.true(ks.p > KS_ALPHA, `KS D=${ks.d} p=${ks.p}`);
  const alpha = [0.5, 2, 3.5], a0 = 6;
  const d = dirichlet(7, 20000, alpha);
  for (let k = 0; k < 3; k++) {
    const col = Array.from({ length: 20000 }, (_, r) => d[r * 3 + k]!);
    const m = alpha[k]! / a0;
    assertMean(t, col, m, (m * (1 - m)) / (a0 + 1), `α_${k}`);
  }
  const tiny = dirichlet(8, 1000, [0.01, 0.01, 0.01]);
  t.true(tiny.every((v) => Number.isFinite(v) && v >= 0));
  t.throws(() => dirichlet(1, 2, [1]), { instanceOf: RangeError, message: /dirichlet: expected at least 2 concentrations for 'alpha'/ });
  t.throws(() => dirichlet(1, 2, [1, -1]), { instanceOf: RangeError, message: /'alpha\[1\]'/ });
});

test('studentT: KS against the closed-form CDFs for ν = 1, 2, 4 on 10⁵ draws; variance ν/(ν − 2) within 4 SE for ν = 10', (t) => {
  const cdfs: Record<number, (x: number) => number> = {
    1: (x) => 0.5 + Math.atan(x) / Math.PI,
    2: (x) => 0.5 + x / (2 * Math.sqrt(2 + x * x)),
    // ν = 4: ½ + (3/4) sin θ − (1/4) sin³ θ with θ = atan(x/2).
    4: (x) => { const th = Math.atan(x / 2); return 0.5 + 0.75 * Math.sin(th) - 0.25 * Math.sin(th) ** 3; },
  };
  for (const nu of [1, 2, 4]) {
    const ks = ksTest(studentT(9, N, nu, 0, 2), cdfs[nu]!);
    t.true(ks.p > KS_ALPHA, `ν=${nu}: KS D=${ks.d} p=${ks.p}`);
  }
  const nu = 10, xs = studentT(10, N, nu);
  assertMean(t, xs, 0, nu / (nu - 2), 'mean');
  // μ₄ = 3ν²/((ν − 2)(ν − 4)).
  assertVariance(t, xs, nu / (nu - 2), (3 * nu * nu) / ((nu - 2) * (nu - 4)), 'variance');
  t.throws(() => studentT(1, 3, -1), { instanceOf: RangeError, message: /studentT: expected a positive finite number for 'nu'/ });
});

test('categorical: frequencies match the weights (each within 4 SE, χ² within 4 SD of its mean), zero weights never drawn', (t) => {
  const w = [0.5, 0, 2, 1, 6.5], K = w.length, total = 10;
  const rows = N;
  const weights = new Float64Array(rows * K);
  for (let r = 0; r < rows; r++) weights.set(w, r * K);
  const idx = categorical(11, weights, K, 0, 5);
  const counts = new Float64Array(K);
  for (const i of idx) counts[i]++;
  t.is(counts[1], 0);
  let chi2 = 0, df = 0;
  for (let k = 0; k < K; k++) {
    const p = w[k]! / total;
    if (p === 0) continue;
    df++;
    t.true(Math.abs(counts[k]! / rows - p) <= 4 * Math.sqrt(p * (1 - p) / rows), `category ${k}: ${counts[k]! / rows} vs ${p}`);
    chi2 += (counts[k]! - rows * p) ** 2 / (rows * p);
  }
  df -= 1;
  // Pearson's χ² has mean df and variance 2·df under the weights.
  t.true(chi2 <= df + 4 * Math.sqrt(2 * df), `χ² = ${chi2} (df ${df})`);
  // Rows are independent draws: a one-hot row always gives its index.
  t.deepEqual(Array.from(categorical(1, [0, 1, 0, 0, 0, 3], 3)), [1, 2]);
  t.throws(() => categorical(1, [0, 0, 1, 1], 2), { instanceOf: RangeError, message: /categorical: expected a positive sum of weights in every row but row 0 sums to 0/ });
  t.throws(() => categorical(1, [1, -1], 2), { instanceOf: RangeError, message: /row 0, column 1 is -1/ });
});

test('distributions are tagged: the same (seed, stream) gives unrelated uniforms, bernoulli, gamma and t draws', (t) => {
  // Under one stream, bernoulli's uniforms and gamma's attempts read different Philox blocks, so
  // correlation between their draws is at noise level (|r| ≤ 4/√n).
  const n = 20000;
  const a = bernoulli(1, n, 0.5, 0, 9), g = gamma(1, n, 2, 0, 9);
  const ma = meanSE(a).mean, mg = meanSE(g).mean;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) { sab += (a[i]! - ma) * (g[i]! - mg); saa += (a[i]! - ma) ** 2; sbb += (g[i]! - mg) ** 2; }
  t.true(Math.abs(sab / Math.sqrt(saa * sbb)) <= 4 / Math.sqrt(n));
  t.notDeepEqual(gamma(1, 10, 2, 0, stream('paper1', 0)), gamma(1, 10, 2, 0, stream('paper2', 0)));
});

test('tensor versions: the host draws in the requested dtype, bit-identical on every backend', async (t) => {
  const opts = { seed: 12, stream: stream('paper4', 1), offset: 3 };
  const host: Record<string, ArrayLike<number>> = {
    bernoulli: bernoulli(12, 24, 0.4, 3, opts.stream),
    geometric: geometric(12, 24, 0.4, 3, opts.stream),
    gamma: Float32Array.from(gamma(12, 24, 0.7, 3, opts.stream)),
    dirichlet: Float32Array.from(dirichlet(12, 8, [1, 2, 3], 3, opts.stream)),
    studentT: Float32Array.from(studentT(12, 24, 3, 3, opts.stream)),
  };
  const w = tensor([[1, 0, 2], [0, 0, 5], [3, 3, 3], [1, 2, 3]], undefined, { backend: reference });
  const catHost = categorical(12, [1, 0, 2, 0, 0, 5, 3, 3, 3, 1, 2, 3], 3, 3, opts.stream);
  const backends = [{ name: 'reference', backend: reference }, ...(await testBackends()).filter((b) => b.backend)];
  for (const { name, backend } of backends) {
    const o = { ...opts, backend: backend! };
    const made = {
      bernoulli: randomBernoulli([4, 6], 0.4, o), geometric: randomGeometric([4, 6], 0.4, o),
      gamma: randomGamma([4, 6], 0.7, o), dirichlet: randomDirichlet(8, [1, 2, 3], o), studentT: randomStudentT([24], 3, o),
    };
    for (const [k, x] of Object.entries(made)) {
      t.is(x.dtype, 'float32');
      t.deepEqual(Array.from(await x.data()), Array.from(host[k]!), `${k} on ${name}`);
      x.dispose();
    }
    const c = randomCategorical(w, { ...opts, backend: backend! });
    t.is(c.dtype, 'int32');
    t.deepEqual(c.shape, [4]);
    t.deepEqual(Array.from(await c.data()), Array.from(catHost), `categorical on ${name}`);
    c.dispose();
    // Weights on this backend (webgpu has no synchronous read): the async form draws the same.
    const wb = tensor([[1, 0, 2], [0, 0, 5], [3, 3, 3], [1, 2, 3]], undefined, { backend: backend! });
    const ca = await randomCategoricalAsync(wb, opts);
    t.deepEqual(Array.from(await ca.data()), Array.from(catHost), `categorical (async) on ${name}`);
    if (!backend!.readSync) t.throws(() => randomCategorical(wb, opts), { instanceOf: TypeError, message: /randomCategorical: expected 'weights' on a backend with synchronous reads .* randomCategoricalAsync/ });
    ca.dispose(); wb.dispose();
  }
  const g64 = randomGamma([5], 0.01, { seed: 1, dtype: 'float64', backend: reference });
  t.deepEqual(Array.from(await g64.data()), Array.from(gamma(1, 5, 0.01)));
  t.throws(() => randomCategorical(tensor([1, 2], undefined, { backend: reference }), { seed: 1 }), { instanceOf: RangeError, message: /randomCategorical: expected a Tensor of shape \[R, K\]/ });
  t.throws(() => randomGamma([2], 1, {} as never), { instanceOf: TypeError, message: /randomGamma: expected a seed number for 'opts.seed'/ });
});
