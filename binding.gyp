# node-gyp fallback build of descent's native addon (the primary build is cmake-js, see
# CMakeLists.txt). It compiles the same sources with the same per-file flags: ISA files
# (*_avx2.cc, *_avx512.cc) and the bit-exact optimizer files (native/optim/) go into static
# libraries with their own flags; native/gyp-sources.cjs lists each group. package.json
# sets "gypfile": false so npm never runs it on its own: use `npm run build:gyp`
# (scripts/build-gyp.sh), which builds in a scratch copy and installs
# build-gyp/Release/descent.node, leaving cmake-js's build/ alone.
{
  "target_defaults": {
    "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "native"],
    "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_ENABLE_TYPE_CHECK_ON_AS"],
    "cflags": ["-O3", "-fPIC", "-fno-math-errno", "-fvisibility=hidden", "-Wall", "-Wextra", "-Wno-unused-parameter"],
    "cflags!": ["-fno-exceptions"],
    "cflags_cc": ["-fexceptions"],
    "cflags_cc!": ["-fno-exceptions", "-fno-rtti"]
  },
  "targets": [
    {
      "target_name": "descent_base_exact",
      "type": "static_library",
      "sources": ["<!@(node native/gyp-sources.cjs base exact)"],
      "cflags": ["-ffp-contract=off"]
    },
    {
      "target_name": "descent_avx2",
      "type": "static_library",
      "sources": ["<!@(node native/gyp-sources.cjs avx2 plain)"],
      "cflags": ["-mavx2", "-mfma", "-mf16c"]
    },
    {
      "target_name": "descent_avx2_exact",
      "type": "static_library",
      "sources": ["<!@(node native/gyp-sources.cjs avx2 exact)"],
      "cflags": ["-mavx2", "-mfma", "-mf16c", "-ffp-contract=off"]
    },
    {
      "target_name": "descent_avx512",
      "type": "static_library",
      "sources": ["<!@(node native/gyp-sources.cjs avx512 plain)"],
      "cflags": ["-mavx512f", "-mavx512dq", "-mavx512bw", "-mavx512vl", "-mavx2", "-mfma", "-mf16c", "-Wno-uninitialized"]
    },
    {
      "target_name": "descent_avx512_exact",
      "type": "static_library",
      "sources": ["<!@(node native/gyp-sources.cjs avx512 exact)"],
      "cflags": ["-mavx512f", "-mavx512dq", "-mavx512bw", "-mavx512vl", "-mavx2", "-mfma", "-mf16c", "-Wno-uninitialized", "-ffp-contract=off"]
    },
    {
      "target_name": "descent",
      "sources": ["<!@(node native/gyp-sources.cjs base plain)"],
      "dependencies": ["descent_base_exact", "descent_avx2", "descent_avx2_exact", "descent_avx512", "descent_avx512_exact"],
      "libraries": ["-ldl", "-lpthread"]
    }
  ]
}
