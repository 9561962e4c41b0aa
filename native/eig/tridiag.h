// Eigen-decomposition of a symmetric tridiagonal matrix in float64, for Lanczos: the k×k
// matrix T with diagonal alpha[0..k) and off-diagonal beta[0..k-1).
#pragma once

#include <cstdint>

namespace descent {
namespace eig {

/**
 * T = V·diag(values)·Vᵀ with values ascending and V orthogonal: vectors is k×k row-major,
 * column j (vectors[i·k + j], i < k) the unit eigenvector of values[j]. Implicit QL with
 * Wilkinson shifts and accumulated Givens rotations. Throws std::runtime_error when an
 * eigenvalue does not converge in 60 sweeps (not seen for finite input). With ends_only, vectors
 * is 2×k instead: row 0 the first and row 1 the last component of each eigenvector, in O(k²)
 * work (the full solve is O(k³)).
 */
void tridiag_eig(int64_t k, const double* alpha, const double* beta, double* values, double* vectors, bool ends_only = false);

}  // namespace eig
}  // namespace descent
