// The optimizer kernels with AVX2 (8 lanes); compiled with -mavx2 -mfma -ffp-contract=off
// (no fused multiply-add, so lanes match kernels_ref.cc bit for bit).
#include "optim/simd.h"

namespace descent {
namespace optim {
namespace {
using V = VAvx2;
}  // namespace
}  // namespace optim
}  // namespace descent

#include "optim/kernels.inl"

namespace descent {
namespace optim {
namespace {

void sumsq16_avx2(const float* x, int64_t n, double* lanes) {
  __m256d a0 = _mm256_loadu_pd(lanes), a1 = _mm256_loadu_pd(lanes + 4);
  __m256d a2 = _mm256_loadu_pd(lanes + 8), a3 = _mm256_loadu_pd(lanes + 12);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256d x0 = _mm256_cvtps_pd(_mm_loadu_ps(x + i)), x1 = _mm256_cvtps_pd(_mm_loadu_ps(x + i + 4));
    const __m256d x2 = _mm256_cvtps_pd(_mm_loadu_ps(x + i + 8)), x3 = _mm256_cvtps_pd(_mm_loadu_ps(x + i + 12));
    a0 = _mm256_add_pd(a0, _mm256_mul_pd(x0, x0));
    a1 = _mm256_add_pd(a1, _mm256_mul_pd(x1, x1));
    a2 = _mm256_add_pd(a2, _mm256_mul_pd(x2, x2));
    a3 = _mm256_add_pd(a3, _mm256_mul_pd(x3, x3));
  }
  _mm256_storeu_pd(lanes, a0);
  _mm256_storeu_pd(lanes + 4, a1);
  _mm256_storeu_pd(lanes + 8, a2);
  _mm256_storeu_pd(lanes + 12, a3);
  sumsq16_scalar(x + i, n - i, lanes);  // i is a multiple of 16: lanes line up
}

}  // namespace

const Kernels& kernels_avx2() {
  static const Kernels k = make_kernels(sumsq16_avx2, "avx2");
  return k;
}

}  // namespace optim
}  // namespace descent
