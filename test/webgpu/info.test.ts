// `descent info`: the adapter's vendor, architecture, description, limits and features, and the
// backend `auto` picks, as text and as JSON.

import test from 'ava';
import { infoCommand } from '../../src/cli/info.js';
import { present } from './gpu.js';

async function capture(argv: string[]): Promise<{ code: number; out: string }> {
  const log = console.log;
  let out = '';
  console.log = (...a: unknown[]) => { out += a.join(' ') + '\n'; };
  try {
    return { code: await infoCommand(argv), out };
  } finally {
    console.log = log;
  }
}

test.serial('descent info --json reports the adapter and the auto choice', async (t) => {
  const { code, out } = await capture(['--json']);
  t.is(code, 0);
  const info = JSON.parse(out) as { webgpu: null | { vendor: string; description: string; limits: Record<string, number>; features: string[] }; auto: { backend: string; reason: string } };
  t.true(['cpu', 'webgpu'].includes(info.auto.backend));
  t.true(info.auto.reason.length > 0);
  if (present) {
    t.truthy(info.webgpu);
    t.true(info.webgpu!.limits.maxStorageBufferBindingSize! > 0);
    t.true(Array.isArray(info.webgpu!.features));
    // A software adapter (lavapipe) is slower than the native kernels: auto keeps the cpu backend.
    if (/llvmpipe/.test(info.webgpu!.description)) t.is(info.auto.backend, 'cpu');
  } else {
    t.is(info.webgpu, null);
    t.is(info.auto.backend, 'cpu');
  }
});

test.serial('descent info prints the adapter lines and what auto picks', async (t) => {
  const { code, out } = await capture([]);
  t.is(code, 0);
  t.regex(out, /^webgpu adapter$/m);
  t.regex(out, /^auto picks: (cpu|webgpu) \(/m);
  if (present) {
    for (const field of ['vendor', 'architecture', 'description', 'features', 'limits']) t.regex(out, new RegExp(`^ {2}${field}`, 'm'));
    t.regex(out, /maxStorageBufferBindingSize\s+\d+/);
  }
});

// Issue 17: Dawn printed "Warning: maxDynamic… artificially reduced" on lavapipe at every run
// that probed the adapter (`auto`, `info`), even with --quiet. A child process, so that the
// adapter is requested for the first time there.
test('probing the adapter prints nothing on stderr', async (t) => {
  const { spawnSync } = await import('node:child_process');
  const { fileURLToPath } = await import('node:url');
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const script = "import { hasAdapter } from './src/backend/webgpu/device.ts'; await hasAdapter(); console.error('done');";
  const env = { ...process.env };
  delete env.DESCENT_DEBUG;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, env, encoding: 'utf8' });
  t.is(r.status, 0, r.stderr);
  t.is(r.stderr.trim(), 'done');
});
