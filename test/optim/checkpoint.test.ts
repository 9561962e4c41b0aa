// Save/load: an optimizer restored from a checkpoint continues bit-identically, on every
// backend, for every optimizer (with a schedule, so the restored step count matters).

import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import * as d from '../../src/index.js';
import type { Backend } from '../../src/index.js';
import { Adam, createOptimizer, loadCheckpoint, readCheckpoint, restoreOptimizer, saveCheckpoint } from '../../src/optim/index.js';
import { eachBackend } from '../helpers/cases.js';
import { signedProblem } from './helpers.js';

const R = 2, P = 777, STEPS = 10;
const sched = { kind: 'warmup', steps: 3, then: { kind: 'cosine', total: 20, min: 0.1 } };
const CASES: [string, Record<string, unknown>][] = [
  ['SGD', { lr: 0.05, momentum: 0.9, dampening: 0.1, schedule: sched }],
  ['Adam', { lr: [0.01, 0.02], schedule: sched, clipNorm: 20 }],
  ['AdamW', { lr: 0.01, amsgrad: true, schedule: sched }],
  ['AMSGrad', { lr: 0.01 }],
  ['AdaGrad', { lr: 0.1, lrDecay: 0.01 }],
  ['AdaGradNorm', { lr: 1, clipNorm: [10, 0], groups: [{ end: 100 }, { end: P }] }],
  ['RMSProp', { lr: 0.01, centered: true, momentum: 0.5 }],
  ['DiffGrad', { lr: 0.01, schedule: sched }],
  ['EGPlusMinus', { lr: 0.05, form: 'pm' }],
  ['Optimistic', { lr: 0.02, entropic: true }],
];

const dir = mkdtempSync(join(tmpdir(), 'descent-ckpt-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

async function steps(b: Backend, opt: { step(g: d.Tensor): void }, grads: Float32Array[]): Promise<void> {
  for (const g of grads) {
    const gt = d.tensor(g, [R, P], { backend: b });
    opt.step(gt);
    gt.dispose();
  }
}

for (const [kind, opts] of CASES) {
  eachBackend(`checkpoint · ${kind} resumes bit-identically`, async (t, b) => {
    const { p0, grads } = signedProblem(R * P, 2 * STEPS, 9);
    const path = join(dir, `${kind}-${b.name}.safetensors`);
    const params = d.tensor(p0, [R, P], { backend: b });
    const opt = createOptimizer(kind, params, opts);
    await steps(b, opt, grads.slice(0, STEPS));
    await saveCheckpoint(path, opt, { params }, { epoch: 1 });
    await steps(b, opt, grads.slice(STEPS));
    const straight = await params.data();

    // Same options, fresh tensors, state loaded from the file.
    const params2 = d.zeros([R, P], { backend: b });
    const opt2 = createOptimizer(kind, params2, opts);
    t.deepEqual(loadCheckpoint(path, opt2, { params: params2 }), { epoch: 1 });
    t.is(opt2.stepCount, STEPS);
    await steps(b, opt2, grads.slice(STEPS));
    t.deepEqual(await params2.data(), straight);

    // Rebuilt from the saved options.
    const params3 = d.tensor(readCheckpoint(path).tensors.get('params')!.data as Float32Array, [R, P], { backend: b });
    const opt3 = restoreOptimizer(path, params3);
    t.is(opt3.kind, opt.kind);
    await steps(b, opt3, grads.slice(STEPS));
    t.deepEqual(await params3.data(), straight);
    for (const o of [opt, opt2, opt3]) o.dispose();
  });
}

test('checkpoint · JSON sidecar, atomic files, and mismatches are refused', async (t) => {
  const path = join(dir, 'adam.safetensors');
  const params = d.tensor(new Float32Array(10).fill(1), [10], { backend: d.reference });
  const opt = new Adam(params, { lr: 0.1 });
  opt.step(d.tensor(new Float32Array(10).fill(0.5), [10], { backend: d.reference }));
  await saveCheckpoint(path, opt, {}, { note: 'x' });
  const json = JSON.parse(readFileSync(join(dir, 'adam.json'), 'utf8'));
  t.is(json.optimizer.kind, 'Adam');
  t.is(json.optimizer.step, 1);
  t.deepEqual(json.info, { note: 'x' });
  t.false(existsSync(`${path}.tmp-${process.pid}`));
  t.deepEqual([...readCheckpoint(path).tensors.keys()].sort(), ['optimizer.m', 'optimizer.v']);
  const other = createOptimizer('Adam', d.zeros([11], { backend: d.reference }));
  t.throws(() => loadCheckpoint(path, other), { instanceOf: RangeError, message: /loadCheckpoint: expected size 11 but the saved state has 10/ });
  const sgd = createOptimizer('SGD', d.zeros([10], { backend: d.reference }), { momentum: 0.9 });
  t.throws(() => loadCheckpoint(path, sgd), { instanceOf: RangeError, message: /loadCheckpoint: expected kind "SGD" but the saved state has "Adam"/ });
  const f64 = new Adam(d.zeros([3], { backend: d.reference, dtype: 'float64' }));
  await t.throwsAsync(saveCheckpoint(join(dir, 'f64.safetensors'), f64), { instanceOf: TypeError, message: /expected a float32 tensor for 'state.m' but received float64/ });
});
