// Fused optimizer steps over a flat parameter arena of `replicas` × `size` float32 values.
//
// Contract (the maths of each op is src/backend/reference/optim.ts; the layout is OptimArgs
// in src/backend/ops.ts). Replica r is cut into groups by `bounds` (groups + 1 ascending
// offsets from 0 to size); (r, group j) reads the record hyper[(r·groups + j)·K …] whose
// first field is `clip`. The arrays must not overlap and must be long enough (the binding
// checks). optim_step threads over chunks of kChunk elements of each (replica, group)
// segment; every element is computed by the same sequence of exactly rounded float32
// operations whatever the ISA, the thread count or its position, so results are
// bit-identical across machines, thread counts, and replica-batched versus separate runs.
// optim_sumsq accumulates in float64 with a fixed 16-lane pattern per chunk and sums the
// chunks in order, so it is deterministic too.
#pragma once

#include <cstdint>

namespace descent {
namespace optim {

enum class Op : int { sgd = 0, adam = 1, adagrad = 2, adagrad_norm = 3, rmsprop = 4, diffgrad = 5, eg = 6, optimistic = 7 };

/** Record lengths per op (the number of fields in OPTIM_HYPER). */
int record_length(Op op);
/** Whether `nstate` state buffers fit op and variant (e.g. Adam: 2, or 3 with AMSGrad's vmax). */
bool valid_state_count(Op op, int variant, int nstate);
/** Whether state buffer k of op has one element per (replica, group) instead of per parameter. */
bool state_is_per_group(Op op, int k);

constexpr int kRmspropCentered = 1;
constexpr int kRmspropMomentum = 2;

struct StepArgs {
  Op op;
  int64_t replicas = 0, size = 0;
  const int32_t* bounds = nullptr;  // groups + 1
  int groups = 0;
  const float* hyper = nullptr;     // replicas·groups·K
  const float* norms = nullptr;     // replicas·groups, or null
  float* p = nullptr;
  const float* g = nullptr;
  float* state[3] = {nullptr, nullptr, nullptr};
  int nstate = 0;
  int variant = 0;
};

void optim_step(const StepArgs& a);

/** out[r·groups + j] = Σ x[r·size + k]² over group j (float64 accumulation, rounded once). */
void optim_sumsq(const float* x, int64_t replicas, int64_t size, const int32_t* bounds, int groups, float* out);

// ─── Per-ISA segment kernels (kernels_ref.cc, kernels_avx2.cc, kernels_avx512.cc) ───

/** One contiguous run of n elements of one (replica, group): record h, clip scale s. */
struct Segment {
  const float* h;
  float s;
  int64_t n;
  float* p;
  const float* g;
  float* st[3];
  int variant;
  /** Per-segment scalars computed by the driver (adagrad_norm: coef = lr·s/(√b² + ε)). */
  float aux;
};

struct Kernels {
  void (*step[8])(const Segment&);
  /** Adds x[i]² into 16 float64 lanes, element i to lane i mod 16. */
  void (*sumsq16)(const float* x, int64_t n, double* lanes);
  const char* isa;
};

const Kernels& kernels_ref();
const Kernels& kernels_avx2();
const Kernels& kernels_avx512();

/** The kernels of the instruction set in use (runtime/dispatch.h: best, DESCENT_ISA, or set_isa()). */
const Kernels& active_kernels();

}  // namespace optim
}  // namespace descent
