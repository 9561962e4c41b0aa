// The optimizer step driver: per-replica clipping scales, AdaGradNorm's per-group step
// sizes, the split of the arena into chunks for the thread pool, and the choice of ISA.
// Scalar prologues run in float32 on the calling thread in a fixed order, so they are as
// reproducible as the kernels (see step.h).
#include "optim/step.h"

#include <cmath>
#include <vector>

#include "runtime/cpu_features.h"
#include "runtime/dispatch.h"
#include "runtime/thread_pool.h"

namespace descent {
namespace optim {

namespace {

// Elements per task: 64 Ki floats is 256 KiB per array, large enough to amortise a task
// hand-out (~100 ns) and small enough to balance two threads on a 1M-element arena.
constexpr int64_t kChunk = 65536;

struct Piece {
  int64_t r, j, begin, end;  // element range [begin, end) within replica r, group j
};

/** Cuts every (replica, group) segment into pieces of at most kChunk elements. */
std::vector<Piece> pieces(int64_t replicas, const int32_t* bounds, int groups) {
  std::vector<Piece> out;
  for (int64_t r = 0; r < replicas; r++) {
    for (int j = 0; j < groups; j++) {
      for (int64_t b = bounds[j]; b < bounds[j + 1]; b += kChunk) {
        const int64_t e = b + kChunk < bounds[j + 1] ? b + kChunk : bounds[j + 1];
        out.push_back({r, j, b, e});
      }
    }
  }
  return out;
}

/** Task boundaries over pieces: consecutive small pieces share a task up to kChunk elements. */
std::vector<size_t> tasks(const std::vector<Piece>& ps) {
  std::vector<size_t> t{0};
  int64_t acc = 0;
  for (size_t i = 0; i < ps.size(); i++) {
    const int64_t n = ps[i].end - ps[i].begin;
    if (acc > 0 && acc + n > kChunk) {
      t.push_back(i);
      acc = 0;
    }
    acc += n;
  }
  if (t.back() != ps.size()) t.push_back(ps.size());
  return t;
}

const Kernels& by_isa(Isa isa) {
  switch (isa) {
    case Isa::avx512: return kernels_avx512();
    case Isa::avx2: return kernels_avx2();
    case Isa::ref: break;
  }
  return kernels_ref();
}

/** Pairwise sum of 16 lanes in a fixed tree. */
double combine16(double* lanes) {
  for (int w = 8; w >= 1; w /= 2)
    for (int l = 0; l < w; l++) lanes[l] += lanes[l + w];
  return lanes[0];
}

}  // namespace

int record_length(Op op) {
  switch (op) {
    case Op::sgd: return 7;
    case Op::adam: return 8;
    case Op::adagrad: return 5;
    case Op::adagrad_norm: return 4;
    case Op::rmsprop: return 7;
    case Op::diffgrad: return 8;
    case Op::eg: return 3;
    case Op::optimistic: return 4;
  }
  return -1;
}

bool valid_state_count(Op op, int variant, int nstate) {
  if (op != Op::rmsprop && variant != 0) return false;
  switch (op) {
    case Op::sgd: return nstate == 0 || nstate == 1;
    case Op::adam: return nstate == 2 || nstate == 3;
    case Op::adagrad: return nstate == 1;
    case Op::adagrad_norm: return nstate == 1;
    case Op::rmsprop:
      if (variant < 0 || variant > 3) return false;
      return nstate == 1 + (variant & kRmspropCentered ? 1 : 0) + (variant & kRmspropMomentum ? 1 : 0);
    case Op::diffgrad: return nstate == 3;
    case Op::eg: return nstate == 0 || nstate == 2;
    case Op::optimistic: return nstate == 1;
  }
  return false;
}

bool state_is_per_group(Op op, int k) { return op == Op::adagrad_norm && k == 0; }

const Kernels& active_kernels() { return by_isa(dispatch().isa); }

void optim_sumsq(const float* x, int64_t replicas, int64_t size, const int32_t* bounds, int groups, float* out) {
  const std::vector<Piece> ps = pieces(replicas, bounds, groups);
  std::vector<double> partial(ps.size());
  const Kernels& k = active_kernels();
  ThreadPool::get().run(int64_t(ps.size()), [&](int64_t t) {
    const Piece& pc = ps[size_t(t)];
    double lanes[16] = {};
    k.sumsq16(x + pc.r * size + pc.begin, pc.end - pc.begin, lanes);
    partial[size_t(t)] = combine16(lanes);
  });
  std::vector<double> acc(size_t(replicas * groups), 0.0);
  for (size_t t = 0; t < ps.size(); t++) acc[size_t(ps[t].r * groups + ps[t].j)] += partial[t];
  for (size_t i = 0; i < acc.size(); i++) out[i] = float(acc[i]);
}

void optim_step(const StepArgs& a) {
  const int K = record_length(a.op), G = a.groups;
  const Kernels& k = active_kernels();
  // Clipping scale per replica: min(1, clip / (√Σ_j norms + 1e-6)), in float32.
  std::vector<float> scale(size_t(a.replicas * G), 1.0f);
  for (int64_t r = 0; r < a.replicas; r++) {
    float total = 0.0f;
    if (a.norms)
      for (int j = 0; j < G; j++) total += a.norms[r * G + j];
    for (int j = 0; j < G; j++) {
      const float clip = a.hyper[(r * G + j) * K];
      if (clip != 0.0f) {
        const float s = clip / (std::sqrt(total) + 1e-6f);
        scale[size_t(r * G + j)] = s < 1.0f ? s : 1.0f;
      }
    }
  }
  // AdaGradNorm: b² ← b² + s²·‖g‖², coef = lr·s/(√b² + ε), once per (replica, group).
  std::vector<float> aux(size_t(a.replicas * G), 0.0f);
  if (a.op == Op::adagrad_norm) {
    for (int64_t i = 0; i < a.replicas * G; i++) {
      const float* h = a.hyper + i * K;
      const float s = scale[size_t(i)];
      const float b2 = a.state[0][i] + (s * s) * a.norms[i];
      a.state[0][i] = b2;
      aux[size_t(i)] = (h[1] * s) / (std::sqrt(b2) + h[3]);
    }
  }
  const std::vector<Piece> ps = pieces(a.replicas, a.bounds, G);
  const std::vector<size_t> ts = tasks(ps);
  const auto fn = k.step[int(a.op)];
  const bool per_element_state = a.op != Op::adagrad_norm;
  ThreadPool::get().run(int64_t(ts.size()) - 1, [&](int64_t t) {
    for (size_t i = ts[size_t(t)]; i < ts[size_t(t) + 1]; i++) {
      const Piece& pc = ps[i];
      const int64_t rg = pc.r * G + pc.j, off = pc.r * a.size + pc.begin;
      Segment s{};
      s.h = a.hyper + rg * K;
      s.s = scale[size_t(rg)];
      s.n = pc.end - pc.begin;
      s.p = a.p + off;
      s.g = a.g + off;
      for (int q = 0; q < 3; q++) s.st[q] = per_element_state && q < a.nstate ? a.state[q] + off : nullptr;
      s.variant = a.variant;
      s.aux = aux[size_t(rg)];
      fn(s);
    }
  });
}

}  // namespace optim
}  // namespace descent
