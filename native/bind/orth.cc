// Binding for the fused Lanczos reorthogonalisation (native/linalg/orth.h):
//   orthogonalize(q, qOffset, rows, n, w, wOffset, out)
// q: Float32Array holding the rows×n basis from qOffset; w: Float32Array holding n values
// from wOffset; out: Float32Array of length ≥ n + rows, receiving [w2, h1 + h2]; out may not
// overlap q or w.
#include "bind/args.h"
#include "bind/bind.h"
#include "linalg/orth.h"

namespace descent {
namespace bind {

Napi::Value Orthogonalize(const Napi::CallbackInfo& info) {
  Args in(info, "orthogonalize");
  const Array q = in.typed(0, "q", Elem::f32);
  const int64_t qoff = in.count(1, "qOffset");
  const int64_t rows = in.integer(2, "rows", 0, kMaxDim), n = in.integer(3, "n", 0, kMaxDim);
  const Array w = in.typed(4, "w", Elem::f32);
  const int64_t woff = in.count(5, "wOffset");
  const Array out = in.typed(6, "out", Elem::f32);
  const int64_t qsize = mul(in, "rows·n", rows, n);
  in.need_view(q, "qOffset", qoff, qsize);
  in.need_view(w, "wOffset", woff, n);
  in.need(out, n + rows);
  in.disjoint(out, 0, n + rows, q, qoff, qsize);
  in.disjoint(out, 0, n + rows, w, woff, n);
  if (n + rows > 0) {
    const float* qp = qsize > 0 ? q.as<const float>() + qoff : nullptr;
    const float* wp = n > 0 ? w.as<const float>() + woff : nullptr;
    guard(in, [&] { linalg::orthogonalize(qp, rows, n, wp, out.as<float>()); });
  }
  return info.Env().Undefined();
}

}  // namespace bind
}  // namespace descent
