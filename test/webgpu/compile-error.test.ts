// WGSL compile errors name the kernel file and the line, also inside an included file.

import test from 'ava';
import { KernelCompileError } from '../../src/backend/webgpu/errors.js';
import { assemble, compileModule, kernelSource, pipelineKey } from '../../src/backend/webgpu/pipelines.js';
import { backend, gpuTest } from './gpu.js';

const BROKEN = [
  '// broken.wgsl — a kernel with a type error on line 4',
  '@group(0) @binding(0) var<storage, read_write> x: array<f32>;',
  '@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3<u32>) {',
  '  x[g.x] = true;',
  '}',
].join('\n');

gpuTest('a bad WGSL source fails with KernelCompileError naming the file and line', async (t) => {
  const gpu = await backend();
  const err = await t.throwsAsync(compileModule(gpu.context.device, 'broken.wgsl', BROKEN), { instanceOf: KernelCompileError });
  t.regex(err!.message, /kernel broken\.wgsl failed to compile:\n {2}broken\.wgsl:4:\d+ error: /);
  t.is(err!.messages[0]!.lineNum, 4);
  t.is(err!.messages[0]!.file, 'broken.wgsl');
});

gpuTest('an error inside an included file names that file and its own line', async (t) => {
  const gpu = await backend();
  const files: Record<string, string> = {
    'lib.wgsl': '// lib.wgsl\nfn one() -> f32 {\n  return 1u;\n}',
  };
  const src = assemble('user.wgsl', '// user.wgsl\n//! include lib.wgsl\n@compute @workgroup_size(1) fn main() { _ = one(); }', (f) => files[f]!);
  const err = await t.throwsAsync(compileModule(gpu.context.device, 'user.wgsl', src), { instanceOf: KernelCompileError });
  t.regex(err!.message, /kernel user\.wgsl failed to compile:\n {2}lib\.wgsl:3:\d+ error: /);
});

gpuTest('every kernel file compiles', async (t) => {
  const gpu = await backend();
  // createWebGPUBackend compiled them all; compiling math.wgsl alone checks the library itself.
  await t.notThrowsAsync(compileModule(gpu.context.device, 'math.wgsl', kernelSource('math.wgsl')));
});

test('pipeline keys sort the constants, so one (file, entry, constants) has one key', (t) => {
  t.is(pipelineKey('matmul.wgsl', 'main', { TRANS_B: 1, ACT: 2, TRANS_A: 0 }), 'matmul.wgsl:main{ACT=2,TRANS_A=0,TRANS_B=1}');
  t.is(pipelineKey('matmul.wgsl', 'main', { ACT: 2, TRANS_A: 0, TRANS_B: 1 }), pipelineKey('matmul.wgsl', 'main', { TRANS_A: 0, TRANS_B: 1, ACT: 2 }));
});

test('includes are spliced in once and located line by line', (t) => {
  const files: Record<string, string> = { 'a.wgsl': 'A1\nA2', 'b.wgsl': '//! include a.wgsl\nB2' };
  const src = assemble('top.wgsl', 'T1\n//! include b.wgsl\n//! include a.wgsl\nT4', (f) => files[f]!);
  t.is(src.code, 'T1\nA1\nA2\nB2\nT4');
  t.deepEqual(src.segments.map((s) => [s.file, s.start, s.lines, s.fileLine]), [
    ['top.wgsl', 1, 1, 1], ['a.wgsl', 2, 2, 1], ['b.wgsl', 4, 1, 2], ['top.wgsl', 5, 1, 4],
  ]);
});
