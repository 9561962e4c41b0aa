// A small persistent thread pool. `run(n, body)` calls body(task) for every task in
// [0, n) on up to threads() threads (the calling thread is one of them) and returns when
// all are done; tasks are handed out dynamically. Workers spin briefly after a job (so
// back-to-back kernels start in about a microsecond), then sleep on a condition variable.
// An exception thrown by a task is rethrown by run() in the caller. Parallel regions do
// not nest and do not overlap: a run() while another is in flight runs serially.
// `post_background(task)` hands one advisory task (prefaulting memory) to the first idle
// worker and returns at once; a run() meanwhile does not wait for it: its tasks go to the
// caller and the workers still free.
#pragma once

#include <cstdint>
#include <functional>
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

  /**
   * Runs `task` on an idle worker, in the background; replaces a posted task not yet
   * started; dropped when there are no workers. For work that may be skipped (it must not
   * throw, and nothing may wait for it).
   */
  void post_background(std::function<void()> task);

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
