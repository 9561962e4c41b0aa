// AVX-512 GEMM kernels (compiled with -mavx512f/dq/bw/vl; called only when cpuid says so).
//
// Micro-kernel contract (gemm.h): C[mr×nr] := (accumulate ? C : 0) + Ap·B, MR = 14 rows by
// NR = 32 columns (two zmm). Each k step loads one 32-float row of B and broadcasts 14
// elements of A into 28 FMAs on 28 accumulators: 16 loads per 28 FMAs fits two load ports
// beside two FMA ports. Edge tiles run an instantiation with exactly mr rows and ⌈nr/16⌉
// vectors, so a partial tile computes nothing it throws away except the lanes of its last
// vector. Packing transposes 16×16 blocks in registers when the source is contiguous
// along k; when it is contiguous across the panel (Aᵀ's rows, B's rows) it walks the source
// row by row, each row read once across all the panels with the row 4 ahead prefetched
// (panel by panel would read 56 or 128 bytes per row at a stride of the row length: at
// m = 1024 every row of a panel lands in one L1 set; 0.55–0.6 → 0.2–0.3 ms per 1024×784 A
// on one thread). The dot kernel (n ≤ 12) keeps 2×n accumulators of 16 k-lanes each and reduces
// them with a transpose-and-add tree at the end.
//
// Everything here has internal linkage: templates instantiated in this file must not be
// merged by the linker with baseline-ISA copies of the same name.
#include <immintrin.h>

#include <cstdint>
#include <utility>

#include "gemm/gemm.h"

namespace descent {
namespace gemm {
namespace {

constexpr int MR = 14;
constexpr int NV = 2;
constexpr int NR = 16 * NV;

using Tile = void (*)(int64_t, const float*, const float*, int64_t, float*, int64_t, int64_t, int, int, bool);

inline __mmask16 lanes(int64_t n) { return n >= 16 ? __mmask16(0xFFFF) : n <= 0 ? __mmask16(0) : __mmask16((1u << n) - 1u); }
inline int64_t imin(int64_t a, int64_t b) { return a < b ? a : b; }

template <int R, int V>
void tile(int64_t k, const float* __restrict ap, const float* __restrict b, int64_t ldb, float* c, int64_t rs,
          int64_t cs, int mr, int nr, bool accumulate) {
  __m512 acc[R][V];
#pragma GCC unroll 16
  for (int r = 0; r < R; r++) {
#pragma GCC unroll 4
    for (int v = 0; v < V; v++) acc[r][v] = _mm512_setzero_ps();
  }
  if (cs == 1) {
#pragma GCC unroll 16
    for (int r = 0; r < R; r++) _mm_prefetch(reinterpret_cast<const char*>(c + r * rs), _MM_HINT_T0);
  }
#pragma GCC unroll 2
  for (int64_t p = 0; p < k; p++) {
    __m512 bv[V];
#pragma GCC unroll 4
    for (int v = 0; v < V; v++) bv[v] = _mm512_loadu_ps(b + 16 * v);
#pragma GCC unroll 16
    for (int r = 0; r < R; r++) {
      const __m512 a = _mm512_set1_ps(ap[r]);
#pragma GCC unroll 4
      for (int v = 0; v < V; v++) acc[r][v] = _mm512_fmadd_ps(a, bv[v], acc[r][v]);
    }
    ap += MR;
    b += ldb;
  }
  if (cs == 1) {
#pragma GCC unroll 16
    for (int r = 0; r < R; r++) {
      if (r >= mr) break;
      float* cr = c + r * rs;
#pragma GCC unroll 4
      for (int v = 0; v < V; v++) {
        const __mmask16 m = lanes(nr - 16 * v);
        __m512 x = acc[r][v];
        if (accumulate) x = _mm512_add_ps(x, _mm512_maskz_loadu_ps(m, cr + 16 * v));
        _mm512_mask_storeu_ps(cr + 16 * v, m, x);
      }
    }
  } else {
    alignas(64) float t[R][16 * V];
#pragma GCC unroll 16
    for (int r = 0; r < R; r++) {
#pragma GCC unroll 4
      for (int v = 0; v < V; v++) _mm512_store_ps(&t[r][16 * v], acc[r][v]);
    }
    for (int i = 0; i < mr; i++) {
      for (int j = 0; j < nr; j++) {
        float& dst = c[i * rs + j * cs];
        dst = accumulate ? dst + t[i][j] : t[i][j];
      }
    }
  }
}

template <size_t... I>
constexpr auto tile_table(std::index_sequence<I...>) {
  struct T { Tile f[sizeof...(I)]; };
  return T{{&tile<int(I / NV) + 1, int(I % NV) + 1>...}};
}
constexpr auto kTiles = tile_table(std::make_index_sequence<MR * NV>());

void ukr(int64_t k, const float* ap, const float* b, int64_t ldb, float* c, int64_t rs, int64_t cs, int mr, int nr,
         bool accumulate) {
  const int v = (nr + 15) / 16;
  kTiles.f[(mr - 1) * NV + (v - 1)](k, ap, b, ldb, c, rs, cs, mr, nr, accumulate);
}

// In-register transpose: out[j] lane i = in[i] lane j, for 16 vectors of 16 floats.
inline void transpose16(__m512 r[16]) {
  __m512 t[16], u[16];
#pragma GCC unroll 8
  for (int a = 0; a < 8; a++) {
    t[2 * a] = _mm512_unpacklo_ps(r[2 * a], r[2 * a + 1]);
    t[2 * a + 1] = _mm512_unpackhi_ps(r[2 * a], r[2 * a + 1]);
  }
#pragma GCC unroll 4
  for (int q = 0; q < 4; q++) {
    u[4 * q + 0] = _mm512_shuffle_ps(t[4 * q], t[4 * q + 2], _MM_SHUFFLE(1, 0, 1, 0));
    u[4 * q + 1] = _mm512_shuffle_ps(t[4 * q], t[4 * q + 2], _MM_SHUFFLE(3, 2, 3, 2));
    u[4 * q + 2] = _mm512_shuffle_ps(t[4 * q + 1], t[4 * q + 3], _MM_SHUFFLE(1, 0, 1, 0));
    u[4 * q + 3] = _mm512_shuffle_ps(t[4 * q + 1], t[4 * q + 3], _MM_SHUFFLE(3, 2, 3, 2));
  }
#pragma GCC unroll 4
  for (int c = 0; c < 4; c++) {
    const __m512 v0 = _mm512_shuffle_f32x4(u[c], u[4 + c], 0x44), v1 = _mm512_shuffle_f32x4(u[c], u[4 + c], 0xEE);
    const __m512 v2 = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0x44), v3 = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0xEE);
    r[c] = _mm512_shuffle_f32x4(v0, v2, 0x88);
    r[4 + c] = _mm512_shuffle_f32x4(v0, v2, 0xDD);
    r[8 + c] = _mm512_shuffle_f32x4(v1, v3, 0x88);
    r[12 + c] = _mm512_shuffle_f32x4(v1, v3, 0xDD);
  }
}

// rows (≤ 16) source rows contiguous along p, ld apart → dst[p·dstride + i] = src[i·ld + p]
// for p < k, i < rows; lanes rows..min(dstride,16) of each destination row are zeroed.
void transpose_pack(const float* src, int64_t ld, int rows, int64_t k, float* dst, int64_t dstride) {
  const __mmask16 out = lanes(dstride);
  for (int64_t p0 = 0; p0 < k; p0 += 16) {
    const int64_t kk = imin(16, k - p0);
    const __mmask16 km = lanes(kk);
    __m512 r[16];
    if (p0 + 64 < k) {
      for (int i = 0; i < rows; i++) _mm_prefetch(reinterpret_cast<const char*>(src + i * ld + p0 + 64), _MM_HINT_T0);
    }
#pragma GCC unroll 16
    for (int i = 0; i < 16; i++) r[i] = i < rows ? _mm512_maskz_loadu_ps(km, src + i * ld + p0) : _mm512_setzero_ps();
    transpose16(r);
    if (kk == 16) {
#pragma GCC unroll 16
      for (int q = 0; q < 16; q++) _mm512_mask_storeu_ps(dst + (p0 + q) * dstride, out, r[q]);
    } else {
      for (int q = 0; q < kk; q++) _mm512_mask_storeu_ps(dst + (p0 + q) * dstride, out, r[q]);
    }
  }
}

// A with contiguous columns (op(A) = Aᵀ of a row-major matrix): element (i, p) at a[i + p·cs].
// Walks the source row by row (each row of Aᵀ read once, contiguously, across all the
// micro-panels) rather than panel by panel: panel by panel reads MR floats per row with a
// stride of cs floats, and for cs a multiple of 1024 every row maps to the same L1 set.
void pack_a_cols(int64_t m, int64_t k, const float* a, int64_t cs, float* dst) {
  const int64_t full = m / MR, rest = m - full * MR;
  const __mmask16 mr = lanes(MR), last = lanes(rest);
  const int64_t step = MR * k;
  for (int64_t p = 0; p < k; p++) {
    const float* src = a + p * cs;
    float* d = dst + p * MR;
    if (p + 4 < k) {
      const char* ahead = reinterpret_cast<const char*>(src + 4 * cs);
      for (int64_t b = 0; b < m * 4; b += 64) _mm_prefetch(ahead + b, _MM_HINT_T0);
    }
    int64_t q = 0;
    for (; q + 2 <= full; q += 2) {
      const __m512 v0 = _mm512_maskz_loadu_ps(mr, src + q * MR), v1 = _mm512_maskz_loadu_ps(mr, src + (q + 1) * MR);
      _mm512_mask_storeu_ps(d + q * step, mr, v0);
      _mm512_mask_storeu_ps(d + (q + 1) * step, mr, v1);
    }
    for (; q < full; q++) _mm512_mask_storeu_ps(d + q * step, mr, _mm512_maskz_loadu_ps(mr, src + q * MR));
    if (rest) _mm512_mask_storeu_ps(d + full * step, mr, _mm512_maskz_loadu_ps(last, src + full * MR));
  }
}

void pack_a(int64_t m, int64_t k, const float* a, int64_t rs, int64_t cs, float* dst) {
  if (rs == 1 && cs != 1) return pack_a_cols(m, k, a, cs, dst);
  for (int64_t i0 = 0; i0 < m; i0 += MR, dst += MR * k) {
    const int rows = int(imin(MR, m - i0));
    const float* src = a + i0 * rs;
    if (cs == 1) {
      transpose_pack(src, rs, rows, k, dst, MR);
    } else if (rs == 1) {
      const __mmask16 in = lanes(rows), out = lanes(MR);
      for (int64_t p = 0; p < k; p++) _mm512_mask_storeu_ps(dst + p * MR, out, _mm512_maskz_loadu_ps(in, src + p * cs));
    } else {
      for (int64_t p = 0; p < k; p++) {
        for (int i = 0; i < MR; i++) dst[p * MR + i] = i < rows ? src[i * rs + p * cs] : 0.0f;
      }
    }
  }
}

// B with contiguous rows: walks the source row by row (each row read once, contiguously,
// across all the panels, the row 4 ahead prefetched) rather than panel by panel.
void pack_b_rows(int64_t k, int64_t n, const float* b, int64_t rs, float* dst) {
  const int64_t full = n / NR, rest = n - full * NR;
  const int64_t step = NR * k;
  for (int64_t p = 0; p < k; p++) {
    const float* src = b + p * rs;
    float* d = dst + p * NR;
    if (p + 4 < k) {
      const char* ahead = reinterpret_cast<const char*>(src + 4 * rs);
      for (int64_t x = 0; x < n * 4; x += 64) _mm_prefetch(ahead + x, _MM_HINT_T0);
    }
    for (int64_t q = 0; q < full; q++) {
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) _mm512_storeu_ps(d + q * step + 16 * v, _mm512_loadu_ps(src + q * NR + 16 * v));
    }
    if (rest) {
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) {
        _mm512_storeu_ps(d + full * step + 16 * v, _mm512_maskz_loadu_ps(lanes(rest - 16 * v), src + full * NR + 16 * v));
      }
    }
  }
}

void pack_b(int64_t k, int64_t n, const float* b, int64_t rs, int64_t cs, float* dst) {
  if (cs == 1) return pack_b_rows(k, n, b, rs, dst);
  for (int64_t j0 = 0; j0 < n; j0 += NR, dst += NR * k) {
    const int cols = int(imin(NR, n - j0));
    const float* src = b + j0 * cs;
    if (rs == 1) {
      for (int v = 0; v < NV; v++) {
        const int rows = int(cols - 16 * v);
        if (rows <= 0) {
          for (int64_t p = 0; p < k; p++) _mm512_storeu_ps(dst + p * NR + 16 * v, _mm512_setzero_ps());
        } else {
          transpose_pack(src + 16 * v * cs, cs, rows < 16 ? rows : 16, k, dst + 16 * v, NR);
        }
      }
    } else {
      for (int64_t p = 0; p < k; p++) {
        for (int j = 0; j < NR; j++) dst[p * NR + j] = j < cols ? src[p * rs + j * cs] : 0.0f;
      }
    }
  }
}

// Lane j of the result = the sum of all lanes of x[j], j < N ≤ 16 (other lanes: 0).
template <int N>
inline __m512 reduce_lanes(const __m512* x) {
  __m512 s[8], w[4];
  const __m512 z = _mm512_setzero_ps();
#pragma GCC unroll 8
  for (int a = 0; a < 8; a++) {
    const __m512 x0 = 2 * a < N ? x[2 * a] : z, x1 = 2 * a + 1 < N ? x[2 * a + 1] : z;
    s[a] = _mm512_add_ps(_mm512_unpacklo_ps(x0, x1), _mm512_unpackhi_ps(x0, x1));
  }
#pragma GCC unroll 4
  for (int b = 0; b < 4; b++) {
    w[b] = _mm512_add_ps(_mm512_shuffle_ps(s[2 * b], s[2 * b + 1], _MM_SHUFFLE(1, 0, 1, 0)),
                         _mm512_shuffle_ps(s[2 * b], s[2 * b + 1], _MM_SHUFFLE(3, 2, 3, 2)));
  }
  const __m512 z01 = _mm512_add_ps(_mm512_shuffle_f32x4(w[0], w[1], 0x44), _mm512_shuffle_f32x4(w[0], w[1], 0xEE));
  const __m512 z23 = _mm512_add_ps(_mm512_shuffle_f32x4(w[2], w[3], 0x44), _mm512_shuffle_f32x4(w[2], w[3], 0xEE));
  return _mm512_add_ps(_mm512_shuffle_f32x4(z01, z23, 0x88), _mm512_shuffle_f32x4(z01, z23, 0xDD));
}

template <int RD, int NJ>
void dot_tile(int64_t k, const float* a, int64_t lda, const float* bt, int64_t ldbt, float* c, int64_t rs, int64_t cs) {
  __m512 acc[RD][NJ];
#pragma GCC unroll 4
  for (int r = 0; r < RD; r++) {
#pragma GCC unroll 16
    for (int j = 0; j < NJ; j++) acc[r][j] = _mm512_setzero_ps();
  }
  int64_t p = 0;
  for (; p + 16 <= k; p += 16) {
    __m512 av[RD];
#pragma GCC unroll 4
    for (int r = 0; r < RD; r++) av[r] = _mm512_loadu_ps(a + r * lda + p);
#pragma GCC unroll 16
    for (int j = 0; j < NJ; j++) {
      const __m512 bv = _mm512_loadu_ps(bt + j * ldbt + p);
#pragma GCC unroll 4
      for (int r = 0; r < RD; r++) acc[r][j] = _mm512_fmadd_ps(av[r], bv, acc[r][j]);
    }
  }
  if (p < k) {
    const __mmask16 m = lanes(k - p);
    __m512 av[RD];
#pragma GCC unroll 4
    for (int r = 0; r < RD; r++) av[r] = _mm512_maskz_loadu_ps(m, a + r * lda + p);
#pragma GCC unroll 16
    for (int j = 0; j < NJ; j++) {
      const __m512 bv = _mm512_maskz_loadu_ps(m, bt + j * ldbt + p);
#pragma GCC unroll 4
      for (int r = 0; r < RD; r++) acc[r][j] = _mm512_fmadd_ps(av[r], bv, acc[r][j]);
    }
  }
#pragma GCC unroll 4
  for (int r = 0; r < RD; r++) {
    const __m512 sums = reduce_lanes<NJ>(acc[r]);
    if (cs == 1) {
      _mm512_mask_storeu_ps(c + r * rs, lanes(NJ), sums);
    } else {
      alignas(64) float t[16];
      _mm512_store_ps(t, sums);
      for (int j = 0; j < NJ; j++) c[r * rs + j * cs] = t[j];
    }
  }
}

constexpr int kDotMaxN = 12;
using DotTile = void (*)(int64_t, const float*, int64_t, const float*, int64_t, float*, int64_t, int64_t);

template <size_t... I>
constexpr auto dot_table(std::index_sequence<I...>) {
  struct T { DotTile two[sizeof...(I)]; DotTile one[sizeof...(I)]; };
  return T{{&dot_tile<2, int(I) + 1>...}, {&dot_tile<1, int(I) + 1>...}};
}
constexpr auto kDot = dot_table(std::make_index_sequence<kDotMaxN>());

void dot(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* bt, int64_t ldbt, float* c,
         int64_t rs, int64_t cs) {
  const DotTile two = kDot.two[n - 1], one = kDot.one[n - 1];
  int64_t i = 0;
  for (; i + 2 <= m; i += 2) two(k, a + i * lda, lda, bt, ldbt, c + i * rs, rs, cs);
  if (i < m) one(k, a + i * lda, lda, bt, ldbt, c + i * rs, rs, cs);
}

// 24 chains of zmm FMAs: enough independent work to cover 4-cycle latency on 2 ports.
int64_t fma_burst(int64_t iters, float* sink) {
  constexpr int N = 24;
  __m512 acc[N];
  const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-6f);
#pragma GCC unroll 24
  for (int r = 0; r < N; r++) acc[r] = _mm512_set1_ps(float(r));
  for (int64_t it = 0; it < iters; it++) {
#pragma GCC unroll 24
    for (int r = 0; r < N; r++) acc[r] = _mm512_fmadd_ps(acc[r], a, b);
  }
  __m512 s = acc[0];
#pragma GCC unroll 24
  for (int r = 1; r < N; r++) s = _mm512_add_ps(s, acc[r]);
  *sink = _mm512_reduce_add_ps(s);
  return iters * N * 32;
}

}  // namespace

void register_avx512(Kernels& t) {
  t.name = "avx512-14x32";
  t.mr = MR;
  t.nr = NR;
  // KC: k up to 1000 runs as one slice (k = 784 in one pass over C). The B micro-panel
  // (kc×32 floats, up to 128 KB) then streams from L2 with the A micro-panel instead of
  // staying in L1 (48 KB here); at 184 bytes per 14 cycles that costs nothing, and one pass
  // over C instead of 3 took 5–15% off the CPU time of 1024×784×512 and 2048×784×256 on
  // 1 and 2 threads (AMD EPYC, family 26: 48 KB L1D, 1 MB L2 per core).
  t.kc = 800;
  t.mc = 168;
  t.nc = 4096;
  t.ukr = ukr;
  t.pack_a = pack_a;
  t.pack_b = pack_b;
  t.dot = dot;
  t.dot_max_n = kDotMaxN;
  t.fma_burst = fma_burst;
}

}  // namespace gemm
}  // namespace descent
