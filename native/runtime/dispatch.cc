// Filling the kernel tables: the portable kernels first, then each wider ISA overrides
// the entries it implements (BLIS's reference-then-override context init).
#include "runtime/dispatch.h"

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <cstring>

namespace descent {
namespace {

Dispatch build(Isa isa) {
  Dispatch d;
  d.isa = isa;
  gemm::register_ref(d.gemm);
  ew::register_ref(d.ew);
  if (isa == Isa::avx2 || isa == Isa::avx512) {
    gemm::register_avx2(d.gemm);
    ew::register_avx2(d.ew);
  }
  if (isa == Isa::avx512) {
    gemm::register_avx512(d.gemm);
    ew::register_avx512(d.ew);
  }
  d.gemm.act = d.ew.act_rows;
  return d;
}

Isa initial_isa() {
  Isa isa = best_isa();
  if (const char* env = std::getenv("DESCENT_ISA")) {
    for (Isa want : {Isa::ref, Isa::avx2, Isa::avx512}) {
      if (std::strcmp(env, isa_name(want)) == 0 && isa_supported(want)) isa = want;
    }
  }
  return isa;
}

std::atomic<const Dispatch*> current{nullptr};

const Dispatch* table(Isa isa) {
  static std::mutex mu;
  static const Dispatch* tables[3] = {nullptr, nullptr, nullptr};
  std::lock_guard<std::mutex> lk(mu);
  const Dispatch*& t = tables[int(isa)];
  if (!t) t = new Dispatch(build(isa));
  return t;
}

}  // namespace

const Dispatch& dispatch() {
  const Dispatch* d = current.load(std::memory_order_acquire);
  if (d) return *d;
  const Dispatch* expected = nullptr;
  current.compare_exchange_strong(expected, table(initial_isa()));
  return *current.load(std::memory_order_acquire);
}

bool set_isa(Isa isa) {
  if (!isa_supported(isa)) return false;
  // NOTE: tables are never freed: a kernel running on another thread may still read the old one.
  current.store(table(isa), std::memory_order_release);
  return true;
}

}  // namespace descent
