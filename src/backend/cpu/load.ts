// Loads descent's native addon. It tries, in order, $DESCENT_NATIVE, the cmake-js build
// (build/Release/descent.node, from `npm install` / `npm run build:native`) and the node-gyp
// fallback (build-gyp/Release/descent.node, from `npm run build:gyp`), and on failure throws
// one NativeLoadError that lists each attempt and how to fix it.

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DescentError } from '../../errors.js';
import { findPackageRoot } from '../../package-root.js';
import { NATIVE_EXPORTS } from './native.js';
import type { NativeAddon } from './native.js';

/** The native addon could not be loaded (not built, built for another Node, or a broken file). */
export class NativeLoadError extends DescentError {}

/** The package root (src/package-root.ts), or three folders up when no package.json names descent. */
function packageRoot(): string {
  try {
    return findPackageRoot();
  } catch {
    return resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
  }
}

/** The places the addon is looked for, in order. */
export function candidatePaths(): string[] {
  const root = packageRoot();
  const paths = [join(root, 'build', 'Release', 'descent.node'), join(root, 'build-gyp', 'Release', 'descent.node')];
  const env = process.env.DESCENT_NATIVE;
  return env ? [resolve(env), ...paths] : paths;
}

let cached: NativeAddon | null = null;

/** The addon, loaded on first use. Throws NativeLoadError listing each attempt. */
export function loadNative(): NativeAddon {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const attempts: string[] = [];
  for (const path of candidatePaths()) {
    if (!existsSync(path)) {
      attempts.push(`${path}: not found`);
      continue;
    }
    try {
      const addon = require(path) as NativeAddon;
      const missing = NATIVE_EXPORTS.filter((name) => typeof addon[name] !== 'function');
      if (missing.length > 0) {
        attempts.push(`${path}: an older build without ${missing.join(', ')}`);
        continue;
      }
      cached = addon;
      return addon;
    } catch (e) {
      attempts.push(`${path}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  throw new NativeLoadError(
    [
      "Could not load descent's native addon (the cpu backend).",
      ...attempts.map((a) => `  - ${a}`),
      'Possible solutions:',
      '  - npm run build:native     (cmake-js; needs cmake and a C++17 compiler: apt-get install cmake g++)',
      '  - npm run build:gyp        (node-gyp fallback, builds into build-gyp/)',
      '  - set DESCENT_NATIVE=/path/to/descent.node to use a build elsewhere',
      "  - or use the 'reference' backend: useBackend('reference')",
    ].join('\n'),
  );
}
