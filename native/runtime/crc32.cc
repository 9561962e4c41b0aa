// CRC-32 by carry-less folding (see crc32.h).
#include "runtime/crc32.h"

#include <immintrin.h>

#include <array>
#include <cstring>

#include "runtime/dispatch.h"

namespace descent {
namespace {

constexpr uint32_t kPoly = 0xEDB88320u;  // 0x04C11DB7 bit-reversed

constexpr std::array<uint32_t, 256> make_table() {
  std::array<uint32_t, 256> t{};
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ kPoly : c >> 1;
    t[i] = c;
  }
  return t;
}
constexpr std::array<uint32_t, 256> kTable = make_table();

// The register form: c is the running remainder (the complement of zlib's crc argument).
uint32_t bytewise(uint32_t c, const uint8_t* p, size_t len) {
  for (size_t i = 0; i < len; i++) c = kTable[(c ^ p[i]) & 0xff] ^ (c >> 8);
  return c;
}

// Folding constants for the reflected polynomial: x^(d+32) and x^(d−32) mod P, bit-reflected
// and shifted left by one, for a fold over d = 512 bits (four registers) and d = 128 bits.
constexpr uint64_t kFold4Lo = 0x154442bd4, kFold4Hi = 0x1c6e41596;
constexpr uint64_t kFold1Lo = 0x1751997d0, kFold1Hi = 0x0ccaa009e;
// The same over d = 2048 bits: each 128-bit lane of four 512-bit registers.
constexpr uint64_t kFold16Lo = 0x11542778a, kFold16Hi = 0x1322d1430;

__attribute__((target("pclmul,sse4.1"))) inline __m128i fold(__m128i x, __m128i k, __m128i next) {
  const __m128i lo = _mm_clmulepi64_si128(x, k, 0x00);
  const __m128i hi = _mm_clmulepi64_si128(x, k, 0x11);
  return _mm_xor_si128(_mm_xor_si128(lo, hi), next);
}

// len ≥ 64. Each register stays congruent (mod P, as a 16-byte message) to the bytes folded
// into it, so the remainder of the whole message is that of the last register's 16 bytes
// followed by the unfolded tail: those go through the byte table.
__attribute__((target("pclmul,sse4.1"))) uint32_t folded(uint32_t c, const uint8_t* p, size_t len) {
  auto load = [](const uint8_t* q) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(q)); };
  __m128i x0 = _mm_xor_si128(load(p), _mm_cvtsi32_si128(static_cast<int>(c)));
  __m128i x1 = load(p + 16), x2 = load(p + 32), x3 = load(p + 48);
  p += 64;
  len -= 64;
  const __m128i k4 = _mm_set_epi64x(static_cast<int64_t>(kFold4Hi), static_cast<int64_t>(kFold4Lo));
  for (; len >= 64; p += 64, len -= 64) {
    x0 = fold(x0, k4, load(p));
    x1 = fold(x1, k4, load(p + 16));
    x2 = fold(x2, k4, load(p + 32));
    x3 = fold(x3, k4, load(p + 48));
  }
  const __m128i k1 = _mm_set_epi64x(static_cast<int64_t>(kFold1Hi), static_cast<int64_t>(kFold1Lo));
  __m128i x = fold(fold(fold(x0, k1, x1), k1, x2), k1, x3);
  for (; len >= 16; p += 16, len -= 16) x = fold(x, k1, load(p));
  alignas(16) uint8_t last[16];
  _mm_store_si128(reinterpret_cast<__m128i*>(last), x);
  return bytewise(bytewise(0, last, 16), p, len);
}

// len ≥ 512, with VPCLMULQDQ: sixteen lanes of 128 bits fold 256 bytes at a time. Their
// 256 bytes, stored, are congruent to the bytes folded so far; they and the tail go on
// through the 128-bit fold.
__attribute__((target("avx512f,vpclmulqdq"))) inline __m512i fold512(__m512i x, __m512i k, const uint8_t* next) {
  // 0x96: a ^ b ^ c.
  return _mm512_ternarylogic_epi64(_mm512_clmulepi64_epi128(x, k, 0x00), _mm512_clmulepi64_epi128(x, k, 0x11), _mm512_loadu_si512(next), 0x96);
}

__attribute__((target("avx512f,vpclmulqdq"))) uint32_t folded512(uint32_t c, const uint8_t* p, size_t len) {
  __m512i z0 = _mm512_xor_si512(_mm512_loadu_si512(p), _mm512_zextsi128_si512(_mm_cvtsi32_si128(static_cast<int>(c))));
  __m512i z1 = _mm512_loadu_si512(p + 64), z2 = _mm512_loadu_si512(p + 128), z3 = _mm512_loadu_si512(p + 192);
  p += 256;
  len -= 256;
  const int64_t lo = static_cast<int64_t>(kFold16Lo), hi = static_cast<int64_t>(kFold16Hi);
  const __m512i k = _mm512_set_epi64(hi, lo, hi, lo, hi, lo, hi, lo);
  for (; len >= 256; p += 256, len -= 256) {
    z0 = fold512(z0, k, p);
    z1 = fold512(z1, k, p + 64);
    z2 = fold512(z2, k, p + 128);
    z3 = fold512(z3, k, p + 192);
  }
  alignas(64) uint8_t rest[512];
  _mm512_store_si512(rest, z0);
  _mm512_store_si512(rest + 64, z1);
  _mm512_store_si512(rest + 128, z2);
  _mm512_store_si512(rest + 192, z3);
  std::memcpy(rest + 256, p, len);
  return folded(0, rest, 256 + len);
}

bool has_vpclmul() {
  static const bool yes = __builtin_cpu_supports("vpclmulqdq");
  return yes;
}

bool has_pclmul() {
  static const bool yes = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
  return yes;
}

}  // namespace

uint32_t crc32(uint32_t crc, const uint8_t* data, size_t len) {
  const uint32_t c = ~crc;
  // The kernel tables' instruction set decides (set_isa lets tests run each path here).
  const Isa isa = dispatch().isa;
  if (len >= 512 && isa == Isa::avx512 && has_vpclmul()) return ~folded512(c, data, len);
  if (len >= 64 && isa != Isa::ref && has_pclmul()) return ~folded(c, data, len);
  return ~bytewise(c, data, len);
}

}  // namespace descent
