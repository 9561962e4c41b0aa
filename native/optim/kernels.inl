// The optimizer segment kernels, written once over a vector type V (see simd.h) and
// compiled per ISA by kernels_{ref,avx2,avx512}.cc. Each kernel updates one Segment
// (n elements of one replica and group) with the formula of its reference op
// (src/backend/reference/optim.ts), as the same sequence of float32 operations in
// every lane. Tails shorter than W run through the same vector code on zero-padded
// copies, so an element's result never depends on where it sits in the arena.
//
// Include after defining V as the vector type; the including file builds its Kernels table
// with make_kernels and its own sumsq16.

#include <cstring>

#include "optim/step.h"

namespace descent {
namespace optim {
namespace {

/**
 * Calls f(p, g, s0, s1, s2) on each block of W elements; NS of the state pointers are
 * live (the others are null). The last partial block goes through padded copies.
 */
template <int NS, class F>
inline void blocks(const Segment& S, F&& f) {
  constexpr int W = V::W;
  const int64_t n = S.n;
  int64_t i = 0;
  auto at = [&](int k, int64_t off) -> float* { return k < NS ? S.st[k] + off : nullptr; };
  for (; i + W <= n; i += W) f(S.p + i, S.g + i, at(0, i), at(1, i), at(2, i));
  const int64_t rest = n - i;
  if (rest == 0) return;
  alignas(64) float tp[W] = {}, tg[W] = {}, t0[W] = {}, t1[W] = {}, t2[W] = {};
  float* tmp[3] = {t0, t1, t2};
  const size_t bytes = size_t(rest) * sizeof(float);
  std::memcpy(tp, S.p + i, bytes);
  std::memcpy(tg, S.g + i, bytes);
  for (int k = 0; k < NS; k++) std::memcpy(tmp[k], S.st[k] + i, bytes);
  f(tp, tg, NS > 0 ? t0 : nullptr, NS > 1 ? t1 : nullptr, NS > 2 ? t2 : nullptr);
  std::memcpy(S.p + i, tp, bytes);
  for (int k = 0; k < NS; k++) std::memcpy(S.st[k] + i, tmp[k], bytes);
}

inline V bc(float x) { return V::set1(x); }

/** g′ = s·g + wd·p */
inline V grad(V s, V g, V wd, V p) { return V::add(V::mul(s, g), V::mul(wd, p)); }

// record: clip, lr, weightDecay, keep, momentum, dampening, nesterov
void sgd(const Segment& S) {
  const V s = bc(S.s), lr = bc(S.h[1]), wd = bc(S.h[2]), keep = bc(S.h[3]), mu = bc(S.h[4]);
  const V omd = bc(1.0f - S.h[5]);
  const bool nesterov = S.h[6] != 0.0f;
  if (S.st[0] == nullptr) {
    blocks<0>(S, [&](float* p, const float* g, float*, float*, float*) {
      const V pv = V::load(p);
      V::store(p, V::sub(V::mul(keep, pv), V::mul(lr, grad(s, V::load(g), wd, pv))));
    });
    return;
  }
  blocks<1>(S, [&](float* p, const float* g, float* buf, float*, float*) {
    const V pv = V::load(p);
    const V gp = grad(s, V::load(g), wd, pv);
    const V b = V::add(V::mul(mu, V::load(buf)), V::mul(omd, gp));
    V::store(buf, b);
    const V u = nesterov ? V::add(gp, V::mul(mu, b)) : b;
    V::store(p, V::sub(V::mul(keep, pv), V::mul(lr, u)));
  });
}

// record: clip, stepSize, weightDecay, keep, beta1, beta2, eps, bc2Rsqrt
void adam(const Segment& S) {
  const V s = bc(S.s), step = bc(S.h[1]), wd = bc(S.h[2]), keep = bc(S.h[3]);
  const V b1 = bc(S.h[4]), b2 = bc(S.h[5]), eps = bc(S.h[6]), c2 = bc(S.h[7]);
  const V omb1 = bc(1.0f - S.h[4]), omb2 = bc(1.0f - S.h[5]);
  auto body = [&](float* p, const float* g, float* m, float* v, float* vmax) {
    const V pv = V::load(p);
    const V gp = grad(s, V::load(g), wd, pv);
    const V mv = V::add(V::mul(b1, V::load(m)), V::mul(omb1, gp));
    V vv = V::add(V::mul(b2, V::load(v)), V::mul(V::mul(omb2, gp), gp));
    V::store(m, mv);
    V::store(v, vv);
    if (vmax) {
      vv = V::max(V::load(vmax), vv);
      V::store(vmax, vv);
    }
    const V den = V::add(V::mul(V::sqrt(vv), c2), eps);
    V::store(p, V::sub(V::mul(keep, pv), V::div(V::mul(step, mv), den)));
  };
  if (S.st[2]) blocks<3>(S, body);
  else blocks<2>(S, body);
}

// record: clip, lr, weightDecay, keep, eps
void adagrad(const Segment& S) {
  const V s = bc(S.s), lr = bc(S.h[1]), wd = bc(S.h[2]), keep = bc(S.h[3]), eps = bc(S.h[4]);
  blocks<1>(S, [&](float* p, const float* g, float* sum, float*, float*) {
    const V pv = V::load(p);
    const V gp = grad(s, V::load(g), wd, pv);
    const V acc = V::add(V::load(sum), V::mul(gp, gp));
    V::store(sum, acc);
    V::store(p, V::sub(V::mul(keep, pv), V::div(V::mul(lr, gp), V::add(V::sqrt(acc), eps))));
  });
}

// record: clip, lr, keep, eps; S.aux = lr·s/(√b² + ε) from the driver; no per-element state.
void adagrad_norm(const Segment& S) {
  const V keep = bc(S.h[2]), coef = bc(S.aux);
  blocks<0>(S, [&](float* p, const float* g, float*, float*, float*) {
    V::store(p, V::sub(V::mul(keep, V::load(p)), V::mul(coef, V::load(g))));
  });
}

// record: clip, lr, weightDecay, keep, alpha, eps, momentum; state v [, gAvg] [, buffer]
void rmsprop(const Segment& S) {
  const V s = bc(S.s), lr = bc(S.h[1]), wd = bc(S.h[2]), keep = bc(S.h[3]), al = bc(S.h[4]);
  const V oma = bc(1.0f - S.h[4]), eps = bc(S.h[5]), mu = bc(S.h[6]), zero = bc(0.0f);
  const bool centered = (S.variant & kRmspropCentered) != 0, momentum = (S.variant & kRmspropMomentum) != 0;
  auto body = [&](float* p, const float* g, float* v, float* a1, float* a2) {
    float* ga = centered ? a1 : nullptr;
    float* buf = momentum ? (centered ? a2 : a1) : nullptr;
    const V pv = V::load(p);
    const V gp = grad(s, V::load(g), wd, pv);
    const V vv = V::add(V::mul(al, V::load(v)), V::mul(V::mul(oma, gp), gp));
    V::store(v, vv);
    V d;
    if (ga) {
      const V gav = V::add(V::mul(al, V::load(ga)), V::mul(oma, gp));
      V::store(ga, gav);
      d = V::add(V::sqrt(V::max(zero, V::sub(vv, V::mul(gav, gav)))), eps);
    } else {
      d = V::add(V::sqrt(vv), eps);
    }
    if (buf) {
      const V b = V::add(V::mul(mu, V::load(buf)), V::div(gp, d));
      V::store(buf, b);
      V::store(p, V::sub(V::mul(keep, pv), V::mul(lr, b)));
    } else {
      V::store(p, V::sub(V::mul(keep, pv), V::mul(lr, V::div(gp, d))));
    }
  };
  const int ns = 1 + int(centered) + int(momentum);
  if (ns == 3) blocks<3>(S, body);
  else if (ns == 2) blocks<2>(S, body);
  else blocks<1>(S, body);
}

// record: clip, stepSize, weightDecay, keep, beta1, beta2, eps, constFriction
void diffgrad(const Segment& S) {
  const V s = bc(S.s), step = bc(S.h[1]), wd = bc(S.h[2]), keep = bc(S.h[3]);
  const V b1 = bc(S.h[4]), b2 = bc(S.h[5]), eps = bc(S.h[6]), one = bc(1.0f);
  const V omb1 = bc(1.0f - S.h[4]), omb2 = bc(1.0f - S.h[5]);
  const bool constant = S.h[7] != 0.0f;
  blocks<3>(S, [&](float* p, const float* g, float* m, float* v, float* prev) {
    const V pv = V::load(p);
    const V gp = grad(s, V::load(g), wd, pv);
    // ξ = 1/(1 + e) with e = e^{−|Δg|} (e = 1 gives the constant ξ = ½), folded into one division.
    const V e = constant ? one : vexp(V::sub(bc(0.0f), V::abs(V::sub(V::load(prev), gp))));
    const V mv = V::add(V::mul(b1, V::load(m)), V::mul(omb1, gp));
    const V vv = V::add(V::mul(b2, V::load(v)), V::mul(V::mul(omb2, gp), gp));
    V::store(m, mv);
    V::store(v, vv);
    V::store(prev, gp);
    const V den = V::mul(V::add(one, e), V::add(V::sqrt(vv), eps));
    V::store(p, V::sub(V::mul(keep, pv), V::div(V::mul(step, mv), den)));
  });
}

// record: clip, lr, weightDecay; state [] (sign-preserving) or [u, v]
void eg(const Segment& S) {
  const V s = bc(S.s), lr = bc(S.h[1]), nlr = bc(-S.h[1]), wd = bc(S.h[2]);
  if (S.st[0] == nullptr) {
    blocks<0>(S, [&](float* p, const float* g, float*, float*, float*) {
      const V pv = V::load(p);
      const V gp = grad(s, V::load(g), wd, pv);
      V::store(p, V::mul(pv, vexp(V::mul(nlr, V::mul(V::sign(pv), gp)))));
    });
    return;
  }
  blocks<2>(S, [&](float* p, const float* g, float* u, float* v, float*) {
    const V gp = grad(s, V::load(g), wd, V::load(p));
    const V uu = V::mul(V::load(u), vexp(V::mul(nlr, gp)));
    const V vv = V::mul(V::load(v), vexp(V::mul(lr, gp)));
    V::store(u, uu);
    V::store(v, vv);
    V::store(p, V::sub(uu, vv));
  });
}

// record: clip, lr, weightDecay, entropic; state [x̂]
void optimistic(const Segment& S) {
  const V s = bc(S.s), lr = bc(S.h[1]), nlr = bc(-S.h[1]), wd = bc(S.h[2]);
  if (S.h[3] != 0.0f) {
    blocks<1>(S, [&](float* p, const float* g, float* xh, float*, float*) {
      const V e = vexp(V::mul(nlr, grad(s, V::load(g), wd, V::load(p))));
      const V x = V::mul(V::load(xh), e);
      V::store(xh, x);
      V::store(p, V::mul(x, e));
    });
    return;
  }
  blocks<1>(S, [&](float* p, const float* g, float* xh, float*, float*) {
    const V step = V::mul(lr, grad(s, V::load(g), wd, V::load(p)));
    const V x = V::sub(V::load(xh), step);
    V::store(xh, x);
    V::store(p, V::sub(x, step));
  });
}

/** The scalar sumsq16: element i to lane i mod 16, each lane in index order (every ISA's model). */
void sumsq16_scalar(const float* x, int64_t n, double* lanes) {
  // NOTE: a float32 square is exact in float64, so every ISA gives the same lane sums as
  // long as element i goes to lane i mod 16 and each lane adds in index order.
  for (int64_t i = 0; i < n; i++) {
    const double v = x[i];
    lanes[i & 15] += v * v;
  }
}

/** This ISA's table: the step kernels above (op code order of step.h) and its sumsq16. */
constexpr Kernels make_kernels(void (*sumsq16)(const float*, int64_t, double*), const char* isa) {
  return Kernels{{sgd, adam, adagrad, adagrad_norm, rmsprop, diffgrad, eg, optimistic}, sumsq16, isa};
}

}  // namespace
}  // namespace optim
}  // namespace descent
