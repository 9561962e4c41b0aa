// Bindings for the fused Lanczos reorthogonalisation (native/linalg/orth.h):
//   orthogonalize(q, qOffset, rows, n, w, wOffset, out)
//     q: Float32Array holding the rows×n basis from qOffset; w: Float32Array holding n values
//     from wOffset; out: Float32Array of length ≥ n + rows, receiving [w2, h1 + h2]; out may
//     not overlap q or w.
//   orthonormalize(q, qOffset, rows, n, w, wOffset, into, intoOffset, h) → ‖w2‖
//     the same passes, with w2/‖w2‖ written to into[intoOffset .. intoOffset + n) (which may
//     be the basis's own array, past the rows read: the next Lanczos row) and h1 + h2 to
//     h[0 .. rows); into's range and h may not overlap q's rows, w or each other. When into
//     holds a further n values after the ones written (the basis's next row), an idle worker
//     then populates their memory in the background (runtime/prefault.h), rows of 256 KiB
//     or more: the next step's write finds it ready.
#include "bind/args.h"
#include "bind/bind.h"
#include "linalg/orth.h"
#include "runtime/prefault.h"

namespace descent {
namespace bind {

namespace {

constexpr int64_t kPrefaultMin = int64_t(256) << 10;

struct Inputs {
  Array q, w;
  int64_t qoff = 0, rows = 0, n = 0, qsize = 0, woff = 0;
  const float* qp() const { return qsize > 0 ? q.as<const float>() + qoff : nullptr; }
  const float* wp() const { return n > 0 ? w.as<const float>() + woff : nullptr; }
};

Inputs read_inputs(Args& in) {
  Inputs x;
  x.q = in.typed(0, "q", Elem::f32);
  x.qoff = in.count(1, "qOffset");
  x.rows = in.integer(2, "rows", 0, kMaxDim);
  x.n = in.integer(3, "n", 0, kMaxDim);
  x.w = in.typed(4, "w", Elem::f32);
  x.woff = in.count(5, "wOffset");
  x.qsize = mul(in, "rows·n", x.rows, x.n);
  in.need_view(x.q, "qOffset", x.qoff, x.qsize);
  in.need_view(x.w, "wOffset", x.woff, x.n);
  return x;
}

}  // namespace

Napi::Value Orthogonalize(const Napi::CallbackInfo& info) {
  Args in(info, "orthogonalize");
  const Inputs x = read_inputs(in);
  const Array out = in.typed(6, "out", Elem::f32);
  in.need(out, x.n + x.rows);
  in.disjoint(out, 0, x.n + x.rows, x.q, x.qoff, x.qsize);
  in.disjoint(out, 0, x.n + x.rows, x.w, x.woff, x.n);
  if (x.n + x.rows > 0) {
    float* o = out.as<float>();
    guard(in, [&] { linalg::orthogonalize(x.qp(), x.rows, x.n, x.wp(), o, o + x.n, false); });
  }
  return info.Env().Undefined();
}

Napi::Value Orthonormalize(const Napi::CallbackInfo& info) {
  Args in(info, "orthonormalize");
  const Inputs x = read_inputs(in);
  const Array into = in.typed(6, "into", Elem::f32);
  const int64_t ioff = in.count(7, "intoOffset");
  const Array h = in.typed(8, "h", Elem::f32);
  in.need_view(into, "intoOffset", ioff, x.n);
  in.need(h, x.rows);
  in.disjoint(into, ioff, x.n, x.q, x.qoff, x.qsize);
  in.disjoint(into, ioff, x.n, x.w, x.woff, x.n);
  in.disjoint(h, 0, x.rows, x.q, x.qoff, x.qsize);
  in.disjoint(h, 0, x.rows, x.w, x.woff, x.n);
  in.disjoint(h, 0, x.rows, into, ioff, x.n);
  double norm = 0;
  if (x.n > 0) {
    float* o = into.as<float>() + ioff;
    float* hp = h.as<float>();
    guard(in, [&] { norm = linalg::orthogonalize(x.qp(), x.rows, x.n, x.wp(), o, hp, true); });
    if (ioff + 2 * x.n <= into.length && x.n * int64_t(sizeof(float)) >= kPrefaultMin) populate_later(o + x.n, size_t(x.n) * sizeof(float));
  }
  return Napi::Number::New(info.Env(), norm);
}

}  // namespace bind
}  // namespace descent
