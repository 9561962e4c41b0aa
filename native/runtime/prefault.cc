// Background population of memory (see prefault.h).
#include "runtime/prefault.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>

#include "runtime/thread_pool.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

namespace descent {

void populate_later(void* p, size_t bytes) {
  if (bytes == 0) return;
  static const uintptr_t page = uintptr_t(sysconf(_SC_PAGESIZE) > 0 ? sysconf(_SC_PAGESIZE) : 4096);
  const uintptr_t start = reinterpret_cast<uintptr_t>(p) & ~(page - 1);
  const uintptr_t end = reinterpret_cast<uintptr_t>(p) + bytes;
  ThreadPool::get().post_background([start, end] {
    madvise(reinterpret_cast<void*>(start), end - start, MADV_POPULATE_WRITE);
  });
}

}  // namespace descent
