// The optimizer kernels with AVX-512 (16 lanes); compiled with -mavx512f … -ffp-contract=off
// (no fused multiply-add, so lanes match kernels_ref.cc bit for bit).
#include "optim/simd.h"

namespace descent {
namespace optim {
namespace {
using V = VAvx512;
}  // namespace
}  // namespace optim
}  // namespace descent

#include "optim/kernels.inl"

namespace descent {
namespace optim {
namespace {

void sumsq16_avx512(const float* x, int64_t n, double* lanes) {
  __m512d a0 = _mm512_loadu_pd(lanes), a1 = _mm512_loadu_pd(lanes + 8);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512d x0 = _mm512_cvtps_pd(_mm256_loadu_ps(x + i)), x1 = _mm512_cvtps_pd(_mm256_loadu_ps(x + i + 8));
    a0 = _mm512_add_pd(a0, _mm512_mul_pd(x0, x0));
    a1 = _mm512_add_pd(a1, _mm512_mul_pd(x1, x1));
  }
  _mm512_storeu_pd(lanes, a0);
  _mm512_storeu_pd(lanes + 8, a1);
  sumsq16_scalar(x + i, n - i, lanes);  // i is a multiple of 16: lanes line up
}

}  // namespace

const Kernels& kernels_avx512() {
  static const Kernels k = make_kernels(sumsq16_avx512, "avx512");
  return k;
}

}  // namespace optim
}  // namespace descent
