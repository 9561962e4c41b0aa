// Thread pool implementation. A job lives in the pool's state; the caller announces it by
// bumping a generation counter, works on tasks itself, then closes the job and waits only
// for workers that joined it. A worker joins by incrementing the job's active count while
// the job is open and of the generation it saw, so a worker that wakes late (descheduled by
// a busy machine) skips the job instead of holding the caller up, and job fields are read
// only by joined workers, while the caller is still waiting for them.
#include "runtime/thread_pool.h"

#include <immintrin.h>
#include <sched.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace descent {
namespace {

// How long an idle worker spins before it sleeps.
constexpr auto kSpin = std::chrono::microseconds(300);

// entry = (generation mod 2^31) << 33 | closed << 32 | active workers
constexpr uint64_t kClosed = uint64_t(1) << 32;
constexpr uint64_t kActiveMask = kClosed - 1;
inline uint64_t gen_tag(uint64_t g) { return (g & 0x7fffffffu) << 33; }

struct State {
  std::mutex run_mu;  // one parallel region at a time
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::thread> workers;
  std::atomic<uint64_t> gen{0};
  std::atomic<uint64_t> entry{kClosed};
  std::atomic<bool> stop{false};
  int sleepers = 0;  // guarded by mu
  int threads = 1;

  // The current job (written by the caller before it bumps gen).
  void (*fn)(void*, int64_t) = nullptr;
  void* ctx = nullptr;
  int64_t ntasks = 0;
  std::atomic<int64_t> next{0};
  std::mutex err_mu;
  std::exception_ptr error;

  // One background task (post_background), taken by the first idle worker.
  std::mutex bg_mu;
  std::function<void()> bg;  // guarded by bg_mu
  std::atomic<bool> bg_ready{false};

  /** Runs the posted background task, if any; true when it ran one. */
  bool run_background() {
    if (!bg_ready.load(std::memory_order_acquire)) return false;
    std::function<void()> task;
    {
      std::lock_guard<std::mutex> lk(bg_mu);
      if (!bg) return false;
      task = std::move(bg);
      bg = nullptr;
      bg_ready.store(false, std::memory_order_release);
    }
    try {
      task();
    } catch (...) {
      // Background work is advisory: a failure is dropped.
    }
    return true;
  }

  void work() {
    for (int64_t t; (t = next.fetch_add(1, std::memory_order_relaxed)) < ntasks;) {
      try {
        fn(ctx, t);
      } catch (...) {
        std::lock_guard<std::mutex> lk(err_mu);
        if (!error) error = std::current_exception();
      }
    }
  }

  bool join(uint64_t g) {
    uint64_t e = entry.load(std::memory_order_acquire);
    for (;;) {
      if ((e & ~(kClosed | kActiveMask)) != gen_tag(g) || (e & kClosed)) return false;
      if (entry.compare_exchange_weak(e, e + 1, std::memory_order_acq_rel)) return true;
    }
  }

  void worker_loop(uint64_t seen) {
    for (;;) {
      uint64_t g = gen.load(std::memory_order_acquire);
      if (g == seen && !bg_ready.load(std::memory_order_acquire)) {
        auto until = std::chrono::steady_clock::now() + kSpin;
        for (int i = 1; (g = gen.load(std::memory_order_acquire)) == seen && !bg_ready.load(std::memory_order_relaxed); i++) {
          if (stop.load(std::memory_order_relaxed)) return;
          _mm_pause();
          if ((i & 63) == 0 && std::chrono::steady_clock::now() > until) {
            std::unique_lock<std::mutex> lk(mu);
            sleepers++;
            cv.wait(lk, [&] { return gen.load(std::memory_order_acquire) != seen || stop.load() || bg_ready.load(); });
            sleepers--;
          }
        }
      }
      if (stop.load()) return;
      // A job announced meanwhile is seen on the next pass (and skipped if already closed).
      if (run_background()) continue;
      seen = g;
      if (join(g)) {
        work();
        entry.fetch_sub(1, std::memory_order_acq_rel);
      }
    }
  }

  void stop_workers() {
    {
      std::lock_guard<std::mutex> lk(mu);
      stop.store(true);
    }
    cv.notify_all();
    for (auto& w : workers) w.join();
    workers.clear();
    stop.store(false);
  }

  void start_workers(int n) {
    threads = n;
    for (int i = 1; i < n; i++) {
      const uint64_t seen = gen.load();
      workers.emplace_back([this, seen] { worker_loop(seen); });
    }
  }
};

// NOTE: deliberately leaked. Joining workers from a static destructor at process exit
// races with Node's own teardown; blocked workers simply end with the process.
State& state() {
  static State* s = [] {
    auto* st = new State();
    int n = hardware_cores();
    if (const char* env = std::getenv("DESCENT_THREADS")) {
      const int v = std::atoi(env);
      if (v >= 1 && v <= ThreadPool::kMaxThreads) n = v;
    }
    st->start_workers(n);
    return st;
  }();
  return *s;
}

}  // namespace

int hardware_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) {
    const unsigned hc = std::thread::hardware_concurrency();
    return hc ? int(hc) : 1;
  }
  std::set<std::pair<std::string, std::string>> cores;
  int logical = 0;
  for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
    if (!CPU_ISSET(cpu, &set)) continue;
    logical++;
    const std::string base = "/sys/devices/system/cpu/cpu" + std::to_string(cpu) + "/topology/";
    std::ifstream pkg(base + "physical_package_id"), core(base + "core_id");
    std::string p, c;
    if (!(pkg >> p) || !(core >> c)) return logical > 0 ? CPU_COUNT(&set) : 1;
    cores.insert({p, c});
  }
  const int n = cores.empty() ? logical : int(cores.size());
  return n < 1 ? 1 : n > ThreadPool::kMaxThreads ? ThreadPool::kMaxThreads : n;
}

ThreadPool& ThreadPool::get() {
  static ThreadPool pool;
  state();
  return pool;
}

int ThreadPool::threads() const { return state().threads; }

void ThreadPool::set_threads(int n) {
  State& s = state();
  std::lock_guard<std::mutex> lk(s.run_mu);
  if (n == s.threads) return;
  s.stop_workers();
  s.start_workers(n);
}

void ThreadPool::post_background(std::function<void()> task) {
  State& s = state();
  if (s.workers.empty()) return;
  {
    std::lock_guard<std::mutex> lk(s.bg_mu);
    s.bg = std::move(task);
  }
  bool wake;
  {
    std::lock_guard<std::mutex> lk(s.mu);
    s.bg_ready.store(true, std::memory_order_release);
    wake = s.sleepers > 0;
  }
  if (wake) s.cv.notify_one();
}

void ThreadPool::run_impl(int64_t ntasks, void (*fn)(void*, int64_t), void* ctx) {
  if (ntasks <= 0) return;
  State& s = state();
  std::unique_lock<std::mutex> region(s.run_mu, std::try_to_lock);
  if (ntasks == 1 || s.workers.empty() || !region.owns_lock()) {
    // Serial: on this thread only, without touching the shared job.
    std::exception_ptr error;
    for (int64_t t = 0; t < ntasks; t++) {
      try {
        fn(ctx, t);
      } catch (...) {
        if (!error) error = std::current_exception();
      }
    }
    if (error) std::rethrow_exception(error);
    return;
  }
  s.fn = fn;
  s.ctx = ctx;
  s.ntasks = ntasks;
  s.error = nullptr;
  s.next.store(0, std::memory_order_relaxed);
  const uint64_t g = s.gen.load(std::memory_order_relaxed) + 1;
  s.entry.store(gen_tag(g), std::memory_order_release);
  bool wake;
  {
    std::lock_guard<std::mutex> lk(s.mu);
    s.gen.store(g, std::memory_order_release);
    wake = s.sleepers > 0;
  }
  if (wake) s.cv.notify_all();
  s.work();
  s.entry.fetch_or(kClosed, std::memory_order_acq_rel);
  for (int i = 1; (s.entry.load(std::memory_order_acquire) & kActiveMask) != 0; i++) {
    if (i & 1023) _mm_pause();
    else std::this_thread::yield();
  }
  std::exception_ptr error = s.error;
  s.error = nullptr;
  if (error) std::rethrow_exception(error);
}

}  // namespace descent
