// Bindings for reductions, softmax and gather/scatter:
//   reduce(op, x, xOffset, outer, n, inner, out)           out: Float32Array, Int32Array for argmax/argmin
//   softmax(x, xOffset, rows, cols, log, out)
//   gather(x, xOffset, outer, n, inner, indices, indicesOffset, m, out)
//   scatterAdd(src, srcOffset, outer, m, inner, indices, indicesOffset, n, out)
// x is viewed as [outer, n, inner] from xOffset; outputs start at element 0 and may not
// overlap inputs. Every index must lie in [0, n): checked before anything is written.
#include <string>

#include "bind/args.h"
#include "bind/bind.h"
#include "elementwise/elementwise.h"

namespace descent {
namespace bind {
namespace {

const int32_t* checked_indices(const Args& in, int i, int64_t m, int64_t n) {
  const Array idx = in.typed(i, "indices", Elem::i32);
  const int64_t off = in.count(i + 1, "indicesOffset");
  in.need_view(idx, "indicesOffset", off, m);
  const int32_t* p = idx.as<const int32_t>() ? idx.as<const int32_t>() + off : nullptr;
  for (int64_t j = 0; j < m; j++) {
    if (p[j] < 0 || p[j] >= n) {
      in.range_error("indices", "indices in [0, " + std::to_string(n - 1) + "]",
                     std::to_string(p[j]) + " at position " + std::to_string(off + j));
    }
  }
  return p;
}

}  // namespace

Napi::Value Reduce(const Napi::CallbackInfo& info) {
  Args in(info, "reduce");
  const int op = in.code(0, "op", ew::kReduceCount, "a REDUCE op code");
  const Array x = in.typed(1, "x", Elem::f32);
  const int64_t off = in.count(2, "xOffset");
  const int64_t outer = in.count(3, "outer"), n = in.count(4, "n"), inner = in.count(5, "inner");
  const bool arg = op == ew::kArgmax || op == ew::kArgmin;
  const Array out = in.typed(6, "out", arg ? Elem::i32 : Elem::f32);
  const int64_t size = mul(in, "outer·n·inner", mul(in, "outer·n", outer, n), inner);
  const int64_t out_size = mul(in, "outer·inner", outer, inner);
  in.need_view(x, "xOffset", off, size);
  in.need(out, out_size);
  in.disjoint(out, 0, out_size, x, off, size);
  if (out_size > 0) {
    guard(in, [&] { ew::reduce(op, x.as<const float>() ? x.as<const float>() + off : nullptr, outer, n, inner, out.data); });
  }
  return info.Env().Undefined();
}

Napi::Value Softmax(const Napi::CallbackInfo& info) {
  Args in(info, "softmax");
  const Array x = in.typed(0, "x", Elem::f32);
  const int64_t off = in.count(1, "xOffset");
  const int64_t rows = in.count(2, "rows"), cols = in.integer(3, "cols", 0, kMaxDim);
  const bool log = in.boolean(4, "log");
  const Array out = in.typed(5, "out", Elem::f32);
  const int64_t size = mul(in, "rows·cols", rows, cols);
  in.need_view(x, "xOffset", off, size);
  in.need(out, size);
  in.disjoint(out, 0, size, x, off, size);
  if (size > 0) guard(in, [&] { ew::softmax(x.as<const float>() + off, out.as<float>(), rows, cols, log); });
  return info.Env().Undefined();
}

Napi::Value Gather(const Napi::CallbackInfo& info) {
  Args in(info, "gather");
  const Array x = in.typed(0, "x", Elem::f32);
  const int64_t off = in.count(1, "xOffset");
  const int64_t outer = in.count(2, "outer"), n = in.integer(3, "n", 0, kMaxDim), inner = in.count(4, "inner");
  const int64_t m = in.count(7, "m");
  const Array out = in.typed(8, "out", Elem::f32);
  const int64_t size = mul(in, "outer·n·inner", mul(in, "outer·n", outer, n), inner);
  const int64_t out_size = mul(in, "outer·m·inner", mul(in, "outer·m", outer, m), inner);
  in.need_view(x, "xOffset", off, size);
  const int32_t* idx = checked_indices(in, 5, m, n);
  in.need(out, out_size);
  in.disjoint(out, 0, out_size, x, off, size);
  if (out_size > 0) guard(in, [&] { ew::gather(x.as<const float>() + off, outer, n, inner, idx, m, out.as<float>()); });
  return info.Env().Undefined();
}

Napi::Value ScatterAdd(const Napi::CallbackInfo& info) {
  Args in(info, "scatterAdd");
  const Array src = in.typed(0, "src", Elem::f32);
  const int64_t off = in.count(1, "srcOffset");
  const int64_t outer = in.count(2, "outer"), m = in.count(3, "m"), inner = in.count(4, "inner");
  const int64_t n = in.integer(7, "n", 0, kMaxDim);
  const Array out = in.typed(8, "out", Elem::f32);
  const int64_t size = mul(in, "outer·m·inner", mul(in, "outer·m", outer, m), inner);
  const int64_t out_size = mul(in, "outer·n·inner", mul(in, "outer·n", outer, n), inner);
  in.need_view(src, "srcOffset", off, size);
  const int32_t* idx = checked_indices(in, 5, m, n);
  in.need(out, out_size);
  in.disjoint(out, 0, out_size, src, off, size);
  if (out_size > 0) {
    guard(in, [&] {
      ew::scatter_add(src.as<const float>() ? src.as<const float>() + off : nullptr, outer, m, inner, idx, n, out.as<float>());
    });
  }
  return info.Env().Undefined();
}

}  // namespace bind
}  // namespace descent
