// Bindings for elementwise ops and copies:
//   fill(out, value)
//   unary(op, x, xOffset, out, size)
//   binary(op, a, aOffset, aStrides, b, bOffset, bStrides, out, shape)
//   where(cond, condOffset, condStrides, a, aOffset, aStrides, b, bOffset, bStrides, out, shape)
//   copyInto(src, srcOffset, srcStrides, dst, dstOffset, dstStrides, shape)
//   cast(x, xOffset, out, size)
// Strided inputs are read at offset + Σ index·stride (strides may be 0 or negative; every
// element reached must lie inside the array); outputs are contiguous from element 0 (copyInto
// writes its strided dst) and may not overlap the inputs. shape has at most 8 axes.
#include "bind/args.h"
#include "bind/bind.h"
#include "elementwise/elementwise.h"

namespace descent {
namespace bind {
namespace {

std::vector<int64_t> read_shape(const Args& in, int i, int64_t& total) {
  std::vector<int64_t> shape = in.integers(i, "shape", ew::kMaxRank, 0, kMaxDim);
  total = 1;
  for (int64_t d : shape) total = mul(in, "shape", total, d);
  return shape;
}

StridedArg read_strided(const Args& in, int i, const char* name, const char* off_name, const char* strides_name,
                        Elem elem, bool any = false) {
  StridedArg v;
  v.array = any ? in.any_typed(i, name) : in.typed(i, name, elem);
  v.offset = in.count(i + 1, off_name);
  v.strides = in.integers(i + 2, strides_name, ew::kMaxRank, -kMaxSafe, kMaxSafe);
  return v;
}

template <class T>
ew::View<const T> view_of(const StridedArg& v) {
  ew::View<const T> out;
  out.p = v.array.as<const T>() ? v.array.as<const T>() + v.offset : nullptr;
  for (size_t d = 0; d < v.strides.size(); d++) out.strides[d] = v.strides[d];
  return out;
}

}  // namespace

Napi::Value Fill(const Napi::CallbackInfo& info) {
  Args in(info, "fill");
  const Array out = in.typed(0, "out", Elem::f32);
  const double value = in.number(1, "value");
  guard(in, [&] { ew::fill(out.as<float>(), out.length, float(value)); });
  return info.Env().Undefined();
}

Napi::Value Unary(const Napi::CallbackInfo& info) {
  Args in(info, "unary");
  const int op = in.code(0, "op", ew::kUnaryCount, "a UNARY op code");
  const Array x = in.typed(1, "x", Elem::f32);
  const int64_t off = in.count(2, "xOffset");
  const Array out = in.typed(3, "out", Elem::f32);
  const int64_t size = in.count(4, "size");
  in.need_view(x, "xOffset", off, size);
  in.need(out, size);
  in.disjoint(out, 0, size, x, off, size);
  if (size > 0) guard(in, [&] { ew::unary(op, x.as<const float>() + off, out.as<float>(), size); });
  return info.Env().Undefined();
}

Napi::Value Binary(const Napi::CallbackInfo& info) {
  Args in(info, "binary");
  const int op = in.code(0, "op", ew::kBinaryCount, "a BINARY op code");
  const StridedArg a = read_strided(in, 1, "a", "aOffset", "aStrides", Elem::f32);
  const StridedArg b = read_strided(in, 4, "b", "bOffset", "bStrides", Elem::f32);
  const Array out = in.typed(7, "out", Elem::f32);
  int64_t total;
  const std::vector<int64_t> shape = read_shape(in, 8, total);
  const auto ra = in.view_within(a, "aOffset", "aStrides", shape);
  const auto rb = in.view_within(b, "bOffset", "bStrides", shape);
  in.need(out, total);
  in.disjoint(out, 0, total, a.array, ra.first, ra.second);
  in.disjoint(out, 0, total, b.array, rb.first, rb.second);
  if (total > 0) {
    guard(in, [&] { ew::binary(op, view_of<float>(a), view_of<float>(b), out.as<float>(), shape.data(), int(shape.size())); });
  }
  return info.Env().Undefined();
}

Napi::Value Where(const Napi::CallbackInfo& info) {
  Args in(info, "where");
  const StridedArg c = read_strided(in, 0, "cond", "condOffset", "condStrides", Elem::f32);
  const StridedArg a = read_strided(in, 3, "a", "aOffset", "aStrides", Elem::f32);
  const StridedArg b = read_strided(in, 6, "b", "bOffset", "bStrides", Elem::f32);
  const Array out = in.typed(9, "out", Elem::f32);
  int64_t total;
  const std::vector<int64_t> shape = read_shape(in, 10, total);
  const auto rc = in.view_within(c, "condOffset", "condStrides", shape);
  const auto ra = in.view_within(a, "aOffset", "aStrides", shape);
  const auto rb = in.view_within(b, "bOffset", "bStrides", shape);
  in.need(out, total);
  in.disjoint(out, 0, total, c.array, rc.first, rc.second);
  in.disjoint(out, 0, total, a.array, ra.first, ra.second);
  in.disjoint(out, 0, total, b.array, rb.first, rb.second);
  if (total > 0) {
    guard(in, [&] {
      ew::where(view_of<float>(c), view_of<float>(a), view_of<float>(b), out.as<float>(), shape.data(), int(shape.size()));
    });
  }
  return info.Env().Undefined();
}

Napi::Value CopyInto(const Napi::CallbackInfo& info) {
  Args in(info, "copyInto");
  const StridedArg src = read_strided(in, 0, "src", "srcOffset", "srcStrides", Elem::f32, true);
  const StridedArg dst = read_strided(in, 3, "dst", "dstOffset", "dstStrides", Elem::f32, true);
  if (dst.array.elem != src.array.elem) {
    in.type_error("dst", std::string(elem_name(src.array.elem)) + " (the type of 'src')", dst.array.value);
  }
  int64_t total;
  const std::vector<int64_t> shape = read_shape(in, 6, total);
  const auto rs = in.view_within(src, "srcOffset", "srcStrides", shape);
  const auto rd = in.view_within(dst, "dstOffset", "dstStrides", shape);
  in.disjoint(dst.array, rd.first, rd.second, src.array, rs.first, rs.second);
  if (total > 0) {
    const int es = int(src.array.elem_size());
    guard(in, [&] {
      const char* s = static_cast<const char*>(src.array.data) + src.offset * es;
      char* d = static_cast<char*>(dst.array.data) + dst.offset * es;
      ew::copy_strided(s, src.strides.data(), d, dst.strides.data(), shape.data(), int(shape.size()), es);
    });
  }
  return info.Env().Undefined();
}

Napi::Value Cast(const Napi::CallbackInfo& info) {
  Args in(info, "cast");
  const Array x = in.any_typed(0, "x");
  const int64_t off = in.count(1, "xOffset");
  const Array out = in.any_typed(2, "out");
  const int64_t size = in.count(3, "size");
  in.need_view(x, "xOffset", off, size);
  in.need(out, size);
  in.disjoint(out, 0, size, x, off, size);
  auto dtype = [](Elem e) { return e == Elem::f32 ? ew::DType::f32 : e == Elem::f64 ? ew::DType::f64 : ew::DType::i32; };
  if (size > 0) {
    guard(in, [&] {
      ew::cast(static_cast<const char*>(x.data) + off * int64_t(x.elem_size()), dtype(x.elem), out.data, dtype(out.elem), size);
    });
  }
  return info.Env().Undefined();
}

}  // namespace bind
}  // namespace descent
