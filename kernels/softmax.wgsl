// softmax.wgsl — row-wise softmax or log-softmax of x viewed as [rows, cols], max-shifted.
// | out[r, j] := e^{x_rj − m_r} / Σ_k e^{x_rk − m_r}, or (LOG = 1) x_rj − m_r − ln Σ_k e^{x_rk − m_r}, m_r = max_k x_rk.
// | @binding 0 x, 1 out (rw), 2 P {rows, cols, xoff}
// | entry per_row: one invocation per row (small cols); entry per_group: one workgroup per row, the three passes
// |   (max, Σ, write) strided over the row by WG invocations with a pairwise combine in workgroup memory.
// | overrides: WG (per_group: a power of two ≤ 256; per_row: 64), WG_LEN = WG; LOG 0/1.
// | dispatch: per_row ⌈rows/WG⌉ as (x, y); per_group rows as (x, y) (row = wid.y·nwg.x + wid.x).
// | edges: exp_/log_ from math.wgsl; Σ is compensated (Neumaier), error ≲ (log2 WG + 4)·u; a row of −inf gives NaN
// |   like the reference (−inf − (−inf)); cols = 0 writes nothing.
//! include math.wgsl

override WG: u32 = 64u;
override WG_LEN: u32 = 64u;
override LOG: u32 = 0u;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> P: vec4<u32>;

var<workgroup> red: array<f32, WG_LEN>;

fn max_nan(a: f32, b: f32) -> f32 {
  if (is_nan_(a) || is_nan_(b)) { return nan_(); }
  return max(a, b);
}

/** Neumaier step: (s, c) + v. */
fn kahan(s: vec2<f32>, v: f32) -> vec2<f32> {
  let t = s.x + v;
  var c = s.y;
  if (abs(s.x) >= abs(v)) { c += (s.x - t) + v; } else { c += (v - t) + s.x; }
  return vec2<f32>(t, c);
}

fn finish(v: f32, m: f32, z: f32, lz: f32) -> f32 {
  if (LOG == 1u) { return (v - m) - lz; }
  return exp_(v - m) / z;
}

@compute @workgroup_size(WG)
fn per_row(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let rows = P.x;
  let cols = P.y;
  let r = (wid.y * nwg.x + wid.x) * WG + lid;
  if (r >= rows) { return; }
  let base = P.z + r * cols;
  var m = -inf_();
  for (var j = 0u; j < cols; j++) { m = max_nan(m, x[base + j]); }
  var s = vec2<f32>(0.0, 0.0);
  for (var j = 0u; j < cols; j++) { s = kahan(s, exp_(x[base + j] - m)); }
  let z = s.x + s.y;
  let lz = log_(z);
  for (var j = 0u; j < cols; j++) { out[r * cols + j] = finish(x[base + j], m, z, lz); }
}

fn tree_max(lid: u32) {
  for (var w = WG / 2u; w > 0u; w = w / 2u) {
    workgroupBarrier();
    if (lid < w) { red[lid] = max_nan(red[lid], red[lid + w]); }
  }
  workgroupBarrier();
}

fn tree_sum(lid: u32) {
  for (var w = WG / 2u; w > 0u; w = w / 2u) {
    workgroupBarrier();
    if (lid < w) { red[lid] = red[lid] + red[lid + w]; }
  }
  workgroupBarrier();
}

@compute @workgroup_size(WG)
fn per_group(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let rows = P.x;
  let cols = P.y;
  let r = wid.y * nwg.x + wid.x;
  let valid = r < rows;
  let base = P.z + r * cols;
  var m = -inf_();
  if (valid) {
    for (var j = lid; j < cols; j += WG) { m = max_nan(m, x[base + j]); }
  }
  red[lid] = m;
  tree_max(lid);
  m = red[0];
  workgroupBarrier();
  var s = vec2<f32>(0.0, 0.0);
  if (valid) {
    for (var j = lid; j < cols; j += WG) { s = kahan(s, exp_(x[base + j] - m)); }
  }
  red[lid] = s.x + s.y;
  tree_sum(lid);
  let z = red[0];
  let lz = log_(z);
  if (valid) {
    for (var j = lid; j < cols; j += WG) { out[r * cols + j] = finish(x[base + j], m, z, lz); }
  }
}
