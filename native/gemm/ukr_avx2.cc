// AVX2 + FMA GEMM kernels (compiled with -mavx2 -mfma; called only when cpuid says so).
//
// Micro-kernel contract (gemm.h) with MR = 6 rows by NR = 16 columns (two ymm): per k step
// two loads of B and six broadcasts of A feed 12 FMAs into 12 accumulators, leaving 4 of
// the 16 ymm registers for operands (the Haswell-era BLIS shape). Edge tiles run an
// instantiation with exactly mr rows; partial columns go through a small stack tile.
// Everything here has internal linkage (see ukr_avx512.cc).
#include <immintrin.h>

#include <cstdint>
#include <utility>

#include "gemm/gemm.h"

namespace descent {
namespace gemm {
namespace {

constexpr int MR = 6;
constexpr int NR = 16;

using Tile = void (*)(int64_t, const float*, const float*, int64_t, float*, int64_t, int64_t, int, int, bool);

inline int64_t imin(int64_t a, int64_t b) { return a < b ? a : b; }

template <int R>
void tile(int64_t k, const float* __restrict ap, const float* __restrict b, int64_t ldb, float* c, int64_t rs,
          int64_t cs, int mr, int nr, bool accumulate) {
  __m256 acc[R][2];
#pragma GCC unroll 8
  for (int r = 0; r < R; r++) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
#pragma GCC unroll 2
  for (int64_t p = 0; p < k; p++) {
    const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
#pragma GCC unroll 8
    for (int r = 0; r < R; r++) {
      const __m256 a = _mm256_broadcast_ss(ap + r);
      acc[r][0] = _mm256_fmadd_ps(a, b0, acc[r][0]);
      acc[r][1] = _mm256_fmadd_ps(a, b1, acc[r][1]);
    }
    ap += MR;
    b += ldb;
  }
  if (cs == 1 && nr == NR) {
#pragma GCC unroll 8
    for (int r = 0; r < R; r++) {
      float* cr = c + r * rs;
      __m256 x0 = acc[r][0], x1 = acc[r][1];
      if (accumulate) {
        x0 = _mm256_add_ps(x0, _mm256_loadu_ps(cr));
        x1 = _mm256_add_ps(x1, _mm256_loadu_ps(cr + 8));
      }
      _mm256_storeu_ps(cr, x0);
      _mm256_storeu_ps(cr + 8, x1);
    }
  } else {
    alignas(32) float t[R][NR];
#pragma GCC unroll 8
    for (int r = 0; r < R; r++) {
      _mm256_store_ps(&t[r][0], acc[r][0]);
      _mm256_store_ps(&t[r][8], acc[r][1]);
    }
    for (int i = 0; i < mr; i++) {
      for (int j = 0; j < nr; j++) {
        float& dst = c[i * rs + j * cs];
        dst = accumulate ? dst + t[i][j] : t[i][j];
      }
    }
  }
}

constexpr Tile kTiles[MR] = {&tile<1>, &tile<2>, &tile<3>, &tile<4>, &tile<5>, &tile<6>};

void ukr(int64_t k, const float* ap, const float* b, int64_t ldb, float* c, int64_t rs, int64_t cs, int mr, int nr,
         bool accumulate) {
  kTiles[mr - 1](k, ap, b, ldb, c, rs, cs, mr, nr, accumulate);
}

// 8×8 in-register transpose: out[j] lane i = in[i] lane j.
inline void transpose8(__m256 r[8]) {
  __m256 t[8], u[8];
#pragma GCC unroll 4
  for (int a = 0; a < 4; a++) {
    t[2 * a] = _mm256_unpacklo_ps(r[2 * a], r[2 * a + 1]);
    t[2 * a + 1] = _mm256_unpackhi_ps(r[2 * a], r[2 * a + 1]);
  }
#pragma GCC unroll 2
  for (int q = 0; q < 2; q++) {
    u[4 * q + 0] = _mm256_shuffle_ps(t[4 * q], t[4 * q + 2], _MM_SHUFFLE(1, 0, 1, 0));
    u[4 * q + 1] = _mm256_shuffle_ps(t[4 * q], t[4 * q + 2], _MM_SHUFFLE(3, 2, 3, 2));
    u[4 * q + 2] = _mm256_shuffle_ps(t[4 * q + 1], t[4 * q + 3], _MM_SHUFFLE(1, 0, 1, 0));
    u[4 * q + 3] = _mm256_shuffle_ps(t[4 * q + 1], t[4 * q + 3], _MM_SHUFFLE(3, 2, 3, 2));
  }
#pragma GCC unroll 4
  for (int c = 0; c < 4; c++) {
    r[c] = _mm256_permute2f128_ps(u[c], u[4 + c], 0x20);
    r[4 + c] = _mm256_permute2f128_ps(u[c], u[4 + c], 0x31);
  }
}

// rows (≤ 8) source rows contiguous along p, ld apart → dst[p·dstride + i], i < 8 written
// (zeros past rows); dstride ≥ 8.
void transpose_pack8(const float* src, int64_t ld, int rows, int64_t k, float* dst, int64_t dstride) {
  int64_t p0 = 0;
  for (; p0 + 8 <= k; p0 += 8) {
    __m256 r[8];
#pragma GCC unroll 8
    for (int i = 0; i < 8; i++) r[i] = i < rows ? _mm256_loadu_ps(src + i * ld + p0) : _mm256_setzero_ps();
    transpose8(r);
#pragma GCC unroll 8
    for (int q = 0; q < 8; q++) _mm256_storeu_ps(dst + (p0 + q) * dstride, r[q]);
  }
  for (; p0 < k; p0++) {
    for (int i = 0; i < 8; i++) dst[p0 * dstride + i] = i < rows ? src[i * ld + p0] : 0.0f;
  }
}

void pack_a(int64_t m, int64_t k, const float* a, int64_t rs, int64_t cs, float* dst) {
  for (int64_t i0 = 0; i0 < m; i0 += MR, dst += MR * k) {
    const int rows = int(imin(MR, m - i0));
    const float* src = a + i0 * rs;
    for (int64_t p = 0; p < k; p++) {
      for (int i = 0; i < MR; i++) dst[p * MR + i] = i < rows ? src[i * rs + p * cs] : 0.0f;
    }
  }
}

void pack_b(int64_t k, int64_t n, const float* b, int64_t rs, int64_t cs, float* dst) {
  for (int64_t j0 = 0; j0 < n; j0 += NR, dst += NR * k) {
    const int cols = int(imin(NR, n - j0));
    const float* src = b + j0 * cs;
    if (cs == 1 && cols == NR) {
      for (int64_t p = 0; p < k; p++) {
        _mm256_storeu_ps(dst + p * NR, _mm256_loadu_ps(src + p * rs));
        _mm256_storeu_ps(dst + p * NR + 8, _mm256_loadu_ps(src + p * rs + 8));
      }
    } else if (rs == 1) {
      for (int h = 0; h < 2; h++) {
        const int rows = cols - 8 * h;
        transpose_pack8(src + 8 * h * cs, cs, rows < 0 ? 0 : rows > 8 ? 8 : rows, k, dst + 8 * h, NR);
      }
    } else {
      for (int64_t p = 0; p < k; p++) {
        for (int j = 0; j < NR; j++) dst[p * NR + j] = j < cols ? src[p * rs + j * cs] : 0.0f;
      }
    }
  }
}

// 12 chains of ymm FMAs (the micro-kernel's accumulator count).
int64_t fma_burst(int64_t iters, float* sink) {
  constexpr int N = 12;
  __m256 acc[N];
  const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-6f);
#pragma GCC unroll 12
  for (int r = 0; r < N; r++) acc[r] = _mm256_set1_ps(float(r));
  for (int64_t it = 0; it < iters; it++) {
#pragma GCC unroll 12
    for (int r = 0; r < N; r++) acc[r] = _mm256_fmadd_ps(acc[r], a, b);
  }
  alignas(32) float t[8];
  __m256 s = acc[0];
#pragma GCC unroll 12
  for (int r = 1; r < N; r++) s = _mm256_add_ps(s, acc[r]);
  _mm256_store_ps(t, s);
  *sink = t[0] + t[1] + t[2] + t[3] + t[4] + t[5] + t[6] + t[7];
  return iters * N * 16;
}

}  // namespace

void register_avx2(Kernels& t) {
  t.name = "avx2-6x16";
  t.mr = MR;
  t.nr = NR;
  t.kc = 256;
  t.mc = 72;
  t.nc = 4080;
  t.ukr = ukr;
  t.pack_a = pack_a;
  t.pack_b = pack_b;
  t.dot = nullptr;
  t.dot_max_n = 0;
  t.fma_burst = fma_burst;
}

}  // namespace gemm
}  // namespace descent
