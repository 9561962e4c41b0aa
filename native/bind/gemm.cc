// Binding for sgemm:
//   sgemm(a, aOffset, strideA, transA, b, bOffset, strideB, transB, out, batch, m, n, k,
//         bias, biasOffset, act)
// out[t] (m×n, row-major, t < batch) = act(op(A_t)·op(B_t) + bias), A_t at a[aOffset + t·strideA]
// (m×k, or k×m when transA), B_t likewise (k×n, or n×k when transB); stride 0 shares one
// matrix; bias null or n floats at biasOffset; act an ACT code. out may not overlap inputs.
//
//   sgemmSgd(a, aOffset, strideA, transA, b, bOffset, strideB, transB, w, wOffset, strideW,
//            out, outOffset, batch, m, n, k, hyper[, next, nextOffset, strideNext, rows, z, zOffset])
// For t < batch: G_t = op(A_t)·op(B_t) as sgemm computes it (m×n, never returned), then
// out[t] (m·n floats at outOffset + t·m·n) = W_t (m·n floats at wOffset + t·strideW; stride 0
// shares one) stepped by the SGD kernel of optimStep with G_t as its gradient and record
// hyper[t·7 …] (OPTIM_HYPER.sgdStep). out may be w itself (same offset, strideW = m·n: in
// place) or disjoint from it; it may not overlap a or b. Every record's clip must be 0 (a
// clip needs the norm of the whole gradient) and its momentum 0 (no state buffer here).
// With next (a Float32Array; null/undefined: none), also z[t] (rows×n at zOffset + t·rows·n)
// = X_t·out[t] for X_t (rows×m) at nextOffset + t·strideNext, as sgemm computes it; z may not
// overlap any other argument.
#include "bind/args.h"
#include "bind/bind.h"
#include "gemm/gemm.h"
#include "optim/step.h"

namespace descent {
namespace bind {

namespace {

// Arguments 0–7 of both exports: the operands A and B of a batched product, and (from the four
// sizes at `at`) the product's sizes and the extents of A and B in their arrays (0 when empty),
// checked against the arrays.
struct Product {
  Array a, b;
  int64_t a_off, stride_a, b_off, stride_b;
  bool trans_a, trans_b;
  int64_t batch, m, n, k, mn, ext_a, ext_b;

  // The extent of `batch` matrices of `size` values `stride` apart (0 when there are none).
  int64_t extent(const Args& in, const char* what, int64_t stride, int64_t size) const {
    if (batch == 0 || size == 0) return 0;
    return mul(in, what, batch - 1, stride) + size;
  }

  // gemm::Args for the product (C left to the caller).
  gemm::Args gemm() const {
    gemm::Args g;
    g.batch = batch;
    g.m = m;
    g.n = n;
    g.k = k;
    g.a = a.as<const float>() + (ext_a ? a_off : 0);
    g.b = b.as<const float>() + (ext_b ? b_off : 0);
    g.stride_a = stride_a;
    g.stride_b = stride_b;
    g.trans_a = trans_a;
    g.trans_b = trans_b;
    return g;
  }
};

Product read_product(const Args& in, int at) {
  Product p;
  p.a = in.typed(0, "a", Elem::f32);
  p.a_off = in.count(1, "aOffset");
  p.stride_a = in.count(2, "strideA");
  p.trans_a = in.boolean(3, "transA");
  p.b = in.typed(4, "b", Elem::f32);
  p.b_off = in.count(5, "bOffset");
  p.stride_b = in.count(6, "strideB");
  p.trans_b = in.boolean(7, "transB");
  p.batch = in.integer(at, "batch", 0, kMaxDim);
  p.m = in.integer(at + 1, "m", 0, kMaxDim);
  p.n = in.integer(at + 2, "n", 0, kMaxDim);
  p.k = in.integer(at + 3, "k", 0, kMaxDim);
  const int64_t mk = mul(in, "m·k", p.m, p.k), kn = mul(in, "k·n", p.k, p.n);
  p.mn = mul(in, "m·n", p.m, p.n);
  p.ext_a = p.extent(in, "strideA", p.stride_a, mk);
  p.ext_b = p.extent(in, "strideB", p.stride_b, kn);
  return p;
}

}  // namespace

Napi::Value Sgemm(const Napi::CallbackInfo& info) {
  Args in(info, "sgemm");
  const Array out = in.typed(8, "out", Elem::f32);
  const Product p = read_product(in, 9);
  Array bias;
  const bool has_bias = in.optional_f32(13, "bias", bias);
  const int64_t bias_off = in.count(14, "biasOffset");
  const int act = in.code(15, "act", gemm::kActCount, "an ACT code");

  const int64_t out_len = mul(in, "batch·m·n", p.batch, p.mn);
  in.need_view(p.a, "aOffset", p.a_off, p.ext_a);
  in.need_view(p.b, "bOffset", p.b_off, p.ext_b);
  in.need(out, out_len);
  if (has_bias) {
    in.need_view(bias, "biasOffset", bias_off, p.n);
    in.disjoint(out, 0, out_len, bias, bias_off, p.n);
  }
  in.disjoint(out, 0, out_len, p.a, p.a_off, p.ext_a);
  in.disjoint(out, 0, out_len, p.b, p.b_off, p.ext_b);

  gemm::Args g = p.gemm();
  g.c = out.as<float>();
  g.bias = has_bias && p.n > 0 ? bias.as<const float>() + bias_off : nullptr;
  g.act = act;
  if (out_len > 0) guard(in, [&] { gemm::sgemm(g); });
  return info.Env().Undefined();
}

Napi::Value SgemmSgd(const Napi::CallbackInfo& info) {
  Args in(info, "sgemmSgd");
  const Array w = in.typed(8, "w", Elem::f32);
  const int64_t w_off = in.count(9, "wOffset");
  const int64_t stride_w = in.count(10, "strideW");
  const Array out = in.typed(11, "out", Elem::f32);
  const int64_t out_off = in.count(12, "outOffset");
  const Product p = read_product(in, 13);
  const Array hyper = in.typed(17, "hyper", Elem::f32);
  const Array &a = p.a, &b = p.b;
  const int64_t a_off = p.a_off, b_off = p.b_off, ext_a = p.ext_a, ext_b = p.ext_b;
  const int64_t batch = p.batch, m = p.m, n = p.n, mn = p.mn;
  const int64_t ext_w = p.extent(in, "strideW", stride_w, mn), out_len = mul(in, "batch·m·n", batch, mn);
  const int K = optim::record_length(optim::Op::sgd);
  in.need_view(a, "aOffset", a_off, ext_a);
  in.need_view(b, "bOffset", b_off, ext_b);
  in.need_view(w, "wOffset", w_off, ext_w);
  in.need_view(out, "outOffset", out_off, out_len);
  in.need(hyper, mul(in, "batch·7", batch, K));
  const float* h = hyper.as<const float>();
  for (int64_t t = 0; t < batch; t++) {
    if (h[t * K] != 0.0f) {
      in.range_error("hyper", "records without clipping (clip = 0)", "clip " + std::to_string(h[t * K]) + " in record " + std::to_string(t));
    }
    if (h[t * K + 4] != 0.0f) {
      in.range_error("hyper", "records without momentum (momentum = 0)", "momentum " + std::to_string(h[t * K + 4]) + " in record " + std::to_string(t));
    }
  }
  Array next, z;
  const bool has_next = in.optional_f32(18, "next", next);
  int64_t next_off = 0, stride_next = 0, rows = 0, z_off = 0, ext_next = 0, z_len = 0;
  if (has_next) {
    next_off = in.count(19, "nextOffset");
    stride_next = in.count(20, "strideNext");
    rows = in.integer(21, "rows", 0, kMaxDim);
    z = in.typed(22, "z", Elem::f32);
    z_off = in.count(23, "zOffset");
    ext_next = p.extent(in, "strideNext", stride_next, mul(in, "rows·m", rows, m));
    z_len = mul(in, "batch·rows·n", batch, mul(in, "rows·n", rows, n));
    in.need_view(next, "nextOffset", next_off, ext_next);
    in.need_view(z, "zOffset", z_off, z_len);
    in.disjoint(z, z_off, z_len, out, out_off, out_len);
    in.disjoint(z, z_off, z_len, w, w_off, ext_w);
    in.disjoint(z, z_off, z_len, a, a_off, ext_a);
    in.disjoint(z, z_off, z_len, b, b_off, ext_b);
    in.disjoint(z, z_off, z_len, next, next_off, ext_next);
    in.disjoint(z, z_off, z_len, hyper, 0, batch * K);
    in.disjoint(out, out_off, out_len, next, next_off, ext_next);
  }
  const bool in_place = w.data == out.data && w_off == out_off && (stride_w == mn || batch <= 1);
  if (!in_place) in.disjoint(out, out_off, out_len, w, w_off, ext_w);
  in.disjoint(out, out_off, out_len, a, a_off, ext_a);
  in.disjoint(out, out_off, out_len, b, b_off, ext_b);
  in.disjoint(out, out_off, out_len, hyper, 0, batch * K);

  const gemm::Args g = p.gemm();
  gemm::NextProduct np;
  if (has_next && z_len > 0) {
    np.a = next.as<const float>() + next_off;
    np.stride_a = stride_next;
    np.rows = rows;
    np.c = z.as<float>() + z_off;
  }
  if (out_len > 0 || np.rows > 0) {
    guard(in, [&] { gemm::sgemm_sgd(g, w.as<const float>() + w_off, stride_w, out.as<float>() + out_off, h, &np); });
  }
  return info.Env().Undefined();
}

}  // namespace bind
}  // namespace descent
