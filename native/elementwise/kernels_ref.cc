// Elementwise kernels for any x86-64 (baseline flags): kernels.inc with scalar <cmath>
// float64 functions.
#include <cmath>
#include <cstdint>

#include "elementwise/elementwise.h"
#include "elementwise/vmath.h"

namespace descent {
namespace ew {
namespace {

double (*const kScalar1[kVm1Count])(double) = {
    [](double v) { return std::exp(v); },   [](double v) { return std::log(v); },
    [](double v) { return std::tanh(v); },  [](double v) { return std::sin(v); },
    [](double v) { return std::cos(v); },   [](double v) { return std::log1p(v); },
    [](double v) { return std::expm1(v); }, [](double v) { return std::erf(v); }};
double (*const kScalar2[kVm2Count])(double, double) = {[](double a, double b) { return std::pow(a, b); },
                                                       [](double a, double b) { return std::atan2(a, b); }};

void vm1(int f, const double* x, double* y, int n) {
  double (*fn)(double) = kScalar1[f];
  for (int i = 0; i < n; i++) y[i] = fn(x[i]);
}

void vm2(int f, const double* a, const double* b, double* y, int n) {
  double (*fn)(double, double) = kScalar2[f];
  for (int i = 0; i < n; i++) y[i] = fn(a[i], b[i]);
}

#include "elementwise/kernels.inc"

}  // namespace

void register_ref(Kernels& t) { fill_table(t); }

}  // namespace ew
}  // namespace descent
