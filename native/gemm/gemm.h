// Single-precision matrix product, BLIS style.
//
//   C[b] := act(op(A[b])·op(B[b]) + bias),  b < batch,  op(X) = X or Xᵀ,
//
// with A[b] = a + b·stride_a (stride 0 shares one matrix), row-major storage, bias of
// length n (or null) and act one of the Act codes (shared with src/backend/ops.ts ACT).
// gemm.cc holds the five loops around the micro-kernel, packing and threading; the
// ukr_<isa>.cc files each fill a Kernels table for one instruction set.
#pragma once

#include <cstdint>

namespace descent {
namespace gemm {

/** Epilogue activations; codes match ACT in src/backend/ops.ts. gelu is the exact erf form. */
enum Act : int { kNone = 0, kRelu = 1, kTanh = 2, kSigmoid = 3, kGelu = 4 };
constexpr int kActCount = 5;

/**
 * One instruction set's GEMM kernels and blocking.
 *
 * ukr: C[mr×nr] := (accumulate ? C : 0) + Ap·B for mr ≤ MR, nr ≤ NR, where Ap is a packed
 *   A micro-panel (k steps of MR floats, element (i,p) at ap[p·MR + i]), B holds k rows of
 *   NR floats ldb apart (ldb = NR when packed; rows read in full, so a partial panel must
 *   be packed with zero padding), and C(i,j) is at c[i·rs_c + j·cs_c].
 * pack_a: the m×k block of A (element (i,p) at a[i·rs + p·cs]) as ⌈m/MR⌉ micro-panels of
 *   MR·k floats, rows past m zero. pack_b: the k×n block of B as ⌈n/NR⌉ panels of k·NR.
 * dot (optional): C[m×n] := A·Btᵀ for n ≤ dot_max_n with rows of A and Bt contiguous (lda,
 *   ldbt apart) and C(i,j) at c[i·rs_c + j·cs_c]: the small-n path (an n = 10 classifier
 *   layer) that reads A in place instead of packing it.
 * act: C[i,j] := act(C[i,j] + bias[j]) on an m×n block, ldc apart; bias may be null.
 */
struct Kernels {
  const char* name = "";
  int mr = 0, nr = 0;
  int64_t kc = 0, mc = 0, nc = 0;
  void (*ukr)(int64_t k, const float* ap, const float* b, int64_t ldb, float* c, int64_t rs_c, int64_t cs_c,
              int mr, int nr, bool accumulate) = nullptr;
  void (*pack_a)(int64_t m, int64_t k, const float* a, int64_t rs, int64_t cs, float* dst) = nullptr;
  void (*pack_b)(int64_t k, int64_t n, const float* b, int64_t rs, int64_t cs, float* dst) = nullptr;
  void (*dot)(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* bt, int64_t ldbt, float* c,
              int64_t rs_c, int64_t cs_c) = nullptr;
  int dot_max_n = 0;
  void (*act)(float* c, int64_t ldc, int64_t m, int64_t n, const float* bias, int act) = nullptr;
  /**
   * The ISA's arithmetic ceiling, for benchmarks: `iters` rounds of independent multiply-adds
   * on as many accumulators as the micro-kernel keeps; returns the flops done (the result
   * goes to *sink so the work cannot be optimised away).
   */
  int64_t (*fma_burst)(int64_t iters, float* sink) = nullptr;
};

void register_ref(Kernels& k);
void register_avx2(Kernels& k);
void register_avx512(Kernels& k);

struct Args {
  int64_t batch = 1, m = 0, n = 0, k = 0;
  const float* a = nullptr;
  const float* b = nullptr;
  float* c = nullptr;
  int64_t stride_a = 0, stride_b = 0;  // elements between batch entries; 0 = shared
  bool trans_a = false, trans_b = false;
  const float* bias = nullptr;  // length n, or null
  int act = kNone;
};

/** Computes Args (c gets batch·m·n floats, row-major) with the current ISA's kernels and the thread pool. */
void sgemm(const Args& args);

/**
 * The SGD step of a weight matrix fused with its gradient product: for b < batch,
 *   G_b = op(A[b])·op(B[b])   (m×n: sgemm's product bit for bit; args.bias/act ignored),
 *   out[b] := w[b] (skipped when they are the same memory), then out[b] ← the optimizer's
 *   stateless SGD segment kernel (optim::Op::sgd, clip scale 1) on (out[b], G_b) with the
 *   record hyper + b·7 (optim/step.h).
 * G_b lives in a per-thread buffer of m·n floats (in L2 for a 784×128 layer) and is never
 * written to memory the caller sees: the update reads the weights once and writes them once
 * instead of writing G, reading it back and reading and writing the weights again.
 * w[b] is at w + b·stride_w (stride 0: one start matrix for every replica); out[b] at
 * out + b·m·n. The caller checks that no record asks for clipping or momentum.
 *
 * With `next` (a non-null next->a), each replica's stepped weights are also multiplied right
 * away, while they are still in cache: next->c[b] (rows×n) := next->a[b]·out[b], where
 * next->a[b] (rows×m, row-major) is at next->a + b·next->stride_a; sgemm's product bit for bit
 * (the next local step's forward product of a layer, x·W).
 */
struct NextProduct {
  const float* a = nullptr;
  int64_t stride_a = 0, rows = 0;
  float* c = nullptr;
};
void sgemm_sgd(const Args& args, const float* w, int64_t stride_w, float* out, const float* hyper,
               const NextProduct* next = nullptr);

/** Runs fma_burst(iters) on `threads` threads of the pool at once; returns the total flops. */
double fma_peak_run(int64_t iters, int threads);

}  // namespace gemm
}  // namespace descent
