// Binding for sgemm:
//   sgemm(a, aOffset, strideA, transA, b, bOffset, strideB, transB, out, batch, m, n, k,
//         bias, biasOffset, act)
// out[t] (m×n, row-major, t < batch) = act(op(A_t)·op(B_t) + bias), A_t at a[aOffset + t·strideA]
// (m×k, or k×m when transA), B_t likewise (k×n, or n×k when transB); stride 0 shares one
// matrix; bias null or n floats at biasOffset; act an ACT code. out may not overlap inputs.
#include "bind/args.h"
#include "bind/bind.h"
#include "gemm/gemm.h"

namespace descent {
namespace bind {

Napi::Value Sgemm(const Napi::CallbackInfo& info) {
  Args in(info, "sgemm");
  const Array a = in.typed(0, "a", Elem::f32);
  const int64_t a_off = in.count(1, "aOffset");
  const int64_t stride_a = in.count(2, "strideA");
  const bool trans_a = in.boolean(3, "transA");
  const Array b = in.typed(4, "b", Elem::f32);
  const int64_t b_off = in.count(5, "bOffset");
  const int64_t stride_b = in.count(6, "strideB");
  const bool trans_b = in.boolean(7, "transB");
  const Array out = in.typed(8, "out", Elem::f32);
  const int64_t batch = in.integer(9, "batch", 0, kMaxDim);
  const int64_t m = in.integer(10, "m", 0, kMaxDim);
  const int64_t n = in.integer(11, "n", 0, kMaxDim);
  const int64_t k = in.integer(12, "k", 0, kMaxDim);
  Array bias;
  const bool has_bias = in.optional_f32(13, "bias", bias);
  const int64_t bias_off = in.count(14, "biasOffset");
  const int act = in.code(15, "act", gemm::kActCount, "an ACT code");

  const int64_t mk = mul(in, "m·k", m, k), kn = mul(in, "k·n", k, n), mn = mul(in, "m·n", m, n);
  auto extent = [&](const char* what, int64_t stride, int64_t size) -> int64_t {
    if (batch == 0 || size == 0) return 0;
    return mul(in, what, batch - 1, stride) + size;
  };
  const int64_t ext_a = extent("strideA", stride_a, mk), ext_b = extent("strideB", stride_b, kn);
  const int64_t out_len = mul(in, "batch·m·n", batch, mn);
  in.need_view(a, "aOffset", a_off, ext_a);
  in.need_view(b, "bOffset", b_off, ext_b);
  in.need(out, out_len);
  if (has_bias) {
    in.need_view(bias, "biasOffset", bias_off, n);
    in.disjoint(out, 0, out_len, bias, bias_off, n);
  }
  in.disjoint(out, 0, out_len, a, a_off, ext_a);
  in.disjoint(out, 0, out_len, b, b_off, ext_b);

  gemm::Args g;
  g.batch = batch;
  g.m = m;
  g.n = n;
  g.k = k;
  g.a = a.as<const float>() + (ext_a ? a_off : 0);
  g.b = b.as<const float>() + (ext_b ? b_off : 0);
  g.c = out.as<float>();
  g.stride_a = stride_a;
  g.stride_b = stride_b;
  g.trans_a = trans_a;
  g.trans_b = trans_b;
  g.bias = has_bias && n > 0 ? bias.as<const float>() + bias_off : nullptr;
  g.act = act;
  if (out_len > 0) guard(in, [&] { gemm::sgemm(g); });
  return info.Env().Undefined();
}

}  // namespace bind
}  // namespace descent
