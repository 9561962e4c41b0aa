// A process that used the webgpu backend exits by itself (no device.destroy(), no hang), and
// DESCENT_DEBUG=2 prints each pipeline's label and kernel source.

import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gpuTest } from './gpu.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SCRIPT = `
import { createWebGPUBackend } from './src/backend/webgpu/index.ts';
const gpu = await createWebGPUBackend();
const x = gpu.upload(new Float32Array([1, 2, 3]));
const y = gpu.ops.unary('exp', { s: x, offset: 0 }, 3);
const out = await gpu.read(y);
console.log('result', Array.from(out).map((v) => v.toFixed(3)).join(','));
if (process.env.DISPOSE) gpu.dispose();
`;

function runChild(env: Record<string, string>): { status: number | null; stdout: string; stderr: string; ms: number } {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', SCRIPT], {
    cwd: root, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - t0 };
}

gpuTest('a process exits by itself after using the backend, with or without dispose()', (t) => {
  for (const env of [{}, { DISPOSE: '1' }] as Record<string, string>[]) {
    const r = runChild(env);
    t.is(r.status, 0, `exit status ${r.status} after ${r.ms} ms; stderr: ${r.stderr.slice(-500)}`);
    t.regex(r.stdout, /result 2\.718,7\.389,20\.086/);
  }
});

gpuTest('DESCENT_DEBUG=2 prints the pipeline label with its constants, then the kernel source', (t) => {
  const r = runChild({ DESCENT_DEBUG: '2' });
  t.is(r.status, 0);
  t.regex(r.stderr, /\[descent webgpu\] pipeline elementwise\.wgsl:unary\{DTYPE=0,OP=2,WG=64\}\n\/\/ elementwise\.wgsl — /);
});
