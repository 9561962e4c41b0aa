// Elementwise ops, reductions, softmax and gather/scatter on float32 host memory.
//
// Op codes are shared with src/backend/ops.ts (UNARY, BINARY, REDUCE). Semantics follow the
// reference backend (src/backend/reference/), which computes in float64 and rounds once:
// transcendental functions here are evaluated in float64 too (glibc's libmvec vector
// functions where available, <cmath> otherwise), so results are the correctly rounded
// float32 of a value within a few float64 ulps. gelu is the exact erf form
// ½x(1 + erf(x/√2)); gelugrad its derivative Φ(x) + xφ(x); softplus = log(1 + eˣ) computed
// as max(x,0) + log1p(e^−|x|); max/min propagate NaN; comparisons give 1 or 0.
// Reductions accumulate in float64.
//
// ew::Kernels is one instruction set's inner loops (kernels_<isa>.cc); the functions below
// it are the drivers (elementwise.cc): shapes, strides and threading.
#pragma once

#include <cstdint>

namespace descent {
namespace ew {

enum Unary : int {
  kNeg, kAbs, kExp, kLog, kSqrt, kRsqrt, kSquare, kReciprocal, kRelu, kTanh, kSigmoid, kGelu, kSign, kStep,
  kSin, kCos, kLog1p, kExpm1, kSoftplus, kGeluGrad, kFloor, kCeil, kUnaryCount
};
enum Binary : int { kAdd, kSub, kMul, kDiv, kMax, kMin, kPow, kLt, kLe, kGt, kGe, kEq, kNe, kAtan2, kBinaryCount };
enum Reduce : int { kSum, kRMax, kRMin, kArgmax, kArgmin, kSumsq, kReduceCount };

/** Whether a unary / binary op calls a float64 library function (a heavier per-element cost). */
bool unary_is_heavy(int op);
bool binary_is_heavy(int op);

struct Kernels {
  /** y[i] = op(x[i]), i < n; y may equal x. */
  void (*unary)(int op, const float* x, float* y, int64_t n) = nullptr;
  /** y[i] = op(a[i·sa], b[i·sb]), i < n. */
  void (*binary)(int op, const float* a, int64_t sa, const float* b, int64_t sb, float* y, int64_t n) = nullptr;
  /** y[i] = c[i·sc] ≠ 0 ? a[i·sa] : b[i·sb]. */
  void (*where)(const float* c, int64_t sc, const float* a, int64_t sa, const float* b, int64_t sb, float* y,
                int64_t n) = nullptr;
  /** Σ x[i] and Σ x[i]² in float64. */
  double (*sum)(const float* x, int64_t n) = nullptr;
  double (*sumsq)(const float* x, int64_t n) = nullptr;
  /** max / min of x[0..n) (NaN if any is NaN; −inf / +inf when n = 0). */
  float (*max)(const float* x, int64_t n) = nullptr;
  float (*min)(const float* x, int64_t n) = nullptr;
  /** The first index of the max / min of x[0..n), or of its first NaN (0 when n = 0); n < 2^31. */
  int64_t (*argmax)(const float* x, int64_t n) = nullptr;
  int64_t (*argmin)(const float* x, int64_t n) = nullptr;
  /** Row accumulation for reductions with inner > 1: acc[i] (op)= x[i], i < n. */
  void (*acc_sum)(const float* x, double* acc, int64_t n) = nullptr;
  void (*acc_sumsq)(const float* x, double* acc, int64_t n) = nullptr;
  void (*acc_max)(const float* x, float* acc, int64_t n) = nullptr;
  void (*acc_min)(const float* x, float* acc, int64_t n) = nullptr;
  /** Where x[i] beats acc[i] (greater / less, or NaN over a number): acc[i] = x[i], idx[i] = j. */
  void (*acc_argmax)(const float* x, float* acc, int32_t* idx, int32_t j, int64_t n) = nullptr;
  void (*acc_argmin)(const float* x, float* acc, int32_t* idx, int32_t j, int64_t n) = nullptr;
  /** y = exp(x − max x) / Σ, or (x − max x) − log Σ, over one row of n; scratch holds n doubles. */
  void (*softmax_row)(const float* x, float* y, int64_t n, bool log, double* scratch) = nullptr;
  /** GEMM epilogue: c[i·ldc + j] = act(c[i·ldc + j] + bias[j]) (bias may be null; act: gemm::Act). */
  void (*act_rows)(float* c, int64_t ldc, int64_t m, int64_t n, const float* bias, int act) = nullptr;
};

void register_ref(Kernels& k);
void register_avx2(Kernels& k);
void register_avx512(Kernels& k);

// ---------------------------------------------------------------- drivers (elementwise.cc)

constexpr int kMaxRank = 8;

/** A strided view: element at index (i_0..i_{r-1}) is p[Σ i_d·strides[d]] (element units). */
template <class T>
struct View {
  T* p;
  int64_t strides[kMaxRank];
};

enum class DType : int { f32 = 0, f64 = 1, i32 = 2 };

void fill(float* y, int64_t n, float value);
/** y = op(x), contiguous. */
void unary(int op, const float* x, float* y, int64_t n);
/** y (contiguous, `shape`) = op(a, b) read through their strides. */
void binary(int op, View<const float> a, View<const float> b, float* y, const int64_t* shape, int rank);
void where(View<const float> c, View<const float> a, View<const float> b, float* y, const int64_t* shape, int rank);
/** dst = src elementwise over `shape`, both strided; elem_size 4 or 8 bytes. */
void copy_strided(const void* src, const int64_t* src_strides, void* dst, const int64_t* dst_strides,
                  const int64_t* shape, int rank, int elem_size);
/** n contiguous elements converted between dtypes (float → int32 as JavaScript's ToInt32(trunc x)). */
void cast(const void* x, DType from, void* y, DType to, int64_t n);
/** Reduces the middle axis of x viewed as [outer, n, inner] into y ([outer, inner]; int32 for arg ops). */
void reduce(int op, const float* x, int64_t outer, int64_t n, int64_t inner, void* y);
void softmax(const float* x, float* y, int64_t rows, int64_t cols, bool log);
/** STREAM's triad, for benchmarks: a[i] = b[i] + s·c[i], split over the thread pool. */
void stream_triad(float* a, const float* b, const float* c, float s, int64_t n);
/** y[o, j, i] = x[o, idx[j], i]; indices already checked to lie in [0, n). */
void gather(const float* x, int64_t outer, int64_t n, int64_t inner, const int32_t* idx, int64_t m, float* y);
/** y[o, idx[j], i] += src[o, j, i] with y ([outer, n, inner]) zeroed first. */
void scatter_add(const float* src, int64_t outer, int64_t m, int64_t inner, const int32_t* idx, int64_t n, float* y);

}  // namespace ew
}  // namespace descent
