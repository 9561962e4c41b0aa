# Sourced by bench/gpu-check.sh and bench/algorithms-gpu-check.sh: what both carry to a machine
# with an NVIDIA GPU and no network, and how they set it up there. Not run on its own.
#
# gpu_runtime_pack OUT NAME   here: OUT/ afresh with Node's binary and dawn.node (xz), the `webgpu`
#                             package's index.js, and the Vulkan loader and glvnd (.deb, downloaded
#                             from this machine's own apt sources); NAME prefixes messages
# gpu_runtime_unpack OUT WORK there: Node into WORK/node, dawn.node beside index.js, the .debs
#                             unpacked when the machine lacks libvulkan/libGLdispatch, and the
#                             environment for NVIDIA's Vulkan driver from /usr/local/nvidia

gpu_runtime_pack() {
  local out=$1 name=$2
  command -v xz >/dev/null || { echo "$name: xz is needed to prepare" >&2; exit 1; }
  [ -f node_modules/webgpu/dist/linux-x64/dawn.node ] || { echo "$name: run npm ci first (no node_modules/webgpu)" >&2; exit 1; }
  rm -rf "$out" && mkdir -p "$out/node_modules/webgpu" "$out/debs"
  grep -qx "/$out/" .git/info/exclude 2>/dev/null || echo "/$out/" >> .git/info/exclude
  xz -T0 -6 -c "$(command -v node)" > "$out/node.xz"
  xz -T0 -6 -c node_modules/webgpu/dist/linux-x64/dawn.node > "$out/dawn.node.xz"
  cp node_modules/webgpu/index.js node_modules/webgpu/package.json "$out/node_modules/webgpu/"
  # The NVIDIA Vulkan ICD (libGLX_nvidia) needs libglvnd's dispatch libraries beside the loader.
  local lists=/tmp/$name-apt
  mkdir -p "$lists/partial"
  local o="-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=$lists"
  # shellcheck disable=SC2086
  apt-get $o update -qq && (cd "$out/debs" && apt-get $o download libvulkan1 libglvnd0 libegl1 libgl1 libglx0 libopengl0 libgles2 >/dev/null)
}

unxz() { # file.xz → file, with xz or Python's lzma
  if command -v xz >/dev/null; then xz -d -c "$1" > "$2"; else python3 -c "import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2],'wb'))" "$1" "$2"; fi
}

gpu_runtime_unpack() {
  local out=$1 work=$2
  mkdir -p "$work"
  [ -x "$work/node" ] || { unxz "$out/node.xz" "$work/node" && chmod +x "$work/node"; }
  mkdir -p "$out/node_modules/webgpu/dist/linux-x64"
  [ -f "$out/node_modules/webgpu/dist/linux-x64/dawn.node" ] || unxz "$out/dawn.node.xz" "$out/node_modules/webgpu/dist/linux-x64/dawn.node"
  if ! ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1' || ! ldconfig -p 2>/dev/null | grep -q 'libGLdispatch.so.0'; then
    for f in "$out"/debs/*.deb; do dpkg -x "$f" / ; done
    ldconfig || true
  fi
  local nv=/usr/local/nvidia
  [ -z "${VK_DRIVER_FILES:-}" ] && [ -f "$nv/share/vulkan/icd.d/nvidia_icd.json" ] && export VK_DRIVER_FILES="$nv/share/vulkan/icd.d/nvidia_icd.json"
  [ -z "${__EGL_VENDOR_LIBRARY_FILENAMES:-}" ] && [ -f "$nv/share/glvnd/egl_vendor.d/10_nvidia.json" ] && export __EGL_VENDOR_LIBRARY_FILENAMES="$nv/share/glvnd/egl_vendor.d/10_nvidia.json"
  [ -d "$nv/lib64" ] && export LD_LIBRARY_PATH="$nv/lib64${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || true
}
