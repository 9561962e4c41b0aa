// `descent train` feeds the curvature studies: its weights.safetensors (an nn.Sequential
// state_dict) loads with loadTrainedMlp into the same arena as its checkpoint, and the
// minibatch-Hessian sampler runs on it.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import * as d from '../../src/index.js';
import { trainCommand } from '../../src/cli/train.js';
import { loadTrainedMlp, minibatchSpectra } from '../../src/algorithms/curvature/index.js';

const dir = mkdtempSync(join(tmpdir(), 'descent-curv-train-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

test.serial('descent train → weights.safetensors → loadTrainedMlp → minibatchSpectra', async (t) => {
  const out = join(dir, 'run');
  const log = console.log, write = process.stderr.write.bind(process.stderr);
  console.log = () => {};
  process.stderr.write = (() => true) as typeof process.stderr.write;
  try {
    t.is(await trainCommand(['--data', 'embedded', '--train-limit', '600', '--test-limit', '200', '--hidden', '16', '--batch-size', '100',
      '--epochs', '1', '--no-progress', '--seed', '2', '--out', out]), 0);
  } finally {
    console.log = log;
    process.stderr.write = write;
  }
  const { model, params, widths } = loadTrainedMlp(join(out, 'weights.safetensors'));
  t.deepEqual(widths, [784, 16, 10]);
  const saved = d.readCheckpoint(join(out, 'state', 'checkpoint-00001.safetensors')).tensors.get('params')!.data;
  t.deepEqual(Array.from(await params.data()), Array.from(saved as Float32Array), 'the same arena as the checkpoint');
  const data = d.loadDefaultDataset({ limit: 64 });
  const r = await minibatchSpectra(model, d.softmaxCrossEntropy, params, { x: data.x, y: data.y, n: data.n, features: data.features }, { batchSizes: [16, 64], subsets: 2, maxSteps: 10 });
  t.true(r.results.every((b) => b.values.every((v) => Number.isFinite(v[0]!) && v[0]! > 0)));
});
