// Learning-rate schedules: JSON-describable multipliers of the base learning rate.
//
// Contract: `scheduleFactor(spec, t)` is a pure function of the spec and the step number
// t = 1, 2, … (the step about to be taken), computed in float64. Specs nest (warm-up and
// batch-size scaling wrap another schedule), are plain JSON (so checkpoints record them),
// and are validated once by `checkSchedule`. Because the factor depends on t alone, an
// optimizer restored at step t continues with exactly the learning rates it would have had.

import { rangeError, typeError } from '../errors.js';

export type ScheduleSpec =
  /** factor 1. */
  | { kind: 'constant' }
  /** gamma^⌊(t − 1)/every⌋: multiply by gamma after every `every` steps. */
  | { kind: 'step'; every: number; gamma: number }
  /** min + (1 − min)·½(1 + cos(π·min(t − 1, total)/total)): from 1 down to `min` over `total` steps, then flat. */
  | { kind: 'cosine'; total: number; min?: number }
  /**
   * Linear warm-up from `start` (default 0: the first step uses 1/steps) to 1 over `steps`
   * steps, then `then` (default constant) evaluated at t − steps.
   */
  | { kind: 'warmup'; steps: number; start?: number; then?: ScheduleSpec }
  /**
   * Batch-size scaling (Goyal et al. 2017 'linear'; Krizhevsky 2014 / Granziol et al. 2022
   * 'sqrt' for adaptive methods): (batchSize/baseBatchSize)^{1 or ½} times `then`.
   */
  | { kind: 'batchScaling'; batchSize: number; baseBatchSize: number; rule: 'linear' | 'sqrt'; then?: ScheduleSpec }
  /**
   * Polynomial decay (t + t0)^−power (default t0 = 0, so step 1 has factor 1): the
   * Robbins–Monro step sizes η₀(t + t₀)^−p of stochastic approximation (p ∈ (½, 1] for the
   * classical conditions Σ η = ∞, Σ η² < ∞). t0 > −1 keeps t + t0 positive.
   */
  | { kind: 'poly'; power: number; t0?: number }
  /** Inverse-time decay 1/(1 + gamma·(t − 1)) (factor 1 at step 1). */
  | { kind: 'inverseTime'; gamma: number };

const FN = 'schedule';

function positiveInt(arg: string, v: unknown): void {
  if (typeof v !== 'number') throw typeError(FN, arg, 'a positive integer', v);
  if (!Number.isInteger(v) || v < 1) throw rangeError(FN, arg, 'a positive integer', v);
}

function inUnit(arg: string, v: unknown): void {
  if (typeof v !== 'number') throw typeError(FN, arg, 'a number in [0, 1]', v);
  if (!(v >= 0 && v <= 1)) throw rangeError(FN, arg, 'a number in [0, 1]', v);
}

function finiteAtLeast(arg: string, v: unknown, min: number): void {
  if (typeof v !== 'number') throw typeError(FN, arg, `a finite number ≥ ${min}`, v);
  if (!(v >= min && Number.isFinite(v))) throw rangeError(FN, arg, `a finite number ≥ ${min}`, v);
}

/** Throws a TypeError/RangeError naming the field when `spec` is not a valid schedule. */
export function checkSchedule(spec: unknown, at = 'schedule'): ScheduleSpec {
  if (spec === null || typeof spec !== 'object') throw typeError(FN, at, 'a schedule object such as { kind: \'cosine\', total: 1000 }', spec);
  const s = spec as Record<string, unknown>;
  switch (s.kind) {
    case 'constant': break;
    case 'step':
      positiveInt(`${at}.every`, s.every);
      if (typeof s.gamma !== 'number') throw typeError(FN, `${at}.gamma`, 'a positive number', s.gamma);
      if (!(s.gamma > 0 && Number.isFinite(s.gamma))) throw rangeError(FN, `${at}.gamma`, 'a positive number', s.gamma);
      break;
    case 'cosine':
      positiveInt(`${at}.total`, s.total);
      if (s.min !== undefined) inUnit(`${at}.min`, s.min);
      break;
    case 'warmup':
      positiveInt(`${at}.steps`, s.steps);
      if (s.start !== undefined) inUnit(`${at}.start`, s.start);
      if (s.then !== undefined) checkSchedule(s.then, `${at}.then`);
      break;
    case 'batchScaling':
      positiveInt(`${at}.batchSize`, s.batchSize);
      positiveInt(`${at}.baseBatchSize`, s.baseBatchSize);
      if (s.rule !== 'linear' && s.rule !== 'sqrt') throw rangeError(FN, `${at}.rule`, '\'linear\' or \'sqrt\'', s.rule);
      if (s.then !== undefined) checkSchedule(s.then, `${at}.then`);
      break;
    case 'poly':
      finiteAtLeast(`${at}.power`, s.power, 0);
      if (s.t0 !== undefined) {
        if (typeof s.t0 !== 'number') throw typeError(FN, `${at}.t0`, 'a finite number > −1', s.t0);
        if (!(s.t0 > -1 && Number.isFinite(s.t0))) throw rangeError(FN, `${at}.t0`, 'a finite number > −1', s.t0);
      }
      break;
    case 'inverseTime':
      finiteAtLeast(`${at}.gamma`, s.gamma, 0);
      break;
    default:
      throw rangeError(FN, `${at}.kind`, 'one of \'constant\', \'step\', \'cosine\', \'warmup\', \'batchScaling\', \'poly\', \'inverseTime\'', s.kind);
  }
  return spec as ScheduleSpec;
}

/** The learning-rate multiplier at step t (1-based). */
export function scheduleFactor(spec: ScheduleSpec, t: number): number {
  switch (spec.kind) {
    case 'constant': return 1;
    case 'step': return spec.gamma ** Math.floor((t - 1) / spec.every);
    case 'cosine': {
      const lo = spec.min ?? 0, x = Math.min(t - 1, spec.total) / spec.total;
      return lo + (1 - lo) * 0.5 * (1 + Math.cos(Math.PI * x));
    }
    case 'warmup': {
      if (t <= spec.steps) {
        const start = spec.start ?? 0;
        return start + (1 - start) * t / spec.steps;
      }
      return spec.then ? scheduleFactor(spec.then, t - spec.steps) : 1;
    }
    case 'batchScaling': {
      const ratio = spec.batchSize / spec.baseBatchSize;
      return (spec.rule === 'linear' ? ratio : Math.sqrt(ratio)) * (spec.then ? scheduleFactor(spec.then, t) : 1);
    }
    case 'poly': return (t + (spec.t0 ?? 0)) ** -spec.power;
    case 'inverseTime': return 1 / (1 + spec.gamma * (t - 1));
  }
  spec satisfies never;
  throw new TypeError('scheduleFactor: unknown schedule');
}
