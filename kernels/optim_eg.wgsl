// optim_eg.wgsl — EG±: PM: u ← u·e^{−lr·g′}, v ← v·e^{lr·g′}, p = u − v; else (sign-preserving) p ← p·e^{−lr·sign(p)·g′}
// | @binding 0 p 1 g 2 s0 3 s1 4 tables 5 norms 6 dims (uniform: total, size, groups, element offsets of p g s0 s1 s2 norms, records); p and
// |   the state (s0 = u, s1 = v if PM) are updated in place; tables holds the G + 1 group bounds (u32) then the [R·G·K] records (f32 bits), norms [R·G]
// | record fields (K = 3): clip, lr, weightDecay; g′ = s·g + weightDecay·p with s the replica's clip scale
// | overrides: WG (workgroup size, default 64); PM: bool (state u, v; p = u − v)
// | dispatch (⌈total/WG⌉ workgroups, split over x and y when x would pass 65535); element = gid.x + gid.y·nwg.x·WG
// | edges: invocations past the end return; a state binding an op does not use takes any small distinct buffer

const K: u32 = 3u;

@group(0) @binding(0) var<storage, read_write> p: array<f32>;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read_write> s0: array<f32>;
@group(0) @binding(3) var<storage, read_write> s1: array<f32>;
@group(0) @binding(4) var<storage, read> tables: array<u32>;
@group(0) @binding(5) var<storage, read> norms: array<f32>;
@group(0) @binding(6) var<uniform> dims: Dims;

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

/** Replica r's clipping scale min(1, clip / (√Σ_j norms[r·G + j] + 1e-6)); 1 when clip = 0. */
fn clip_scale(r: u32, clip: f32) -> f32 {
  if (clip == 0.0) { return 1.0; }
  var total = 0.0;
  for (var j = 0u; j < dims.groups; j = j + 1u) { total = total + norms[dims.n_off + r * dims.groups + j]; }
  return min(1.0, clip / (sqrt(total) + 1e-6));
}

override PM: bool = false;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let e = element(gid, nwg);
  if (e >= dims.total) { return; }
  let r = e / dims.size;
  let h = (r * dims.groups + group_of(e - r * dims.size)) * K;
  let s = clip_scale(r, hyp(h));
  let pv = p[dims.p_off + e];
  let gp = s * g[dims.g_off + e] + hyp(h + 2u) * pv;
  let lr = hyp(h + 1u);
  if (PM) {
    let u = s0[dims.s0_off + e] * exp(-lr * gp);
    let v = s1[dims.s1_off + e] * exp(lr * gp);
    s0[dims.s0_off + e] = u;
    s1[dims.s1_off + e] = v;
    p[dims.p_off + e] = u - v;
  } else {
    p[dims.p_off + e] = pv * exp(-lr * (sign(pv) * gp));
  }
}
