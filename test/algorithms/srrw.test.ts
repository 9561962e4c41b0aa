// Self-repellent random walks (PAPERS.md §2) against exact statements: graphs, the
// Metropolis–Hastings chain's stationarity and reversibility, the SRRW kernel's rows (sum to 1,
// the formula, α = 0 is the base chain exactly), the population's walk at α = 0 equals the base
// chain sampled by inversion with the same uniforms, and the ridge optimum.

import test from 'ava';
import { philox4x32, stream } from '../../src/engine.js';
import {
  erdosRenyiGraph, graphFromEdges, isConnected, metropolisHastings, RidgeObjective, srrwKernelRow, SRRWPopulation, torusGraph,
} from '../../src/algorithms/srrw/index.js';

test('torus: 4-regular, N = rows·cols, connected; graphFromEdges dedupes and refuses self-loops', (t) => {
  const g = torusGraph(10, 10);
  t.is(g.nodes, 100);
  for (let i = 0; i < 100; i++) t.is(g.offsets[i + 1]! - g.offsets[i]!, 4);
  t.true(isConnected(g));
  const h = graphFromEdges(3, [[0, 1], [1, 0], [1, 2]]);
  t.deepEqual(Array.from(h.neighbors), [1, 0, 2, 1]);
  t.throws(() => graphFromEdges(3, [[1, 1]]), { message: /graphFromEdges: expected two different nodes/ });
});

test('Erdős–Rényi: connected, mean degree near the target', (t) => {
  const g = erdosRenyiGraph(100, 6, 1, stream('paper2', 0));
  t.true(isConnected(g));
  const mean = g.neighbors.length / g.nodes;
  // degree sum of G(n, p): sd of the mean degree is √(2·n(n−1)/2·p(1−p))·2/n ≈ 0.34
  t.true(Math.abs(mean - 6) < 4 * 0.35, `mean degree ${mean}`);
});

test('Metropolis–Hastings chain: rows sum to 1, reversible w.r.t. μ, μP = μ (irregular graph, non-uniform μ, lazy)', (t) => {
  const g = erdosRenyiGraph(30, 4, 2, stream('paper2', 0));
  const mu = Float64Array.from({ length: 30 }, (_, i) => 1 + (i % 5));
  const s = mu.reduce((a, b) => a + b, 0);
  for (let i = 0; i < 30; i++) mu[i]! /= s;
  const c = metropolisHastings(g, { mu, lazy: 0.3 });
  const P = new Float64Array(900);
  for (let i = 0; i < 30; i++) {
    let row = 0;
    for (let k = c.rowStart[i]!; k < c.rowStart[i + 1]!; k++) { P[i * 30 + c.cols[k]!]! += c.probs[k]!; row += c.probs[k]!; t.true(c.probs[k]! >= 0); }
    t.true(Math.abs(row - 1) < 1e-15);
  }
  for (let i = 0; i < 30; i++) for (let j = 0; j < 30; j++) t.true(Math.abs(mu[i]! * P[i * 30 + j]! - mu[j]! * P[j * 30 + i]!) < 1e-17);
  for (let j = 0; j < 30; j++) {
    let v = 0;
    for (let i = 0; i < 30; i++) v += mu[i]! * P[i * 30 + j]!;
    t.true(Math.abs(v - mu[j]!) < 1e-16);
  }
});

test('SRRW kernel: rows sum to 1, match the formula P_ij (x_j/μ_j)^−α / Σ_k P_ik (x_k/μ_k)^−α, α = 0 is P exactly', (t) => {
  const c = metropolisHastings(torusGraph(5, 6), { lazy: 0.5 });
  const x = Float64Array.from({ length: 30 }, (_, i) => 0.5 + Math.abs(Math.sin(i * 1.7)));
  const sx = x.reduce((a, b) => a + b, 0);
  for (let i = 0; i < 30; i++) x[i]! /= sx;
  for (const alpha of [0, 1, 5, 20]) {
    for (const i of [0, 7, 29]) {
      const row = srrwKernelRow(c, x, alpha, i);
      const a = c.rowStart[i]!;
      const sum = row.reduce((p, q) => p + q, 0);
      t.true(Math.abs(sum - 1) < 8 * Number.EPSILON, `α ${alpha} row ${i}: sum ${sum}`);
      if (alpha === 0) t.deepEqual(Array.from(row), Array.from(c.probs.subarray(a, c.rowStart[i + 1]!)));
      let den = 0;
      for (let k = a; k < c.rowStart[i + 1]!; k++) den += c.probs[k]! * (x[c.cols[k]!]! / c.mu[c.cols[k]!]!) ** -alpha;
      row.forEach((v, k) => t.true(Math.abs(v - (c.probs[a + k]! * (x[c.cols[a + k]!]! / c.mu[c.cols[a + k]!]!) ** -alpha) / den) < 1e-14));
    }
  }
});

test("the population's transition rows equal srrwKernelRow at its own visit measure (α = 3, after 500 steps, across renormalisations)", (t) => {
  const c = metropolisHastings(torusGraph(4, 4), { lazy: 0.5 });
  const pop = new SRRWPopulation({ chain: c, alpha: 3, walkers: 5, a: 0.55, seed: 1, stream: stream('paper2', 9) });
  pop.step(500);
  for (let r = 0; r < 5; r++) {
    const x = pop.visits(r);
    t.true(Math.abs(x.reduce((p, q) => p + q, 0) - 1) < 1e-12);
    const want = srrwKernelRow(c, x, 3, pop.position[r]!);
    pop.kernelRow(r).forEach((v, k) => t.true(Math.abs(v - want[k]!) < 1e-12));
  }
});

test('α = 0 reproduces the base chain exactly: same path as inversion sampling of P with the same uniforms', (t) => {
  const c = metropolisHastings(erdosRenyiGraph(40, 5, 3, stream('paper2', 0)));
  const R = 7, steps = 300, seed = 11, st = stream('paper2', 4);
  const pop = new SRRWPopulation({ chain: c, alpha: 0, walkers: R, a: 0.7, seed, stream: st });
  const pos = Int32Array.from({ length: R }, (_, r) => r % 40);
  const w = new Uint32Array(4);
  for (let n = 0; n < steps; n++) {
    pop.step();
    for (let r = 0; r < R; r++) {
      const g = n * R + r;
      philox4x32(seed, 0, Math.floor(g / 4), 0, st, 0, w);
      const i = pos[r]!, a = c.rowStart[i]!, b = c.rowStart[i + 1]!;
      let total = 0;
      for (let k = a; k < b; k++) total += c.probs[k]!;
      const u = (w[g % 4]! + 0.5) * 2 ** -32 * total;
      let acc = 0, k = a;
      for (; k < b - 1; k++) { acc += c.probs[k]!; if (u < acc) break; }
      pos[r] = c.cols[k]!;
    }
    t.deepEqual(Array.from(pop.position), Array.from(pos), `step ${n}`);
  }
});

test('SRRW visit frequencies follow the kernel: the empirical next-node distribution from a fixed state matches K (4 SE)', (t) => {
  // Walkers that all sit at node 0 with the same x draw their next node from K_0·[x].
  const c = metropolisHastings(torusGraph(3, 3), { lazy: 0.5 });
  const R = 20000;
  const pop = new SRRWPopulation({ chain: c, alpha: 2, walkers: R, a: 0.6, seed: 5, stream: stream('paper2', 8), start: new Int32Array(R) });
  const k = srrwKernelRow(c, pop.visits(0), 2, 0);
  pop.step();
  const counts = new Map<number, number>();
  for (const j of pop.position) counts.set(j, (counts.get(j) ?? 0) + 1);
  for (let q = 0; q < k.length; q++) {
    const j = c.cols[c.rowStart[0]! + q]!, p = k[q]!;
    const f = (counts.get(j) ?? 0) / R;
    t.true(Math.abs(f - p) < 4 * Math.sqrt((p * (1 - p)) / R), `node ${j}: ${f} vs ${p}`);
  }
});

test('ridge optimum solves (1/N)Σ∇f_i = 0', (t) => {
  const N = 20, d = 3;
  const A = Float64Array.from({ length: N * d }, (_, i) => Math.sin(i * 0.9));
  const b = Float64Array.from({ length: N }, (_, i) => Math.cos(i));
  const obj = new RidgeObjective(A, b, 0.1);
  const th = obj.optimum(), g = new Float64Array(d), s = new Float64Array(d);
  for (let i = 0; i < N; i++) { obj.grad(i, th, 0, g); for (let k = 0; k < d; k++) s[k]! += g[k]! / N; }
  for (let k = 0; k < d; k++) t.true(Math.abs(s[k]!) < 1e-14);
});

test('srrw (quick): traceCov per case and α with CIs, slope2to10, visitError', async (t) => {
  const { runExperiment } = await import('../../src/algorithms/experiment.js');
  const { srrwExperiment } = await import('../../src/algorithms/srrw/index.js');
  const r = await runExperiment(srrwExperiment, { quick: true });
  const tc = r.metrics['traceCov'] as Record<string, Record<string, { value: number; ciLow: number; ciHigh: number }>>;
  for (const c of ['i-wide', 'i-mild', 'ii', 'iii']) {
    for (const a of ['0', '1', '2', '5', '10', '20']) {
      const v = tc[c]![a]!;
      t.true(Number.isFinite(v.value) && v.ciLow <= v.value && v.value <= v.ciHigh, `${c} α ${a}`);
    }
    t.true(Number.isFinite((r.metrics['slope2to10'] as Record<string, { value: number }>)[c]!.value));
  }
  t.truthy(r.metrics['visitError']);
  // At 2000 steps the finite-n transients dominate the comparisons across step-size cases; those
  // checks are reported with their numbers (docs/papers/srrw.md), the others must hold.
  const quickFailures = ['alpha-zero-comparable', 'time-scale-ordering', 'faster-than-inverse-alpha-when-separated', 'inverse-alpha-with-equal-steps'];
  for (const c of r.checks) {
    t.not(c.observed, null);
    if (!quickFailures.includes(c.name)) t.true(c.pass, `${c.name}: ${JSON.stringify(c.observed)}`);
  }
});
