// Lists native/ sources for binding.gyp (node-gyp fallback build), one group per set of
// compile flags, so the gyp build compiles exactly what CMakeLists.txt globs:
//   node native/gyp-sources.cjs <base|avx2|avx512> <plain|exact>
// ISA files end in _avx2.cc / _avx512.cc; "exact" files (native/optim/) are built with
// -ffp-contract=off. Paths are relative to the package root (binding.gyp's directory).
'use strict';
const fs = require('fs');
const path = require('path');

const [isa, mode] = process.argv.slice(2);
const root = path.join(__dirname, '..');
const walk = (dir) =>
  fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = path.posix.join(dir, e.name);
    return e.isDirectory() ? walk(rel) : [rel];
  });
const isaOf = (f) => (f.endsWith('_avx512.cc') ? 'avx512' : f.endsWith('_avx2.cc') ? 'avx2' : 'base');
const modeOf = (f) => (f.startsWith('native/optim/') ? 'exact' : 'plain');
const files = walk('native').filter((f) => f.endsWith('.cc') && isaOf(f) === isa && modeOf(f) === mode).sort();
console.log(files.join(' '));
