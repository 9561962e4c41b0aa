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

const Kernels& kernels_ref() {
  static const Kernels k = make_kernels(sumsq16_scalar, "ref");
  return k;
}

}  // namespace optim
}  // namespace descent
