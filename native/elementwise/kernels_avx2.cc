// Elementwise kernels for AVX2 + FMA (compiled with -mavx2 -mfma): kernels.inc with
// libmvec's 4-lane AVX2 float64 functions.
#include <immintrin.h>

#include <cmath>
#include <cstdint>

#include "elementwise/elementwise.h"
#include "elementwise/vmath.h"

namespace descent {
namespace ew {
namespace {

using V1 = __m256d (*)(__m256d);
using V2 = __m256d (*)(__m256d, __m256d);
V1 g_v1[kVm1Count];
V2 g_v2[kVm2Count];

double (*const kScalar1[kVm1Count])(double) = {
    [](double v) { return std::exp(v); },   [](double v) { return std::log(v); },
    [](double v) { return std::tanh(v); },  [](double v) { return std::sin(v); },
    [](double v) { return std::cos(v); },   [](double v) { return std::log1p(v); },
    [](double v) { return std::expm1(v); }, [](double v) { return std::erf(v); }};
double (*const kScalar2[kVm2Count])(double, double) = {[](double a, double b) { return std::pow(a, b); },
                                                       [](double a, double b) { return std::atan2(a, b); }};

void vm1(int f, const double* x, double* y, int n) {
  const V1 v = g_v1[f];
  int i = 0;
  if (v) {
    for (; i + 4 <= n; i += 4) _mm256_storeu_pd(y + i, v(_mm256_loadu_pd(x + i)));
  }
  for (; i < n; i++) y[i] = kScalar1[f](x[i]);
}

void vm2(int f, const double* a, const double* b, double* y, int n) {
  const V2 v = g_v2[f];
  int i = 0;
  if (v) {
    for (; i + 4 <= n; i += 4) _mm256_storeu_pd(y + i, v(_mm256_loadu_pd(a + i), _mm256_loadu_pd(b + i)));
  }
  for (; i < n; i++) y[i] = kScalar2[f](a[i], b[i]);
}

#include "elementwise/kernels.inc"

}  // namespace

void register_avx2(Kernels& t) {
  for (int f = 0; f < kVm1Count; f++) g_v1[f] = reinterpret_cast<V1>(libmvec_symbol('d', 4, kVm1Names[f], 1));
  for (int f = 0; f < kVm2Count; f++) g_v2[f] = reinterpret_cast<V2>(libmvec_symbol('d', 4, kVm2Names[f], 2));
  fill_table(t);
}

}  // namespace ew
}  // namespace descent
