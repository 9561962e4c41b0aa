// gather.wgsl — gather along the middle axis and its adjoint scatter-add, 32-bit elements.
// | gather:  out[o, j, i] := x[o, idx[j], i], x viewed as [outer, n, inner], idx int32 [m], out [outer, m, inner].
// |          @binding 0 x, 1 idx, 2 out (rw), 3 status (atomic), 4 P {outer, n, inner, m, xoff, idxoff, tag}
// | scatter_links: for each j, first[j] := no j' < j has idx[j'] = idx[j]; next[j] := the least j' > j with
// |          idx[j'] = idx[j], or 0xffffffff. @binding 0 idx, 1 links (rw, [2m]: first, next), 2 status, 3 P.
// | scatter_sum: out[o, idx[j], i] := Σ over the chain j → next[j] → … of src[o, ·, i], in increasing j, for
// |          each first j; out must be zeroed. @binding 0 src, 1 idx, 2 links, 3 out (rw), 4 P {outer, m, inner, n, srcoff, idxoff}.
// | overrides: WG (64); DTYPE 0 float32, 1 int32 (scatter_sum's additions; gather copies bits).
// | dispatch: gather outer·m·inner, scatter_links m, scatter_sum outer·m·inner invocations, each ⌈·/WG⌉ as (x, y).
// | edges: an index outside [0, n) writes 0 (gather) or is skipped (scatter), and is reported through status
// |   {count, position, value, tag} (the first one wins) for the host to raise a RangeError. scatter_links costs
// |   O(m²) comparisons (fine for index vectors up to a few thousand); sums follow the reference's order exactly.

override WG: u32 = 64u;
override DTYPE: u32 = 0u;

const NONE: u32 = 0xffffffffu;

@group(0) @binding(0) var<storage, read> g_x: array<u32>;
@group(0) @binding(1) var<storage, read> g_idx: array<i32>;
@group(0) @binding(2) var<storage, read_write> g_out: array<u32>;
@group(0) @binding(3) var<storage, read_write> g_status: array<atomic<u32>, 4>;
@group(0) @binding(4) var<uniform> g_p: array<vec4<u32>, 2>;

@group(0) @binding(0) var<storage, read> l_idx: array<i32>;
@group(0) @binding(1) var<storage, read_write> l_links: array<u32>;
@group(0) @binding(2) var<storage, read_write> l_status: array<atomic<u32>, 4>;
@group(0) @binding(3) var<uniform> l_p: array<vec4<u32>, 2>;

@group(0) @binding(0) var<storage, read> s_src: array<u32>;
@group(0) @binding(1) var<storage, read> s_idx: array<i32>;
@group(0) @binding(2) var<storage, read> s_links: array<u32>;
@group(0) @binding(3) var<storage, read_write> s_out: array<u32>;
@group(0) @binding(4) var<uniform> s_p: array<vec4<u32>, 2>;

fn element(wid: vec3<u32>, nwg: vec3<u32>, lid: u32) -> u32 {
  return (wid.y * nwg.x + wid.x) * WG + lid;
}

@compute @workgroup_size(WG)
fn gather(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let outer = g_p[0].x;
  let n = g_p[0].y;
  let inner = g_p[0].z;
  let m = g_p[0].w;
  let e = element(wid, nwg, lid);
  if (e >= outer * m * inner) { return; }
  let i = e % inner;
  let oj = e / inner;
  let j = oj % m;
  let o = oj / m;
  let r = g_idx[g_p[1].y + j];
  if (r < 0 || u32(r) >= n) {
    if (atomicAdd(&g_status[0], 1u) == 0u) {
      atomicStore(&g_status[1], j);
      atomicStore(&g_status[2], bitcast<u32>(r));
      atomicStore(&g_status[3], g_p[1].z);
    }
    g_out[e] = 0u;
    return;
  }
  g_out[e] = g_x[g_p[1].x + (o * n + u32(r)) * inner + i];
}

@compute @workgroup_size(WG)
fn scatter_links(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let m = l_p[0].y;
  let n = l_p[0].w;
  let j = element(wid, nwg, lid);
  if (j >= m) { return; }
  let base = l_p[1].y;
  let r = l_idx[base + j];
  if (r < 0 || u32(r) >= n) {
    if (atomicAdd(&l_status[0], 1u) == 0u) {
      atomicStore(&l_status[1], j);
      atomicStore(&l_status[2], bitcast<u32>(r));
      atomicStore(&l_status[3], l_p[1].z);
    }
    l_links[2u * j] = 0u;
    l_links[2u * j + 1u] = NONE;
    return;
  }
  var first = 1u;
  for (var k = 0u; k < j; k++) {
    if (l_idx[base + k] == r) { first = 0u; break; }
  }
  var next = NONE;
  for (var k = j + 1u; k < m; k++) {
    if (l_idx[base + k] == r) { next = k; break; }
  }
  l_links[2u * j] = first;
  l_links[2u * j + 1u] = next;
}

@compute @workgroup_size(WG)
fn scatter_sum(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let outer = s_p[0].x;
  let m = s_p[0].y;
  let inner = s_p[0].z;
  let n = s_p[0].w;
  let e = element(wid, nwg, lid);
  if (e >= outer * m * inner) { return; }
  let i = e % inner;
  let oj = e / inner;
  let j = oj % m;
  let o = oj / m;
  if (s_links[2u * j] == 0u) { return; }
  let r = u32(s_idx[s_p[1].y + j]);
  var k = j;
  var sf = 0.0;
  var si = 0;
  loop {
    let v = s_src[s_p[1].x + (o * m + k) * inner + i];
    if (DTYPE == 1u) { si = si + bitcast<i32>(v); } else { sf = sf + bitcast<f32>(v); }
    k = s_links[2u * k + 1u];
    if (k == NONE) { break; }
  }
  s_out[(o * n + r) * inner + i] = select(bitcast<u32>(sf), bitcast<u32>(si), DTYPE == 1u);
}
