#!/usr/bin/env bash
# One command for a machine with an NVIDIA GPU and no network: descent's WebGPU matmul bench on
# the Vulkan adapter (Dawn), and the same shapes through PyTorch in float32 with TF32 disabled,
# printed as two tables and one comparison.
#
#   bash bench/gpu-check.sh --prepare   here, with the repo installed (npm ci, npm install
#                                       --prefix bench/peers not needed) and apt: writes .gpucheck/
#   bash bench/gpu-check.sh             there, from the repo root, with .gpucheck/ beside it
#
# What travels (.gpucheck/, ~30 MiB, under the device tool's 64 MiB): Node's binary (xz, ~24 MiB
# from ~95 MiB), dawn.node (xz, ~5 MiB from ~21 MiB) with the `webgpu` package's index.js, the
# bench bundled into one ES module by esbuild (descent's TypeScript included; kernels/ is read from
# the repo), and the Vulkan loader (libvulkan1 .deb), unpacked only if the machine lacks one.
# The NVIDIA Vulkan driver comes from the machine (/usr/local/nvidia on the device machines).
# Shapes: square 128–2048 and the MLP shapes M×K×N of bench/matmul.bench.ts; descent's matmul
# kernels: tiled with 4×4 and 8×8 outputs per invocation (the default on GPUs picks 8×8 for M, N ≥
# 256) and the subgroup kernel; PyTorch: torch.matmul on CUDA fp32, allow_tf32 = False, best of 5
# rounds timed with CUDA events after warm-up.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=.gpucheck

if [ "${1:-}" = "--prepare" ]; then
  command -v xz >/dev/null || { echo "gpu-check: xz is needed to prepare" >&2; exit 1; }
  [ -f node_modules/webgpu/dist/linux-x64/dawn.node ] || { echo "gpu-check: run npm ci first (no node_modules/webgpu)" >&2; exit 1; }
  rm -rf "$OUT" && mkdir -p "$OUT/node_modules/webgpu" "$OUT/debs"
  grep -qx "/$OUT/" .git/info/exclude 2>/dev/null || echo "/$OUT/" >> .git/info/exclude
  xz -T0 -6 -c "$(command -v node)" > "$OUT/node.xz"
  xz -T0 -6 -c node_modules/webgpu/dist/linux-x64/dawn.node > "$OUT/dawn.node.xz"
  cp node_modules/webgpu/index.js node_modules/webgpu/package.json "$OUT/node_modules/webgpu/"
  printf '%s\n' \
    "import { writeFileSync } from 'node:fs';" \
    "import { run } from './bench/webgpu.bench.ts';" \
    "const rows = await run(['--no-peers', ...process.argv.slice(2)]);" \
    "if (process.env.GPUCHECK_JSON) writeFileSync(process.env.GPUCHECK_JSON, JSON.stringify(rows));" \
    | npx esbuild --bundle --platform=node --format=esm --target=node20 --external:webgpu \
        --sourcefile=gpu-check-entry.ts --loader=ts --outfile="$OUT/bench.mjs" --log-level=warning
  # The Vulkan loader for amd64 (the device tool's recipe: download only, from this machine's sources).
  mkdir -p /tmp/gpucheck-apt/partial
  o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/gpucheck-apt'
  # shellcheck disable=SC2086
  # The NVIDIA Vulkan ICD (libGLX_nvidia) needs libglvnd's dispatch libraries beside the loader.
  apt-get $o update -qq && (cd "$OUT/debs" && apt-get $o download libvulkan1 libglvnd0 libegl1 libgl1 libglx0 libopengl0 libgles2 >/dev/null)
  du -b "$OUT"/* "$OUT"/*/* 2>/dev/null | sort -n | tail -n 8
  total=$(du -sb "$OUT" | cut -f1)
  echo "gpu-check: $OUT holds $((total / 1048576)) MiB (limit of what travels: 64 MiB with the repo)"
  exit 0
fi

[ -f "$OUT/bench.mjs" ] || { echo "gpu-check: no $OUT/ here; run 'bash bench/gpu-check.sh --prepare' on a machine with the repo installed" >&2; exit 1; }
unxz() { # file.xz → file, with xz or Python's lzma
  if command -v xz >/dev/null; then xz -d -c "$1" > "$2"; else python3 -c "import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2],'wb'))" "$1" "$2"; fi
}
WORK=/tmp/gpucheck && mkdir -p "$WORK"
[ -x "$WORK/node" ] || { unxz "$OUT/node.xz" "$WORK/node" && chmod +x "$WORK/node"; }
mkdir -p "$OUT/node_modules/webgpu/dist/linux-x64"
[ -f "$OUT/node_modules/webgpu/dist/linux-x64/dawn.node" ] || unxz "$OUT/dawn.node.xz" "$OUT/node_modules/webgpu/dist/linux-x64/dawn.node"
if ! ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1' || ! ldconfig -p 2>/dev/null | grep -q 'libGLdispatch.so.0'; then
  for f in "$OUT"/debs/*.deb; do dpkg -x "$f" / ; done
  ldconfig || true
fi
NV=/usr/local/nvidia
[ -z "${VK_DRIVER_FILES:-}" ] && [ -f "$NV/share/vulkan/icd.d/nvidia_icd.json" ] && export VK_DRIVER_FILES="$NV/share/vulkan/icd.d/nvidia_icd.json"
[ -z "${__EGL_VENDOR_LIBRARY_FILENAMES:-}" ] && [ -f "$NV/share/glvnd/egl_vendor.d/10_nvidia.json" ] && export __EGL_VENDOR_LIBRARY_FILENAMES="$NV/share/glvnd/egl_vendor.d/10_nvidia.json"
[ -d "$NV/lib64" ] && export LD_LIBRARY_PATH="$NV/lib64${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || true

for variant in tiled-4 tiled-8 subgroup; do
  kernel=${variant%-*}; tile=${variant#*-}; [ "$tile" = "$variant" ] && tile=
  echo; echo "=== descent webgpu (matmul kernel: $variant)"
  DESCENT_MATMUL=$kernel DESCENT_MATMUL_TILE=$tile GPUCHECK_JSON="$WORK/descent-$variant.json" "$WORK/node" "$OUT/bench.mjs" "$@" \
    || echo "gpu-check: the $variant run failed (status $?)"
done

echo; echo "=== PyTorch fp32 (TF32 off) and the comparison"
python3 - "$WORK" <<'PY'
import json, os, sys
import torch
work = sys.argv[1]
torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False
torch.set_float32_matmul_precision('highest')
dev = torch.device('cuda')
shapes = [(s, s, s) for s in (128, 256, 512, 1024, 2048)] + [(1024, 784, 512), (1024, 512, 512), (1024, 512, 10), (2048, 784, 256), (2048, 256, 256), (2048, 256, 10)]
print(f"{torch.cuda.get_device_name(0)} · torch {torch.__version__} · allow_tf32={torch.backends.cuda.matmul.allow_tf32}")
def bench(m, k, n):
    a = torch.rand(m, k, device=dev) * 2 - 1
    b = torch.rand(k, n, device=dev) * 2 - 1
    flops = 2 * m * n * k
    reps = max(1, min(200, int(2e10 // flops)))
    for _ in range(3): torch.matmul(a, b)
    torch.cuda.synchronize()
    best = 0.0
    for _ in range(5):
        s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        s.record()
        for _ in range(reps): torch.matmul(a, b)
        e.record(); torch.cuda.synchronize()
        best = max(best, flops * reps / (s.elapsed_time(e) / 1e3) / 1e9)
    return best
torch_rows = {f"{m}x{k}x{n}": bench(m, k, n) for m, k, n in shapes}
print(f"{'M×K×N':15} {'torch GFLOP/s':>14}")
for k, v in torch_rows.items(): print(f"{k:15} {v:14.1f}")
print()
cols = []
for kern in ('tiled-4', 'tiled-8', 'subgroup'):
    p = os.path.join(work, f'descent-{kern}.json')
    cols.append((kern, {r['shape']: r['max'] for r in json.load(open(p))} if os.path.exists(p) else {}))
print(f"{'M×K×N':15} {'torch':>10} " + ' '.join(f"{'descent ' + k:>17} {'%':>5}" for k, _ in cols))
for shape, t in torch_rows.items():
    line = f"{shape:15} {t:10.1f} "
    for _, d in cols:
        v = d.get(shape)
        line += f"{v:17.1f} {100 * v / t:4.0f}% " if v else f"{'—':>17} {'':>5} "
    print(line)
PY
