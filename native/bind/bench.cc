// Bindings that measure the machine for benchmarks (bench/peaks.ts):
//   fmaBurst(iterations, threads) → flops   runs the current ISA's FMA loop on `threads`
//                                           pool threads at once (1 ≤ threads ≤ getThreads())
//   streamTriad(a, b, c, scalar)            a[i] = b[i] + scalar·c[i] over a.length elements,
//                                           threaded; b and c at least as long, none overlapping
#include <string>

#include "bind/args.h"
#include "bind/bind.h"
#include "elementwise/elementwise.h"
#include "gemm/gemm.h"
#include "runtime/thread_pool.h"

namespace descent {
namespace bind {

Napi::Value FmaBurst(const Napi::CallbackInfo& info) {
  Args in(info, "fmaBurst");
  const int64_t iters = in.integer(0, "iterations", 1, int64_t(1) << 40);
  const int64_t threads = in.integer(1, "threads", 1, ThreadPool::get().threads());
  double flops = 0;
  guard(in, [&] { flops = gemm::fma_peak_run(iters, int(threads)); });
  return Napi::Number::New(info.Env(), flops);
}

Napi::Value StreamTriad(const Napi::CallbackInfo& info) {
  Args in(info, "streamTriad");
  const Array a = in.typed(0, "a", Elem::f32);
  const Array b = in.typed(1, "b", Elem::f32);
  const Array c = in.typed(2, "c", Elem::f32);
  const double s = in.number(3, "scalar");
  const int64_t n = a.length;
  in.need(b, n);
  in.need(c, n);
  in.disjoint(a, 0, n, b, 0, n);
  in.disjoint(a, 0, n, c, 0, n);
  if (n > 0) guard(in, [&] { ew::stream_triad(a.as<float>(), b.as<const float>(), c.as<const float>(), float(s), n); });
  return info.Env().Undefined();
}

}  // namespace bind
}  // namespace descent
