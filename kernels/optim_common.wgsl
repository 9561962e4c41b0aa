// optim_common.wgsl — what the step kernels optim_<family>.wgsl share; include it with a line
// `//! include optim_common.wgsl`; it has no entry points. A step updates the arena p [R·size]
// in place from g, one invocation per element, with the record of the element's (replica, group).
// | @binding 0 p (rw) 1 g 2 tables 3 norms; the including file declares its state bindings s0… (rw) from 4, then
// |   `dims: Dims` (uniform: total, size, groups, element offsets of p g s0 s1 s2 norms, records) at the next
// |   binding, and `const K: u32` (its record length)
// | tables: the G + 1 group bounds (u32), then the [R·G·K] records (f32 bits); norms [R·G] squared group norms
// | records: field 0 is clip; at(e) reads weightDecay from field 2: g′ = s·g + weightDecay·p with s the replica's clip scale
// | overrides: WG (workgroup size, default 64)
// | dispatch ⌈n/WG⌉ workgroups, split over x and y when x would pass 65535; element = gid.x + gid.y·nwg.x·WG

@group(0) @binding(0) var<storage, read_write> p: array<f32>;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read> tables: array<u32>;
@group(0) @binding(3) var<storage, read> norms: array<f32>;

struct Dims {
  total: u32,   // replicas·size
  size: u32,
  groups: u32,
  p_off: u32,
  g_off: u32,
  s0_off: u32,
  s1_off: u32,
  s2_off: u32,
  n_off: u32,
  records: u32, // replicas·groups
}

override WG: u32 = 64u;

/** The element handled by this invocation (2-D dispatch, rows of num_workgroups.x·WG). */
fn element(gid: vec3u, nwg: vec3u) -> u32 {
  return gid.x + gid.y * nwg.x * WG;
}

/** Field i of the records: f32 bits after the G + 1 bounds in tables. */
fn hyp(i: u32) -> f32 {
  return bitcast<f32>(tables[dims.groups + 1u + i]);
}

/** The group j of in-replica index k: the last j with bounds[j] ≤ k (linear scan; G is small). */
fn group_of(k: u32) -> u32 {
  var j = 0u;
  loop {
    if (j + 1u >= dims.groups || k < tables[j + 1u]) { break; }
    j = j + 1u;
  }
  return j;
}

/** The record r·G + j of element e (replica r, group j). */
fn record_of(e: u32) -> u32 {
  let r = e / dims.size;
  return r * dims.groups + group_of(e - r * dims.size);
}

/** Replica r's clipping scale min(1, clip / (√Σ_j norms[r·G + j] + 1e-6)); 1 when clip = 0. */
fn clip_scale(r: u32, clip: f32) -> f32 {
  if (clip == 0.0) { return 1.0; }
  var total = 0.0;
  for (var j = 0u; j < dims.groups; j = j + 1u) { total = total + norms[dims.n_off + r * dims.groups + j]; }
  return min(1.0, clip / (sqrt(total) + 1e-6));
}

/** Element e's step inputs: h, the index of its record's field 0; pv = p; gp = g′. */
struct At {
  h: u32,
  pv: f32,
  gp: f32,
}

fn at(e: u32) -> At {
  let h = record_of(e) * K;
  let s = clip_scale(e / dims.size, hyp(h));
  let pv = p[dims.p_off + e];
  return At(h, pv, s * g[dims.g_off + e] + hyp(h + 2u) * pv);
}
