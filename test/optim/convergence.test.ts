// Convergence of every optimizer on a strongly convex quadratic and on L2-regularised
// logistic regression (problems.ts), on every backend, with gradients computed there.
//
// Criteria. Plain SGD on the quadratic has an exact rate: |x_i − c_i| shrinks by
// |1 − lr·a_i| ≤ ρ = 1 − lr·a_min per step, so ‖e_t‖ ≤ ρ^t‖e_0‖ + F, where F bounds the
// float32 rounding noise: ≤ 2 roundings of ≤ u·1.5 per coordinate and step, accumulated by
// a contraction of rate ρ, F = √D·2·2u·1.5/(1 − ρ). For the other methods the claim is
// convergence: the error falls below 10⁻⁴·‖e_0‖ (quadratic; or F where that is larger)
// and the suboptimality below 10⁻⁶ of its start (logistic), decreasing between samples
// until it reaches that level.

import type { ExecutionContext } from 'ava';
import { eachBackend } from '../helpers/cases.js';
import { label } from '../helpers/gen.js';
import { QD, runLogistic, runQuadratic, runSimplex } from './problems.js';

const u = 2 ** -24;

function assertDecreasing(t: ExecutionContext, seq: number[], floor: number, what: string, slack = 0): void {
  for (let i = 1; i < seq.length; i++) {
    if (seq[i - 1]! > floor && !(seq[i]! <= seq[i - 1]! + slack)) {
      t.fail(`${what}: rose from ${seq[i - 1]} to ${seq[i]} between samples ${i - 1} and ${i} (samples: ${seq.map((v) => v.toExponential(2)).join(' ')})`);
      return;
    }
  }
}

eachBackend('converge · quadratic · SGD exact rate · lr=0.1', async (t, b) => {
  const lr = 0.1, rho = 1 - lr * 1, T = 200;
  const F = Math.sqrt(QD) * 4 * u * 1.5 / (1 - rho);
  const e = await runQuadratic(b, 'SGD', { lr }, T);
  e.forEach((v, k) => {
    const steps = k * T / 5, bound = rho ** steps * e[0]! + F;
    t.true(v <= bound, `after ${steps} steps ‖e‖ = ${v} > ρ^t‖e0‖ + F = ${bound}`);
  });
});

const cos = (total: number) => ({ kind: 'cosine', total });
const QUAD: [string, Record<string, unknown>, number][] = [
  // Polyak's heavy ball with its optimal constants for κ = 10 (rate (√κ − 1)/(√κ + 1)).
  ['SGD', { lr: 4 / (1 + Math.sqrt(10)) ** 2, momentum: ((Math.sqrt(10) - 1) / (Math.sqrt(10) + 1)) ** 2 }, 200],
  ['SGD', { lr: 0.1, momentum: 0.5, nesterov: true }, 200],
  ['Adam', { lr: 0.05, schedule: cos(500) }, 500],
  ['AdamW', { lr: 0.05, weightDecay: 0, schedule: cos(500) }, 500],
  ['AMSGrad', { lr: 0.05, schedule: cos(500) }, 500],
  ['AdaGrad', { lr: 0.5 }, 500],
  ['AdaGradNorm', { lr: 1 }, 500],
  ['RMSProp', { lr: 0.01, schedule: cos(500) }, 500],
  ['DiffGrad', { lr: 0.05, schedule: cos(500) }, 500],
  ['EGPlusMinus', { lr: 0.1 }, 200],
  // Optimism is stable here while lr·a_max ≤ ½ (the recurrence e ← (1 − 2ηa)e + ηa·e_prev).
  ['Optimistic', { lr: 0.05 }, 400],
  ['Optimistic', { lr: 0.05, entropic: true }, 400],
];

for (const [kind, opts, T] of QUAD) {
  eachBackend(`converge · quadratic · ${kind} · ${label({ ...opts, schedule: undefined, T })}`, async (t, b) => {
    const e = await runQuadratic(b, kind, opts, T);
    const F = Math.sqrt(QD) * 4 * u * 1.5 / 0.1;
    const target = Math.max(1e-4 * e[0]!, F);
    t.true(e.at(-1)! <= target, `‖x_T − c‖ = ${e.at(-1)} > ${target} (samples: ${e.map((v) => v.toExponential(2)).join(' ')})`);
    assertDecreasing(t, e, target, kind);
  });
}

// The f64 evaluation of the loss at a float32 point is exact to ≈ n·u₆₄ ≈ 3e-14; 1e-12 covers it.
const SLACK = 1e-12;
const LOGISTIC: [string, Record<string, unknown>][] = [
  ['SGD', { lr: 2 }],
  ['SGD', { lr: 1, momentum: 0.9, nesterov: true }],
  ['Adam', { lr: 0.1, schedule: cos(500) }],
  ['AdamW', { lr: 0.1, weightDecay: 0, schedule: { kind: 'warmup', steps: 20, then: cos(480) } }],
  ['AMSGrad', { lr: 0.1, schedule: cos(500) }],
  ['AdaGrad', { lr: 0.5 }],
  ['AdaGradNorm', { lr: 2 }],
  ['RMSProp', { lr: 0.05, schedule: cos(500) }],
  ['DiffGrad', { lr: 0.1, schedule: cos(500) }],
  ['EGPlusMinus', { lr: 0.5, form: 'pm', offset: 0.1 }],
  ['Optimistic', { lr: 1 }],
];

for (const [kind, opts] of LOGISTIC) {
  eachBackend(`converge · logistic · ${kind} · ${label({ ...opts, schedule: undefined })}`, async (t, b) => {
    const gap = await runLogistic(b, kind, opts, 500);
    const target = 1e-6 * gap[0]! + SLACK;
    t.true(gap.at(-1)! <= target, `f(w_T) − f* = ${gap.at(-1)} > ${target} (samples: ${gap.map((v) => v.toExponential(2)).join(' ')})`);
    assertDecreasing(t, gap, target, kind, SLACK);
  });
}

// On the simplex: entropic optimistic mirror descent and normalised EG± (EG±_U) reach the
// interior minimiser y of ½‖x − y‖², and the projection keeps Σx = 1 to rounding: the sum of
// n = 20 rescaled float32 values is within (n + ⌈log2 n⌉ + 2)·u of 1.
const SIMPLEX: [string, Record<string, unknown>, boolean][] = [
  ['Optimistic', { lr: 1, entropic: true, simplex: 1 }, false],
  ['EGPlusMinus', { lr: 5, form: 'pm', offset: 0.05, total: 2 }, true],
];
for (const [kind, opts, signed] of SIMPLEX) {
  eachBackend(`converge · simplex · ${kind} · ${label(opts)}`, async (t, b) => {
    const { dist, mass } = await runSimplex(b, kind, opts, 400, signed);
    const target = 1e-4 * dist[0]!;
    t.true(dist.at(-1)! <= target, `‖x_T − y‖ = ${dist.at(-1)} > ${target} (samples: ${dist.map((v) => v.toExponential(2)).join(' ')})`);
    assertDecreasing(t, dist, target, kind);
    t.true(mass <= (20 + 5 + 2) * u, `|Σx − 1| reached ${mass}`);
  });
}
