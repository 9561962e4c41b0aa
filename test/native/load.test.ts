// The addon loader: where it looks, and the one error it throws when nothing loads (every
// attempt listed with its reason, then how to fix it). The failure case runs the loader from
// a scratch copy of src/ that has no build next to it.

import test from 'ava';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { candidatePaths, loadNative } from '../../src/backend/cpu/load.js';

const root = resolve(import.meta.dirname, '../..');

test('load · looks in $DESCENT_NATIVE, then the cmake-js build, then the node-gyp build', (t) => {
  const before = process.env.DESCENT_NATIVE;
  try {
    delete process.env.DESCENT_NATIVE;
    t.deepEqual(candidatePaths(), [join(root, 'build/Release/descent.node'), join(root, 'build-gyp/Release/descent.node')]);
    process.env.DESCENT_NATIVE = 'somewhere/descent.node';
    t.is(candidatePaths()[0], resolve('somewhere/descent.node'));
  } finally {
    if (before === undefined) delete process.env.DESCENT_NATIVE;
    else process.env.DESCENT_NATIVE = before;
  }
  t.is(typeof loadNative().sgemm, 'function');
});

test('load · a missing or broken build throws one NativeLoadError listing each attempt and the fixes', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'descent-load-'));
  try {
    cpSync(join(root, 'src'), join(dir, 'src'), { recursive: true });
    cpSync(join(root, 'package.json'), join(dir, 'package.json'));
    symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
    writeFileSync(join(dir, 'broken.node'), 'not an ELF file');
    writeFileSync(join(dir, 'probe.ts'), [
      "import { loadNative } from './src/backend/cpu/load.ts';",
      'try { loadNative(); console.log("loaded"); } catch (e) { console.log(`${(e as Error).name}\\n${(e as Error).message}`); }',
    ].join('\n'));
    const out = execFileSync(process.execPath, ['--import', 'tsx', join(dir, 'probe.ts')], {
      cwd: dir, env: { ...process.env, DESCENT_NATIVE: join(dir, 'broken.node') }, encoding: 'utf8',
    });
    const lines = out.trim().split('\n');
    t.is(lines[0], 'NativeLoadError');
    t.is(lines[1], "Could not load descent's native addon (the cpu backend).");
    t.regex(lines[2]!, new RegExp(`^  - ${join(dir, 'broken.node')}: .*(too short|invalid ELF|file)`));
    t.is(lines[3], `  - ${join(dir, 'build/Release/descent.node')}: not found`);
    t.is(lines[4], `  - ${join(dir, 'build-gyp/Release/descent.node')}: not found`);
    t.is(lines[5], 'Possible solutions:');
    t.regex(out, /- npm run build:native/);
    t.regex(out, /- npm run build:gyp/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
