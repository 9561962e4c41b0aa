// W-lane float vectors for the optimizer kernels: VRef (W = 1, plain C++), VAvx2 (W = 8)
// and VAvx512 (W = 16), the latter two only where the including file is compiled with
// their ISA flags.
//
// Contract: every operation is an exactly rounded IEEE-754 binary32 operation (add, sub,
// mul, div, sqrt, max, min, round to nearest, scaling by 2^n) or a fixed sequence of them
// (vexp, written once over the types' operations), with no fused multiply-add and no
// approximation instructions, so the three types give bit-identical results lane by lane. That makes an optimizer step reproducible across machines (a checkpoint
// resumes identically on an AVX2 or an AVX-512 CPU) and lets the scalar type serve as the
// exact model of the vector code. max(a, b) and min(a, b) return b when either is NaN.
// The types have internal linkage (an anonymous namespace), so the linker can never pick an
// ISA file's copy of a member function for the baseline file.
#pragma once

#include <cstdint>
#include <cstring>

#if defined(__AVX2__) || defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace descent {
namespace optim {
namespace {

// exp(x) constants (Cephes expf): x = n·ln2 + r with ln2 = C1 + C2 split so that n·C1 is
// exact, then e^r ≈ 1 + r + r²·P(r), and 2^n applied as two factors 2^⌊n/2⌋·2^(n−⌊n/2⌋)
// so that results overflow to +inf and underflow gradually like a true exp.
constexpr float kExpHi = 89.0f;     // exp(89) > FLT_MAX: +inf
constexpr float kExpLo = -104.0f;   // exp(-104) < the smallest subnormal: 0
constexpr float kLog2e = 1.44269504088896341f;
constexpr float kC1 = 0.693359375f;
constexpr float kC2 = -2.12194440e-4f;
constexpr float kP0 = 1.9875691500e-4f, kP1 = 1.3981999507e-3f, kP2 = 8.3334519073e-3f;
constexpr float kP3 = 4.1665795894e-2f, kP4 = 1.6666665459e-1f, kP5 = 5.0000001201e-1f;

struct VRef {
  static constexpr int W = 1;
  float v;
  static VRef load(const float* p) { return {*p}; }
  static void store(float* p, VRef a) { *p = a.v; }
  static VRef set1(float x) { return {x}; }
  static VRef add(VRef a, VRef b) { return {a.v + b.v}; }
  static VRef sub(VRef a, VRef b) { return {a.v - b.v}; }
  static VRef mul(VRef a, VRef b) { return {a.v * b.v}; }
  static VRef div(VRef a, VRef b) { return {a.v / b.v}; }
  static VRef sqrt(VRef a) { return {__builtin_sqrtf(a.v)}; }
  static VRef max(VRef a, VRef b) { return {a.v > b.v ? a.v : b.v}; }
  static VRef min(VRef a, VRef b) { return {a.v < b.v ? a.v : b.v}; }
  static VRef abs(VRef a) {
    uint32_t u;
    std::memcpy(&u, &a.v, 4);
    u &= 0x7fffffffu;
    float f;
    std::memcpy(&f, &u, 4);
    return {f};
  }
  /** +1 where a > 0, −1 where a < 0, else 0 (also for NaN). */
  static VRef sign(VRef a) { return {a.v > 0.0f ? 1.0f : a.v < 0.0f ? -1.0f : 0.0f}; }
  static VRef round(VRef a) { return {__builtin_nearbyintf(a.v)}; }
  static float pow2(int32_t n) {
    const uint32_t u = uint32_t(n + 127) << 23;
    float f;
    std::memcpy(&f, &u, 4);
    return f;
  }
  /** y·2^⌊n/2⌋·2^(n−⌊n/2⌋) for the integral n = fx (a NaN fx gives n = 0; y is NaN then too). */
  static VRef ldexp(VRef y, VRef fx) {
    const int32_t n = fx.v == fx.v ? int32_t(fx.v) : 0;
    const int32_t n1 = n >> 1;
    return {y.v * pow2(n1) * pow2(n - n1)};
  }
};

#if defined(__AVX2__)
struct VAvx2 {
  static constexpr int W = 8;
  __m256 v;
  static VAvx2 load(const float* p) { return {_mm256_loadu_ps(p)}; }
  static void store(float* p, VAvx2 a) { _mm256_storeu_ps(p, a.v); }
  static VAvx2 set1(float x) { return {_mm256_set1_ps(x)}; }
  static VAvx2 add(VAvx2 a, VAvx2 b) { return {_mm256_add_ps(a.v, b.v)}; }
  static VAvx2 sub(VAvx2 a, VAvx2 b) { return {_mm256_sub_ps(a.v, b.v)}; }
  static VAvx2 mul(VAvx2 a, VAvx2 b) { return {_mm256_mul_ps(a.v, b.v)}; }
  static VAvx2 div(VAvx2 a, VAvx2 b) { return {_mm256_div_ps(a.v, b.v)}; }
  static VAvx2 sqrt(VAvx2 a) { return {_mm256_sqrt_ps(a.v)}; }
  static VAvx2 max(VAvx2 a, VAvx2 b) { return {_mm256_max_ps(a.v, b.v)}; }
  static VAvx2 min(VAvx2 a, VAvx2 b) { return {_mm256_min_ps(a.v, b.v)}; }
  static VAvx2 abs(VAvx2 a) { return {_mm256_and_ps(a.v, _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff)))}; }
  static VAvx2 sign(VAvx2 a) {
    const __m256 z = _mm256_setzero_ps();
    const __m256 pos = _mm256_and_ps(_mm256_cmp_ps(a.v, z, _CMP_GT_OQ), _mm256_set1_ps(1.0f));
    const __m256 neg = _mm256_and_ps(_mm256_cmp_ps(a.v, z, _CMP_LT_OQ), _mm256_set1_ps(-1.0f));
    return {_mm256_or_ps(pos, neg)};
  }
  static __m256 pow2(__m256i n) {
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n, _mm256_set1_epi32(127)), 23));
  }
  static VAvx2 round(VAvx2 a) { return {_mm256_round_ps(a.v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)}; }
  static VAvx2 ldexp(VAvx2 y, VAvx2 fx) {
    const __m256i n = _mm256_cvtps_epi32(fx.v);
    const __m256i n1 = _mm256_srai_epi32(n, 1);
    return {_mm256_mul_ps(_mm256_mul_ps(y.v, pow2(n1)), pow2(_mm256_sub_epi32(n, n1)))};
  }
};
#endif

#if defined(__AVX512F__)
struct VAvx512 {
  static constexpr int W = 16;
  __m512 v;
  static VAvx512 load(const float* p) { return {_mm512_loadu_ps(p)}; }
  static void store(float* p, VAvx512 a) { _mm512_storeu_ps(p, a.v); }
  static VAvx512 set1(float x) { return {_mm512_set1_ps(x)}; }
  static VAvx512 add(VAvx512 a, VAvx512 b) { return {_mm512_add_ps(a.v, b.v)}; }
  static VAvx512 sub(VAvx512 a, VAvx512 b) { return {_mm512_sub_ps(a.v, b.v)}; }
  static VAvx512 mul(VAvx512 a, VAvx512 b) { return {_mm512_mul_ps(a.v, b.v)}; }
  static VAvx512 div(VAvx512 a, VAvx512 b) { return {_mm512_div_ps(a.v, b.v)}; }
  static VAvx512 sqrt(VAvx512 a) { return {_mm512_sqrt_ps(a.v)}; }
  static VAvx512 max(VAvx512 a, VAvx512 b) { return {_mm512_max_ps(a.v, b.v)}; }
  static VAvx512 min(VAvx512 a, VAvx512 b) { return {_mm512_min_ps(a.v, b.v)}; }
  static VAvx512 abs(VAvx512 a) { return {_mm512_abs_ps(a.v)}; }
  static VAvx512 sign(VAvx512 a) {
    const __m512 z = _mm512_setzero_ps();
    const __mmask16 pos = _mm512_cmp_ps_mask(a.v, z, _CMP_GT_OQ), neg = _mm512_cmp_ps_mask(a.v, z, _CMP_LT_OQ);
    return {_mm512_mask_blend_ps(neg, _mm512_maskz_mov_ps(pos, _mm512_set1_ps(1.0f)), _mm512_set1_ps(-1.0f))};
  }
  static __m512 pow2(__m512i n) {
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(n, _mm512_set1_epi32(127)), 23));
  }
  static VAvx512 round(VAvx512 a) { return {_mm512_roundscale_ps(a.v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)}; }
  static VAvx512 ldexp(VAvx512 y, VAvx512 fx) {
    const __m512i n = _mm512_cvtps_epi32(fx.v);
    const __m512i n1 = _mm512_srai_epi32(n, 1);
    return {_mm512_mul_ps(_mm512_mul_ps(y.v, pow2(n1)), pow2(_mm512_sub_epi32(n, n1)))};
  }
};
#endif

/** e^a in every lane (Cephes expf, the constants above), the same operations for every V. */
template <class V>
inline V vexp(V a) {
  V x = V::max(V::set1(kExpLo), a);  // NaN passes through both clamps
  x = V::min(V::set1(kExpHi), x);
  const V fx = V::round(V::mul(x, V::set1(kLog2e)));
  V r = V::sub(x, V::mul(fx, V::set1(kC1)));
  r = V::sub(r, V::mul(fx, V::set1(kC2)));
  const V z = V::mul(r, r);
  V y = V::add(V::mul(V::set1(kP0), r), V::set1(kP1));
  y = V::add(V::mul(y, r), V::set1(kP2));
  y = V::add(V::mul(y, r), V::set1(kP3));
  y = V::add(V::mul(y, r), V::set1(kP4));
  y = V::add(V::mul(y, r), V::set1(kP5));
  y = V::add(V::mul(y, z), r);
  y = V::add(y, V::set1(1.0f));
  return V::ldexp(y, fx);
}

}  // namespace
}  // namespace optim
}  // namespace descent
