#!/usr/bin/env node
// The `descent` command. Runs the compiled CLI (dist/, built by `npm run build` or on
// install); in a source checkout without a build it runs the TypeScript sources via tsx.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

// Stack traces name the TypeScript sources: the source maps in dist/ carry them (inlineSources).
process.setSourceMapsEnabled(true);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'dist', 'src', 'cli', 'descent.js');
let main;
if (existsSync(built)) {
  main = (await import(pathToFileURL(built).href)).main;
} else {
  try {
    await import('tsx/esm');
  } catch {
    console.error('descent: no build found (dist/). Run `npm run build` in ' + root);
    process.exit(1);
  }
  main = (await import(pathToFileURL(join(root, 'src', 'cli', 'descent.ts')).href)).main;
}
process.exitCode = await main(process.argv.slice(2));
