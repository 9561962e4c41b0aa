// PyTorch nn.Sequential state_dicts ↔ descent MLP weights: the hand-built fixture's widths
// and transposed weights, a forward pass in both layouts, write → read round trips, and the
// errors for state_dicts that are not an MLP.

import test from 'ava';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataFileError } from '../../src/io/files.js';
import {
  flattenMlp, mlpFromStateDict, mlpToStateDict, readMlpSafetensors, unflattenMlp, writeMlpSafetensors,
} from '../../src/io/mlp-weights.js';
import type { SafeTensor } from '../../src/io/safetensors.js';
import { readSafetensors, writeSafetensors } from '../../src/io/safetensors.js';
import { normal } from '../../src/random.js';
import { SEQUENTIAL, sequentialFixture } from '../fixtures/make-fixtures.js';

const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'sequential-3-4-2.safetensors');
const tmp = mkdtempSync(join(tmpdir(), 'descent-mlp-'));
test.after.always(() => rmSync(tmp, { recursive: true, force: true }));

const f32 = (shape: number[], values?: number[]): SafeTensor => {
  const n = shape.reduce((a, b) => a * b, 1);
  return { dtype: 'F32', shape, data: Float32Array.from(values ?? Array.from({ length: n }, (_, i) => i)) };
};

test('the committed fixture is what make-fixtures.ts builds', (t) => {
  t.deepEqual(new Uint8Array(readFileSync(FIXTURE)), sequentialFixture());
});

test('Sequential(Linear(3,4), ReLU, Linear(4,2)) → widths [3, 4, 2], W as [in, out]', (t) => {
  const mlp = readMlpSafetensors(FIXTURE, { activation: 'relu' });
  t.deepEqual(mlp.widths, [3, 4, 2]);
  t.deepEqual(mlp.moduleIndices, [0, 2]);
  t.is(mlp.prefix, '');
  t.is(mlp.activation, 'relu');
  t.deepEqual(mlp.metadata, { format: 'pt' });
  const [l0, l1] = mlp.layers as [typeof mlp.layers[0], typeof mlp.layers[0]];
  for (let i = 0; i < 3; i++) for (let o = 0; o < 4; o++) t.is(l0.W[i * 4 + o], SEQUENTIAL.w0[o]![i]);
  for (let i = 0; i < 4; i++) for (let o = 0; o < 2; o++) t.is(l1.W[i * 2 + o], SEQUENTIAL.w2[o]![i]);
  t.deepEqual([...l0.b], SEQUENTIAL.b0);
  t.deepEqual([...l1.b], SEQUENTIAL.b2);
});

test("x·W + b in descent's layout equals PyTorch's W_pt·x + b", (t) => {
  const mlp = readMlpSafetensors(FIXTURE);
  const x = [1, -2, 3];
  // PyTorch: h = relu(W0 x + b0), y = W2 h + b2, with W in [out, in].
  const h = SEQUENTIAL.w0.map((row, o) => Math.max(0, row.reduce((s, w, i) => s + w * x[i]!, SEQUENTIAL.b0[o]!)));
  const yPt = SEQUENTIAL.w2.map((row, o) => row.reduce((s, w, i) => s + w * h[i]!, SEQUENTIAL.b2[o]!));
  // descent: h = relu(x W0 + b0) with W in [in, out].
  let v = x;
  mlp.layers.forEach(({ W, b }, l) => {
    const out = mlp.widths[l + 1]!;
    const next = Array.from({ length: out }, (_, o) => v.reduce((s, xi, i) => s + xi * W[i * out + o]!, b[o]!));
    v = l + 1 < mlp.layers.length ? next.map((z) => Math.max(0, z)) : next;
  });
  // All values are dyadic rationals with few bits, so both orders of summation are exact.
  t.deepEqual(v, yPt);
});

test('write → read round trip keeps widths, weights and PyTorch key names', (t) => {
  const widths = [5, 7, 3, 2];
  const z = normal(3, 200);
  let at = 0;
  const layers = widths.slice(1).map((out, l) => {
    const inp = widths[l]!;
    const W = z.slice(at, at + inp * out); at += inp * out;
    const b = z.slice(at, at + out); at += out;
    return { W, b };
  });
  const path = join(tmp, 'mlp.safetensors');
  writeMlpSafetensors(path, { widths, layers }, { activation: 'tanh' });
  const { tensors, metadata } = readSafetensors(path);
  t.deepEqual(metadata, { format: 'pt', 'descent.widths': '5,7,3,2', 'descent.activation': 'tanh' });
  t.deepEqual([...tensors.keys()].sort(), ['0.bias', '0.weight', '2.bias', '2.weight', '4.bias', '4.weight']);
  t.deepEqual(tensors.get('2.weight')!.shape, [3, 7]);
  t.is(tensors.get('2.weight')!.data[1 * 7 + 4], layers[1]!.W[4 * 3 + 1]);
  const back = readMlpSafetensors(path);
  t.is(back.activation, 'tanh');
  t.deepEqual(back.widths, widths);
  t.deepEqual(back.layers, layers);
  t.deepEqual(unflattenMlp(widths, flattenMlp(back)).layers, layers);
  t.is(flattenMlp(back).length, 5 * 7 + 7 + 7 * 3 + 3 + 3 * 2 + 2);
});

test('prefixes, custom positions, a lone Linear and bias=False', (t) => {
  const sd = mlpToStateDict({ widths: [2, 3], layers: [{ W: new Float32Array(6), b: new Float32Array(3) }] },
    { prefix: 'model.', moduleIndices: [1] });
  t.deepEqual([...sd.keys()], ['model.1.weight', 'model.1.bias']);
  const dropout = mlpFromStateDict({
    'net.0.weight': f32([4, 2]), 'net.0.bias': f32([4]), 'net.3.weight': f32([1, 4]), 'net.3.bias': f32([1]),
  });
  t.deepEqual(dropout.widths, [2, 4, 1]);
  t.deepEqual(dropout.moduleIndices, [0, 3]);
  t.is(dropout.prefix, 'net.');
  const lone = mlpFromStateDict({ weight: f32([2, 3], [1, 2, 3, 4, 5, 6]), bias: f32([2]) });
  t.deepEqual(lone.widths, [3, 2]);
  t.deepEqual([...lone.layers[0]!.W], [1, 4, 2, 5, 3, 6]);
  const noBias = mlpFromStateDict({ '0.weight': f32([2, 3]) }, { missingBias: 'zeros' });
  t.deepEqual([...noBias.layers[0]!.b], [0, 0]);
});

const fails = (t: import('ava').ExecutionContext, sd: Record<string, SafeTensor>, message: string) =>
  t.throws(() => mlpFromStateDict(sd), { instanceOf: DataFileError, message: `mlpFromStateDict: the state dict: ${message}` });

test('state_dicts that are not an MLP', (t) => {
  fails(t, {
    '0.weight': f32([8, 3]), '0.bias': f32([8]), '4.weight': f32([2, 5]), '4.bias': f32([2]),
  }, "'4.weight' has shape [2, 5] (in_features 5) but the previous Linear '0.weight' has out_features 8: the layers " +
    'do not chain (is a Linear missing between them?)');
  fails(t, { '0.weight': f32([4, 3]) },
    "'0.bias' is missing (a Linear saved with bias=False? pass missingBias: 'zeros')");
  fails(t, { '0.bias': f32([4]) }, "'0.bias' has no matching '0.weight'");
  fails(t, { '0.weight': f32([4, 3]), '0.bias': f32([3]) },
    "'0.bias' has shape [3] but '0.weight' has out_features 4, so the bias must have shape [4]");
  fails(t, { '0.weight': f32([4, 3]), '0.bias': f32([4]), '1.weight': f32([4]), '1.bias': f32([4]) },
    "'1.weight' has shape [4]; a Linear weight must be 2-D [out_features, in_features]");
  fails(t, { '0.weight': f32([4, 3]), '0.bias': f32([4]), '1.running_mean': f32([4]) },
    "key '1.running_mean' is not '<index>.weight' or '<index>.bias' of an nn.Sequential of Linear layers " +
    '(normalisation layers, embeddings and other modules are not part of an MLP)');
  fails(t, { 'a.0.weight': f32([4, 3]), 'a.0.bias': f32([4]), 'b.2.weight': f32([1, 4]), 'b.2.bias': f32([1]) },
    "keys carry different prefixes ('a.', 'b.'); expected the state_dict of one nn.Sequential");
  fails(t, { '0.weight': { dtype: 'I64', shape: [1, 1], data: new Int32Array(1) }, '0.bias': f32([1]) },
    "'0.weight' has dtype I64; a Linear weight must be floating point");
  fails(t, {}, 'holds no tensors; expected the state_dict of an nn.Sequential of Linear layers');
});

test('errors from a file name the file', (t) => {
  const path = join(tmp, 'not-mlp.safetensors');
  writeMlpSafetensors(path, { widths: [2, 2], layers: [{ W: new Float32Array(4), b: new Float32Array(2) }] },
    { moduleIndices: [0], prefix: 'x.' });
  t.notThrows(() => readMlpSafetensors(path));
  t.throws(() => writeMlpSafetensors(path, { widths: [2, 3], layers: [{ W: new Float32Array(5), b: new Float32Array(3) }] }), {
    instanceOf: RangeError,
    message: "mlpToStateDict: expected a Float32Array of length 6 (2×3) for 'weights.layers[0].W' but received Float32Array of length 5",
  });
  const bn = join(tmp, 'batchnorm.safetensors');
  writeSafetensors(bn, { '0.weight': { data: new Float32Array(4), shape: [2, 2] }, '1.running_mean': { data: new Float32Array(2), shape: [2] } });
  t.throws(() => readMlpSafetensors(bn), {
    instanceOf: DataFileError,
    message: `readMlpSafetensors: ${bn}: key '1.running_mean' is not '<index>.weight' or '<index>.bias' of an ` +
      'nn.Sequential of Linear layers (normalisation layers, embeddings and other modules are not part of an MLP)',
  });
  t.throws(() => readMlpSafetensors(join(tmp, 'none.safetensors')), {
    instanceOf: DataFileError, message: `readSafetensors: ${join(tmp, 'none.safetensors')} does not exist`,
  });
});
