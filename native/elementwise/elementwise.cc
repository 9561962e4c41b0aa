// Elementwise, reduction, softmax and gather drivers: shapes, strides and threading around
// the current ISA's inner loops (ew::Kernels). Arguments are trusted here; native/bind/
// validates them first.
//
// Strided ops collapse their shape (drop size-1 axes, merge axes that are contiguous for
// every operand) and then walk it with an odometer, calling the inner loop once per run of
// the last axis. Work above a size threshold is split into contiguous ranges of the flat
// output index, a few per thread, handed out by the thread pool.
#include "elementwise/elementwise.h"

#include <cmath>
#include <cstring>
#include <vector>

#include "runtime/aligned_buffer.h"
#include "runtime/dispatch.h"
#include "runtime/thread_pool.h"

namespace descent {
namespace ew {
namespace {

inline int64_t imin(int64_t a, int64_t b) { return a < b ? a : b; }
inline int64_t imax(int64_t a, int64_t b) { return a > b ? a : b; }
inline int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Elements per task below which splitting does not pay: memory-bound loops, and loops that
// call a float64 library function per element.
constexpr int64_t kGrainLight = 1 << 15;
constexpr int64_t kGrainHeavy = 1 << 11;

/** Calls f(i0, i1) over [0, n) in ranges of at least `grain`, in parallel when there are several. */
template <class F>
void parallel_range(int64_t n, int64_t grain, F&& f) {
  ThreadPool& pool = ThreadPool::get();
  const int64_t threads = pool.threads();
  const int64_t tasks = imin(4 * threads, n / grain);
  if (tasks <= 1 || threads == 1) {
    if (n > 0) f(int64_t(0), n);
    return;
  }
  const int64_t chunk = ceil_div(ceil_div(n, tasks), 16) * 16;
  pool.run(ceil_div(n, chunk), [&](int64_t t) { f(t * chunk, imin(n, (t + 1) * chunk)); });
}

bool heavy_unary(int op) { return unary_is_heavy(op); }

// ---------------------------------------------------------------- n-d iteration

template <int N>
struct Nd {
  int rank = 0;
  int64_t shape[kMaxRank];
  int64_t st[N][kMaxRank];
  int64_t total = 1;
};

// Drops size-1 axes and merges an axis into the next when every operand is contiguous across them.
template <int N>
Nd<N> collapse(const int64_t* shape, int rank, const int64_t* const* strides) {
  Nd<N> nd;
  for (int d = 0; d < rank; d++) nd.total *= shape[d];
  for (int d = 0; d < rank; d++) {
    if (shape[d] == 1) continue;
    if (nd.rank > 0) {
      bool merge = true;
      for (int k = 0; k < N; k++) merge = merge && nd.st[k][nd.rank - 1] == strides[k][d] * shape[d];
      if (merge) {
        nd.shape[nd.rank - 1] *= shape[d];
        for (int k = 0; k < N; k++) nd.st[k][nd.rank - 1] = strides[k][d];
        continue;
      }
    }
    nd.shape[nd.rank] = shape[d];
    for (int k = 0; k < N; k++) nd.st[k][nd.rank] = strides[k][d];
    nd.rank++;
  }
  if (nd.rank == 0) {
    nd.rank = 1;
    nd.shape[0] = 1;
    for (int k = 0; k < N; k++) nd.st[k][0] = 0;
  }
  return nd;
}

// Visits flat indices [i0, i1) of nd in row-major order as runs along the last axis:
// inner(offsets of the N operands at the run's start, flat index, run length).
template <int N, class Inner>
void nd_for(const Nd<N>& nd, int64_t i0, int64_t i1, Inner&& inner) {
  const int last = nd.rank - 1;
  int64_t idx[kMaxRank];
  int64_t off[N];
  for (int k = 0; k < N; k++) off[k] = 0;
  int64_t rem = i0;
  for (int d = last; d >= 0; d--) {
    idx[d] = rem % nd.shape[d];
    rem /= nd.shape[d];
    for (int k = 0; k < N; k++) off[k] += idx[d] * nd.st[k][d];
  }
  int64_t i = i0;
  while (i < i1) {
    const int64_t len = imin(nd.shape[last] - idx[last], i1 - i);
    inner(off, i, len);
    i += len;
    for (int k = 0; k < N; k++) off[k] += len * nd.st[k][last];
    idx[last] += len;
    for (int d = last; d > 0 && idx[d] == nd.shape[d]; d--) {
      for (int k = 0; k < N; k++) off[k] -= nd.shape[d] * nd.st[k][d];
      idx[d] = 0;
      idx[d - 1]++;
      for (int k = 0; k < N; k++) off[k] += nd.st[k][d - 1];
    }
  }
}

// ---------------------------------------------------------------- casts

inline int32_t to_int32(double v) {
  // JavaScript's ToInt32 of trunc(v): NaN and ±∞ give 0, other values wrap modulo 2³².
  if (!std::isfinite(v)) return 0;
  const double t = std::trunc(v);
  if (t >= -2147483648.0 && t <= 2147483647.0) return int32_t(t);
  double r = std::fmod(t, 4294967296.0);
  if (r < 0) r += 4294967296.0;
  return int32_t(uint32_t(r));
}

template <class S, class D>
void convert(const S* x, D* y, int64_t n) {
  for (int64_t i = 0; i < n; i++) y[i] = D(x[i]);
}
template <class S>
void convert_i32(const S* x, int32_t* y, int64_t n) {
  for (int64_t i = 0; i < n; i++) y[i] = to_int32(double(x[i]));
}

thread_local AlignedBuffer<double> tl_scratch;
thread_local AlignedBuffer<float> tl_fscratch;
thread_local AlignedBuffer<int32_t> tl_iscratch;

}  // namespace

bool unary_is_heavy(int op) {
  switch (op) {
    case kExp: case kLog: case kTanh: case kSigmoid: case kGelu: case kSin: case kCos: case kLog1p:
    case kExpm1: case kSoftplus: case kGeluGrad:
      return true;
    default:
      return false;
  }
}

bool binary_is_heavy(int op) { return op == kPow || op == kAtan2; }

void fill(float* y, int64_t n, float value) {
  parallel_range(n, kGrainLight * 4, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; i++) y[i] = value;
  });
}

void unary(int op, const float* x, float* y, int64_t n) {
  const Kernels& K = dispatch().ew;
  parallel_range(n, heavy_unary(op) ? kGrainHeavy : kGrainLight,
                 [&](int64_t i0, int64_t i1) { K.unary(op, x + i0, y + i0, i1 - i0); });
}

void binary(int op, View<const float> a, View<const float> b, float* y, const int64_t* shape, int rank) {
  const Kernels& K = dispatch().ew;
  const int64_t* strides[2] = {a.strides, b.strides};
  const Nd<2> nd = collapse<2>(shape, rank, strides);
  parallel_range(nd.total, binary_is_heavy(op) ? kGrainHeavy : kGrainLight, [&](int64_t i0, int64_t i1) {
    nd_for(nd, i0, i1, [&](const int64_t* off, int64_t i, int64_t len) {
      K.binary(op, a.p + off[0], nd.st[0][nd.rank - 1], b.p + off[1], nd.st[1][nd.rank - 1], y + i, len);
    });
  });
}

void where(View<const float> c, View<const float> a, View<const float> b, float* y, const int64_t* shape, int rank) {
  const Kernels& K = dispatch().ew;
  const int64_t* strides[3] = {c.strides, a.strides, b.strides};
  const Nd<3> nd = collapse<3>(shape, rank, strides);
  const int last = nd.rank - 1;
  parallel_range(nd.total, kGrainLight, [&](int64_t i0, int64_t i1) {
    nd_for(nd, i0, i1, [&](const int64_t* off, int64_t i, int64_t len) {
      K.where(c.p + off[0], nd.st[0][last], a.p + off[1], nd.st[1][last], b.p + off[2], nd.st[2][last], y + i, len);
    });
  });
}

void copy_strided(const void* src, const int64_t* src_strides, void* dst, const int64_t* dst_strides,
                  const int64_t* shape, int rank, int elem_size) {
  const int64_t* strides[2] = {src_strides, dst_strides};
  const Nd<2> nd = collapse<2>(shape, rank, strides);
  const int last = nd.rank - 1;
  const int64_t ss = nd.st[0][last], ds = nd.st[1][last];
  const char* s = static_cast<const char*>(src);
  char* d = static_cast<char*>(dst);
  parallel_range(nd.total, kGrainLight, [&](int64_t i0, int64_t i1) {
    nd_for(nd, i0, i1, [&](const int64_t* off, int64_t, int64_t len) {
      const char* from = s + off[0] * elem_size;
      char* to = d + off[1] * elem_size;
      if (ss == 1 && ds == 1) {
        std::memmove(to, from, size_t(len * elem_size));
      } else if (elem_size == 4) {
        const uint32_t* f = reinterpret_cast<const uint32_t*>(from);
        uint32_t* t = reinterpret_cast<uint32_t*>(to);
        for (int64_t i = 0; i < len; i++) t[i * ds] = f[i * ss];
      } else {
        const uint64_t* f = reinterpret_cast<const uint64_t*>(from);
        uint64_t* t = reinterpret_cast<uint64_t*>(to);
        for (int64_t i = 0; i < len; i++) t[i * ds] = f[i * ss];
      }
    });
  });
}

void cast(const void* x, DType from, void* y, DType to, int64_t n) {
  parallel_range(n, kGrainLight, [&](int64_t i0, int64_t i1) {
    const int64_t len = i1 - i0;
    switch (from) {
      case DType::f32: {
        const float* s = static_cast<const float*>(x) + i0;
        if (to == DType::f32) std::memcpy(static_cast<float*>(y) + i0, s, size_t(len) * 4);
        else if (to == DType::f64) convert(s, static_cast<double*>(y) + i0, len);
        else convert_i32(s, static_cast<int32_t*>(y) + i0, len);
        break;
      }
      case DType::f64: {
        const double* s = static_cast<const double*>(x) + i0;
        if (to == DType::f32) convert(s, static_cast<float*>(y) + i0, len);
        else if (to == DType::f64) std::memcpy(static_cast<double*>(y) + i0, s, size_t(len) * 8);
        else convert_i32(s, static_cast<int32_t*>(y) + i0, len);
        break;
      }
      case DType::i32: {
        const int32_t* s = static_cast<const int32_t*>(x) + i0;
        if (to == DType::f32) convert(s, static_cast<float*>(y) + i0, len);
        else if (to == DType::f64) convert(s, static_cast<double*>(y) + i0, len);
        else std::memcpy(static_cast<int32_t*>(y) + i0, s, size_t(len) * 4);
        break;
      }
    }
  });
}

// ---------------------------------------------------------------- reductions

namespace {

constexpr int64_t kInnerBlock = 1024;

inline bool is_arg(int op) { return op == kArgmax || op == kArgmin; }

// Folds a later piece (v, k) into the running result (val, idx) of earlier axis positions.
inline void combine(int op, double& val, int32_t& idx, double v, int32_t k) {
  switch (op) {
    case kSum: case kSumsq: val += v; break;
    case kRMax: val = (v > val || v != v) ? v : val; break;
    case kRMin: val = (v < val || v != v) ? v : val; break;
    case kArgmax:
      if (v > val || (v != v && val == val)) { val = v; idx = k; }
      break;
    case kArgmin:
      if (v < val || (v != v && val == val)) { val = v; idx = k; }
      break;
  }
}

// One piece of a reduction: axis positions [j0, j1) for inner positions [i0, i0 + len) of
// the outer slice x. Writes val (and idx for arg ops) for each of the len positions.
void reduce_piece(const Kernels& K, int op, const float* x, int64_t inner, int64_t i0, int64_t len, int64_t j0,
                  int64_t j1, double* val, int32_t* idx) {
  if (inner == 1) {
    const float* s = x + j0;
    const int64_t cnt = j1 - j0;
    switch (op) {
      case kSum: val[0] = K.sum(s, cnt); break;
      case kSumsq: val[0] = K.sumsq(s, cnt); break;
      case kRMax: val[0] = K.max(s, cnt); break;
      case kRMin: val[0] = K.min(s, cnt); break;
      default: {
        // The kernel counts in int32 lanes: blocks of 2^30, folded in order.
        double v = op == kArgmax ? -INFINITY : INFINITY;
        int32_t k = 0;
        for (int64_t b = 0; b < cnt; b += int64_t(1) << 30) {
          const int64_t len = imin(int64_t(1) << 30, cnt - b);
          const int64_t at = b + (op == kArgmax ? K.argmax : K.argmin)(s + b, len);
          if (b == 0) {
            v = s[at];
            k = int32_t(j0 + at);
          } else {
            combine(op, v, k, s[at], int32_t(j0 + at));
          }
        }
        val[0] = v;
        idx[0] = k;
        break;
      }
    }
    return;
  }
  const float* base = x + i0;
  if (op == kSum || op == kSumsq) {
    for (int64_t i = 0; i < len; i++) val[i] = 0;
    for (int64_t j = j0; j < j1; j++) (op == kSum ? K.acc_sum : K.acc_sumsq)(base + j * inner, val, len);
    return;
  }
  float* acc = tl_fscratch.get(size_t(len));
  const bool up = op == kRMax || op == kArgmax;
  for (int64_t i = 0; i < len; i++) acc[i] = up ? -INFINITY : INFINITY;
  if (is_arg(op)) {
    for (int64_t i = 0; i < len; i++) idx[i] = 0;
    for (int64_t j = j0; j < j1; j++) (up ? K.acc_argmax : K.acc_argmin)(base + j * inner, acc, idx, int32_t(j), len);
  } else {
    for (int64_t j = j0; j < j1; j++) (up ? K.acc_max : K.acc_min)(base + j * inner, acc, len);
  }
  for (int64_t i = 0; i < len; i++) val[i] = acc[i];
}

inline void store(int op, void* y, int64_t at, double v, int32_t k) {
  if (is_arg(op)) static_cast<int32_t*>(y)[at] = k;
  else static_cast<float*>(y)[at] = float(v);
}

}  // namespace

void reduce(int op, const float* x, int64_t outer, int64_t n, int64_t inner, void* y) {
  const Kernels& K = dispatch().ew;
  if (outer == 0 || inner == 0) return;
  const int64_t iblock = imin(inner, kInnerBlock);
  const int64_t nib = ceil_div(inner, iblock);
  const int64_t units = outer * nib;
  const int64_t threads = ThreadPool::get().threads();
  const int64_t work = outer * imax(n, 1) * inner;
  // Split the reduced axis too when there are fewer units than threads and enough work.
  int64_t segs = 1;
  if (units < threads && work >= 4 * kGrainLight) segs = imin(imax(1, n / 64), ceil_div(2 * threads, units));
  const int64_t seglen = ceil_div(imax(n, 1), segs);
  segs = ceil_div(imax(n, 1), seglen);

  if (segs == 1) {
    auto task = [&](int64_t u) {
      const int64_t o = u / nib, i0 = (u % nib) * iblock, len = imin(iblock, inner - i0);
      double* val = tl_scratch.get(size_t(len));
      int32_t* idx = tl_iscratch.get(size_t(len));
      reduce_piece(K, op, x + o * n * inner, inner, i0, len, 0, n, val, idx);
      for (int64_t i = 0; i < len; i++) store(op, y, o * inner + i0 + i, val[i], idx[i]);
    };
    if (work < 2 * kGrainLight || units == 1) {
      for (int64_t u = 0; u < units; u++) task(u);
    } else {
      ThreadPool::get().run(units, task);
    }
    return;
  }
  // Pieces (unit, segment) into partial arrays, then folded in axis order.
  std::vector<double> pval(size_t(units * segs * iblock));
  std::vector<int32_t> pidx(size_t(units * segs * iblock));
  ThreadPool::get().run(units * segs, [&](int64_t t) {
    const int64_t u = t / segs, s = t % segs;
    const int64_t o = u / nib, i0 = (u % nib) * iblock, len = imin(iblock, inner - i0);
    const int64_t j0 = s * seglen, j1 = imin(n, j0 + seglen);
    reduce_piece(K, op, x + o * n * inner, inner, i0, len, j0, j1, &pval[size_t(t * iblock)], &pidx[size_t(t * iblock)]);
  });
  for (int64_t u = 0; u < units; u++) {
    const int64_t o = u / nib, i0 = (u % nib) * iblock, len = imin(iblock, inner - i0);
    for (int64_t i = 0; i < len; i++) {
      double v = pval[size_t(u * segs * iblock + i)];
      int32_t k = pidx[size_t(u * segs * iblock + i)];
      for (int64_t s = 1; s < segs; s++) {
        const size_t at = size_t((u * segs + s) * iblock + i);
        combine(op, v, k, pval[at], pidx[at]);
      }
      store(op, y, o * inner + i0 + i, v, k);
    }
  }
}

void softmax(const float* x, float* y, int64_t rows, int64_t cols, bool log) {
  const Kernels& K = dispatch().ew;
  if (rows == 0 || cols == 0) return;
  const int64_t per = imax(1, kGrainHeavy / cols);
  auto task = [&](int64_t t) {
    double* scratch = tl_scratch.get(size_t(cols));
    for (int64_t r = t * per; r < imin(rows, (t + 1) * per); r++) K.softmax_row(x + r * cols, y + r * cols, cols, log, scratch);
  };
  const int64_t tasks = ceil_div(rows, per);
  if (tasks == 1) task(0);
  else ThreadPool::get().run(tasks, task);
}

void stream_triad(float* a, const float* b, const float* c, float s, int64_t n) {
  parallel_range(n, kGrainLight * 4, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; i++) a[i] = b[i] + s * c[i];
  });
}

void gather(const float* x, int64_t outer, int64_t n, int64_t inner, const int32_t* idx, int64_t m, float* y) {
  parallel_range(outer * m, imax(1, kGrainLight / imax(inner, 1)), [&](int64_t u0, int64_t u1) {
    for (int64_t u = u0; u < u1; u++) {
      const int64_t o = u / m, j = u % m;
      std::memcpy(y + u * inner, x + (o * n + idx[j]) * inner, size_t(inner) * sizeof(float));
    }
  });
}

void scatter_add(const float* src, int64_t outer, int64_t m, int64_t inner, const int32_t* idx, int64_t n, float* y) {
  std::memset(y, 0, size_t(outer * n * inner) * sizeof(float));
  // Rows with equal indices collide, so threads split outer slices, or inner columns when
  // there is one slice.
  if (outer > 1 || inner < 256) {
    parallel_range(outer, imax(1, kGrainLight / imax(m * inner, 1)), [&](int64_t o0, int64_t o1) {
      for (int64_t o = o0; o < o1; o++) {
        for (int64_t j = 0; j < m; j++) {
          const float* s = src + (o * m + j) * inner;
          float* d = y + (o * n + idx[j]) * inner;
          for (int64_t i = 0; i < inner; i++) d[i] += s[i];
        }
      }
    });
  } else {
    parallel_range(inner, imax(64, kGrainLight / imax(m, 1)), [&](int64_t i0, int64_t i1) {
      for (int64_t j = 0; j < m; j++) {
        const float* s = src + j * inner;
        float* d = y + int64_t(idx[j]) * inner;
        for (int64_t i = i0; i < i1; i++) d[i] += s[i];
      }
    });
  }
}

}  // namespace ew
}  // namespace descent
