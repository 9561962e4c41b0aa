#!/usr/bin/env bash
# One command for a machine with an NVIDIA GPU and no network: descent's WebGPU matmul bench on
# the Vulkan adapter (Dawn), and the same shapes through PyTorch in float32 with TF32 disabled,
# printed as two tables and one comparison; then, each part independent of the others (a failure
# prints a line and the script goes on):
#   hvp       the reference problem's Hessian-vector product (784-256-256-10 ReLU MLP, 2,048 rows),
#             descent webgpu (bench/gpu-check-parts.ts) vs PyTorch CUDA fp32 double backward
#             (bench/peers/gpu_torch.py): reuse, fresh, loss + gradient, and v0·H·v0 of each
#   adam      one Adam step on 10M parameters, descent's fused WGSL step vs torch.optim.Adam with
#             torch's default implementation for CUDA tensors
#   spectrum  the spectrum command, `descent spectrum --model <reference weights> --data <the
#             reference rows> --samples all --probes 1 --iterations 150 --min-iterations 20
#             --tol 1e-4 --backend webgpu`, wall clock of the process (twice), its own timings
#             and its top-5 against the float64 reference
# `bash bench/gpu-check.sh --only hvp,adam` runs only those parts (matmul, hvp, adam, spectrum); arguments after it
# go to the matmul bench (e.g. `--only matmul --filter='^(2048x2048x2048|1024x784x512)$'`, shapes of both
# columns); GPUCHECK_VARIANTS chooses the matmul variants (below); GPUCHECK_TORCH=0 skips the PyTorch peer.
# Measured here on lavapipe (2 loaded cores): hvp 4 min (its 10-per-drain rounds; ~1m45 before them); spectrum 4 min (2 runs at
# GPUCHECK_SPECTRUM_ITERATIONS=100: lavapipe's 128 MiB binding limit holds 101 basis vectors, not 151).
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
# For hvp/adam/spectrum also: the reference problem (problem/: pixels as uint8, weights, v0,
# model.safetensors; ~5 MiB, from bench/gpu-check-problem.ts), the parts bundled by esbuild
# (parts.mjs), and for the spectrum command the built CLI (app.tar.xz: dist/, bin/, package.json,
# the native addon and the production node_modules except webgpu, ~6 MiB), unpacked to
# /tmp/gpucheck/app with the repo's kernels/ linked in.
# Shapes: square 128–2048 and the MLP shapes M×K×N of bench/matmul.bench.ts; descent's matmul
# kernels: the backend's choice (`default`: on a GPU 8×8 per invocation when 128×128 tiles make ≥ 128
# workgroups, else 4×4 with K split), tiled with 4×4 and 8×8 forced, and the subgroup kernel; each product timed in rounds of
# many products per queue drain (bench/webgpu.bench.ts); PyTorch: torch.matmul on CUDA fp32,
# allow_tf32 = False, best of 5 rounds timed with CUDA events after warm-up.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=.gpucheck
# shellcheck source=bench/gpu-runtime.sh
source bench/gpu-runtime.sh

if [ "${1:-}" = "--prepare" ]; then
  gpu_runtime_pack "$OUT" gpu-check
  printf '%s\n' \
    "import { writeFileSync } from 'node:fs';" \
    "import { run } from './bench/webgpu.bench.ts';" \
    "const rows = await run(['--no-peers', ...process.argv.slice(2)]);" \
    "if (process.env.GPUCHECK_JSON) writeFileSync(process.env.GPUCHECK_JSON, JSON.stringify(rows));" \
    | npx esbuild --bundle --platform=node --format=esm --target=node20 --external:webgpu \
        --sourcefile=gpu-check-entry.ts --loader=ts --outfile="$OUT/bench.mjs" --log-level=warning
  # The reference problem, the curvature/optimizer parts, and the built CLI for the spectrum part.
  npx tsx bench/gpu-check-problem.ts "$OUT/problem"
  npx esbuild bench/gpu-check-parts.ts --bundle --platform=node --format=esm --target=node20 --external:webgpu \
      --outfile="$OUT/parts.mjs" --log-level=warning
  npm run build >/dev/null 2>&1 || echo "gpu-check: npm run build reported errors (dist/ is still written; the spectrum part uses it)"
  [ -f dist/src/cli/descent.js ] && [ -f build/Release/descent.node ] || { echo "gpu-check: need dist/ (npm run build) and build/Release/descent.node (npm run build:native)" >&2; exit 1; }
  npm ls --omit=dev --all --parseable 2>/dev/null | sed "s|^$PWD/||" | grep '^node_modules/' \
    | grep -v -E '^node_modules/(webgpu|cmake-js|node-addon-api|@webgpu/types)(/|$)' > /tmp/gpucheck-prod.txt
  tar -cf - dist bin package.json build/Release/descent.node -T /tmp/gpucheck-prod.txt | xz -T0 -6 > "$OUT/app.tar.xz"
  du -b "$OUT"/* "$OUT"/*/* 2>/dev/null | sort -n | tail -n 8
  total=$(du -sb "$OUT" | cut -f1)
  echo "gpu-check: $OUT holds $((total / 1048576)) MiB (limit of what travels: 64 MiB with the repo)"
  exit 0
fi

[ -f "$OUT/bench.mjs" ] || { echo "gpu-check: no $OUT/ here; run 'bash bench/gpu-check.sh --prepare' on a machine with the repo installed" >&2; exit 1; }
WORK=/tmp/gpucheck
gpu_runtime_unpack "$OUT" "$WORK"

ONLY=matmul,hvp,adam,spectrum
if [ "${1:-}" = "--only" ]; then ONLY=$2; shift 2; fi
want() { [[ ",$ONLY," == *",$1,"* ]]; }
REPO=$PWD

if want matmul; then
# GPUCHECK_VARIANTS: space-separated `label[:VAR=value,VAR=value]`; a label tiled-4, tiled-8 or subgroup selects that
# kernel (DESCENT_MATMUL, DESCENT_MATMUL_TILE), any other label (e.g. `default`) the backend's own choice; the
# assignments are extra environment for that run (e.g. `busy264:DESCENT_MATMUL_BUSY=264`).
VARIANTS=${GPUCHECK_VARIANTS:-default tiled-4 tiled-8 subgroup}
for spec in $VARIANTS; do
  variant=${spec%%:*}; extra=; [ "$spec" != "$variant" ] && extra=${spec#*:}
  kernel=; tile=
  case $variant in tiled-4|tiled-8) kernel=tiled; tile=${variant#tiled-} ;; subgroup) kernel=subgroup ;; esac
  echo; echo "=== descent webgpu (matmul: $spec)"
  # shellcheck disable=SC2086
  env DESCENT_MATMUL=$kernel DESCENT_MATMUL_TILE=$tile ${extra//,/ } GPUCHECK_JSON="$WORK/descent-$variant.json" "$WORK/node" "$OUT/bench.mjs" "$@" \
    || echo "gpu-check: the $variant run failed (status $?)"
done

if [ "${GPUCHECK_TORCH:-1}" != 0 ]; then
echo; echo "=== PyTorch fp32 (TF32 off) and the comparison"
GPUCHECK_LABELS="$(for spec in $VARIANTS; do printf '%s ' "${spec%%:*}"; done)" python3 - "$WORK" <<'PY' || echo "gpu-check: the PyTorch matmul part failed (status $?)"
import json, os, sys
import torch
work = sys.argv[1]
torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False
torch.set_float32_matmul_precision('highest')
dev = torch.device('cuda')
labels = os.environ.get('GPUCHECK_LABELS', '').split()
# The shapes descent measured (a --filter applies to both), in its order.
shapes = []
for kern in labels:
    p = os.path.join(work, f'descent-{kern}.json')
    for r in (json.load(open(p)) if os.path.exists(p) else []):
        s = tuple(int(v) for v in r['shape'].split('x'))
        if s not in shapes: shapes.append(s)
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
for kern in labels:
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
fi
fi

if want hvp; then
  echo; echo "=== HVP on the reference problem: descent webgpu vs PyTorch CUDA fp32 (double backward)"
  GPUCHECK_JSON="$WORK/descent-hvp.json" "$WORK/node" "$OUT/parts.mjs" hvp "$OUT/problem" || echo "gpu-check: the descent hvp part failed (status $?)"
  [ "${GPUCHECK_TORCH:-1}" = 0 ] || python3 bench/peers/gpu_torch.py hvp "$OUT/problem" "$WORK/torch-hvp.json" || echo "gpu-check: the PyTorch hvp part failed (status $?)"
fi

if want adam; then
  echo; echo "=== Adam step on 10M parameters: descent webgpu vs torch.optim.Adam on CUDA"
  GPUCHECK_JSON="$WORK/descent-adam.json" "$WORK/node" "$OUT/parts.mjs" adam 10000000 || echo "gpu-check: the descent adam part failed (status $?)"
  [ "${GPUCHECK_TORCH:-1}" = 0 ] || python3 bench/peers/gpu_torch.py adam 10000000 "$WORK/torch-adam.json" || echo "gpu-check: the PyTorch adam part failed (status $?)"
fi

if want hvp || want adam; then
  python3 - "$WORK" <<'PY' || true
import json, os, sys
w = sys.argv[1]
def load(n):
    p = os.path.join(w, n)
    return {r['kernel']: r for r in json.load(open(p))} if os.path.exists(p) else {}
for part in ('hvp', 'adam'):
    d, t = load(f'descent-{part}.json'), load(f'torch-{part}.json')
    for k in d:
        if k in t:
            print(f"{k:16} descent {d[k]['median']:9.3f} ms  torch {t[k]['median']:9.3f} ms  ratio descent/torch {d[k]['median'] / t[k]['median']:.2f} (medians; mins {d[k]['min']:.3f} / {t[k]['min']:.3f})")
PY
fi

if want spectrum; then
  ITER=${GPUCHECK_SPECTRUM_ITERATIONS:-150}
  echo; echo "=== spectrum command on --backend webgpu (reference weights and rows, --iterations $ITER)"
  spectrum_part() { # every step checked: `set -e` does not act inside a function called before ||
    local APP="$WORK/app"
    if [ ! -f "$APP/dist/src/cli/descent.js" ]; then
      rm -rf "$APP" && mkdir -p "$APP" || return 1
      if command -v xz >/dev/null; then xz -d -c "$OUT/app.tar.xz" | tar -xf - -C "$APP" || return 1
      else python3 -c "import lzma,tarfile,sys; tarfile.open(fileobj=lzma.open(sys.argv[1])).extractall(sys.argv[2])" "$OUT/app.tar.xz" "$APP" || return 1; fi
    fi
    ln -sfn "$REPO/kernels" "$APP/kernels" && mkdir -p "$APP/node_modules/webgpu/dist/linux-x64" || return 1
    cp "$OUT/node_modules/webgpu/index.js" "$OUT/node_modules/webgpu/package.json" "$APP/node_modules/webgpu/" || return 1
    cp "$OUT/node_modules/webgpu/dist/linux-x64/dawn.node" "$APP/node_modules/webgpu/dist/linux-x64/" || return 1
    "$WORK/node" "$OUT/parts.mjs" data "$OUT/problem" "$WORK/data.safetensors" || return 1
    local run t0 t1
    for run in 1 2; do
      rm -rf "$WORK/spectrum-out"
      t0=$(date +%s.%N)
      "$WORK/node" "$APP/bin/descent.js" spectrum --model "$OUT/problem/model.safetensors" --data "$WORK/data.safetensors" --samples all \
        --probes 1 --iterations "$ITER" --min-iterations 20 --tol 1e-4 --backend webgpu --out "$WORK/spectrum-out" --quiet || return 1
      t1=$(date +%s.%N)
      python3 - "$WORK/spectrum-out/spectrum.json" "$OUT/problem/meta.json" "$t0" "$t1" "$run" <<'PY' || return 1
import json, sys
j, meta = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
want = meta['expected']['top5_eigenvalues']
top = j['eigenvalues']['top']
err = max(abs(a - b) / abs(b) for a, b in zip(top, want))
print(f"run {sys.argv[5]}: wall clock {float(sys.argv[4]) - float(sys.argv[3]):.2f} s · {j['eigenvalues']['steps']} Lanczos steps · top-5 max rel. error {err:.1e} · trace {j['trace']['estimate']:.3f} ± {j['trace'].get('standardError') or 0:.3f}")
print('  timings', json.dumps(j.get('timings')))
PY
    done
  }
  if ! spectrum_part; then
    echo "gpu-check: the spectrum part failed at --iterations $ITER"
    # A Krylov basis of n × (iterations + 1) float32 must fit one storage binding (128 MiB on
    # lavapipe): retry with a basis that fits 128 MiB, so the part still gives a figure.
    if [ "$ITER" -gt 100 ]; then ITER=100; echo "retrying with --iterations $ITER"; spectrum_part || echo "gpu-check: the spectrum part failed again"; fi
  fi
fi
