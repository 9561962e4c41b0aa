// Lanczos reorthogonalisation of one vector against a stored basis, fused and blocked.
// orthogonalize(q, rows, n, w, out, h, normalize): with Q the rows×n row-major basis at q
// and w [n],
//   h1 = Q w,  w1 = w − Qᵀh1,  h2 = Q w1,  w2 = w1 − Qᵀh2   (two classical Gram–Schmidt passes)
// writes out[0..n) = w2 (w2/‖w2‖ when normalize) and h[0..rows) = h1 + h2, and returns ‖w2‖
// (summed in double). The basis is read three times instead of four: the second pass's
// update and the third pass's projection share one sweep over cache-sized column blocks,
// and the norm is taken in the last sweep. Dot products are summed in float lanes per block
// and in double across blocks; the split over threads is fixed, so results are reproducible
// for a given thread count. out and h must not overlap q, w or each other (out may be the
// basis's next row, past the rows read).
#pragma once

#include <cstdint>

namespace descent {
namespace linalg {

double orthogonalize(const float* q, int64_t rows, int64_t n, const float* w, float* out, float* h, bool normalize);

}  // namespace linalg
}  // namespace descent
