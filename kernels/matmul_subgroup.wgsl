// matmul_subgroup.wgsl — C[b] := act(op(A[b])·op(B[b]) + bias), register-blocked, operands shared through subgroup shuffles.
// | A[b] starts at offA + b·strideA (strideA = 0 shares A), op(A) = Aᵀ when TRANS_A (A stored K×M); B likewise.
// | @binding 0 A (f32), 1 A (the same buffer as vec4), 2 B (f32), 3 B (vec4), 4 bias, 5 C (rw), 6 P {M, N, K, batch |
// |   offA, offB, strideA, strideB | kChunk, splits, offBias, offC} (elements).
// | overrides: SG = the device's (fixed) subgroup size; WG = invocations per workgroup, a multiple of SG; R rows per
// |   subgroup ∈ {4, 8, 12, 16}; TRANS_A, TRANS_B ∈ {0, 1}; VEC_A, VEC_B ∈ {0, 1}: 1 allows vec4 loads (the operand's
// |   contiguous dimension and offset are multiples of 4); HAS_BIAS ∈ {0, 1}; ACT: 0 none 1 relu 2 tanh 3 sigmoid
// |   4 gelu; SPLIT ∈ {0, 1}: write raw partial sums of K-slices (no bias, no act) for matmul.wgsl:splitk_sum;
// |   TRANS_C ∈ {0, 1}: store C transposed (the host computes Cᵀ = op(B)ᵀ·op(A)ᵀ when N is small), the bias then
// |   runs along the kernel's rows.
// | blocking: lane l of a subgroup owns columns 4l..4l+3 of the workgroup's WG·4 columns and all R rows; per step of
// |   4·SG values of k each lane loads a 4×4 block of op(A) for each 4 rows (k = k0 + 4l..4l+3) and the subgroup
// |   shuffles them, so every element of A and B is loaded once per subgroup (loads, not FLOPs, bound lavapipe).
// | dispatch (⌈N/(4·WG)⌉, ⌈M/R⌉, batch·splits); z = b·splits + s; slice s covers k ∈ [s·kChunk, min(K, (s+1)·kChunk)).
// | edges: rows/columns past M/N read clamped (valid) addresses and are not stored; k past K reads as 0.
//   SPLIT writes C[(z·M + r)·N + c]; otherwise C[offC + b·M·N + r·N + c] (TRANS_C: C[offC + b·M·N + c·M + r]).
enable subgroups;
//! include math.wgsl

override SG: u32 = 8u;
override WG: u32 = 32u;
override R: u32 = 8u;
override TRANS_A: u32 = 0u;
override TRANS_B: u32 = 0u;
override VEC_A: u32 = 0u;
override VEC_B: u32 = 0u;
override HAS_BIAS: u32 = 0u;
override ACT: u32 = 0u;
override SPLIT: u32 = 0u;
override TRANS_C: u32 = 0u;

@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read> A4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<storage, read> B4: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;
@group(0) @binding(5) var<storage, read_write> C: array<f32>;
@group(0) @binding(6) var<uniform> P: array<vec4<u32>, 3>;

/** op(A)[row + i][k + c] for i, c < 4 (rows clamped to M − 1, k ≥ kEnd read as 0); K is A's k-extent. */
fn load_a(base: u32, row: u32, k: u32, M: u32, K: u32, kEnd: u32) -> array<vec4<f32>, 4> {
  var blk: array<vec4<f32>, 4>;
  if (TRANS_A == 0u) {
    for (var i = 0u; i < 4u; i++) {
      let r = min(row + i, M - 1u);
      if (VEC_A == 1u) {
        blk[i] = select(vec4<f32>(0.0), A4[(base + r * K + min(k, K - 4u)) / 4u], k < kEnd);
      } else {
        for (var c = 0u; c < 4u; c++) {
          blk[i][c] = select(0.0, A[base + r * K + min(k + c, K - 1u)], k + c < kEnd);
        }
      }
    }
  } else {
    for (var c = 0u; c < 4u; c++) {
      let kc = min(k + c, K - 1u);
      if (VEC_A == 1u) {
        let v = select(vec4<f32>(0.0), A4[(base + kc * M + min(row, M - 4u)) / 4u], k + c < kEnd);
        for (var i = 0u; i < 4u; i++) { blk[i][c] = v[i]; }
      } else {
        for (var i = 0u; i < 4u; i++) {
          blk[i][c] = select(0.0, A[base + kc * M + min(row + i, M - 1u)], k + c < kEnd);
        }
      }
    }
  }
  return blk;
}

/** op(B)[k + kk][col + j] for kk, j < 4 (columns clamped to N − 1, k ≥ kEnd read as 0); K is B's k-extent. */
fn load_b(base: u32, k: u32, col: u32, N: u32, K: u32, kEnd: u32) -> array<vec4<f32>, 4> {
  var blk: array<vec4<f32>, 4>;
  if (TRANS_B == 0u) {
    for (var kk = 0u; kk < 4u; kk++) {
      let kr = min(k + kk, K - 1u);
      if (VEC_B == 1u) {
        blk[kk] = select(vec4<f32>(0.0), B4[(base + kr * N + min(col, N - 4u)) / 4u], k + kk < kEnd);
      } else {
        for (var j = 0u; j < 4u; j++) {
          blk[kk][j] = select(0.0, B[base + kr * N + min(col + j, N - 1u)], k + kk < kEnd);
        }
      }
    }
  } else {
    for (var j = 0u; j < 4u; j++) {
      let c = min(col + j, N - 1u);
      if (VEC_B == 1u) {
        let v = select(vec4<f32>(0.0), B4[(base + c * K + min(k, K - 4u)) / 4u], k < kEnd);
        for (var kk = 0u; kk < 4u; kk++) { blk[kk][j] = v[kk]; }
      } else {
        for (var kk = 0u; kk < 4u; kk++) {
          blk[kk][j] = select(0.0, B[base + c * K + min(k + kk, K - 1u)], k + kk < kEnd);
        }
      }
    }
  }
  return blk;
}

fn act(x: f32) -> f32 {
  switch (ACT) {
    case 1u: { return select(0.0, x, x > 0.0 || is_nan_(x)); }
    case 2u: { return tanh_(x); }
    case 3u: { return sigmoid_(x); }
    case 4u: { return gelu_(x); }
    default: { return x; }
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32, @builtin(subgroup_invocation_id) lane: u32) {
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
  let row0 = wid.y * R;
  let col = (wid.x * WG + lid) * 4u;

  var acc: array<vec4<f32>, 16>;
  for (var r = 0u; r < R; r++) { acc[r] = vec4<f32>(0.0); }
  var af: array<array<vec4<f32>, 4>, 4>;

  for (var k0 = k_begin; k0 < k_end; k0 += 4u * SG) {
    // Each lane loads op(A)[row0 .. row0+R) × [k0 + 4·lane, +4).
    for (var q = 0u; q < R / 4u; q++) { af[q] = load_a(baseA, row0 + 4u * q, k0 + 4u * lane, M, K, k_end); }
    // Step through the subgroup's k-quads: B from memory, A from lane s by shuffle.
    for (var s = 0u; s < SG; s++) {
      let kq = k0 + 4u * s;
      if (kq >= k_end) { break; }
      let bb = load_b(baseB, kq, col, N, K, k_end);
      for (var q = 0u; q < R / 4u; q++) {
        for (var i = 0u; i < 4u; i++) {
          let a = subgroupShuffle(af[q][i], s);
          let r = 4u * q + i;
          acc[r] = acc[r] + a.x * bb[0] + a.y * bb[1] + a.z * bb[2] + a.w * bb[3];
        }
      }
    }
  }

  if (col >= N) { return; }
  for (var r = 0u; r < R; r++) {
    let row = row0 + r;
    if (row >= M) { break; }
    for (var j = 0u; j < 4u; j++) {
      let c = col + j;
      if (c >= N) { break; }
      var v = acc[r][j];
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
