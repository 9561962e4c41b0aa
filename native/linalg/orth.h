// Lanczos reorthogonalisation of one vector against a stored basis, fused and blocked.
// orthogonalize(q, rows, n, w, out): with Q the rows×n row-major basis at q and w [n],
//   h1 = Q w,  w1 = w − Qᵀh1,  h2 = Q w1,  w2 = w1 − Qᵀh2   (two classical Gram–Schmidt passes)
// and writes out[0..n) = w2, out[n..n+rows) = h1 + h2. The basis is read three times
// instead of four: the second pass's update and the third pass's projection share one
// sweep over cache-sized column blocks. Dot products are summed in float lanes per block
// and in double across blocks; the split over threads is fixed, so results are
// reproducible for a given thread count. out must not overlap q or w.
#pragma once

#include <cstdint>

namespace descent {
namespace linalg {

void orthogonalize(const float* q, int64_t rows, int64_t n, const float* w, float* out);

}  // namespace linalg
}  // namespace descent
