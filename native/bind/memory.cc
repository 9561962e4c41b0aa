// Bindings for host memory: large arrays on transparent huge pages.
//
// A fresh 4 KiB page costs a fault on its first write (seen here: ~11 µs a page in a VM,
// 2.8 ms for a 1 MB row of new memory against 0.05 ms for memory already touched), and a
// Lanczos basis, a probe block or a model's gradient is written into fresh memory. Memory
// from mmap, aligned to 2 MiB and advised MADV_HUGEPAGE, takes one fault per 2 MiB where the
// kernel allows it (transparent_hugepage "madvise" or "always"); elsewhere it behaves like
// any anonymous mapping. Zero-filled, as mmap gives it.
#include <sys/mman.h>

#include <cstdint>

#include "bind/args.h"
#include "bind/bind.h"

namespace descent {
namespace bind {

namespace {
constexpr size_t kHuge = size_t(2) << 20;

struct Mapping {
  void* base;
  size_t length;
};
}  // namespace

Napi::Value HugeBuffer(const Napi::CallbackInfo& info) {
  Args in(info, "hugeBuffer");
  const int64_t bytes = in.integer(0, "bytes", 1, int64_t(1) << 40);
  Napi::Env env = info.Env();
  const size_t len = (size_t(bytes) + kHuge - 1) & ~(kHuge - 1);
  // Over-allocate by one huge page and trim, so the mapping starts on a 2 MiB boundary.
  void* raw = mmap(nullptr, len + kHuge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) return env.Null();
  const uintptr_t start = (uintptr_t(raw) + kHuge - 1) & ~uintptr_t(kHuge - 1);
  const size_t head = start - uintptr_t(raw), tail = kHuge - head;
  if (head > 0) munmap(raw, head);
  if (tail > 0) munmap(reinterpret_cast<void*>(start + len), tail);
  void* base = reinterpret_cast<void*>(start);
#ifdef MADV_HUGEPAGE
  madvise(base, len, MADV_HUGEPAGE);
#endif
  Napi::MemoryManagement::AdjustExternalMemory(env, int64_t(len));
  return Napi::ArrayBuffer::New(env, base, size_t(bytes), [](Napi::Env e, void* data, Mapping* m) {
    munmap(data, m->length);
    Napi::MemoryManagement::AdjustExternalMemory(e, -int64_t(m->length));
    delete m;
  }, new Mapping{base, len});
}

}  // namespace bind
}  // namespace descent
