// descent's native addon: the export list, nothing else. Every export is documented in
// native/README.md and implemented in native/bind/.
#include <napi.h>

#include "bind/bind.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  using namespace descent::bind;
  exports.Set("cpuInfo", Napi::Function::New(env, CpuInfo, "cpuInfo"));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads, "setThreads"));
  exports.Set("getThreads", Napi::Function::New(env, GetThreads, "getThreads"));
  exports.Set("setIsa", Napi::Function::New(env, SetIsa, "setIsa"));
  exports.Set("hugeBuffer", Napi::Function::New(env, HugeBuffer, "hugeBuffer"));
  exports.Set("sgemm", Napi::Function::New(env, Sgemm, "sgemm"));
  exports.Set("sgemmSgd", Napi::Function::New(env, SgemmSgd, "sgemmSgd"));
  exports.Set("fill", Napi::Function::New(env, Fill, "fill"));
  exports.Set("unary", Napi::Function::New(env, Unary, "unary"));
  exports.Set("binary", Napi::Function::New(env, Binary, "binary"));
  exports.Set("where", Napi::Function::New(env, Where, "where"));
  exports.Set("copyInto", Napi::Function::New(env, CopyInto, "copyInto"));
  exports.Set("cast", Napi::Function::New(env, Cast, "cast"));
  exports.Set("reduce", Napi::Function::New(env, Reduce, "reduce"));
  exports.Set("softmax", Napi::Function::New(env, Softmax, "softmax"));
  exports.Set("gather", Napi::Function::New(env, Gather, "gather"));
  exports.Set("scatterAdd", Napi::Function::New(env, ScatterAdd, "scatterAdd"));
  exports.Set("fmaBurst", Napi::Function::New(env, FmaBurst, "fmaBurst"));
  exports.Set("streamTriad", Napi::Function::New(env, StreamTriad, "streamTriad"));
  exports.Set("tridiagEig", Napi::Function::New(env, TridiagEig, "tridiagEig"));
  exports.Set("tridiagEigSync", Napi::Function::New(env, TridiagEigSync, "tridiagEigSync"));
  exports.Set("optimStep", Napi::Function::New(env, OptimStep, "optimStep"));
  exports.Set("optimSumSq", Napi::Function::New(env, OptimSumSq, "optimSumSq"));
  exports.Set("orthogonalize", Napi::Function::New(env, Orthogonalize, "orthogonalize"));
  exports.Set("orthonormalize", Napi::Function::New(env, Orthonormalize, "orthonormalize"));
  exports.Set("crc32", Napi::Function::New(env, Crc32, "crc32"));
  exports.Set("muteStderr", Napi::Function::New(env, MuteStderr, "muteStderr"));
  exports.Set("restoreStderr", Napi::Function::New(env, RestoreStderr, "restoreStderr"));
  return exports;
}

}  // namespace

NODE_API_MODULE(descent, Init)
