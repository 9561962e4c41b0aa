// Elementwise kernels for AVX-512 (compiled with -mavx512f/dq/bw/vl): kernels.inc with
// libmvec's 8-lane AVX-512 float64 functions; the tail of a chunk runs one masked vector.
#include <immintrin.h>

#include <cmath>
#include <cstdint>

#include "elementwise/elementwise.h"
#include "elementwise/vmath.h"

namespace descent {
namespace ew {
namespace {

using V1 = __m512d (*)(__m512d);
using V2 = __m512d (*)(__m512d, __m512d);
V1 g_v1[kVm1Count];
V2 g_v2[kVm2Count];

double (*const kScalar1[kVm1Count])(double) = {
    [](double v) { return std::exp(v); },   [](double v) { return std::log(v); },
    [](double v) { return std::tanh(v); },  [](double v) { return std::sin(v); },
    [](double v) { return std::cos(v); },   [](double v) { return std::log1p(v); },
    [](double v) { return std::expm1(v); }, [](double v) { return std::erf(v); }};
double (*const kScalar2[kVm2Count])(double, double) = {[](double a, double b) { return std::pow(a, b); },
                                                       [](double a, double b) { return std::atan2(a, b); }};

inline __mmask8 lanes8(int n) { return __mmask8((1u << n) - 1u); }

void vm1(int f, const double* x, double* y, int n) {
  const V1 v = g_v1[f];
  if (!v) {
    for (int i = 0; i < n; i++) y[i] = kScalar1[f](x[i]);
    return;
  }
  int i = 0;
  for (; i + 8 <= n; i += 8) _mm512_storeu_pd(y + i, v(_mm512_loadu_pd(x + i)));
  if (i < n) {
    const __mmask8 m = lanes8(n - i);
    _mm512_mask_storeu_pd(y + i, m, v(_mm512_maskz_loadu_pd(m, x + i)));
  }
}

void vm2(int f, const double* a, const double* b, double* y, int n) {
  const V2 v = g_v2[f];
  if (!v) {
    for (int i = 0; i < n; i++) y[i] = kScalar2[f](a[i], b[i]);
    return;
  }
  int i = 0;
  for (; i + 8 <= n; i += 8) _mm512_storeu_pd(y + i, v(_mm512_loadu_pd(a + i), _mm512_loadu_pd(b + i)));
  if (i < n) {
    const __mmask8 m = lanes8(n - i);
    _mm512_mask_storeu_pd(y + i, m, v(_mm512_maskz_loadu_pd(m, a + i), _mm512_maskz_loadu_pd(m, b + i)));
  }
}

#include "elementwise/kernels.inc"

}  // namespace

void register_avx512(Kernels& t) {
  for (int f = 0; f < kVm1Count; f++) g_v1[f] = reinterpret_cast<V1>(libmvec_symbol('e', 8, kVm1Names[f], 1));
  for (int f = 0; f < kVm2Count; f++) g_v2[f] = reinterpret_cast<V2>(libmvec_symbol('e', 8, kVm2Names[f], 2));
  fill_table(t);
}

}  // namespace ew
}  // namespace descent
