// Fused two-pass classical Gram–Schmidt (see orth.h).
#include "linalg/orth.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "runtime/thread_pool.h"

namespace descent {
namespace linalg {
namespace {

// Columns per block: a block of an 80-row basis (80 × 4096 × 4 bytes = 1.3 MB) stays in L2
// between the update and the projection of the fused sweep, and each row's segment spans
// several pages so the hardware prefetcher keeps up (1024 columns ran 2× slower, measured).
constexpr int64_t kBlock = 4096;
constexpr int kLanes = 16;

#define DESCENT_ISA_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))

// Σ a[k]·b[k] over one block, float lanes summed in double.
DESCENT_ISA_CLONES double dot(const float* a, const float* b, int64_t len) {
  float lanes[kLanes] = {};
  int64_t k = 0;
  for (; k + kLanes <= len; k += kLanes) {
    for (int l = 0; l < kLanes; l++) lanes[l] += a[k + l] * b[k + l];
  }
  double s = 0;
  for (int l = 0; l < kLanes; l++) s += lanes[l];
  for (; k < len; k++) s += static_cast<double>(a[k]) * b[k];
  return s;
}

// acc[i] += Σ_k Q[i, c0 + k]·x[k] for every row i over one block of len columns; four rows
// at a time share the loads of x.
DESCENT_ISA_CLONES void project(const float* q, int64_t rows, int64_t n, int64_t c0, int64_t len, const float* x, double* acc) {
  int64_t i = 0;
  for (; i + 4 <= rows; i += 4) {
    const float* q0 = q + i * n + c0;
    const float* q1 = q0 + n;
    const float* q2 = q1 + n;
    const float* q3 = q2 + n;
    float a0[kLanes] = {}, a1[kLanes] = {}, a2[kLanes] = {}, a3[kLanes] = {};
    int64_t k = 0;
    for (; k + kLanes <= len; k += kLanes) {
      for (int l = 0; l < kLanes; l++) {
        const float xv = x[k + l];
        a0[l] += q0[k + l] * xv;
        a1[l] += q1[k + l] * xv;
        a2[l] += q2[k + l] * xv;
        a3[l] += q3[k + l] * xv;
      }
    }
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (int l = 0; l < kLanes; l++) {
      s0 += a0[l];
      s1 += a1[l];
      s2 += a2[l];
      s3 += a3[l];
    }
    for (; k < len; k++) {
      s0 += static_cast<double>(q0[k]) * x[k];
      s1 += static_cast<double>(q1[k]) * x[k];
      s2 += static_cast<double>(q2[k]) * x[k];
      s3 += static_cast<double>(q3[k]) * x[k];
    }
    acc[i] += s0;
    acc[i + 1] += s1;
    acc[i + 2] += s2;
    acc[i + 3] += s3;
  }
  for (; i < rows; i++) acc[i] += dot(q + i * n + c0, x, len);
}

// y[k] = x[k] − Σ_i h[i]·Q[i, c0 + k] over one block (y may be x); four rows per sweep of y.
DESCENT_ISA_CLONES void subtract(const float* q, int64_t rows, int64_t n, int64_t c0, int64_t len, const float* h, const float* x, float* y) {
  if (x != y) std::copy(x, x + len, y);
  int64_t i = 0;
  for (; i + 4 <= rows; i += 4) {
    const float* q0 = q + i * n + c0;
    const float* q1 = q0 + n;
    const float* q2 = q1 + n;
    const float* q3 = q2 + n;
    const float h0 = h[i], h1 = h[i + 1], h2 = h[i + 2], h3 = h[i + 3];
    for (int64_t k = 0; k < len; k++) y[k] -= (h0 * q0[k] + h1 * q1[k]) + (h2 * q2[k] + h3 * q3[k]);
  }
  for (; i < rows; i++) {
    const float hi = h[i];
    const float* qi = q + i * n + c0;
    for (int64_t k = 0; k < len; k++) y[k] -= hi * qi[k];
  }
}

DESCENT_ISA_CLONES void divide(float* x, int64_t len, float d) {
  for (int64_t k = 0; k < len; k++) x[k] /= d;
}

}  // namespace

double orthogonalize(const float* q, int64_t rows, int64_t n, const float* w, float* out, float* h, bool normalize) {
  ThreadPool& pool = ThreadPool::get();
  const int64_t blocks = (n + kBlock - 1) / kBlock;
  const int64_t parts = std::max<int64_t>(1, std::min<int64_t>(pool.threads(), blocks));
  const int64_t per = (blocks + parts - 1) / parts;
  // Each part writes its own columns of out, so a fresh destination (a Lanczos basis row) is
  // first touched by every thread at once: on a VM whose new pages fault in the host, the
  // faults then overlap instead of queueing on one thread.
  std::vector<double> partial(static_cast<size_t>(parts * std::max<int64_t>(rows, 1)));
  std::vector<double> sumsq(static_cast<size_t>(parts));
  std::vector<float> h1(rows), h2(rows);
  auto each_block = [&](int64_t p, auto&& body) {
    for (int64_t b = p * per; b < std::min(blocks, (p + 1) * per); b++) {
      const int64_t c0 = b * kBlock;
      body(c0, std::min(kBlock, n - c0));
    }
  };
  auto reduce_into = [&](std::vector<float>& dst) {
    for (int64_t i = 0; i < rows; i++) {
      double s = 0;
      for (int64_t p = 0; p < parts; p++) s += partial[p * rows + i];
      dst[i] = static_cast<float>(s);
    }
  };
  if (rows > 0) {
    // Sweep 1: h1 = Q w.
    pool.run(parts, [&](int64_t p) {
      double* acc = partial.data() + p * rows;
      std::fill(acc, acc + rows, 0.0);
      each_block(p, [&](int64_t c0, int64_t len) { project(q, rows, n, c0, len, w + c0, acc); });
    });
    reduce_into(h1);
    // Sweep 2: w1 = w − Qᵀh1 (into out), h2 = Q w1, block by block.
    pool.run(parts, [&](int64_t p) {
      double* acc = partial.data() + p * rows;
      std::fill(acc, acc + rows, 0.0);
      each_block(p, [&](int64_t c0, int64_t len) {
        subtract(q, rows, n, c0, len, h1.data(), w + c0, out + c0);
        project(q, rows, n, c0, len, out + c0, acc);
      });
    });
    reduce_into(h2);
  }
  // Sweep 3: w2 = w1 − Qᵀh2 in place (w2 = w when there is no basis), and ‖w2‖² per part.
  pool.run(parts, [&](int64_t p) {
    double s = 0;
    each_block(p, [&](int64_t c0, int64_t len) {
      if (rows > 0) subtract(q, rows, n, c0, len, h2.data(), out + c0, out + c0);
      else std::copy(w + c0, w + c0 + len, out + c0);
      s += dot(out + c0, out + c0, len);
    });
    sumsq[p] = s;
  });
  for (int64_t i = 0; i < rows; i++) h[i] = h1[i] + h2[i];
  double total = 0;
  for (double s : sumsq) total += s;
  const double norm = std::sqrt(total);
  if (normalize) {
    // Divided (not multiplied by a reciprocal), as a division by the float norm would; a zero
    // norm (breakdown) leaves non-finite values, as it would there.
    const float nf = static_cast<float>(norm);
    pool.run(parts, [&](int64_t p) {
      each_block(p, [&](int64_t c0, int64_t len) { divide(out + c0, len, nf); });
    });
  }
  return norm;
}

}  // namespace linalg
}  // namespace descent
