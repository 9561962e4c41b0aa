#!/usr/bin/env bash
# The algorithm substrate on a machine with an NVIDIA GPU and no network: the optimizer-control,
# prox and population tests (test/optim/control, test/optim/prox, test/nn/population) on the
# WebGPU backend of a real GPU (Dawn on Vulkan) against reference, and `bench -- algorithms`
# there, cpu-free (the native addon does not travel).
#
#   bash bench/algorithms-gpu-check.sh --prepare   here, with the repo installed: writes .gpualg/
#   bash bench/algorithms-gpu-check.sh             there, from the repo root, with .gpualg/ beside it
#
# What travels (.gpualg/, ~30 MiB; bench/gpu-runtime.sh packs the common part): Node's binary and dawn.node (xz), the `webgpu` package's
# index.js, the Vulkan loader and glvnd (.deb), and one ES module bundled by esbuild from the three test
# files (with bench/ava-shim.ts standing in for ava) and the bench family. kernels/ is read from
# the repo. The NVIDIA Vulkan driver comes from the machine (/usr/local/nvidia).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=.gpualg
# shellcheck source=bench/gpu-runtime.sh
source bench/gpu-runtime.sh

if [ "${1:-}" = "--prepare" ]; then
  gpu_runtime_pack "$OUT" algorithms-gpu-check
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
  echo "algorithms-gpu-check: $OUT holds $(( $(du -sb "$OUT" | cut -f1) / 1048576 )) MiB"
  exit 0
fi

[ -f "$OUT/check.mjs" ] || { echo "algorithms-gpu-check: no $OUT/; run with --prepare first" >&2; exit 1; }
WORK=/tmp/gpualg
gpu_runtime_unpack "$OUT" "$WORK"
echo "=== tests on webgpu (and reference)"
DESCENT_TEST_BACKENDS=webgpu CI=true "$WORK/node" "$OUT/check.mjs" || echo "algorithms-gpu-check: some tests failed (status $?)"
echo; echo "=== bench -- algorithms --backend webgpu"
"$WORK/node" "$OUT/check.mjs" bench "$@"
