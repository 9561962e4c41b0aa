// Bindings for the runtime: CPU features, instruction-set choice and thread count.
#include <string>

#include "bind/args.h"
#include "bind/bind.h"
#include "elementwise/vmath.h"
#include "runtime/cpu_features.h"
#include "runtime/dispatch.h"
#include "runtime/thread_pool.h"

namespace descent {
namespace bind {

Napi::Value CpuInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  const Dispatch& d = dispatch();
  o.Set("isa", isa_name(d.isa));
  Napi::Array isas = Napi::Array::New(env);
  uint32_t n = 0;
  for (Isa isa : {Isa::ref, Isa::avx2, Isa::avx512}) {
    if (isa_supported(isa)) isas.Set(n++, isa_name(isa));
  }
  o.Set("isas", isas);
  o.Set("threads", ThreadPool::get().threads());
  o.Set("cores", hardware_cores());
  o.Set("gemmKernel", d.gemm.name);
  o.Set("libmvec", ew::libmvec_available());
  return o;
}

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  Args in(info, "setThreads");
  const int64_t n = in.integer(0, "n", 1, ThreadPool::kMaxThreads);
  guard(in, [&] { ThreadPool::get().set_threads(int(n)); });
  return info.Env().Undefined();
}

Napi::Value GetThreads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), ThreadPool::get().threads());
}

Napi::Value SetIsa(const Napi::CallbackInfo& info) {
  Args in(info, "setIsa");
  const std::string name = in.string(0, "isa");
  std::string supported;
  for (Isa isa : {Isa::ref, Isa::avx2, Isa::avx512}) {
    if (!isa_supported(isa)) continue;
    supported += (supported.empty() ? "'" : ", '") + std::string(isa_name(isa)) + "'";
    if (name == isa_name(isa)) {
      set_isa(isa);
      return info.Env().Undefined();
    }
  }
  in.range_error("isa", "one of the instruction sets this CPU supports (" + supported + ")", "'" + name + "'");
}

}  // namespace bind
}  // namespace descent
