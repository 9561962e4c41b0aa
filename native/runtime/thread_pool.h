// A small persistent thread pool. `run(n, body)` calls body(task) for every task in
// [0, n) on up to threads() threads (the calling thread is one of them) and returns when
// all are done; tasks are handed out dynamically. Workers spin briefly after a job (so
// back-to-back kernels start in about a microsecond), then sleep on a condition variable.
// An exception thrown by a task is rethrown by run() in the caller. Parallel regions do
// not nest and do not overlap: a run() while another is in flight runs serially.
#pragma once

#include <cstdint>
#include <type_traits>
#include <utility>

namespace descent {

/** Physical cores this process may run on (affinity-aware, hyperthreads counted once); ≥ 1. */
int hardware_cores();

class ThreadPool {
 public:
  static constexpr int kMaxThreads = 256;
  static ThreadPool& get();

  /** Threads used by run(), the caller included. */
  int threads() const;
  /** Sets the thread count (1..kMaxThreads); stops or starts workers. */
  void set_threads(int n);

  template <class F>
  void run(int64_t ntasks, F&& body) {
    using Body = typename std::remove_reference<F>::type;
    auto thunk = [](void* ctx, int64_t task) { (*static_cast<Body*>(ctx))(task); };
    run_impl(ntasks, thunk, const_cast<void*>(static_cast<const void*>(&body)));
  }

 private:
  ThreadPool() = default;
  void run_impl(int64_t ntasks, void (*fn)(void*, int64_t), void* ctx);
};

}  // namespace descent
