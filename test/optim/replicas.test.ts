// A replica-batched optimizer (R replicas, per-replica hyperparameters, one launch per step)
// gives exactly the bits of R separate optimizers, on every backend: each element's update
// depends only on its own replica's record and data.

import * as d from '../../src/index.js';
import type { Backend } from '../../src/index.js';
import { createOptimizer } from '../../src/optim/index.js';
import { eachBackend } from '../helpers/cases.js';
import { signedProblem } from './helpers.js';

const R = 3, STEPS = 6;
// Large enough to span several 64 Ki-element chunks of the native driver, and not a multiple of any SIMD width.
const P = 140_007;

/** Per-replica options, and the scalar options of replica r alone. */
const CASES: [string, Record<string, unknown>][] = [
  ['SGD', { lr: [0.05, 0.02, 0.1], momentum: [0.9, 0.5, 0.0], nesterov: [true, false, false], clipNorm: [0, 300, 100] }],
  ['Adam', { lr: [0.01, 0.02, 0.005], beta1: [0.9, 0.8, 0.95], beta2: [0.999, 0.99, 0.9], weightDecay: [0, 0.01, 0.1] }],
  ['AdamW', { lr: [0.01, 0.02, 0.005], weightDecay: [0.01, 0.1, 0], amsgrad: true, clipNorm: [200, 0, 400] }],
  ['AdaGrad', { lr: [0.05, 0.1, 0.2], initialAccumulator: [0, 0.1, 1] }],
  ['AdaGradNorm', { lr: [0.5, 1, 2], b0: [0, 1, 10], clipNorm: [0, 100, 300] }],
  ['RMSProp', { lr: [0.01, 0.02, 0.005], alpha: [0.9, 0.99, 0.5], momentum: [0.5, 0, 0.9], centered: true }],
  ['DiffGrad', { lr: [0.01, 0.02, 0.005], beta1: [0.9, 0.8, 0.95] }],
  ['EGPlusMinus', { lr: [0.01, 0.02, 0.05], weightDecay: [0, 0.1, 0.01] }],
  ['EGPlusMinus', { lr: [0.01, 0.02, 0.05], form: 'pm' }],
  ['Optimistic', { lr: [0.01, 0.02, 0.05], entropic: [false, true, true] }],
  ['Optimistic', { lr: [0.01, 0.02, 0.05], entropic: true, simplex: 1, groups: [{ end: 1000 }, { end: P, entropic: false }] }],
  ['EGPlusMinus', { lr: [0.01, 0.02, 0.05], form: 'pm', total: 1e6 }],
];

function scalarOptions(opts: Record<string, unknown>, r: number): Record<string, unknown> {
  return Object.fromEntries(Object.entries(opts).map(([k, v]) => [k, Array.isArray(v) && k !== 'groups' ? v[r] : v]));
}

async function run(b: Backend, kind: string, opts: Record<string, unknown>, p0: Float32Array, grads: Float32Array[], shape: number[]): Promise<Float32Array> {
  const params = d.tensor(p0, shape, { backend: b });
  const opt = createOptimizer(kind, params, opts);
  for (const g of grads) {
    const gt = d.tensor(g, shape, { backend: b });
    opt.step(gt);
    gt.dispose();
  }
  const out = (await params.data()) as Float32Array;
  opt.dispose();
  params.dispose();
  return out;
}

for (const [kind, opts] of CASES) {
  eachBackend(`replicas · ${kind} · R=${R} P=${P} ${Object.keys(opts).join(',')}`, async (t, b) => {
    const { p0, grads } = signedProblem(R * P, STEPS, 5);
    const batched = await run(b, kind, opts, p0, grads, [R, P]);
    for (let r = 0; r < R; r++) {
      const slice = (a: Float32Array) => a.slice(r * P, (r + 1) * P);
      const alone = await run(b, kind, scalarOptions(opts, r), slice(p0), grads.map(slice), [P]);
      const mine = slice(batched);
      let diff = -1;
      for (let i = 0; i < P; i++) if (!Object.is(mine[i], alone[i])) { diff = i; break; }
      t.is(diff, -1, `replica ${r}: first difference at ${diff}: ${mine[diff]} vs ${alone[diff]}`);
    }
  });
}
