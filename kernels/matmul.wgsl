// matmul.wgsl — C[b] := act(op(A[b])·op(B[b]) + bias), workgroup-memory tiles with a TM×TN register block per invocation.
// | A[b] starts at offA + b·strideA (strideA = 0 shares A), op(A) = Aᵀ when TRANS_A (A stored K×M); B likewise.
// | entry main: @binding 0 A (f32), 1 A (the same buffer as vec4), 2 B (f32), 3 B (vec4), 4 bias, 5 C (rw),
// |   6 P {M, N, K, batch | offA, offB, strideA, strideB | kChunk, splits, offBias, offC} (elements).
// | entry splitk_sum: C[offC + b·M·N + e] := act(Σ_s part[(b·splits + s)·M·N + e] + bias) after a SPLIT pass of main or of
// |   matmul_subgroup.wgsl. @binding 0 part, 1 bias, 2 C (rw), 3 P (as above); one invocation per element, 64 per
// |   workgroup, ⌈batch·M·N/64⌉ workgroups as (x, y).
// | overrides: TM, TN ∈ {4, 8}: outputs per invocation along rows and columns; the workgroup is 16×16 invocations, so
// |   a tile is 16·TM × 16·TN outputs; K advances by KT (the host passes 16; 32 passed the tests and was slower on
// |   the H200); AS_LEN = 4·TM·KT and BS_LEN = 4·TN·KT (vec4 lengths of the workgroup tiles, 16 KiB together at
// |   TM = TN = 8, KT = 16); TRANS_A, TRANS_B ∈ {0, 1}; VEC_A, VEC_B ∈ {0, 1}: 1 when the
// |   operand's contiguous dimension, its offset and its batch stride are multiples of 4, so that its tile loads are
// |   vec4 loads; HAS_BIAS ∈ {0, 1}; ACT: 0 none 1 relu 2 tanh 3 sigmoid 4 gelu; SPLIT ∈ {0, 1} (raw partial sums per
// |   K-slice, written to C[(z·M + r)·N + c]); TRANS_C ∈ {0, 1} (store Cᵀ; the bias runs along rows).
// | dispatch main (⌈N/(16·TN)⌉, ⌈M/(16·TM)⌉, batch·splits), z = b·splits + s, slice s covers k ∈ [s·kChunk, min(K, (s+1)·kChunk)),
// |   kChunk a multiple of KT.
// | blocking: invocation (tx, ty) owns rows 16·TM·wid.y + TM·ty + (0..TM−1) and columns 16·TN·wid.x + 4tx + 64j + (0..3)
// |   (j < TN/4). The tiles are stored k-major as vec4s along rows (As[kk][r/4]) and columns (Bs[kk][c/4]), so each
// |   step of k reads TM/4 + TN/4 vec4s from workgroup memory for TM·TN FMAs (A: one address per half-warp, a
// |   broadcast; B: consecutive vec4s). Each invocation loads TM·KT/64 (TN·KT/64) vec4s of the next tile into registers before
// |   the FMAs of the current one (one tile in workgroup memory, global loads in flight during the FMAs). A tile is
// |   loaded as 4 consecutive elements along the operand's contiguous dimension per invocation: along rows (Aᵀ, B) the
// |   vec4 is stored whole; along k (A, Bᵀ) neighbouring invocations take neighbouring rows and store the 4 values to
// |   4 k-rows of the tile (consecutive addresses across a warp: no bank conflicts).
// | edges: tile loads outside M, N or the slice read 0 (a vec4 load is all inside or all outside, since the
// |   contiguous dimension is a multiple of 4); outputs outside M×N are not stored.
//! include math.wgsl

override TM: u32 = 4u;
override TN: u32 = 4u;
override AS_LEN: u32 = 256u;
override BS_LEN: u32 = 256u;
override TRANS_A: u32 = 0u;
override TRANS_B: u32 = 0u;
override VEC_A: u32 = 0u;
override VEC_B: u32 = 0u;
override HAS_BIAS: u32 = 0u;
override ACT: u32 = 0u;
override SPLIT: u32 = 0u;
override TRANS_C: u32 = 0u;

override KT: u32 = 16u;

@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read> A4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<storage, read> B4: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;
@group(0) @binding(5) var<storage, read_write> C: array<f32>;
@group(0) @binding(6) var<uniform> P: array<vec4<u32>, 3>;

@group(0) @binding(0) var<storage, read> part: array<f32>;
@group(0) @binding(1) var<storage, read> s_bias: array<f32>;
@group(0) @binding(2) var<storage, read_write> s_out: array<f32>;
@group(0) @binding(3) var<uniform> s_p: array<vec4<u32>, 3>;

// As[kk·16TM/4 + r/4] holds op(A) rows r..r+3 of the tile at k = k0 + kk; Bs likewise for columns.
var<workgroup> As: array<vec4<f32>, AS_LEN>;
var<workgroup> Bs: array<vec4<f32>, BS_LEN>;

fn act(x: f32) -> f32 {
  switch (ACT) {
    case 1u: { return select(0.0, x, x > 0.0 || is_nan_(x)); }
    case 2u: { return tanh_(x); }
    case 3u: { return sigmoid_(x); }
    case 4u: { return gelu_(x); }
    default: { return x; }
  }
}

// Run e of invocation lid of the op(A) tile at k0: 4 consecutive elements along A's contiguous dimension (rows when
// TRANS_A, else k), 0 outside the matrix or the slice. Runs are numbered v = lid + 256e: v = kk·(tile_m/4) + r/4 along
// rows, v = (k/4)·tile_m + r along k.
fn tile_a(v: u32, k0: u32, k_end: u32, row0: u32, base: u32, M: u32, K: u32) -> vec4<f32> {
  let tile_m = 16u * TM;
  var out = vec4<f32>(0.0);
  if (TRANS_A == 1u) {
    let r = row0 + 4u * (v % (tile_m / 4u));
    let k = k0 + v / (tile_m / 4u);
    let i = base + k * M + r;
    if (k < k_end && r < M) {
      if (VEC_A == 1u) { out = A4[i / 4u]; } else { for (var q = 0u; q < 4u; q++) { if (r + q < M) { out[q] = A[i + q]; } } }
    }
  } else {
    let r = row0 + v % tile_m;
    let k = k0 + 4u * (v / tile_m);
    let i = base + r * K + k;
    if (k < k_end && r < M) {
      if (VEC_A == 1u) { out = A4[i / 4u]; } else { for (var q = 0u; q < 4u; q++) { if (k + q < k_end) { out[q] = A[i + q]; } } }
    }
  }
  return out;
}

// The same for op(B): along columns when !TRANS_B (v = kk·(tile_n/4) + c/4), else along k (v = (k/4)·tile_n + c).
fn tile_b(v: u32, k0: u32, k_end: u32, col0: u32, base: u32, N: u32, K: u32) -> vec4<f32> {
  let tile_n = 16u * TN;
  var out = vec4<f32>(0.0);
  if (TRANS_B == 0u) {
    let c = col0 + 4u * (v % (tile_n / 4u));
    let k = k0 + v / (tile_n / 4u);
    let i = base + k * N + c;
    if (k < k_end && c < N) {
      if (VEC_B == 1u) { out = B4[i / 4u]; } else { for (var q = 0u; q < 4u; q++) { if (c + q < N) { out[q] = B[i + q]; } } }
    }
  } else {
    let c = col0 + v % tile_n;
    let k = k0 + 4u * (v / tile_n);
    let i = base + c * K + k;
    if (k < k_end && c < N) {
      if (VEC_B == 1u) { out = B4[i / 4u]; } else { for (var q = 0u; q < 4u; q++) { if (k + q < k_end) { out[q] = B[i + q]; } } }
    }
  }
  return out;
}

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid3: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let M = P[0].x;
  let N = P[0].y;
  let K = P[0].z;
  let splits = P[2].y;
  let z = wid.z;
  let b = z / splits;
  let slice = z - b * splits;
  let baseA = P[1].x + b * P[1].z;
  let baseB = P[1].y + b * P[1].w;
  let k_begin = slice * P[2].x;
  let k_end = min(K, k_begin + P[2].x);
  let tile_m = 16u * TM;
  let tile_n = 16u * TN;
  let row0 = wid.y * tile_m;
  let col0 = wid.x * tile_n;
  let tx = lid3.x;
  let ty = lid3.y;
  let rq = tile_m / 4u;
  let cq = tile_n / 4u;

  // Registers holding the next tile: TM·KT/64 (TN·KT/64) runs of 4 elements per invocation.
  let runs_a = TM * KT / 64u;
  let runs_b = TN * KT / 64u;
  var ra: array<vec4<f32>, 4>;
  var rb: array<vec4<f32>, 4>;
  var acc: array<vec4<f32>, 16>;
  for (var e = 0u; e < runs_a; e++) { ra[e] = tile_a(lid + 256u * e, k_begin, k_end, row0, baseA, M, K); }
  for (var e = 0u; e < runs_b; e++) { rb[e] = tile_b(lid + 256u * e, k_begin, k_end, col0, baseB, N, K); }
  for (var k0 = k_begin; k0 < k_end; k0 += KT) {
    // Registers → workgroup memory: a run along rows (columns) is one vec4; a run along k goes to 4 k-rows.
    for (var e = 0u; e < runs_a; e++) {
      let v = lid + 256u * e;
      if (TRANS_A == 1u) { As[v] = ra[e]; } else {
        let r = v % tile_m;
        let kq = v / tile_m;
        for (var q = 0u; q < 4u; q++) { As[(4u * kq + q) * rq + r / 4u][r % 4u] = ra[e][q]; }
      }
    }
    for (var e = 0u; e < runs_b; e++) {
      let v = lid + 256u * e;
      if (TRANS_B == 0u) { Bs[v] = rb[e]; } else {
        let c = v % tile_n;
        let kq = v / tile_n;
        for (var q = 0u; q < 4u; q++) { Bs[(4u * kq + q) * cq + c / 4u][c % 4u] = rb[e][q]; }
      }
    }
    workgroupBarrier();
    // The next tile's global loads are issued before this tile's FMAs.
    let k1 = k0 + KT;
    if (k1 < k_end) {
      for (var e = 0u; e < runs_a; e++) { ra[e] = tile_a(lid + 256u * e, k1, k_end, row0, baseA, M, K); }
      for (var e = 0u; e < runs_b; e++) { rb[e] = tile_b(lid + 256u * e, k1, k_end, col0, baseB, N, K); }
    }
    for (var kk = 0u; kk < KT; kk++) {
      var av: array<vec4<f32>, 2>;
      for (var i = 0u; i < TM / 4u; i++) { av[i] = As[kk * rq + ty * (TM / 4u) + i]; }
      for (var j = 0u; j < TN / 4u; j++) {
        let bv = Bs[kk * cq + tx + 16u * j];
        for (var i = 0u; i < TM; i++) { acc[i * 2u + j] = fma(vec4<f32>(av[i / 4u][i % 4u]), bv, acc[i * 2u + j]); }
      }
    }
    workgroupBarrier();
  }

  for (var i = 0u; i < TM; i++) {
    let row = row0 + ty * TM + i;
    if (row >= M) { break; }
    for (var j = 0u; j < TN / 4u; j++) {
      for (var q = 0u; q < 4u; q++) {
        let c = col0 + 4u * tx + 64u * j + q;
        if (c >= N) { break; }
        var v = acc[i * 2u + j][q];
        if (SPLIT == 1u) {
          C[(z * M + row) * N + c] = v;
        } else {
          if (HAS_BIAS == 1u) { v = v + bias[P[2].z + select(c, row, TRANS_C == 1u)]; }
          v = act(v);
          if (TRANS_C == 1u) { C[P[2].w + b * M * N + c * M + row] = v; } else { C[P[2].w + b * M * N + row * N + c] = v; }
        }
      }
    }
  }
}

@compute @workgroup_size(64)
fn splitk_sum(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let M = s_p[0].x;
  let N = s_p[0].y;
  let batch = s_p[0].w;
  let splits = s_p[2].y;
  let t = (wid.y * nwg.x + wid.x) * 64u + lid;
  let mn = M * N;
  if (t >= batch * mn) { return; }
  let b = t / mn;
  let e = t - b * mn;
  var v = 0.0;
  for (var s = 0u; s < splits; s++) { v = v + part[(b * splits + s) * mn + e]; }
  let row = e / N;
  let c = e - row * N;
  if (HAS_BIAS == 1u) { v = v + s_bias[s_p[2].z + select(c, row, TRANS_C == 1u)]; }
  v = act(v);
  if (TRANS_C == 1u) { s_out[s_p[2].w + b * mn + c * M + row] = v; } else { s_out[s_p[2].w + t] = v; }
}
