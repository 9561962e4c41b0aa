// Argument readers and error formatting for the native boundary (see args.h).
#include "bind/args.h"

#include <cmath>
#include <new>
#include <stdexcept>

namespace descent {
namespace bind {
namespace {

const char* typed_array_name(napi_typedarray_type t) {
  switch (t) {
    case napi_int8_array: return "Int8Array";
    case napi_uint8_array: return "Uint8Array";
    case napi_uint8_clamped_array: return "Uint8ClampedArray";
    case napi_int16_array: return "Int16Array";
    case napi_uint16_array: return "Uint16Array";
    case napi_int32_array: return "Int32Array";
    case napi_uint32_array: return "Uint32Array";
    case napi_float32_array: return "Float32Array";
    case napi_float64_array: return "Float64Array";
    case napi_bigint64_array: return "BigInt64Array";
    case napi_biguint64_array: return "BigUint64Array";
    default: return "TypedArray";
  }
}

napi_typedarray_type napi_type(Elem e) {
  switch (e) {
    case Elem::f32: return napi_float32_array;
    case Elem::f64: return napi_float64_array;
    case Elem::i32: return napi_int32_array;
  }
  return napi_float32_array;
}

std::string range_text(int64_t lo, int64_t hi) {
  if (lo == 0 && hi == kMaxSafe) return "a non-negative integer";
  return "an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
}

Array wrap(const Napi::Value& v, const char* name) {
  napi_typedarray_type t;
  size_t length;
  void* data = nullptr;
  napi_value buffer;
  size_t byte_offset;
  const napi_status st = napi_get_typedarray_info(v.Env(), v, &t, &length, &data, &buffer, &byte_offset);
  NAPI_THROW_IF_FAILED(v.Env(), st, Array());
  Array a;
  a.value = v;
  a.name = name;
  a.length = int64_t(length);
  a.elem = t == napi_float64_array ? Elem::f64 : t == napi_int32_array ? Elem::i32 : Elem::f32;
  // Null for an empty or detached view; kernels never touch it then (lengths are checked first).
  a.data = data;
  return a;
}

}  // namespace

const char* elem_name(Elem e) { return typed_array_name(napi_type(e)); }

std::string describe(const Napi::Value& v) {
  try {
    if (v.IsUndefined()) return "undefined";
    if (v.IsNull()) return "null";
    if (v.IsTypedArray()) {
      Napi::TypedArray ta = v.As<Napi::TypedArray>();
      return std::string(typed_array_name(ta.TypedArrayType())) + " of length " + std::to_string(ta.ElementLength());
    }
    if (v.IsArray()) return "an array of length " + std::to_string(v.As<Napi::Array>().Length());
    if (v.IsNumber()) {
      const double d = v.As<Napi::Number>().DoubleValue();
      if (std::isnan(d)) return "NaN";
      return v.ToString().Utf8Value();
    }
    if (v.IsString()) return "'" + v.As<Napi::String>().Utf8Value() + "'";
    if (v.IsBoolean()) return "boolean";
    if (v.IsFunction()) return "function";
    if (v.IsObject()) {
      Napi::Value ctor = v.As<Napi::Object>().Get("constructor");
      if (ctor.IsFunction()) {
        Napi::Value name = ctor.As<Napi::Object>().Get("name");
        if (name.IsString()) return name.As<Napi::String>().Utf8Value();
      }
      return "an object";
    }
    switch (v.Type()) {
      case napi_symbol: return "symbol";
      case napi_bigint: return "bigint";
      default: return "a value";
    }
  } catch (const Napi::Error&) {
    return "an object";
  }
}

void Args::type_error(const char* name, const std::string& expected, const Napi::Value& got) const {
  throw Napi::TypeError::New(env(), std::string(fn_) + ": expected " + expected + " for '" + name + "' but received " +
                                        describe(got));
}

void Args::range_error(const char* name, const std::string& expected, const std::string& got) const {
  throw Napi::RangeError::New(env(),
                              std::string(fn_) + ": expected " + expected + " for '" + name + "' but received " + got);
}

Array Args::typed(int i, const char* name, Elem elem) const {
  const Napi::Value v = info_[size_t(i)];
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_type(elem)) {
    type_error(name, elem_name(elem), v);
  }
  return wrap(v, name);
}

Array Args::any_typed(int i, const char* name) const {
  const Napi::Value v = info_[size_t(i)];
  if (v.IsTypedArray()) {
    const napi_typedarray_type t = v.As<Napi::TypedArray>().TypedArrayType();
    if (t == napi_float32_array || t == napi_float64_array || t == napi_int32_array) return wrap(v, name);
  }
  type_error(name, "a Float32Array, Float64Array or Int32Array", v);
}

bool Args::optional_f32(int i, const char* name, Array& out) const {
  const Napi::Value v = info_[size_t(i)];
  if (v.IsNull() || v.IsUndefined()) return false;
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    type_error(name, "a Float32Array or null", v);
  }
  out = wrap(v, name);
  return true;
}

int64_t Args::integer(int i, const char* name, int64_t lo, int64_t hi) const {
  const Napi::Value v = info_[size_t(i)];
  if (!v.IsNumber()) type_error(name, range_text(lo, hi), v);
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!(d == std::trunc(d)) || d < double(lo) || d > double(hi)) range_error(name, range_text(lo, hi), describe(v));
  return int64_t(d);
}

int Args::code(int i, const char* name, int n, const char* what) const {
  const Napi::Value v = info_[size_t(i)];
  const std::string expected = std::string(what) + " (an integer in [0, " + std::to_string(n - 1) + "])";
  if (!v.IsNumber()) type_error(name, expected, v);
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!(d == std::trunc(d)) || d < 0 || d > n - 1) range_error(name, expected, describe(v));
  return int(d);
}

bool Args::boolean(int i, const char* name) const {
  const Napi::Value v = info_[size_t(i)];
  if (!v.IsBoolean()) type_error(name, "a boolean", v);
  return v.As<Napi::Boolean>().Value();
}

bool Args::optional_boolean(int i, const char* name, bool absent) const {
  if (size_t(i) >= info_.Length() || info_[size_t(i)].IsUndefined()) return absent;
  return boolean(i, name);
}

double Args::number(int i, const char* name) const {
  const Napi::Value v = info_[size_t(i)];
  if (!v.IsNumber()) type_error(name, "a number", v);
  return v.As<Napi::Number>().DoubleValue();
}

std::string Args::string(int i, const char* name) const {
  const Napi::Value v = info_[size_t(i)];
  if (!v.IsString()) type_error(name, "a string", v);
  return v.As<Napi::String>().Utf8Value();
}

std::vector<int64_t> Args::integers(int i, const char* name, size_t max_len, int64_t lo, int64_t hi) const {
  const Napi::Value v = info_[size_t(i)];
  const std::string expected = "an array of at most " + std::to_string(max_len) + " integers";
  if (!v.IsArray()) type_error(name, expected, v);
  Napi::Array arr = v.As<Napi::Array>();
  if (arr.Length() > max_len) range_error(name, expected, describe(v));
  std::vector<int64_t> out(arr.Length());
  for (uint32_t j = 0; j < arr.Length(); j++) {
    const Napi::Value e = arr.Get(j);
    const std::string elem = std::string(name) + "[" + std::to_string(j) + "]";
    if (!e.IsNumber()) type_error(elem.c_str(), range_text(lo, hi), e);
    const double d = e.As<Napi::Number>().DoubleValue();
    if (!(d == std::trunc(d)) || d < double(lo) || d > double(hi)) range_error(elem.c_str(), range_text(lo, hi), describe(e));
    out[j] = int64_t(d);
  }
  return out;
}

void Args::need(const Array& a, int64_t needed) const {
  if (a.length < needed) {
    range_error(a.name, std::string(elem_name(a.elem)) + " of length ≥ " + std::to_string(needed), describe(a.value));
  }
}

void Args::offset_within(const Array& a, const char* offset_name, int64_t offset) const {
  if (offset > a.length) {
    range_error(offset_name, "an offset ≤ " + std::to_string(a.length) + " (the length of '" + a.name + "')",
                std::to_string(offset));
  }
}

void Args::need_view(const Array& a, const char* offset_name, int64_t offset, int64_t extent) const {
  if (offset + extent <= a.length) return;
  if (extent == 0) {
    range_error(offset_name, "an offset ≤ " + std::to_string(a.length) + " (the length of '" + a.name + "')",
                std::to_string(offset));
  }
  std::string expected = std::string(elem_name(a.elem)) + " of length ≥ " + std::to_string(offset + extent);
  if (offset > 0) expected += " (" + std::string(offset_name) + " " + std::to_string(offset) + " + " + std::to_string(extent) + ")";
  range_error(a.name, expected, describe(a.value));
}

void Args::disjoint(const Array& out, int64_t oo, int64_t on, const Array& in, int64_t io, int64_t in_n) const {
  if (on <= 0 || in_n <= 0 || !out.data || !in.data) return;
  const uintptr_t o0 = reinterpret_cast<uintptr_t>(out.data) + uintptr_t(oo) * out.elem_size();
  const uintptr_t o1 = o0 + uintptr_t(on) * out.elem_size();
  const uintptr_t i0 = reinterpret_cast<uintptr_t>(in.data) + uintptr_t(io) * in.elem_size();
  const uintptr_t i1 = i0 + uintptr_t(in_n) * in.elem_size();
  if (o0 < i1 && i0 < o1) {
    range_error(out.name, std::string("an output that shares no memory with '") + in.name + "'",
                describe(out.value) + " overlapping '" + in.name + "'");
  }
}

std::pair<int64_t, int64_t> Args::view_within(const StridedArg& v, const char* offset_name,
                                              const char* strides_name, const std::vector<int64_t>& shape) const {
  if (v.strides.size() != shape.size()) {
    range_error(strides_name, "an array of " + std::to_string(shape.size()) + " strides (one per axis of 'shape')",
                "an array of length " + std::to_string(v.strides.size()));
  }
  for (int64_t d : shape) {
    if (d == 0) {
      need_view(v.array, offset_name, v.offset, 0);
      return {v.offset, 0};
    }
  }
  // Strides are at most 2^53 and axes below 2^31, so long double holds these sums closely
  // enough to compare with lengths below 2^53.
  long double lo = (long double)v.offset, hi = (long double)v.offset;
  for (size_t d = 0; d < shape.size(); d++) {
    const long double reach = (long double)(shape[d] - 1) * (long double)v.strides[d];
    if (reach < 0) lo += reach;
    else hi += reach;
  }
  if (lo < 0) {
    range_error(strides_name, std::string("strides that stay inside '") + v.array.name + "'",
                "strides reaching element " + std::to_string((long long)lo));
  }
  if (hi >= (long double)kMaxSafe) range_error(strides_name, "strides whose view fits in 2^53 elements", "larger strides");
  need_view(v.array, offset_name, v.offset, int64_t(hi) + 1 - v.offset);
  return {int64_t(lo), int64_t(hi - lo) + 1};
}

int64_t mul(const Args& args, const char* what, int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_mul_overflow(a, b, &r) || r > kMaxSafe) {
    args.range_error(what, "sizes whose product is at most 2^53",
                     std::to_string(a) + " × " + std::to_string(b));
  }
  return r;
}

void rethrow_as_js(const Args& args) {
  try {
    throw;
  } catch (const std::bad_alloc&) {
    throw Napi::RangeError::New(args.env(), std::string(args.fn()) + ": out of memory for its scratch buffers");
  } catch (const std::exception& e) {
    throw Napi::Error::New(args.env(), std::string(args.fn()) + ": " + e.what());
  } catch (...) {
    throw Napi::Error::New(args.env(), std::string(args.fn()) + ": unknown native error");
  }
}

}  // namespace bind
}  // namespace descent
