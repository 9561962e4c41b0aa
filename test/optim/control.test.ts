// Optimizer control at run time: step(grads, {active}) and setHyper.
//
// Oracles. A population stepped with masks must give, bit for bit, the replicas of separate
// single-replica optimizers each stepped only when its replica was active (every update is
// a function of the replica's own record, data and step count), while inactive replicas keep
// their parameters and state bit for bit (their gradient rows may even hold NaN). setHyper
// at step k must equal an optimizer built with the new value from the start whose state is
// loaded from the first one at step k; the change survives a checkpoint.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import * as d from '../../src/index.js';
import type { Backend } from '../../src/index.js';
import { createOptimizer, restoreOptimizer, saveCheckpoint, SGD, Adam, AdaGradNorm } from '../../src/optim/index.js';
import type { Optimizer } from '../../src/optim/index.js';
import { eachBackend } from '../helpers/cases.js';
import { signedProblem } from './helpers.js';

const R = 5, P = 301, STEPS = 6;
/** Which replicas step at each step (indices or booleans). */
const MASKS: (number[] | boolean[])[] = [
  [0, 1, 2, 3, 4], [1, 3], [true, false, false, true, true], [4, 0], [], [2, 3, 4],
];
const activeAt = (k: number, r: number): boolean => {
  const m = MASKS[k]!;
  return typeof m[0] === 'boolean' ? (m as boolean[])[r]! : (m as number[]).includes(r);
};

const sched = { kind: 'poly', power: 0.5, t0: 1 };
const CASES: [string, Record<string, unknown>][] = [
  ['SGD', { lr: [0.05, 0.02, 0.1, 0.03, 0.07], momentum: 0.9, dampening: 0.2, clipNorm: [0, 30, 10, 0, 5], schedule: sched }],
  ['Adam', { lr: 0.01, beta1: [0.9, 0.8, 0.95, 0.5, 0.9], schedule: { kind: 'inverseTime', gamma: 0.3 } }],
  ['AdaGradNorm', { lr: 1, b0: 1, groups: [{ end: 100 }, { end: P }] }],
  ['EGPlusMinus', { lr: 0.02, form: 'pm', total: 1e3 }],
  ['Optimistic', { lr: 0.02, entropic: true, simplex: 1, groups: [{ end: 50 }, { end: P, entropic: false }] }],
  ['RMSProp', { lr: 0.01, centered: true, momentum: 0.5 }],
];

const scalar = (opts: Record<string, unknown>, r: number) =>
  Object.fromEntries(Object.entries(opts).map(([k, v]) => [k, Array.isArray(v) && k !== 'groups' ? v[r] : v]));

async function stateBits(opt: Optimizer): Promise<Float32Array[]> {
  return Promise.all(opt.state.map(async (s) => Float32Array.from(await s.tensor.data())));
}

function firstDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return -2;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

async function maskedMatchesSeparate(t: import('ava').ExecutionContext, b: Backend, kind: string, opts: Record<string, unknown>): Promise<void> {
  const { p0, grads } = signedProblem(R * P, STEPS, 11, kind === 'Optimistic');
  const params = d.tensor(p0, [R, P], { backend: b });
  const opt = createOptimizer(kind, params, opts);
  for (let k = 0; k < STEPS; k++) {
    const before = Float32Array.from(await params.data());
    const stBefore = await stateBits(opt);
    // Inactive rows get NaN gradients: they must not be read.
    const g = grads[k]!.slice();
    for (let r = 0; r < R; r++) if (!activeAt(k, r)) g.fill(Number.NaN, r * P, (r + 1) * P);
    const gt = d.tensor(g, [R, P], { backend: b });
    opt.step(gt, { active: MASKS[k] });
    gt.dispose();
    const after = await params.data();
    const stAfter = await stateBits(opt);
    for (let r = 0; r < R; r++) {
      if (activeAt(k, r)) continue;
      t.is(firstDiff(after.slice(r * P, (r + 1) * P), before.slice(r * P, (r + 1) * P)), -1, `step ${k}: inactive replica ${r}'s params changed`);
      stAfter.forEach((s, i) => {
        const row = s.length / R;
        t.is(firstDiff(s.slice(r * row, (r + 1) * row), stBefore[i]!.slice(r * row, (r + 1) * row)), -1, `step ${k}: inactive replica ${r}'s state ${opt.state[i]!.name} changed`);
      });
    }
  }
  t.is(opt.stepCount, STEPS);
  const batched = await params.data();
  for (let r = 0; r < R; r++) {
    const slice = (a: Float32Array) => a.slice(r * P, (r + 1) * P);
    const alone = d.tensor(slice(p0), [P], { backend: b });
    const single = createOptimizer(kind, alone, scalar(opts, r));
    let count = 0;
    for (let k = 0; k < STEPS; k++) {
      if (!activeAt(k, r)) continue;
      const gt = d.tensor(slice(grads[k]!), [P], { backend: b });
      single.step(gt);
      gt.dispose();
      count++;
    }
    t.is(opt.replicaStepCount(r), count);
    t.is(firstDiff(slice(batched as Float32Array), await alone.data()), -1, `replica ${r} differs from its own optimizer`);
    single.dispose();
    alone.dispose();
  }
  opt.dispose();
  params.dispose();
}

for (const [kind, opts] of CASES) {
  eachBackend(`optim-active · ${kind} · masked population = separate optimizers, inactive untouched`, (t, b) => maskedMatchesSeparate(t, b, kind, opts));
  test(`optim-active · reference · ${kind} · masked population = separate optimizers, inactive untouched`, (t) => maskedMatchesSeparate(t, d.reference, kind, opts));
}

test('optim-active · bad masks are named errors', (t) => {
  const p = d.zeros([3, 4], { backend: d.reference });
  const g = d.ones([3, 4], { backend: d.reference });
  const opt = new SGD(p, { lr: 0.1 });
  t.throws(() => opt.step(g, { active: [0, 3] }), { instanceOf: RangeError, message: /SGD\.step: expected an integer in \[0, 2\] for 'options\.active\[1\]' but received 3/ });
  t.throws(() => opt.step(g, { active: [1, 1] }), { instanceOf: RangeError, message: /distinct replica indices.*1 appears twice/ });
  t.throws(() => opt.step(g, { active: [true, false] }), { instanceOf: RangeError, message: /one boolean per replica \(3\)/ });
  t.throws(() => opt.step(g, { active: [true, 1, false] as never }), { instanceOf: TypeError, message: /options\.active\[1\]/ });
  t.throws(() => opt.step(g, { active: 2 as never }), { instanceOf: TypeError, message: /'options\.active'/ });
  t.is(opt.stepCount, 0);
  // Typed arrays of indices work too.
  opt.step(g, { active: Int32Array.of(2) });
  t.deepEqual([0, 1, 2].map((r) => opt.replicaStepCount(r)), [0, 0, 1]);
});

async function run(opt: Optimizer, b: Backend, grads: Float32Array[], shape: number[]): Promise<void> {
  for (const g of grads) {
    const gt = d.tensor(g, shape, { backend: b });
    opt.step(gt);
    gt.dispose();
  }
}

async function setHyperMatchesRebuilt(t: import('ava').ExecutionContext, b: Backend): Promise<void> {
  const K = 3, N = 4, RR = 3;
  const { p0, grads } = signedProblem(RR * P, K + N, 4);
  const groups = [{ end: 100 }, { end: P }];
  // A: lr 0.01 everywhere for K steps, then replica 1's lr 0.05, group 1's weightDecay 0.1, beta1 0.5 for all.
  const pa = d.tensor(p0, [RR, P], { backend: b });
  const a = new Adam(pa, { lr: 0.01, groups, schedule: sched });
  await run(a, b, grads.slice(0, K), [RR, P]);
  // stateDict hands out views of live buffers: copy them.
  const dict = a.stateDict();
  const mid = { meta: dict.meta, tensors: Object.fromEntries(await Promise.all(Object.entries(dict.tensors).map(async ([k, v]) => [k, d.tensor(await v.data(), v.shape, { backend: b })] as const))) };
  const pMid = Float32Array.from(await pa.data());
  a.setHyper('lr', 0.05, { replica: 1 });
  a.setHyper('weightDecay', 0.1, { group: 1 });
  a.setHyper('beta1', [0.5, 0.6, 0.7]);
  t.is(a.hyper('lr', 1, 0), 0.05);
  t.is(a.hyper('lr', 0, 1), 0.01);
  t.is(a.hyper('weightDecay', 2, 1), 0.1);
  t.is(a.hyper('weightDecay', 2, 0), 0);
  await run(a, b, grads.slice(K), [RR, P]);
  // B: built with those values from the start, state loaded at step K.
  const pb = d.tensor(pMid, [RR, P], { backend: b });
  const bOpt = new Adam(pb, {
    lr: [0.01, 0.05, 0.01], beta1: [0.5, 0.6, 0.7], schedule: sched,
    groups: [{ end: 100 }, { end: P, weightDecay: 0.1 }],
  });
  bOpt.loadState(mid);
  await run(bOpt, b, grads.slice(K), [RR, P]);
  t.is(firstDiff(await pa.data(), await pb.data()), -1);
  for (const o of [a, bOpt]) o.dispose();
}

eachBackend('optim-sethyper · a change at step k = an optimizer built with it, state loaded at k', setHyperMatchesRebuilt);
test('optim-sethyper · reference · a change at step k = an optimizer built with it, state loaded at k', (t) => setHyperMatchesRebuilt(t, d.reference));

test('optim-sethyper · values are checked like constructor options; invariants roll back', (t) => {
  const p = d.zeros([2, 6], { backend: d.reference });
  const sgd = new SGD(p, { lr: 0.1, momentum: 0.9, nesterov: true });
  t.throws(() => sgd.setHyper('lr', -1), { instanceOf: RangeError, message: "SGD.setHyper: expected a finite number ≥ 0 for 'value' but received -1" });
  t.throws(() => sgd.setHyper('momentum', 1), { instanceOf: RangeError, message: /< 1 for 'value' but received 1/ });
  t.throws(() => sgd.setHyper('nesterov', 2), { instanceOf: RangeError });
  t.throws(() => sgd.setHyper('lr', [0.1]), { instanceOf: RangeError, message: /one value per replica \(2\)/ });
  t.throws(() => sgd.setHyper('lr', [0.1, 0.2], { replica: 0 }), { instanceOf: TypeError, message: /one value, since where.replica is given/ });
  t.throws(() => sgd.setHyper('lr', 0.1, { replica: 2 }), { instanceOf: RangeError, message: /'where.replica'/ });
  t.throws(() => sgd.setHyper('lr', 0.1, { group: 1 }), { instanceOf: RangeError, message: /'where.group'/ });
  t.throws(() => sgd.setHyper('lrr', 0.1), { instanceOf: RangeError, message: /unknown hyperparameter 'lrr' \(expected one of lr, momentum/ });
  t.throws(() => sgd.setHyper('clipNorm', 1, { group: 0 }), { instanceOf: RangeError, message: /'clipNorm' is one value per replica/ });
  // Nesterov needs momentum > 0: the change is undone.
  t.throws(() => sgd.setHyper('momentum', 0, { replica: 1 }), { instanceOf: RangeError, message: /SGD\.setHyper: expected momentum > 0 and dampening = 0 with 'nesterov' but replica 1/ });
  t.is(sgd.hyper('momentum', 1, 0), 0.9);
  sgd.setHyper('nesterov', false);
  sgd.setHyper('momentum', 0, { replica: 1 });
  t.is(sgd.hyper('momentum', 1, 0), 0);
  // No buffer, no momentum later.
  const plain = new SGD(d.zeros([4], { backend: d.reference }), { lr: 0.1 });
  t.throws(() => plain.setHyper('momentum', 0.5), { instanceOf: RangeError, message: /built without momentum/ });
  t.is(plain.hyper('momentum', 0, 0), 0);
  const agn = new AdaGradNorm(d.zeros([4], { backend: d.reference }), { b0: 1 });
  t.throws(() => agn.setHyper('b0', 2), { instanceOf: RangeError, message: /'b0' is fixed at construction/ });
  t.false(agn.hyperNames.includes('b0'));
  t.true(agn.hyperNames.includes('clipNorm'));
});

test('optim-sethyper · clipNorm at run time equals clipNorm from the start', async (t) => {
  const b = d.reference;
  const { p0, grads } = signedProblem(2 * P, 3, 5);
  const pa = d.tensor(p0, [2, P], { backend: b });
  const a = new SGD(pa, { lr: 0.05 });
  a.setHyper('clipNorm', [3, 0]);
  await run(a, b, grads, [2, P]);
  const pb = d.tensor(p0, [2, P], { backend: b });
  await run(new SGD(pb, { lr: 0.05, clipNorm: [3, 0] }), b, grads, [2, P]);
  t.is(firstDiff(await pa.data(), await pb.data()), -1);
});

const dir = mkdtempSync(join(tmpdir(), 'descent-control-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

eachBackend('optim-control · checkpoints keep setHyper changes and per-replica step counts', async (t, b) => {
  const { p0, grads } = signedProblem(R * P, 2 * STEPS, 8);
  const path = join(dir, `control-${b.name}.safetensors`);
  const params = d.tensor(p0, [R, P], { backend: b });
  const opt = new Adam(params, { lr: 0.01, schedule: sched });
  for (let k = 0; k < STEPS; k++) {
    const gt = d.tensor(grads[k]!, [R, P], { backend: b });
    opt.step(gt, { active: MASKS[k] });
    gt.dispose();
  }
  opt.setHyper('lr', 0.03, { replica: 2 });
  opt.setHyper('clipNorm', 5);
  await saveCheckpoint(path, opt, { params });
  const rest = async (o: Optimizer) => {
    for (let k = STEPS; k < 2 * STEPS; k++) {
      const gt = d.tensor(grads[k]!, [R, P], { backend: b });
      o.step(gt, { active: MASKS[k - STEPS] });
      gt.dispose();
    }
  };
  await rest(opt);
  const straight = await params.data();
  const params2 = d.tensor(p0, [R, P], { backend: b });
  const { loadCheckpoint } = await import('../../src/optim/index.js');
  const restored = restoreOptimizer(path, params2);
  loadCheckpoint(path, restored, { params: params2 });
  t.is(restored.hyper('lr', 2, 0), 0.03);
  t.deepEqual(Array.from({ length: R }, (_, r) => restored.replicaStepCount(r)), Array.from({ length: R }, (_, r) => opt.replicaStepCount(r) - MASKS.filter((_, k) => activeAt(k, r)).length));
  await rest(restored);
  t.is(firstDiff(await params2.data(), straight), -1);
  opt.dispose();
  restored.dispose();
});
