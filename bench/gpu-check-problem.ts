// Writes the reference problem (../shared/reference/mlp-fmnist-init: 784-256-256-10 ReLU MLP,
// 2,048 Fashion-MNIST rows) into a folder that travels with bench/gpu-check.sh to a machine
// without ../shared or the Fashion-MNIST files: x as uint8 pixels (x = u8/255 exactly, as the
// reference defines it), y int32, the flat float32 parameters and v0, meta.json (widths, n,
// the float64 reference values), and model.safetensors (the weights as a PyTorch
// nn.Sequential state_dict, what `descent spectrum --model` reads). The data file for the
// spectrum command (data.safetensors, x float32 and y) is made from these on arrival
// (gpu-check-parts.ts `data`), so that only 1.6 MB of pixels travel.
//
// Usage: npx tsx bench/gpu-check-problem.ts DIR
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadReferenceProblem } from '../src/data/reference.js';
import { writeMlpSafetensors } from '../src/io/index.js';

const dir = process.argv[2];
if (!dir) throw new RangeError("gpu-check-problem: expected an output folder as the first argument but received none");
mkdirSync(dir, { recursive: true });
const ref = loadReferenceProblem();
const u8 = new Uint8Array(ref.x.length);
for (let i = 0; i < u8.length; i++) {
  u8[i] = Math.round(ref.x[i]! * 255);
  if (Math.fround(u8[i]! / 255) !== ref.x[i]) throw new RangeError(`gpu-check-problem: expected x = u8/255 but x[${i}] = ${ref.x[i]}`);
}
const bytes = (a: Float32Array | Int32Array | Uint8Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
writeFileSync(join(dir, 'x_u8.bin'), u8);
writeFileSync(join(dir, 'y_i32.bin'), bytes(ref.y));
writeFileSync(join(dir, 'flat_f32.bin'), bytes(ref.flat));
writeFileSync(join(dir, 'v0_f32.bin'), bytes(ref.v0));
writeFileSync(join(dir, 'meta.json'), JSON.stringify({ widths: ref.widths, n: ref.n, params: ref.flat.length, expected: ref.expected }));
writeMlpSafetensors(join(dir, 'model.safetensors'), { widths: ref.widths, layers: ref.layers }, { activation: 'relu' });
console.log(`gpu-check-problem: wrote ${dir} (n = ${ref.n}, ${ref.flat.length} parameters)`);
