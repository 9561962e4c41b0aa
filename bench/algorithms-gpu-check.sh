#!/usr/bin/env bash
# The algorithm substrate on a machine with an NVIDIA GPU and no network: the optimizer-control,
# prox and population tests (test/optim/control, test/optim/prox, test/nn/population) on the
# WebGPU backend of a real GPU (Dawn on Vulkan) against reference, and `bench -- algorithms`
# there, cpu-free (the native addon does not travel).
#
#   bash bench/algorithms-gpu-check.sh --prepare   here, with the repo installed: writes .gpualg/
#   bash bench/algorithms-gpu-check.sh             there, from the repo root, with .gpualg/ beside it
#
# What travels (.gpualg/, ~30 MiB): Node's binary and dawn.node (xz), the `webgpu` package's
# index.js, the Vulkan loader and glvnd (.deb), and one ES module bundled by esbuild from the three test
# files (with bench/ava-shim.ts standing in for ava) and the bench family. kernels/ is read from
# the repo. The NVIDIA Vulkan driver comes from the machine (/usr/local/nvidia).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=.gpualg

if [ "${1:-}" = "--prepare" ]; then
  [ -f node_modules/webgpu/dist/linux-x64/dawn.node ] || { echo "algorithms-gpu-check: run npm ci first" >&2; exit 1; }
  rm -rf "$OUT" && mkdir -p "$OUT/node_modules/webgpu" "$OUT/debs"
  grep -qx "/$OUT/" .git/info/exclude 2>/dev/null || echo "/$OUT/" >> .git/info/exclude
  xz -T0 -6 -c "$(command -v node)" > "$OUT/node.xz"
  xz -T0 -6 -c node_modules/webgpu/dist/linux-x64/dawn.node > "$OUT/dawn.node.xz"
  cp node_modules/webgpu/index.js node_modules/webgpu/package.json "$OUT/node_modules/webgpu/"
  printf '%s\n' \
    "import '../test/optim/control.test.ts';" \
    "import '../test/optim/prox.test.ts';" \
    "import '../test/nn/population.test.ts';" \
    "import { runAll } from 'ava';" \
    "if (process.argv[2] !== 'bench') await runAll();" \
    "// The bench module runs itself when import.meta.url is argv[1], which a bundle's always is." \
    "else { const args = process.argv.slice(3); process.argv[1] = 'bundle'; const { run } = await import('../bench/algorithms.bench.ts'); await run(['--backend', 'webgpu', ...args]); }" \
    > "$OUT/entry.ts"
  npx esbuild "$OUT/entry.ts" --bundle --platform=node --format=esm --target=node20 --external:webgpu \
    --alias:ava=./bench/ava-shim.ts --outfile="$OUT/check.mjs" --log-level=warning
  mkdir -p /tmp/gpualg-apt/partial
  o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/gpualg-apt'
  # shellcheck disable=SC2086
  apt-get $o update -qq && (cd "$OUT/debs" && apt-get $o download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2 >/dev/null)
  echo "algorithms-gpu-check: $OUT holds $(( $(du -sb "$OUT" | cut -f1) / 1048576 )) MiB"
  exit 0
fi

[ -f "$OUT/check.mjs" ] || { echo "algorithms-gpu-check: no $OUT/; run with --prepare first" >&2; exit 1; }
unxz() { if command -v xz >/dev/null; then xz -d -c "$1" > "$2"; else python3 -c "import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2],'wb'))" "$1" "$2"; fi; }
WORK=/tmp/gpualg && mkdir -p "$WORK"
[ -x "$WORK/node" ] || { unxz "$OUT/node.xz" "$WORK/node" && chmod +x "$WORK/node"; }
mkdir -p "$OUT/node_modules/webgpu/dist/linux-x64"
[ -f "$OUT/node_modules/webgpu/dist/linux-x64/dawn.node" ] || unxz "$OUT/dawn.node.xz" "$OUT/node_modules/webgpu/dist/linux-x64/dawn.node"
# The Vulkan loader and glvnd (libGLX_nvidia, which holds NVIDIA's Vulkan driver, needs libGLdispatch).
for f in "$OUT"/debs/*.deb; do dpkg -x "$f" /; done; ldconfig || true
NV=/usr/local/nvidia
[ -z "${VK_DRIVER_FILES:-}" ] && [ -f "$NV/share/vulkan/icd.d/nvidia_icd.json" ] && export VK_DRIVER_FILES="$NV/share/vulkan/icd.d/nvidia_icd.json"
[ -d "$NV/lib64" ] && export LD_LIBRARY_PATH="$NV/lib64${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null || true
echo "=== tests on webgpu (and reference)"
DESCENT_TEST_BACKENDS=webgpu CI=true "$WORK/node" "$OUT/check.mjs" || echo "algorithms-gpu-check: some tests failed (status $?)"
echo; echo "=== bench -- algorithms --backend webgpu"
"$WORK/node" "$OUT/check.mjs" bench "$@"
