// matmul.wgsl — C[b] := act(op(A[b])·op(B[b]) + bias), workgroup-memory tiles with a TM×TN register block per invocation.
// | A[b] starts at offA + b·strideA (strideA = 0 shares A), op(A) = Aᵀ when TRANS_A (A stored K×M); B likewise.
// | entry main: @binding 0 A, 1 B, 2 bias, 3 C (rw), 4 P {M, N, K, batch | offA, offB, strideA, strideB |
// |   kChunk, splits, offBias, offC} (elements).
// | entry splitk_sum: C[offC + b·M·N + e] := act(Σ_s part[(b·splits + s)·M·N + e] + bias) after a SPLIT pass of main or of
// |   matmul_subgroup.wgsl. @binding 0 part, 1 bias, 2 C (rw), 3 P (as above); one invocation per element, 64 per
// |   workgroup, ⌈batch·M·N/64⌉ workgroups as (x, y).
// | overrides: TM, TN ∈ {4, 8}: outputs per invocation along rows and columns; the workgroup is 16×16 invocations, so
// |   a tile is 16·TM × 16·TN outputs; K advances by KT = 16; AS_LEN = 16·TM·KT/4 and BS_LEN = 16·TN·KT/4 (vec4 lengths of
// |   the workgroup tiles, ≤ 16 KiB together); TRANS_A, TRANS_B ∈ {0, 1}; HAS_BIAS ∈ {0, 1}; ACT: 0 none 1 relu 2 tanh
// |   3 sigmoid 4 gelu; SPLIT ∈ {0, 1} (raw partial sums per K-slice, written to C[(z·M + r)·N + c]); TRANS_C ∈ {0, 1}
// |   (store Cᵀ; the bias runs along rows).
// | dispatch main (⌈N/(16·TN)⌉, ⌈M/(16·TM)⌉, batch·splits), z = b·splits + s, slice s covers k ∈ [s·kChunk, min(K, (s+1)·kChunk)).
// | edges: tile loads outside M, N or the slice read 0; outputs outside M×N are not stored. Tile loads are laid out so
// |   that neighbouring invocations read neighbouring addresses for every transpose case. Invocation (tx, ty) owns rows
// |   ty + 16i (i < TM) and columns 4tx + 64j + (0..3) (j < TN/4), so its reads of the tiles are vec4s.
//! include math.wgsl

override TM: u32 = 4u;
override TN: u32 = 4u;
override AS_LEN: u32 = 256u;
override BS_LEN: u32 = 256u;
override TRANS_A: u32 = 0u;
override TRANS_B: u32 = 0u;
override HAS_BIAS: u32 = 0u;
override ACT: u32 = 0u;
override SPLIT: u32 = 0u;
override TRANS_C: u32 = 0u;

const KT: u32 = 16u;

@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read> B: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> C: array<f32>;
@group(0) @binding(4) var<uniform> P: array<vec4<u32>, 3>;

@group(0) @binding(0) var<storage, read> part: array<f32>;
@group(0) @binding(1) var<storage, read> s_bias: array<f32>;
@group(0) @binding(2) var<storage, read_write> s_out: array<f32>;
@group(0) @binding(3) var<uniform> s_p: array<vec4<u32>, 3>;

// As[k][r] and Bs[k][c]: 16·TM (16·TN) floats per k, as vec4s.
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

  // acc[i·2 + j] holds row ty + 16i, columns 4tx + 64j + (0..3) of the tile.
  var acc: array<vec4<f32>, 16>;
  for (var k0 = k_begin; k0 < k_end; k0 += KT) {
    // Load a (16·TM)×KT tile of op(A) and a KT×(16·TN) tile of op(B), TM·KT/16 and TN·KT/16 elements per invocation.
    for (var e = 0u; e < TM; e++) {
      let t = lid + 256u * e;
      var r: u32;
      var kk: u32;
      if (TRANS_A == 1u) { r = t % tile_m; kk = t / tile_m; } else { kk = t % KT; r = t / KT; }
      let gr = row0 + r;
      let gk = k0 + kk;
      var v = 0.0;
      if (gr < M && gk < k_end) {
        if (TRANS_A == 1u) { v = A[baseA + gk * M + gr]; } else { v = A[baseA + gr * K + gk]; }
      }
      As[kk * rq + r / 4u][r % 4u] = v;
    }
    for (var e = 0u; e < TN; e++) {
      let t = lid + 256u * e;
      var c: u32;
      var kk: u32;
      if (TRANS_B == 1u) { kk = t % KT; c = t / KT; } else { c = t % tile_n; kk = t / tile_n; }
      let gc = col0 + c;
      let gk = k0 + kk;
      var w = 0.0;
      if (gc < N && gk < k_end) {
        if (TRANS_B == 1u) { w = B[baseB + gc * K + gk]; } else { w = B[baseB + gk * N + gc]; }
      }
      Bs[kk * cq + c / 4u][c % 4u] = w;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < KT; kk++) {
      // Row ty + 16i of the tile lives in As[kk][(ty + 16i)/4], component (ty + 16i) % 4 = ty % 4.
      var a: array<f32, 8>;
      for (var i = 0u; i < TM; i++) { a[i] = As[kk * rq + (ty + 16u * i) / 4u][ty % 4u]; }
      for (var j = 0u; j < TN / 4u; j++) {
        let bv = Bs[kk * cq + tx + 16u * j];
        for (var i = 0u; i < TM; i++) { acc[i * 2u + j] = acc[i * 2u + j] + a[i] * bv; }
      }
    }
    workgroupBarrier();
  }

  for (var i = 0u; i < TM; i++) {
    let row = row0 + ty + 16u * i;
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
