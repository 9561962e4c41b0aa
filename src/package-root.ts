// Where descent's own files are: the one place that finds the package root (the folder whose
// package.json is named "descent"), for the native addon (build/), the WGSL kernels
// (kernels/), the shipped data (data/) and anything else that ships beside the code. It walks
// up from a module URL, so it works from src/ under tsx, from dist/src/ after tsc and from
// node_modules/descent/. It imports nothing but node and errors.ts, so every layer may use it.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DescentError } from './errors.js';

let cachedRoot: string | undefined;

/**
 * The folder holding descent's package.json (name "descent"), found by walking up from
 * `moduleUrl` (default: this module). Throws a DescentError naming the start folder when
 * there is none.
 * @example
 * const kernels = join(findPackageRoot(), 'kernels');
 */
export function findPackageRoot(moduleUrl: string = import.meta.url): string {
  if (moduleUrl === import.meta.url && cachedRoot !== undefined) return cachedRoot;
  const start = dirname(fileURLToPath(moduleUrl));
  for (let dir = start; ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        const name = (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown }).name;
        if (name === 'descent') {
          const root = resolve(dir);
          if (moduleUrl === import.meta.url) cachedRoot = root;
          return root;
        }
      } catch {
        // An unreadable or non-JSON package.json on the way up is not ours; keep walking.
      }
    }
    if (dirname(dir) === dir) break;
  }
  throw new DescentError(`findPackageRoot: no folder above ${start} holds a package.json named "descent"`);
}

/** A path inside the package root, e.g. packagePath('kernels', 'elementwise.wgsl'). */
export function packagePath(...parts: string[]): string {
  return join(findPackageRoot(), ...parts);
}
