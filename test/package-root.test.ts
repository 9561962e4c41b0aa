// The package root is found in one place (src/package-root.ts): the native addon's candidate
// paths, the data folder and the WGSL kernels are all under it, and no other module walks up
// looking for package.json or kernels/.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { findPackageRoot, packagePath } from '../src/package-root.js';
import { candidatePaths } from '../src/backend/cpu/load.js';
import { defaultDataDir } from '../src/data/fashion-mnist.js';

const ROOT = findPackageRoot();

test('package root · one root for the addon, the data and the kernels', (t) => {
  t.is(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).name, 'descent');
  const saved = process.env.DESCENT_NATIVE;
  delete process.env.DESCENT_NATIVE;
  try {
    t.deepEqual(candidatePaths(), [join(ROOT, 'build', 'Release', 'descent.node'), join(ROOT, 'build-gyp', 'Release', 'descent.node')]);
  } finally {
    if (saved !== undefined) process.env.DESCENT_NATIVE = saved;
  }
  t.is(defaultDataDir(), join(ROOT, 'data'));
  t.true(statSync(packagePath('kernels', 'elementwise.wgsl')).isFile());
});

test('package root · no other module under src/ searches for package.json', (t) => {
  const offenders: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith('.ts') && p !== join(ROOT, 'src', 'package-root.ts')) {
        const s = readFileSync(p, 'utf8');
        if (/join\([^)]*'package\.json'\)/.test(s) || /import\.meta\.url[\s\S]{0,200}'kernels'/.test(s)) offenders.push(p);
      }
    }
  };
  walk(join(ROOT, 'src'));
  t.deepEqual(offenders, []);
});
