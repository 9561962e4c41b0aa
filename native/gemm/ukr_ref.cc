// Portable GEMM kernels (baseline x86-64, any compiler): registered first, so every table
// entry exists, then overridden by the AVX2 / AVX-512 files where the CPU allows.
//
// Micro-kernel: MR = 4 rows by NR = 16 columns of plain C++ that the compiler keeps in
// registers; packing with scalar loops; the epilogue in double precision with <cmath>.
#include <cmath>
#include <cstdint>

#include "gemm/gemm.h"

namespace descent {
namespace gemm {
namespace {

constexpr int MR = 4;
constexpr int NR = 16;

inline int64_t imin(int64_t a, int64_t b) { return a < b ? a : b; }

void ukr(int64_t k, const float* __restrict ap, const float* __restrict b, int64_t ldb, float* c, int64_t rs,
         int64_t cs, int mr, int nr, bool accumulate) {
  float acc[MR][NR] = {};
  for (int64_t p = 0; p < k; p++) {
    for (int i = 0; i < MR; i++) {
      const float a = ap[i];
      for (int j = 0; j < NR; j++) acc[i][j] += a * b[j];
    }
    ap += MR;
    b += ldb;
  }
  for (int i = 0; i < mr; i++) {
    for (int j = 0; j < nr; j++) {
      float& dst = c[i * rs + j * cs];
      dst = accumulate ? dst + acc[i][j] : acc[i][j];
    }
  }
}

void pack_a(int64_t m, int64_t k, const float* a, int64_t rs, int64_t cs, float* dst) {
  for (int64_t i0 = 0; i0 < m; i0 += MR, dst += MR * k) {
    const int rows = int(imin(MR, m - i0));
    const float* src = a + i0 * rs;
    for (int i = 0; i < MR; i++) {
      if (i < rows) {
        for (int64_t p = 0; p < k; p++) dst[p * MR + i] = src[i * rs + p * cs];
      } else {
        for (int64_t p = 0; p < k; p++) dst[p * MR + i] = 0.0f;
      }
    }
  }
}

void pack_b(int64_t k, int64_t n, const float* b, int64_t rs, int64_t cs, float* dst) {
  for (int64_t j0 = 0; j0 < n; j0 += NR, dst += NR * k) {
    const int cols = int(imin(NR, n - j0));
    const float* src = b + j0 * cs;
    for (int64_t p = 0; p < k; p++) {
      for (int j = 0; j < NR; j++) dst[p * NR + j] = j < cols ? src[p * rs + j * cs] : 0.0f;
    }
  }
}

double activate(double x, int act) {
  switch (act) {
    case kRelu: return x <= 0 ? 0 : x;  // NaN stays NaN
    case kTanh: return std::tanh(x);
    case kSigmoid: return x >= 0 ? 1 / (1 + std::exp(-x)) : std::exp(x) / (1 + std::exp(x));
    case kGelu: return 0.5 * x * (1 + std::erf(x * 0.70710678118654752440));
    default: return x;
  }
}

void act(float* c, int64_t ldc, int64_t m, int64_t n, const float* bias, int code) {
  for (int64_t i = 0; i < m; i++) {
    float* row = c + i * ldc;
    for (int64_t j = 0; j < n; j++) {
      // The bias add is a float32 add, as every other backend rounds it.
      const float x = bias ? row[j] + bias[j] : row[j];
      row[j] = code == kNone ? x : float(activate(x, code));
    }
  }
}

// 16 chains of scalar multiply-adds (x86-64's baseline has no FMA; the compiler may pack
// them into SSE registers, which is the baseline's real ceiling).
int64_t fma_burst(int64_t iters, float* sink) {
  constexpr int N = 16;
  float acc[N];
  for (int r = 0; r < N; r++) acc[r] = float(r);
  for (int64_t it = 0; it < iters; it++) {
    for (int r = 0; r < N; r++) acc[r] = acc[r] * 0.999999f + 1e-6f;
  }
  float s = 0;
  for (int r = 0; r < N; r++) s += acc[r];
  *sink = s;
  return iters * N * 2;
}

}  // namespace

void register_ref(Kernels& t) {
  t.name = "ref-4x16";
  t.mr = MR;
  t.nr = NR;
  t.kc = 256;
  t.mc = 128;
  t.nc = 2048;
  t.ukr = ukr;
  t.pack_a = pack_a;
  t.pack_b = pack_b;
  t.dot = nullptr;
  t.dot_max_n = 0;
  t.act = act;
  t.fma_burst = fma_burst;
}

}  // namespace gemm
}  // namespace descent
