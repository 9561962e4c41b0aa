// Bindings for the symmetric tridiagonal eigensolver:
//   tridiagEig(alpha, beta)     → Promise<{ values, vectors }>  (runs on the libuv pool)
//   tridiagEigSync(alpha, beta) → { values, vectors }
// alpha: Float64Array of k finite values (the diagonal), beta: Float64Array of k−1 finite
// values (the off-diagonal), k ≤ 8192; ends (optional boolean, default false). values:
// Float64Array(k) ascending; vectors: Float64Array(k·k) row-major with column j the unit
// eigenvector of values[j] — or, with ends, Float64Array(2k): the first and the last component
// of each eigenvector (rows 0 and k−1 of that matrix), computed in O(k²).
#include <algorithm>
#include <cmath>
#include <exception>
#include <string>
#include <vector>

#include "bind/args.h"
#include "bind/bind.h"
#include "eig/tridiag.h"

namespace descent {
namespace bind {
namespace {

constexpr int64_t kMaxK = 8192;

struct Input {
  std::vector<double> alpha, beta;
  bool ends = false;
};

Input read_input(const Args& in) {
  const Array alpha = in.typed(0, "alpha", Elem::f64);
  const Array beta = in.typed(1, "beta", Elem::f64);
  const int64_t k = alpha.length;
  if (k > kMaxK) in.range_error("alpha", "Float64Array of length ≤ " + std::to_string(kMaxK), describe(alpha.value));
  const int64_t kb = k > 0 ? k - 1 : 0;
  if (beta.length != kb) {
    in.range_error("beta", "Float64Array of length " + std::to_string(kb) + " (one less than 'alpha')", describe(beta.value));
  }
  Input out;
  out.ends = in.optional_boolean(2, "ends", false);
  out.alpha.assign(alpha.as<const double>(), alpha.as<const double>() + k);
  out.beta.assign(beta.as<const double>(), beta.as<const double>() + kb);
  for (const auto& [name, v] : {std::pair<const char*, const std::vector<double>*>{"alpha", &out.alpha}, {"beta", &out.beta}}) {
    for (size_t i = 0; i < v->size(); i++) {
      if (!std::isfinite((*v)[i])) {
        const double x = (*v)[i];
        in.range_error(name, "finite values", (std::isnan(x) ? std::string("NaN") : x > 0 ? "Infinity" : "-Infinity") +
                                                  " at position " + std::to_string(i));
      }
    }
  }
  return out;
}

Napi::Object result(Napi::Env env, const std::vector<double>& values, const std::vector<double>& vectors) {
  Napi::Float64Array v = Napi::Float64Array::New(env, values.size());
  std::copy(values.begin(), values.end(), v.Data());
  Napi::Float64Array z = Napi::Float64Array::New(env, vectors.size());
  std::copy(vectors.begin(), vectors.end(), z.Data());
  Napi::Object o = Napi::Object::New(env);
  o.Set("values", v);
  o.Set("vectors", z);
  return o;
}

class TridiagWorker : public Napi::AsyncWorker {
 public:
  TridiagWorker(Napi::Env env, Input input)
      : Napi::AsyncWorker(env, "descent.tridiagEig"), input_(std::move(input)), deferred_(Napi::Promise::Deferred::New(env)) {}

  Napi::Promise promise() const { return deferred_.Promise(); }

  void Execute() override {
    try {
      const size_t k = input_.alpha.size();
      values_.resize(k);
      vectors_.resize(input_.ends ? 2 * k : k * k);
      eig::tridiag_eig(int64_t(k), input_.alpha.data(), input_.beta.data(), values_.data(), vectors_.data(), input_.ends);
    } catch (const std::bad_alloc&) {
      SetError("tridiagEig: out of memory");
    } catch (const std::exception& e) {
      SetError(std::string("tridiagEig: ") + e.what());
    } catch (...) {
      SetError("tridiagEig: unknown native error");
    }
  }

  void OnOK() override { deferred_.Resolve(result(Env(), values_, vectors_)); }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Input input_;
  Napi::Promise::Deferred deferred_;
  std::vector<double> values_, vectors_;
};

}  // namespace

Napi::Value TridiagEig(const Napi::CallbackInfo& info) {
  Args in(info, "tridiagEig");
  Input input = read_input(in);
  auto* worker = new TridiagWorker(info.Env(), std::move(input));
  Napi::Promise p = worker->promise();
  worker->Queue();
  return p;
}

Napi::Value TridiagEigSync(const Napi::CallbackInfo& info) {
  Args in(info, "tridiagEigSync");
  const Input input = read_input(in);
  const size_t k = input.alpha.size();
  std::vector<double> values, vectors;
  guard(in, [&] {
    values.resize(k);
    vectors.resize(input.ends ? 2 * k : k * k);
    eig::tridiag_eig(int64_t(k), input.alpha.data(), input.beta.data(), values.data(), vectors.data(), input.ends);
  });
  return result(info.Env(), values, vectors);
}

}  // namespace bind
}  // namespace descent
