// The shared reference problem: shapes, labels cross-checked against the Fashion-MNIST
// training labels at the listed rows, pixels against an independent IDX decode, a float64
// forward pass that reproduces the manifest's float64 loss, and the errors for damaged copies.
// Skips when ../shared/reference or the Debian Fashion-MNIST package is missing.

import test from 'ava';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FASHION_MNIST_DIR } from '../../src/data/fashion-mnist.js';
import { readIdx } from '../../src/data/idx.js';
import { defaultReferenceDir, loadReferenceProblem } from '../../src/data/reference.js';
import { DataFileError } from '../../src/io/files.js';

const REF = defaultReferenceDir();
const READY = existsSync(join(REF, 'manifest.json')) && existsSync(join(FASHION_MNIST_DIR, 'train-images-idx3-ubyte.gz'));
const ready = READY ? test : test.skip;
if (!READY) console.log(`skipping reference-problem tests: needs ${REF} and ${FASHION_MNIST_DIR}`);

const tmp = mkdtempSync(join(tmpdir(), 'descent-ref-'));
test.after.always(() => rmSync(tmp, { recursive: true, force: true }));

ready('shapes, parameter layout and v0', (t) => {
  const r = loadReferenceProblem();
  t.is(r.dir, REF);
  t.deepEqual(r.widths, [784, 256, 256, 10]);
  t.deepEqual(r.paramOrder, ['W1', 'b1', 'W2', 'b2', 'W3', 'b3']);
  t.is(r.n, 2048);
  t.is(r.x.length, 2048 * 784);
  t.is(r.flat.length, 269322);
  t.is(r.v0.length, 269322);
  t.is(r.flat[784 * 256], r.params.b1!.data[0]);
  t.is(r.flat[269322 - 1], r.params.b3!.data[9]);
  t.is(r.layers[2]!.W, r.params.W3!.data);
  let s = 0;
  for (const v of r.v0) s += v * v;
  // A unit vector normalised in float32: the sum of squares over n terms is good to n·u.
  t.true(Math.abs(Math.sqrt(s) - 1) <= r.v0.length * 2 ** -24, `‖v0‖ = ${Math.sqrt(s)}`);
  t.is(r.expected.loss, 2.304371623458172);
});

ready('labels and pixels match the Fashion-MNIST training files at the listed rows', (t) => {
  const r = loadReferenceProblem();
  const labels = readIdx(join(FASHION_MNIST_DIR, 'train-labels-idx1-ubyte.gz')).data;
  let wrong = 0;
  for (let i = 0; i < r.n; i++) if (labels[r.indices[i]!] !== r.y[i]) wrong++;
  t.is(wrong, 0);
  const images = readIdx(join(FASHION_MNIST_DIR, 'train-images-idx3-ubyte.gz')).data;
  let bad = -1;
  for (let i = 0; i < r.n && bad < 0; i++) {
    for (let j = 0; j < 784; j++) {
      if (r.x[i * 784 + j] !== Math.fround(images[r.indices[i]! * 784 + j]! / 255)) { bad = i; break; }
    }
  }
  t.is(bad, -1, `row ${bad} differs`);
});

ready("a float64 forward pass over the loaded data reproduces the manifest's float64 loss", (t) => {
  const r = loadReferenceProblem();
  const u = 2 ** -53;
  const gamma = (k: number) => (k * u) / (1 - k * u);
  // Alongside z = h·W + b, track zAbs = h·|W| + |b| (h ≥ 0: pixels and ReLU outputs) and a bound
  // E on max|ẑ − z|: E_l = γ_{k+1}·max zAbs + ‖|W_l|‖_∞·E_{l−1} (Higham §3.1; ReLU is 1-Lipschitz).
  let h = Float64Array.from(r.x);
  let width = r.widths[0]!;
  let E = 0;
  r.layers.forEach(({ W, b }, l) => {
    const out = r.widths[l + 1]!;
    const absW = Float64Array.from(W, Math.abs);
    const colSums = new Float64Array(out);
    for (let k = 0; k < width; k++) for (let o = 0; o < out; o++) colSums[o] += absW[k * out + o]!;
    const z = new Float64Array(r.n * out);
    let maxAbs = 0;
    for (let i = 0; i < r.n; i++) {
      const zi = i * out;
      const zAbs = Float64Array.from(b, Math.abs);
      for (let o = 0; o < out; o++) z[zi + o] = b[o]!;
      for (let k = 0; k < width; k++) {
        const hv = h[i * width + k]!;
        if (hv === 0) continue;
        for (let o = 0; o < out; o++) {
          z[zi + o] += hv * W[k * out + o]!;
          zAbs[o] += hv * absW[k * out + o]!;
        }
      }
      for (let o = 0; o < out; o++) maxAbs = Math.max(maxAbs, zAbs[o]!);
      if (l + 1 < r.layers.length) for (let o = 0; o < out; o++) z[zi + o] = Math.max(0, z[zi + o]!);
    }
    E = gamma(width + 1) * maxAbs + Math.max(...colSums) * E;
    h = z;
    width = out;
  });
  let loss = 0, terms = 0;
  for (let i = 0; i < r.n; i++) {
    const row = h.subarray(i * 10, i * 10 + 10);
    const m = Math.max(...row);
    const li = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0)) - row[r.y[i]!]!;
    loss += li;
    terms += Math.abs(li);
  }
  loss /= r.n;
  // Per-row loss: log-sum-exp and the picked logit are each 1-Lipschitz in max|Δz| (2E), plus
  // about 16u·|ℓ_i| for exp, log and the 10-term sum; the mean adds γ_n·Σ|ℓ_i|/n. The
  // reference's own float64 computation obeys the same bound, hence the factor 2.
  const bound = 2 * (2 * E + 16 * u * (terms / r.n) + gamma(r.n) * terms / r.n);
  t.true(Math.abs(loss - r.expected.loss) <= bound, `loss ${loss} vs ${r.expected.loss}, bound ${bound}`);
  t.log(`|loss − expected| = ${Math.abs(loss - r.expected.loss)}, derived bound ${bound}`);
});

/** A copy of the reference folder; `edit` changes it. */
function copy(name: string, edit: (dir: string) => void): string {
  const dir = join(tmp, name);
  mkdirSync(dir);
  for (const f of readdirSync(REF)) copyFileSync(join(REF, f), join(dir, f));
  edit(dir);
  return dir;
}

ready('damaged copies are refused with the file named', (t) => {
  const swapped = copy('labels', (dir) => {
    const y = new Int32Array(2048);
    y[0] = 3;
    writeFileSync(join(dir, 'y_i32.bin'), y);
  });
  t.throws(() => loadReferenceProblem(swapped), {
    instanceOf: DataFileError,
    message: new RegExp(`^loadReferenceProblem: ${join(swapped, 'y_i32.bin')} has sha256 [0-9a-f]{64} but SHA256SUMS lists 1c27fc61`),
  });
  rmSync(join(swapped, 'SHA256SUMS'));
  t.throws(() => loadReferenceProblem(swapped), {
    instanceOf: DataFileError,
    message: new RegExp(`^loadReferenceProblem: ${join(swapped, 'y_i32.bin')} gives label 3 for row \\d+ \\(position 0\\) ` +
      `but ${join(FASHION_MNIST_DIR, 'train-labels-idx1-ubyte.gz')} holds \\d: the reference does not match this copy of Fashion-MNIST$`),
  });
  const short = copy('short', (dir) => writeFileSync(join(dir, 'b3.bin'), new Float32Array(9)));
  t.throws(() => loadReferenceProblem(short), {
    instanceOf: DataFileError,
    message: `loadReferenceProblem: ${join(short, 'b3.bin')} is truncated: it holds 36 bytes but the manifest's shape [10] ` +
      'of float32 needs 40',
  });
  const missing = join(tmp, 'nowhere');
  t.throws(() => loadReferenceProblem(missing), {
    instanceOf: DataFileError,
    message: `loadReferenceProblem: ${join(missing, 'manifest.json')} does not exist (the folder ${missing} does not ` +
      "exist: the reference problem lives in the project's shared/ folder, ../shared from descent's root)",
  });
});
