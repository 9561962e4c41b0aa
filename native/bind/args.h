// Argument readers for the native boundary. Each reads one positional argument, checks its
// type and range, and throws a JavaScript TypeError (wrong type) or RangeError (length,
// range, NaN, overlap) in descent's one message format:
//   <fn>: expected <what> for '<arg>' but received <what came>
// e.g. `sgemm: expected Float32Array of length ≥ 6144 for 'a' but received Float64Array of length 6144`.
// Kernel calls go through guard(), which turns C++ exceptions into JavaScript errors.
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace descent {
namespace bind {

/** Largest size or offset accepted anywhere (2^53, JavaScript's exact integers). */
constexpr int64_t kMaxSafe = int64_t(1) << 53;
/** Largest single dimension (so that per-axis arithmetic stays far from overflow). */
constexpr int64_t kMaxDim = (int64_t(1) << 31) - 1;

enum class Elem { f32, f64, i32 };

const char* elem_name(Elem e);

/** A typed array argument: its data, element count and element type. */
struct Array {
  void* data = nullptr;
  int64_t length = 0;
  Elem elem = Elem::f32;
  const char* name = "";
  Napi::Value value;

  size_t elem_size() const { return elem == Elem::f64 ? 8 : 4; }
  template <class T>
  T* as() const { return static_cast<T*>(data); }
};

/** One strided operand: a typed array, an element offset and per-axis strides. */
struct StridedArg {
  Array array;
  int64_t offset = 0;
  std::vector<int64_t> strides;
};

class Args {
 public:
  Args(const Napi::CallbackInfo& info, const char* fn) : info_(info), fn_(fn) {}

  Napi::Env env() const { return info_.Env(); }
  const char* fn() const { return fn_; }

  /** A typed array of element type `elem`. */
  Array typed(int i, const char* name, Elem elem) const;
  /** A typed array of any of the three element types. */
  Array any_typed(int i, const char* name) const;
  /** null/undefined (returns false) or a Float32Array (into `out`). */
  bool optional_f32(int i, const char* name, Array& out) const;
  /** An integer in [lo, hi]. */
  int64_t integer(int i, const char* name, int64_t lo, int64_t hi) const;
  /** A size or offset: an integer in [0, 2^53]. */
  int64_t count(int i, const char* name) const { return integer(i, name, 0, kMaxSafe); }
  /** An op code in [0, n): `what` names the table, e.g. "a UNARY op code". */
  int code(int i, const char* name, int n, const char* what) const;
  bool boolean(int i, const char* name) const;
  /** undefined/absent (returns `absent`) or a boolean. */
  bool optional_boolean(int i, const char* name, bool absent) const;
  double number(int i, const char* name) const;
  std::string string(int i, const char* name) const;
  /** An array of at most max_len integers in [lo, hi]. */
  std::vector<int64_t> integers(int i, const char* name, size_t max_len, int64_t lo, int64_t hi) const;

  /** Throws unless a.length ≥ needed. */
  void need(const Array& a, int64_t needed) const;
  /** Throws unless offset ≤ a.length (an offset may sit at the end of an empty view). */
  void offset_within(const Array& a, const char* offset_name, int64_t offset) const;
  /**
   * Throws unless elements [offset, offset + extent) lie in a: naming the offset when it is past
   * the end of an empty view, else naming the array (the message quotes the offset too).
   */
  void need_view(const Array& a, const char* offset_name, int64_t offset, int64_t extent) const;
  /** Throws unless the element ranges [ao, ao+an) of a and [bo, bo+bn) of b share no memory. */
  void disjoint(const Array& out, int64_t oo, int64_t on, const Array& in, int64_t io, int64_t in_n) const;
  /**
   * Throws unless every element of the strided view over `shape` lies inside its array;
   * returns the range it reaches as {first element, element count} (count 0 when empty).
   */
  std::pair<int64_t, int64_t> view_within(const StridedArg& v, const char* offset_name, const char* strides_name,
                                          const std::vector<int64_t>& shape) const;

  [[noreturn]] void type_error(const char* name, const std::string& expected, const Napi::Value& got) const;
  [[noreturn]] void range_error(const char* name, const std::string& expected, const std::string& got) const;

 private:
  const Napi::CallbackInfo& info_;
  const char* fn_;
};

/** JavaScript's description of a value for messages (mirrors describe() in src/errors.ts). */
std::string describe(const Napi::Value& v);

/** Checked a·b (throws RangeError naming `what` when it passes 2^53). */
int64_t mul(const Args& args, const char* what, int64_t a, int64_t b);

[[noreturn]] void rethrow_as_js(const Args& args);

/** Runs f; a C++ exception becomes a JavaScript Error "<fn>: <what>" (RangeError for bad_alloc). */
template <class F>
void guard(const Args& args, F&& f) {
  try {
    f();
  } catch (const Napi::Error&) {
    throw;
  } catch (...) {
    rethrow_as_js(args);
  }
}

}  // namespace bind
}  // namespace descent
