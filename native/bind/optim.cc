// Bindings for the fused optimizer steps (kernels in native/optim/):
//   optimStep(op, p, pOffset, g, gOffset, s0, s0Offset, s1, s1Offset, s2, s2Offset,
//             replicas, size, bounds, hyper, norms, normsOffset, variant)
//   optimSumSq(x, xOffset, replicas, size, bounds, out)
// op is an OPTIM code (0 sgd, 1 adam, 2 adagrad, 3 adagradNorm, 4 rmsprop, 5 diffgrad, 6 eg,
// 7 optimistic). p, g and each state buffer s_k hold replicas·size float32 values from their
// offsets (AdaGradNorm's s0 holds replicas·G); the state buffers given (the others null)
// must be a prefix s0… whose count fits op and variant. bounds: an Int32Array of G + 1
// offsets from 0 up to size, non-decreasing; hyper: replicas·G records of the op's length;
// norms: replicas·G squared group norms, required by op 3 and by any non-zero clip (a
// record's field 0), else may be null. Written arrays (p, state; out) share no memory with
// each other or with what is read.
#include <string>
#include <vector>

#include "bind/args.h"
#include "bind/bind.h"
#include "optim/step.h"

namespace descent {
namespace bind {
namespace {

constexpr int kOps = 8;

/** Reads bounds and checks 0 = b_0 ≤ … ≤ b_G = size; returns G. */
int read_bounds(const Args& in, const Array& bounds, int64_t size) {
  const int64_t n = bounds.length;
  if (n < 2 || n - 1 > kMaxDim) {
    in.range_error("bounds", "an Int32Array of G + 1 ≥ 2 group boundaries", describe(bounds.value));
  }
  const int32_t* b = bounds.as<const int32_t>();
  if (b[0] != 0) in.range_error("bounds", "boundaries starting at 0", "a first boundary of " + std::to_string(b[0]));
  for (int64_t j = 1; j < n; j++) {
    if (b[j] < b[j - 1]) {
      in.range_error("bounds", "non-decreasing boundaries",
                     "bounds[" + std::to_string(j) + "] = " + std::to_string(b[j]) + " < bounds[" + std::to_string(j - 1) +
                         "] = " + std::to_string(b[j - 1]));
    }
  }
  if (b[n - 1] != size) {
    in.range_error("bounds", "a last boundary equal to size (" + std::to_string(size) + ")",
                   "a last boundary of " + std::to_string(b[n - 1]));
  }
  return int(n - 1);
}

struct Range {
  const Array* a;
  int64_t off, n;
};

/** Every written range shares no memory with any other range. */
void check_disjoint(const Args& in, const std::vector<Range>& written, const std::vector<Range>& read) {
  for (size_t i = 0; i < written.size(); i++) {
    for (size_t j = i + 1; j < written.size(); j++)
      in.disjoint(*written[i].a, written[i].off, written[i].n, *written[j].a, written[j].off, written[j].n);
    for (const Range& r : read) in.disjoint(*written[i].a, written[i].off, written[i].n, *r.a, r.off, r.n);
  }
}

}  // namespace

Napi::Value OptimStep(const Napi::CallbackInfo& info) {
  Args in(info, "optimStep");
  const auto op = optim::Op(in.code(0, "op", kOps, "an OPTIM op code"));
  const Array p = in.typed(1, "p", Elem::f32);
  const int64_t p_off = in.count(2, "pOffset");
  const Array g = in.typed(3, "g", Elem::f32);
  const int64_t g_off = in.count(4, "gOffset");
  static const char* const kStateNames[3] = {"s0", "s1", "s2"};
  static const char* const kStateOffsets[3] = {"s0Offset", "s1Offset", "s2Offset"};
  Array st[3];
  int64_t st_off[3] = {0, 0, 0};
  int nstate = 0;
  for (int k = 0; k < 3; k++) {
    Array a;
    if (in.optional_f32(5 + 2 * k, kStateNames[k], a)) {
      if (nstate != k) in.type_error(kStateNames[k], std::string("null (state buffers are a prefix; '") + kStateNames[k - 1] + "' is null)", a.value);
      st[k] = a;
      st_off[k] = in.count(6 + 2 * k, kStateOffsets[k]);
      nstate++;
    }
  }
  const int64_t replicas = in.integer(11, "replicas", 0, kMaxDim);
  const int64_t size = in.integer(12, "size", 0, kMaxDim);
  const Array bounds = in.typed(13, "bounds", Elem::i32);
  const Array hyper = in.typed(14, "hyper", Elem::f32);
  Array norms;
  const bool has_norms = in.optional_f32(15, "norms", norms);
  const int64_t norms_off = has_norms ? in.count(16, "normsOffset") : 0;
  const int variant = in.code(17, "variant", 4, "a variant bit set");

  const int64_t total = mul(in, "replicas·size", replicas, size);
  const int groups = read_bounds(in, bounds, size);
  const int64_t records = mul(in, "replicas·G", replicas, groups);
  const int K = optim::record_length(op);
  in.need(hyper, mul(in, "replicas·G·K", records, K));
  if (!optim::valid_state_count(op, variant, nstate)) {
    in.range_error("variant", "state buffers matching the op and variant",
                   std::to_string(nstate) + " state buffers with op " + std::to_string(int(op)) + " and variant " +
                       std::to_string(variant));
  }
  bool needs_norms = op == optim::Op::adagrad_norm;
  const float* h = hyper.as<const float>();
  for (int64_t i = 0; i < records && !needs_norms; i++) needs_norms = h[i * K] != 0.0f;
  if (needs_norms && !has_norms) {
    in.type_error("norms", "a Float32Array of squared group norms (the op or a clip needs them)", info[15]);
  }
  in.offset_within(p, "pOffset", p_off);
  in.need(p, p_off + total);
  in.offset_within(g, "gOffset", g_off);
  in.need(g, g_off + total);
  std::vector<Range> written{{&p, p_off, total}}, read{{&g, g_off, total}, {&hyper, 0, records * K}, {&bounds, 0, groups + 1}};
  for (int k = 0; k < nstate; k++) {
    const int64_t n = optim::state_is_per_group(op, k) ? records : total;
    in.offset_within(st[k], kStateOffsets[k], st_off[k]);
    in.need(st[k], st_off[k] + n);
    written.push_back({&st[k], st_off[k], n});
  }
  if (has_norms) {
    in.offset_within(norms, "normsOffset", norms_off);
    in.need(norms, norms_off + records);
    read.push_back({&norms, norms_off, records});
  }
  check_disjoint(in, written, read);

  optim::StepArgs a;
  a.op = op;
  a.replicas = replicas;
  a.size = size;
  a.bounds = bounds.as<const int32_t>();
  a.groups = groups;
  a.hyper = h;
  a.norms = has_norms ? norms.as<const float>() + norms_off : nullptr;
  a.p = p.as<float>() + p_off;
  a.g = g.as<const float>() + g_off;
  for (int k = 0; k < nstate; k++) a.state[k] = st[k].as<float>() + st_off[k];
  a.nstate = nstate;
  a.variant = variant;
  if (total > 0 || op == optim::Op::adagrad_norm) guard(in, [&] { optim::optim_step(a); });
  return info.Env().Undefined();
}

Napi::Value OptimSumSq(const Napi::CallbackInfo& info) {
  Args in(info, "optimSumSq");
  const Array x = in.typed(0, "x", Elem::f32);
  const int64_t x_off = in.count(1, "xOffset");
  const int64_t replicas = in.integer(2, "replicas", 0, kMaxDim);
  const int64_t size = in.integer(3, "size", 0, kMaxDim);
  const Array bounds = in.typed(4, "bounds", Elem::i32);
  const Array out = in.typed(5, "out", Elem::f32);
  const int64_t total = mul(in, "replicas·size", replicas, size);
  const int groups = read_bounds(in, bounds, size);
  const int64_t records = mul(in, "replicas·G", replicas, groups);
  in.offset_within(x, "xOffset", x_off);
  in.need(x, x_off + total);
  in.need(out, records);
  in.disjoint(out, 0, records, x, x_off, total);
  in.disjoint(out, 0, records, bounds, 0, groups + 1);
  guard(in, [&] {
    optim::optim_sumsq(x.as<const float>() + x_off, replicas, size, bounds.as<const int32_t>(), groups, out.as<float>());
  });
  return info.Env().Undefined();
}

}  // namespace bind
}  // namespace descent
