// Symmetric tridiagonal eigensolver: implicit QL with Wilkinson shifts (the tql2 scheme of
// EISPACK / Wilkinson & Reinsch, Handbook for Automatic Computation II, 1971).
//
// For each l the algorithm finds the first negligible off-diagonal e[m] (m ≥ l), then chases
// a bulge from m up to l with Givens rotations, shifted by the eigenvalue of the leading 2×2
// block nearest d[l]; rotations are applied to the rows of Vᵀ (contiguous in memory). An
// off-diagonal counts as negligible when |e[m]| ≤ ε(|d[m]| + |d[m+1]|) or |e[m]| ≤ ε‖T‖.
#include "eig/tridiag.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

namespace descent {
namespace eig {
namespace {

// √(a² + b²) without std::hypot's cost (it dominated the O(k²) solve): the plain formula
// where squaring can neither overflow nor underflow, std::hypot elsewhere.
inline double hypot2(double a, double b) {
  const double m = std::fmax(std::fabs(a), std::fabs(b));
  if (m > 1e-150 && m < 1e150) return std::sqrt(a * a + b * b);
  return std::hypot(a, b);
}

}  // namespace

void tridiag_eig(int64_t k, const double* alpha, const double* beta, double* values, double* vectors, bool ends_only) {
  if (k <= 0) return;
  std::vector<double> d(alpha, alpha + k), e(size_t(k), 0.0);
  for (int64_t i = 0; i + 1 < k; i++) e[size_t(i)] = beta[i];
  // zt[j·nc + q] = component q of vector j (Vᵀ, row-major). A rotation mixes two vectors one
  // component at a time, so components are independent: with ends_only only components 0 and
  // k−1 are carried (nc = 2), which makes the solve O(k²) instead of O(k³).
  const int64_t nc = ends_only ? 2 : k;
  std::vector<double> zt(size_t(k * nc), 0.0);
  if (ends_only) {
    zt[0] = 1.0;
    zt[size_t((k - 1) * nc + 1)] = 1.0;
  } else {
    for (int64_t i = 0; i < k; i++) zt[size_t(i * k + i)] = 1.0;
  }

  // ‖T‖ (max row sum): an off-diagonal is also negligible when |e[m]| ≤ ε·‖T‖ (tql2's
  // norm-wise test, backward stable). The relative test alone never fires on the blocks of
  // rounding noise a singular matrix leaves (ReLU Hessians with zero rows), which stalled QL.
  double tnorm = 0.0;
  for (int64_t i = 0; i < k; i++) {
    tnorm = std::fmax(tnorm, std::fabs(d[size_t(i)]) + std::fabs(e[size_t(i)]) + (i > 0 ? std::fabs(e[size_t(i - 1)]) : 0.0));
  }
  const double small = DBL_EPSILON * tnorm;

  for (int64_t l = 0; l < k; l++) {
    for (int iter = 0;; iter++) {
      int64_t m = l;
      for (; m + 1 < k; m++) {
        const double dd = std::fabs(d[size_t(m)]) + std::fabs(d[size_t(m + 1)]);
        const double em = std::fabs(e[size_t(m)]);
        if (em <= DBL_EPSILON * dd || em <= small || em < DBL_MIN) break;
      }
      if (m == l) break;
      if (iter == 60) {
        throw std::runtime_error("no convergence for eigenvalue " + std::to_string(l) + " after 60 QL sweeps");
      }
      // Wilkinson shift from the 2×2 block at l.
      double g = (d[size_t(l + 1)] - d[size_t(l)]) / (2.0 * e[size_t(l)]);
      double r = hypot2(g, 1.0);
      g = d[size_t(m)] - d[size_t(l)] + e[size_t(l)] / (g + std::copysign(r, g));
      double s = 1.0, c = 1.0, p = 0.0;
      int64_t i = m - 1;
      bool underflow = false;
      for (; i >= l; i--) {
        const double f = s * e[size_t(i)], b = c * e[size_t(i)];
        r = hypot2(f, g);
        e[size_t(i + 1)] = r;
        if (r == 0.0) {
          // The rotation vanished: deflate here and restart the sweep.
          d[size_t(i + 1)] -= p;
          e[size_t(m)] = 0.0;
          underflow = true;
          break;
        }
        s = f / r;
        c = g / r;
        g = d[size_t(i + 1)] - p;
        r = (d[size_t(i)] - g) * s + 2.0 * c * b;
        p = s * r;
        d[size_t(i + 1)] = g + p;
        g = c * r - b;
        double* zi = &zt[size_t(i * nc)];
        double* zi1 = &zt[size_t((i + 1) * nc)];
        for (int64_t q = 0; q < nc; q++) {
          const double t = zi1[q];
          zi1[q] = s * zi[q] + c * t;
          zi[q] = c * zi[q] - s * t;
        }
      }
      if (underflow) continue;
      d[size_t(l)] -= p;
      e[size_t(l)] = g;
      e[size_t(m)] = 0.0;
    }
  }

  std::vector<int64_t> order(static_cast<size_t>(k));
  std::iota(order.begin(), order.end(), int64_t(0));
  std::stable_sort(order.begin(), order.end(), [&](int64_t x, int64_t y) { return d[size_t(x)] < d[size_t(y)]; });
  for (int64_t j = 0; j < k; j++) {
    const int64_t src = order[size_t(j)];
    values[j] = d[size_t(src)];
    if (ends_only) {
      vectors[j] = zt[size_t(src * nc)];
      vectors[k + j] = zt[size_t(src * nc + 1)];
    } else {
      for (int64_t i = 0; i < k; i++) vectors[i * k + j] = zt[size_t(src * k + i)];
    }
  }
}

}  // namespace eig
}  // namespace descent
