// Every optimizer for 20 steps on every backend (float32) against the same optimizer on the
// reference backend in float64, within the float32 error bound of the trajectory.

import * as d from '../../src/index.js';
import { eachBackend } from '../helpers/cases.js';
import { assertClose } from '../helpers/close.js';
import { label } from '../helpers/gen.js';
import { signedProblem, trajectory, trajectoryBound } from './helpers.js';

const STEPS = 20;

interface Case {
  kind: string;
  opts: Record<string, unknown>;
  /** Roundings on p per step (A), per update (c0) and state growth per step (c1); see trajectoryBound. */
  A: number;
  c0: number;
  c1: number;
  replicas?: number;
  size?: number;
  /** Extra magnitude next to |p| for A (EG± reads u and v, each up to |p| + offset·e^{lr·Σ|g|}). */
  floor?: number;
  /** Positive parameters and gradients (for steps that normalise sums). */
  positive?: boolean;
}

// c0/c1 by counting (see trajectoryBound): g′ = s·g + wd·p is 3 roundings; an EMA step adds 3
// and inherits the previous relative error (c1 = 3); √ halves a relative error and adds 5;
// ÷ adds 5; the final ×lr and −/+ add 1 each. Clipping adds ≈ 12 (√ and ÷ of the scale, its
// norm's rounding) to every g′.
const CASES: Case[] = [
  { kind: 'SGD', opts: { lr: 0.05 }, A: 2, c0: 5, c1: 0 },
  { kind: 'SGD', opts: { lr: 0.05, momentum: 0.9, dampening: 0.1, weightDecay: 0.01 }, A: 2, c0: 8, c1: 3 },
  { kind: 'SGD', opts: { lr: 0.05, momentum: 0.9, nesterov: true, decoupledWeightDecay: 0.01 }, A: 2, c0: 10, c1: 3 },
  { kind: 'Adam', opts: { lr: 0.01, weightDecay: 0.01 }, A: 2, c0: 25, c1: 3 },
  { kind: 'AdamW', opts: { lr: 0.01, weightDecay: 0.01 }, A: 2, c0: 25, c1: 3 },
  { kind: 'AMSGrad', opts: { lr: 0.01, beta2: 0.9 }, A: 2, c0: 25, c1: 3 },
  { kind: 'AdaGrad', opts: { lr: 0.05, lrDecay: 0.01, initialAccumulator: 0.1 }, A: 2, c0: 15, c1: 4 },
  { kind: 'AdaGradNorm', opts: { lr: 0.05, b0: 0.5 }, A: 2, c0: 16, c1: 2 },
  { kind: 'RMSProp', opts: { lr: 0.01 }, A: 2, c0: 17, c1: 3 },
  // v − ḡ² cancels by at most a factor ≈ 4 here (α = 0.99, gradient spread ±50%): c0, c1 × 4 on that part.
  { kind: 'RMSProp', opts: { lr: 0.01, centered: true, momentum: 0.5, weightDecay: 0.01 }, A: 2, c0: 60, c1: 15 },
  { kind: 'DiffGrad', opts: { lr: 0.01 }, A: 2, c0: 40, c1: 3 },
  { kind: 'DiffGrad', opts: { lr: 0.01, legacyConstantFriction: true }, A: 2, c0: 40, c1: 3 },
  // Multiplicative updates: each step multiplies p by a computed e^x (exp ≤ 8, × 1), so the
  // relative error of p grows by ≤ 9u per step: A = 9 + 1, plus the argument's error (tiny).
  { kind: 'EGPlusMinus', opts: { lr: 0.02 }, A: 10, c0: 0, c1: 0 },
  { kind: 'EGPlusMinus', opts: { lr: 0.02, form: 'pm', offset: 0.01 }, A: 12, c0: 0, c1: 0, floor: 0.05 },
  { kind: 'Optimistic', opts: { lr: 0.02 }, A: 4, c0: 5, c1: 0 },
  { kind: 'Optimistic', opts: { lr: 0.02, entropic: true }, A: 20, c0: 0, c1: 0 },
  // Projection onto the simplex rescales by total/Σ: a sum of n = 1037 terms (≤ (⌈log2 n⌉ + 1)u on every
  // backend), a division and a product: A += 14 per normalised buffer.
  { kind: 'Optimistic', opts: { lr: 0.02, entropic: true, simplex: 1 }, A: 48, c0: 0, c1: 0, positive: true },
  { kind: 'EGPlusMinus', opts: { lr: 0.02, form: 'pm', offset: 0.01, total: 2000 }, A: 40, c0: 0, c1: 0, floor: 0.05, positive: true },
  // Replicas, groups and clipping (‖g‖ ≈ √(size·1.08) ≈ 34 per replica: a clip of 5 bites).
  {
    kind: 'Adam', replicas: 3, size: 1000, A: 2, c0: 37, c1: 3,
    opts: { lr: [0.01, 0.02, 0.005], beta1: [0.9, 0.8, 0.95], clipNorm: [0, 5, 1e9], groups: [{ end: 37, weightDecay: 0.02 }, { end: 1000, lr: 0.003 }] },
  },
  {
    kind: 'AdaGradNorm', replicas: 2, size: 1000, A: 2, c0: 28, c1: 2,
    opts: { lr: [0.05, 0.1], clipNorm: [5, 0], groups: [{ end: 500 }, { end: 1000, b0: 1 }] },
  },
  { kind: 'SGD', replicas: 2, size: 1000, A: 2, c0: 20, c1: 3, opts: { lr: 0.05, momentum: 0.5, clipNorm: 10 } },
  { kind: 'DiffGrad', replicas: 2, size: 140_000, A: 2, c0: 40, c1: 3, opts: { lr: [0.01, 0.003] } },
];

for (const c of CASES) {
  const R = c.replicas ?? 1, P = c.size ?? 1037;
  const { groups, ...rest } = c.opts;
  const shown = { R, P, ...rest, ...(groups ? { groups: (groups as unknown[]).length } : {}) };
  eachBackend(`${c.kind} · ${label(shown)}`, async (t, b) => {
    const shape = R === 1 ? [P] : [R, P];
    const { p0, grads } = signedProblem(R * P, STEPS, 17, c.positive);
    const want = await trajectory(d.reference, 'float64', c.kind, c.opts, p0, shape, grads);
    const got = await trajectory(b, 'float32', c.kind, c.opts, p0, shape, grads);
    t.is(got.opt.stepCount, STEPS);
    const bound = trajectoryBound(want.p, c.A, c.c0, c.c1, c.floor);
    assertClose(t, got.p[STEPS]!, want.p[STEPS]!, bound, `${c.kind} p after ${STEPS} steps`);
    let worst = 0;
    for (let i = 0; i < R * P; i++) worst = Math.max(worst, Math.abs(got.p[STEPS]![i]! - want.p[STEPS]![i]!) / bound(i));
    t.log(`largest error / bound: ${worst.toFixed(3)}`);
    want.opt.dispose();
    got.opt.dispose();
  });
}
