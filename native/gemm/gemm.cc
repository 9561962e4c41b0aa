// The GEMM driver: path selection, BLIS's five loops around the micro-kernel, packing
// buffers and the split of work over the thread pool.
//
// Every operand is a strided view (element (i,j) at p[i·rs + j·cs]), so the four transpose
// cases differ only in strides and are resolved inside packing. Paths:
//  - dot: n ≤ dot_max_n and rows of op(A) contiguous: C = A·Btᵀ reading A in place (packing
//    A would cost more than multiplying it by so few columns);
//  - the same with the roles mirrored (Cᵀ = op(B)ᵀ·op(A)ᵀ) when m is the small side;
//  - packed: the five loops. When one side is small, the problem is mirrored so that the
//    large operand is B and read in place (no packing) when its rows are contiguous.
// Threads: a batch of at least `threads` products runs one product per task; otherwise one
// product runs in a single parallel region whose tasks are MC-row blocks of C (each packing
// its own A block and running every KC slice), sharing one packed copy of all of B that
// the tasks pack chunk by chunk as they first need it (packed_shared; no barrier inside the
// region). Products with too few row blocks or too large a B use packed_parallel: each B
// block packed cooperatively, then MC×NR work units handed out dynamically.
#include "gemm/gemm.h"

#include <immintrin.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <thread>

#include "optim/step.h"
#include "runtime/aligned_buffer.h"
#include "runtime/dispatch.h"
#include "runtime/thread_pool.h"

namespace descent {
namespace gemm {
namespace {

inline int64_t imin(int64_t a, int64_t b) { return a < b ? a : b; }
inline int64_t imax(int64_t a, int64_t b) { return a > b ? a : b; }
inline int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// packed_shared handles k up to this many KC slices and B up to this many floats (all of
// it is packed at once; 16 MB).
constexpr int64_t kMaxSlices = 64;
constexpr int64_t kSharedMaxFloats = int64_t(1) << 22;

// Below this many flops per thread, extra threads cost more than they save.
constexpr double kFlopsPerThread = 4e6;

struct View {
  const float* p;
  int64_t rs, cs;
};

// Called with rows [i0, i1) of C once they are final (see RowsDone in solve). The callback
// then reads `read` and writes `write` at the same rows (ld floats apart, C's columns): the
// macro-kernel prefetches each tile's lines of them while it computes the tile, so that the
// callback finds them in cache instead of waiting on memory (write may be null or read).
struct RowsDone {
  void (*fn)(void* ctx, int64_t i0, int64_t i1);
  void* ctx;
  const float* read = nullptr;
  float* write = nullptr;
  int64_t ld = 0;
};

// Prefetches the mr×nr tile at (i, j) of a rows_done operand into L2.
inline void prefetch_tile(const RowsDone& r, int64_t i, int64_t j, int mr, int nr) {
  for (int a = 0; a < mr; a++) {
    const int64_t at = (i + a) * r.ld + j;
    for (int b = 0; b < nr; b += 16) {
      if (r.read) _mm_prefetch(reinterpret_cast<const char*>(r.read + at + b), _MM_HINT_T1);
      if (r.write) _m_prefetchw(r.write + at + b);
    }
  }
}

struct Problem {
  int64_t m, n, k;
  View a, b;
  float* c;
  int64_t rs_c, cs_c;
  // The epilogue works on the caller's row-major C; `mirrored` maps tiles back to it.
  bool mirrored;
  float* c0;
  int64_t ldc;
  const float* bias;
  int act;
  bool epilogue;
  // Told of each MC block of rows as soon as it is final, by the paths that can say so
  // (packed_serial, not mirrored); solve reports whether it was.
  const RowsDone* rows_done = nullptr;
};

Problem mirror(const Problem& p) {
  Problem q = p;
  q.m = p.n;
  q.n = p.m;
  q.a = View{p.b.p, p.b.cs, p.b.rs};
  q.b = View{p.a.p, p.a.cs, p.a.rs};
  q.rs_c = p.cs_c;
  q.cs_c = p.rs_c;
  q.mirrored = !p.mirrored;
  return q;
}

// The epilogue on the tile at (i, j) of the problem's C, sized mr×nr.
inline void epilogue(const Kernels& K, const Problem& P, int64_t i, int64_t j, int64_t mr, int64_t nr) {
  if (!P.epilogue) return;
  if (!P.mirrored) K.act(P.c0 + i * P.ldc + j, P.ldc, mr, nr, P.bias ? P.bias + j : nullptr, P.act);
  else K.act(P.c0 + j * P.ldc + i, P.ldc, nr, mr, P.bias ? P.bias + i : nullptr, P.act);
}

thread_local AlignedBuffer<float> tl_apack, tl_bpack, tl_bedge;

// ---------------------------------------------------------------- the packed path

struct Blocking {
  int64_t kc, mc, nc;
  bool b_direct;  // B read in place (rows contiguous), only edge panels packed
};

// The macro-kernel on one MC×KC block of packed A against NR-panels [jr0, jr1) of the
// KC×NC block of B (packed, or in place when b_direct).
void macro(const Kernels& K, const Problem& P, const Blocking& bl, const float* apack, const float* bpack,
           const float* bedge, int64_t ic, int64_t mc, int64_t jc, int64_t nc, int64_t pc, int64_t kc,
           int64_t jr0, int64_t jr1) {
  const int MR = K.mr, NR = K.nr;
  const bool first = pc == 0, last = pc + kc >= P.k;
  // Loop 2 (jr): NR-column micro-panels of B; each stays in L1 across loop 1.
  for (int64_t jr = jr0; jr < jr1; jr += NR) {
    const int nr = int(imin(NR, nc - jr));
    const float* bp;
    int64_t ldb;
    if (!bl.b_direct) {
      bp = bpack + jr * kc;
      ldb = NR;
    } else if (nr == NR) {
      bp = P.b.p + pc * P.b.rs + (jc + jr);
      ldb = P.b.rs;
    } else {
      bp = bedge;
      ldb = NR;
    }
    // Loop 1 (ir): MR-row micro-panels of the packed A block; one micro-kernel call each.
    for (int64_t ir = 0; ir < mc; ir += MR) {
      const int mr = int(imin(MR, mc - ir));
      float* c = P.c + (ic + ir) * P.rs_c + (jc + jr) * P.cs_c;
      if (last && P.rows_done) prefetch_tile(*P.rows_done, ic + ir, jc + jr, mr, nr);
      K.ukr(kc, apack + ir * kc, bp, ldb, c, P.rs_c, P.cs_c, mr, nr, !first);
      if (last) epilogue(K, P, ic + ir, jc + jr, mr, nr);
    }
  }
}

void pack_b_block(const Kernels& K, const Problem& P, const Blocking& bl, int64_t jc, int64_t nc, int64_t pc,
                  int64_t kc, float* bpack, float* bedge, int64_t jr0, int64_t jr1) {
  const float* src = P.b.p + pc * P.b.rs + jc * P.b.cs;
  if (!bl.b_direct) {
    K.pack_b(kc, imin(jr1, nc) - jr0, src + jr0 * P.b.cs, P.b.rs, P.b.cs, bpack + jr0 * kc);
  } else if (nc % K.nr != 0) {
    const int64_t j = nc - nc % K.nr;
    K.pack_b(kc, nc - j, src + j * P.b.cs, P.b.rs, P.b.cs, bedge);
  }
}

// One thread, the whole problem.
void packed_serial(const Kernels& K, const Problem& P, const Blocking& bl) {
  float* bpack = bl.b_direct ? nullptr : tl_bpack.get(size_t(bl.kc * ceil_div(imin(bl.nc, P.n), K.nr) * K.nr));
  float* bedge = tl_bedge.get(size_t(bl.kc * K.nr));
  float* apack = tl_apack.get(size_t(ceil_div(imin(bl.mc, P.m), K.mr) * K.mr * bl.kc));
  // Loop 5 (jc): NC-column blocks of C and B.
  for (int64_t jc = 0; jc < P.n; jc += bl.nc) {
    const int64_t nc = imin(bl.nc, P.n - jc);
    // Loop 4 (pc): KC-deep slices of k; the B slice is packed once per iteration.
    for (int64_t pc = 0; pc < P.k; pc += bl.kc) {
      const int64_t kc = imin(bl.kc, P.k - pc);
      pack_b_block(K, P, bl, jc, nc, pc, kc, bpack, bedge, 0, nc);
      // Loop 3 (ic): MC-row blocks of A, packed into L2-sized buffers.
      for (int64_t ic = 0; ic < P.m; ic += bl.mc) {
        const int64_t mc = imin(bl.mc, P.m - ic);
        K.pack_a(mc, kc, P.a.p + ic * P.a.rs + pc * P.a.cs, P.a.rs, P.a.cs, apack);
        macro(K, P, bl, apack, bpack, bedge, ic, mc, jc, nc, pc, kc, 0, nc);
        if (P.rows_done && pc + kc >= P.k && jc + nc >= P.n) P.rows_done->fn(P.rows_done->ctx, ic, ic + mc);
      }
    }
  }
}

// Several threads on one problem: loops 5 and 4 run on the caller; B is packed by all
// threads, then (ic, jr-range) units are handed out, each packing its A block.
void packed_parallel(const Kernels& K, const Problem& P, const Blocking& bl, int threads) {
  ThreadPool& pool = ThreadPool::get();
  const int64_t npanels_max = ceil_div(imin(bl.nc, P.n), K.nr);
  float* bpack = bl.b_direct ? nullptr : tl_bpack.get(size_t(bl.kc * npanels_max * K.nr));
  float* bedge = tl_bedge.get(size_t(bl.kc * K.nr));
  const size_t apack_size = size_t(ceil_div(imin(bl.mc, P.m), K.mr) * K.mr * bl.kc);
  for (int64_t jc = 0; jc < P.n; jc += bl.nc) {
    const int64_t nc = imin(bl.nc, P.n - jc);
    const int64_t npanels = ceil_div(nc, K.nr);
    const int64_t mblocks = ceil_div(P.m, bl.mc);
    // Split the panels of B too when there are few A blocks, so every thread has work.
    const int64_t nsplit = imin(npanels, imax(1, ceil_div(2 * threads, mblocks)));
    const int64_t panels_per = ceil_div(npanels, nsplit);
    for (int64_t pc = 0; pc < P.k; pc += bl.kc) {
      const int64_t kc = imin(bl.kc, P.k - pc);
      if (bl.b_direct) {
        pack_b_block(K, P, bl, jc, nc, pc, kc, bpack, bedge, 0, nc);
      } else {
        const int64_t per = ceil_div(npanels, threads);
        pool.run(ceil_div(npanels, per), [&](int64_t t) {
          const int64_t j0 = t * per * K.nr, j1 = imin(nc, (t + 1) * per * K.nr);
          pack_b_block(K, P, bl, jc, nc, pc, kc, bpack, bedge, j0, j1);
        });
      }
      pool.run(mblocks * nsplit, [&](int64_t t) {
        const int64_t ic = (t / nsplit) * bl.mc, mc = imin(bl.mc, P.m - ic);
        const int64_t s = t % nsplit;
        const int64_t jr0 = s * panels_per * K.nr, jr1 = imin(nc, (s + 1) * panels_per * K.nr);
        if (jr0 >= jr1) return;
        float* apack = tl_apack.get(apack_size);
        K.pack_a(mc, kc, P.a.p + ic * P.a.rs + pc * P.a.cs, P.a.rs, P.a.cs, apack);
        macro(K, P, bl, apack, bpack, bedge, ic, mc, jc, nc, pc, kc, jr0, jr1);
      });
    }
  }
}

// All of B (k × n, every KC slice) packed once into one buffer shared by the threads, in
// chunks of NR-panels that tasks claim in order just before they first need them. A task
// waits only for chunks of the slice it needs that another thread claimed and has not yet
// finished; a claimed chunk is always finished by its claimer without waiting, so waiting
// never depends on a thread that has not started, and a worker that joins late (or never)
// cannot stall the caller.
struct SharedB {
  const Kernels& K;
  const Problem& P;
  const Blocking& bl;
  float* bpack;  // slice s (rows s·kc…) at bpack + s·kc·npanels·NR, panels kc·NR apart
  int64_t npanels = 0, chunk_panels = 0, chunks_per_slice = 0, slices = 0;
  std::atomic<int64_t> next{0};
  std::atomic<int64_t> done[kMaxSlices];

  SharedB(const Kernels& k, const Problem& p, const Blocking& b, float* buf, int threads)
      : K(k), P(p), bl(b), bpack(buf) {
    npanels = ceil_div(P.n, K.nr);
    chunk_panels = ceil_div(npanels, imin(npanels, 2 * threads));
    chunks_per_slice = ceil_div(npanels, chunk_panels);
    slices = ceil_div(P.k, bl.kc);
    for (int64_t s = 0; s < slices; s++) done[s].store(0, std::memory_order_relaxed);
  }

  void pack(int64_t c) {
    const int64_t s = c / chunks_per_slice, q = c % chunks_per_slice;
    const int64_t pc = s * bl.kc, kc = imin(bl.kc, P.k - pc);
    const int64_t j0 = q * chunk_panels * K.nr, j1 = imin(P.n, (q + 1) * chunk_panels * K.nr);
    K.pack_b(kc, j1 - j0, P.b.p + pc * P.b.rs + j0 * P.b.cs, P.b.rs, P.b.cs, bpack + pc * npanels * K.nr + j0 * kc);
    done[s].fetch_add(1, std::memory_order_release);
  }

  // Slice s, packed: claims and packs every unclaimed chunk up to its end, then waits for
  // those of its chunks that other threads are still packing.
  const float* slice(int64_t s) {
    const int64_t end = (s + 1) * chunks_per_slice;
    for (int64_t c = next.load(std::memory_order_relaxed); c < end; c = next.load(std::memory_order_relaxed)) {
      if (next.compare_exchange_weak(c, c + 1, std::memory_order_acq_rel)) pack(c);
    }
    for (int i = 1; done[s].load(std::memory_order_acquire) < chunks_per_slice; i++) {
      if (i & 63) _mm_pause();
      else std::this_thread::yield();
    }
    return bpack + s * bl.kc * npanels * K.nr;
  }
};

// Several threads on one problem in one parallel region: tasks are MC-row blocks of C,
// handed out dynamically, each running its KC slices in order (so its block of C stays in
// L2 across them: ~5% less CPU time in the macro-kernel than slice-outer at k = 784), with
// B from SharedB. There is no barrier between packing and computing, so a thread
// descheduled on a busy machine holds the others up only for the chunk of B it is packing,
// and the others take over the remaining row blocks. Summation order per element is the
// serial path's (the same KC slices in the same order), so results do not depend on the
// thread count.
void packed_shared(const Kernels& K, const Problem& P, const Blocking& bl, int threads) {
  const int64_t npanels = ceil_div(P.n, K.nr);
  float* bpack = tl_bpack.get(size_t(P.k * npanels * K.nr));
  const size_t apack_size = size_t(ceil_div(imin(bl.mc, P.m), K.mr) * K.mr * bl.kc);
  SharedB B(K, P, bl, bpack, threads);
  ThreadPool::get().run(ceil_div(P.m, bl.mc), [&](int64_t t) {
    const int64_t ic = t * bl.mc, mc = imin(bl.mc, P.m - ic);
    float* apack = tl_apack.get(apack_size);
    for (int64_t s = 0; s < B.slices; s++) {
      const int64_t pc = s * bl.kc, kc = imin(bl.kc, P.k - pc);
      const float* bp = B.slice(s);
      K.pack_a(mc, kc, P.a.p + ic * P.a.rs + pc * P.a.cs, P.a.rs, P.a.cs, apack);
      macro(K, P, bl, apack, bp, nullptr, ic, mc, 0, P.n, pc, kc, 0, P.n);
    }
  });
}

Blocking blocking(const Kernels& K, const Problem& P, int threads) {
  Blocking bl{K.kc, K.mc, K.nc, false};
  // Equal KC slices of at most 1.25·KC: with KC = 256, k = 784 runs as 3 × 262 rather than
  // 256 + 256 + 256 + 16 (a thin last slice pays a full pass of C loads and stores and
  // packing set-up for little work).
  if (P.k > bl.kc) {
    const int64_t slices = ceil_div(P.k * 4, bl.kc * 5);
    bl.kc = ceil_div(P.k, slices);
  }
  // B in place: its rows are contiguous and A is at most three micro-panels tall, so packing B
  // would cost as much as the product. At three panels (m ≤ 42 with MR = 14) reading B's rows
  // in place three times still beats packing it once: 1 thread, AVX-512, CPU time per call
  // 32×784×128 with B in L2 4.45 -> 3.95 ms per 100, 40×1024×1024 2.8 -> 2.2 ms per 4,
  // 42×2000×512 2.5 -> 2.1 ms per 4 (a B from memory: 32×784×128 ×100 6.3-6.5 either way).
  bl.b_direct = P.b.cs == 1 && P.m <= 3 * K.mr;
  // Smaller A blocks when there are too few for the threads.
  if (threads > 1) {
    const int64_t want = ceil_div(P.m, 2 * threads);
    bl.mc = imax(K.mr, imin(bl.mc, ceil_div(want, K.mr) * K.mr));
  }
  return bl;
}

// ---------------------------------------------------------------- the dot path

thread_local AlignedBuffer<float> tl_bt;

void dot_path(const Kernels& K, const Problem& P, int threads, bool serial) {
  // Bt (n × k, rows contiguous): op(B) itself when its columns are contiguous, else a copy.
  const float* bt = P.b.p;
  int64_t ldbt = P.b.cs;
  if (P.b.rs != 1) {
    float* buf = tl_bt.get(size_t(P.n * P.k));
    for (int64_t p = 0; p < P.k; p++) {
      for (int64_t j = 0; j < P.n; j++) buf[j * P.k + p] = P.b.p[p * P.b.rs + j * P.b.cs];
    }
    bt = buf;
    ldbt = P.k;
  }
  const int64_t rows = imax(16, imin(256, ceil_div(P.m, 8 * threads)) & ~int64_t(1));
  auto task = [&](int64_t t) {
    const int64_t i0 = t * rows, mr = imin(rows, P.m - i0);
    K.dot(mr, P.n, P.k, P.a.p + i0 * P.a.rs, P.a.rs, bt, ldbt, P.c + i0 * P.rs_c, P.rs_c, P.cs_c);
    epilogue(K, P, i0, 0, mr, P.n);
  };
  const int64_t ntasks = ceil_div(P.m, rows);
  if (serial || threads == 1) {
    for (int64_t t = 0; t < ntasks; t++) task(t);
  } else {
    ThreadPool::get().run(ntasks, task);
  }
}

// ---------------------------------------------------------------- one product

// The product P. With P.rows_done set, the rows of C are reported as they become final
// (packed_serial, not mirrored: true) or not at all (false: the caller reports all of them).
bool solve(const Kernels& K, Problem P, int threads, bool serial) {
  if (P.m == 0 || P.n == 0) return false;
  if (P.k == 0) {
    for (int64_t i = 0; i < P.m; i++) {
      for (int64_t j = 0; j < P.n; j++) P.c[i * P.rs_c + j * P.cs_c] = 0.0f;
    }
    epilogue(K, P, 0, 0, P.m, P.n);
    return false;
  }
  const double flops = 2.0 * double(P.m) * double(P.n) * double(P.k);
  if (serial) threads = 1;
  threads = int(imax(1, imin(threads, int64_t(flops / kFlopsPerThread))));
  if (K.dot) {
    if (P.n <= K.dot_max_n && P.a.cs == 1 && P.n <= P.m) return dot_path(K, P, threads, serial), false;
    if (P.m <= K.dot_max_n && P.b.rs == 1 && P.m < P.n) return dot_path(K, mirror(P), threads, serial), false;
  }
  // Make B the large operand when one side is thin, so that it can be read in place.
  if (P.n <= 2 * K.mr && P.m > P.n && P.a.rs == 1) P = mirror(P);
  const Blocking bl = blocking(K, P, threads);
  if (threads == 1) {
    if (P.mirrored) P.rows_done = nullptr;
    packed_serial(K, P, bl);
    return P.rows_done != nullptr;
  } else if (!bl.b_direct && P.n <= bl.nc && ceil_div(P.k, bl.kc) <= kMaxSlices && P.k * P.n <= kSharedMaxFloats &&
             ceil_div(P.m, bl.mc) >= 2 * threads) {
    packed_shared(K, P, bl, threads);
  } else {
    packed_parallel(K, P, bl, threads);
  }
  return false;
}

// Product t of a batched call as a Problem writing C at c.
Problem problem_of(const Args& g, int64_t t, float* c) {
  Problem P;
  P.m = g.m;
  P.n = g.n;
  P.k = g.k;
  const float* a = g.a + t * g.stride_a;
  const float* b = g.b + t * g.stride_b;
  P.a = g.trans_a ? View{a, 1, g.m} : View{a, g.k, 1};
  P.b = g.trans_b ? View{b, 1, g.k} : View{b, g.n, 1};
  P.c = c;
  P.rs_c = g.n;
  P.cs_c = 1;
  P.mirrored = false;
  P.c0 = P.c;
  P.ldc = g.n;
  P.bias = g.bias;
  P.act = g.act;
  P.epilogue = g.bias != nullptr || g.act != kNone;
  return P;
}

thread_local AlignedBuffer<float> tl_grad;

}  // namespace

void sgemm(const Args& g) {
  const Kernels& K = dispatch().gemm;
  const int threads = ThreadPool::get().threads();
  auto problem = [&](int64_t t) { return problem_of(g, t, g.c + t * g.m * g.n); };
  const double flops = 2.0 * double(g.m) * double(g.n) * double(g.k);
  if (g.batch >= threads && threads > 1 && g.batch > 1) {
    // One product per task; when the batch does not divide among the threads and the
    // products are large, the remainder runs one at a time on all threads (5 products on
    // 2 threads as 3 + 2 would leave one thread idle a sixth of the time).
    const bool big = flops >= 4 * kFlopsPerThread * threads;
    const int64_t shared = big ? g.batch - g.batch % threads : g.batch;
    ThreadPool::get().run(shared, [&](int64_t t) { solve(K, problem(t), 1, true); });
    for (int64_t t = shared; t < g.batch; t++) solve(K, problem(t), threads, false);
  } else if (g.batch > 1 && threads > 1 && flops < 4 * kFlopsPerThread) {
    // Tiny products: one per task even when the batch is smaller than the pool.
    ThreadPool::get().run(g.batch, [&](int64_t t) { solve(K, problem(t), 1, true); });
  } else {
    for (int64_t t = 0; t < g.batch; t++) solve(K, problem(t), threads, false);
  }
}

void sgemm_sgd(const Args& g, const float* w, int64_t stride_w, float* out, const float* hyper, const NextProduct* next) {
  const Kernels& K = dispatch().gemm;
  const auto step = optim::active_kernels().step[int(optim::Op::sgd)];
  const int K_len = optim::record_length(optim::Op::sgd);
  ThreadPool& pool = ThreadPool::get();
  const int threads = pool.threads();
  const int64_t mn = g.m * g.n;
  Args plain = g;
  plain.bias = nullptr;
  plain.act = kNone;
  // The next product as the batched sgemm call x·W it stands for (A rows×m, B = out m×n).
  Args fwd;
  const bool has_next = next && next->a && next->rows > 0;
  if (has_next) {
    fwd.batch = g.batch;
    fwd.m = next->rows;
    fwd.n = g.n;
    fwd.k = g.m;
    fwd.a = next->a;
    fwd.stride_a = next->stride_a;
    fwd.b = out;
    fwd.stride_b = mn;
  }
  // Replica t: its gradient into this thread's buffer by the path sgemm takes for it (the
  // summation order per element does not depend on the thread count, see packed_shared), and
  // the optimizer's segment kernel on each block of rows of the weights as soon as that block
  // of the gradient is final (on the serial packed path, an MC block at a time while it is in
  // cache; otherwise all rows at the end). The kernel is elementwise, so the blocks change no bit.
  if (mn == 0 && !has_next) return;
  auto replica = [&](int64_t t, int th, bool serial) {
    if (has_next && mn == 0) return (void)solve(K, problem_of(fwd, t, next->c + t * next->rows * g.n), th, serial);
    struct Rows {
      float* grad;
      float* o;
      const float* src;
      const float* h;
      int64_t n;
      decltype(step) kernel;
    } rows{tl_grad.get(size_t(mn)), out + t * mn, w + t * stride_w, hyper + t * K_len, g.n, step};
    RowsDone done{[](void* ctx, int64_t i0, int64_t i1) {
                          const Rows& r = *static_cast<const Rows*>(ctx);
                          const int64_t at = i0 * r.n, len = (i1 - i0) * r.n;
                          if (r.o != r.src) std::memcpy(r.o + at, r.src + at, size_t(len) * sizeof(float));
                          optim::Segment s{};
                          s.h = r.h;
                          s.s = 1.0f;
                          s.n = len;
                          s.p = r.o + at;
                          s.g = r.grad + at;
                          r.kernel(s);
                        },
                        &rows};
    done.read = nullptr;
    done.write = rows.o;
    done.ld = g.n;
    Problem P = problem_of(plain, t, rows.grad);
    P.rows_done = &done;
    if (!solve(K, P, th, serial)) done.fn(&rows, 0, g.m);
    if (has_next) solve(K, problem_of(fwd, t, next->c + t * next->rows * g.n), th, serial);
  };
  if (threads > 1 && g.batch >= threads) {
    pool.run(g.batch, [&](int64_t t) { replica(t, 1, true); });
  } else {
    for (int64_t t = 0; t < g.batch; t++) replica(t, threads, false);
  }
}

double fma_peak_run(int64_t iters, int threads) {
  const Kernels& K = dispatch().gemm;
  double flops[ThreadPool::kMaxThreads] = {};
  float sink[ThreadPool::kMaxThreads] = {};
  ThreadPool::get().run(threads, [&](int64_t t) { flops[t] = double(K.fma_burst(iters, &sink[t])); });
  double total = 0;
  for (int t = 0; t < threads; t++) total += flops[t];
  return total;
}

}  // namespace gemm
}  // namespace descent
