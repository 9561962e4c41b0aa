// Populating memory ahead of its first write, off the caller's thread. On a VM whose host
// backs guest pages lazily (a Firecracker guest with free page reporting: docs/BENCHMARKS.md)
// the first write to fresh memory costs 1.7–2.9 ms a MB in host faults; a Lanczos step
// writes one new basis row. populate_later(p, bytes) asks an idle pool worker to populate
// [p, p + bytes) for writing (madvise MADV_POPULATE_WRITE, Linux 5.14+: page tables only,
// the contents are untouched, so it is safe beside writes to the same memory and harmless
// on memory unmapped meanwhile: madvise then fails, and the failure is ignored).
#pragma once

#include <cstddef>

namespace descent {

void populate_later(void* p, size_t bytes);

}  // namespace descent
