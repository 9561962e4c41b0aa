#!/usr/bin/env bash
# node-gyp fallback build of the native addon (`npm run build:gyp`).
#
# Builds binding.gyp in a scratch copy of native/ and installs the result as
# build-gyp/Release/descent.node, so cmake-js's build/Release/descent.node is never touched;
# src/backend/cpu/load.ts finds either. Node's headers come from this Node installation
# (--nodedir, e.g. /usr/include/node), so nothing is downloaded; set DESCENT_NODEDIR to
# point elsewhere. node-gyp is the one bundled with npm, or a local/global install.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$root/build-gyp/Release"

# node-gyp: npm's bundled copy, else one on PATH / in node_modules.
gyp=""
npm_root="$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")"
for candidate in "$npm_root/node_modules/node-gyp/bin/node-gyp.js" "$root/node_modules/node-gyp/bin/node-gyp.js"; do
  if [[ -f "$candidate" ]]; then gyp="node $candidate"; break; fi
done
if [[ -z "$gyp" ]] && command -v node-gyp >/dev/null; then gyp="node-gyp"; fi
if [[ -z "$gyp" ]]; then
  echo "build-gyp: node-gyp not found (looked in npm's bundled node_modules and $root/node_modules)" >&2
  exit 1
fi

# Node's own headers: <prefix>/include/node/node_api.h next to the running node binary.
nodedir="${DESCENT_NODEDIR:-$(node -p "require('path').resolve(process.execPath, '../..')")}"
if [[ ! -f "$nodedir/include/node/node_api.h" ]]; then
  echo "build-gyp: no Node headers at $nodedir/include/node (set DESCENT_NODEDIR to a directory holding include/node)" >&2
  exit 1
fi

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
cp "$root/binding.gyp" "$scratch/"
cp -r "$root/native" "$scratch/native"

echo "build-gyp: $gyp rebuild --nodedir=$nodedir (in $scratch)"
(cd "$scratch" && NODE_PATH="$root/node_modules" $gyp rebuild --release --nodedir="$nodedir" -j "$(nproc)")

mkdir -p "$out"
cp "$scratch/build/Release/descent.node" "$out/descent.node"
echo "build-gyp: installed $out/descent.node"
