// The functions that native/addon.cc exports, one per JavaScript entry point. Each
// validates its arguments (bind/args.h), calls a kernel, and wraps the result.
#pragma once

#include <napi.h>

namespace descent {
namespace bind {

// runtime.cc
Napi::Value CpuInfo(const Napi::CallbackInfo& info);
Napi::Value SetThreads(const Napi::CallbackInfo& info);
Napi::Value GetThreads(const Napi::CallbackInfo& info);
Napi::Value SetIsa(const Napi::CallbackInfo& info);
// memory.cc
Napi::Value HugeBuffer(const Napi::CallbackInfo& info);
// gemm.cc
Napi::Value Sgemm(const Napi::CallbackInfo& info);
Napi::Value SgemmSgd(const Napi::CallbackInfo& info);
// elementwise.cc
Napi::Value Fill(const Napi::CallbackInfo& info);
Napi::Value Unary(const Napi::CallbackInfo& info);
Napi::Value Binary(const Napi::CallbackInfo& info);
Napi::Value Where(const Napi::CallbackInfo& info);
Napi::Value CopyInto(const Napi::CallbackInfo& info);
Napi::Value Cast(const Napi::CallbackInfo& info);
// reduce.cc
Napi::Value Reduce(const Napi::CallbackInfo& info);
Napi::Value Softmax(const Napi::CallbackInfo& info);
Napi::Value Gather(const Napi::CallbackInfo& info);
Napi::Value ScatterAdd(const Napi::CallbackInfo& info);
// bench.cc
Napi::Value FmaBurst(const Napi::CallbackInfo& info);
Napi::Value StreamTriad(const Napi::CallbackInfo& info);
// eig.cc
Napi::Value TridiagEig(const Napi::CallbackInfo& info);
Napi::Value TridiagEigSync(const Napi::CallbackInfo& info);
// optim.cc
Napi::Value OptimStep(const Napi::CallbackInfo& info);
Napi::Value OptimSumSq(const Napi::CallbackInfo& info);

Napi::Value Orthogonalize(const Napi::CallbackInfo& info);
Napi::Value Orthonormalize(const Napi::CallbackInfo& info);

Napi::Value Crc32(const Napi::CallbackInfo& info);

Napi::Value MuteStderr(const Napi::CallbackInfo& info);
Napi::Value RestoreStderr(const Napi::CallbackInfo& info);

}  // namespace bind
}  // namespace descent
