// What the published package carries: source maps that embed their TypeScript (the package
// ships dist/, not src/, and stack traces must still show the sources), and the install
// script's choice between cmake-js and the node-gyp fallback.

import test from 'ava';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist', 'src');

(existsSync(dist) ? test : test.skip)(`every source map in dist/ embeds its source${existsSync(dist) ? '' : ' (skipped: no dist/, run npm run build)'}`, (t) => {
  const maps: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(dir, e.name));
      else if (e.name.endsWith('.js.map')) maps.push(join(dir, e.name));
    }
  };
  walk(dist);
  t.true(maps.length > 50, `${maps.length} maps`);
  for (const m of maps) {
    const map = JSON.parse(readFileSync(m, 'utf8')) as { sources: string[]; sourcesContent?: (string | null)[] };
    t.true(Array.isArray(map.sourcesContent) && map.sourcesContent.every((s) => typeof s === 'string' && s.length > 0), `${m} lacks sourcesContent`);
  }
});

test('npm install builds with cmake-js when cmake is present, else with node-gyp (one line says which)', (t) => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  t.is(pkg.scripts.install, 'bash scripts/install-native.sh');
  const script = readFileSync(join(root, 'scripts', 'install-native.sh'), 'utf8');
  t.regex(script, /command -v cmake/);
  t.regex(script, /building the native addon with node-gyp/);
  t.regex(script, /building the native addon with cmake-js/);
});

(existsSync(dist) ? test : test.skip)(`'descent/distributed' resolves to the distributed layer (workers, the operator, the federated aggregator)${existsSync(dist) ? '' : ' (skipped: no dist/, run npm run build)'}`, async (t) => {
  const m = await import('descent/distributed') as Record<string, unknown>;
  for (const name of ['runWorker', 'distributedOperator', 'runFederatedAsync', 'runFederatedWorker', 'connectRedis']) t.is(typeof m[name], 'function', name);
});
