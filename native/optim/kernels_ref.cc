// The optimizer kernels in plain C++ (one lane at a time): any x86-64, and the exact model
// of the vector versions (see simd.h).
#include "optim/simd.h"

namespace descent {
namespace optim {
namespace {
using V = VRef;
}  // namespace
}  // namespace optim
}  // namespace descent

#include "optim/kernels.inl"

namespace descent {
namespace optim {
namespace {

void sumsq16_ref(const float* x, int64_t n, double* lanes) {
  // NOTE: a float32 square is exact in float64, so every ISA gives the same lane sums as
  // long as element i goes to lane i mod 16 and each lane adds in index order.
  for (int64_t i = 0; i < n; i++) {
    const double v = x[i];
    lanes[i & 15] += v * v;
  }
}

}  // namespace

const Kernels& kernels_ref() {
  static const Kernels k{{sgd, adam, adagrad, adagrad_norm, rmsprop, diffgrad, eg, optimistic}, sumsq16_ref, "ref"};
  return k;
}

}  // namespace optim
}  // namespace descent
