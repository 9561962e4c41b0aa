// optim_adagrad_norm.wgsl — AdaGradNorm: b² ← b² + s²‖g‖²_group, p ← keep·p − (lr·s/(√b² + ε))·g (s the replica's clip scale); the step dispatch updates p, then the ACCUMULATE dispatch stores b²
// | @binding 0 p 1 g 2 tables 3 norms (optim_common.wgsl) 4 s0 5 dims; s0 = b² [R·G], read by the step, written by the ACCUMULATE dispatch
// | record fields (K = 4): clip, lr, keep, eps (no weightDecay: at() is not used)
// | overrides: WG (workgroup size, default 64); ACCUMULATE: bool (the second dispatch: store b², one invocation per record)
// | dispatch the step over total elements, then ACCUMULATE over records (⌈n/WG⌉ workgroups each, as optim_common.wgsl)
// | edges: invocations past the end return
//! include optim_common.wgsl

const K: u32 = 4u;

@group(0) @binding(4) var<storage, read_write> s0: array<f32>;
@group(0) @binding(5) var<uniform> dims: Dims;

override ACCUMULATE: bool = false;

/** b² after this step for record rg = r·G + j: b² + s²·‖g‖², the same in every invocation. */
fn next_b2(r: u32, rg: u32) -> f32 {
  let s = clip_scale(r, hyp(rg * K));
  return s0[dims.s0_off + rg] + (s * s) * norms[dims.n_off + rg];
}

// Two dispatches per step, in order: the step (ACCUMULATE = false, one invocation per element;
// it reads b² and never writes it), then ACCUMULATE = true (one invocation per record) to store
// the new b². Splitting them keeps every invocation of the step reading the same b².
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let e = element(gid, nwg);
  if (ACCUMULATE) {
    if (e < dims.records) { s0[dims.s0_off + e] = next_b2(e / dims.groups, e); }
    return;
  }
  if (e >= dims.total) { return; }
  let r = e / dims.size;
  let rg = record_of(e);
  let h = rg * K;
  let s = clip_scale(r, hyp(h));
  let coef = (hyp(h + 1u) * s) / (sqrt(next_b2(r, rg)) + hyp(h + 3u));
  p[dims.p_off + e] = hyp(h + 2u) * p[dims.p_off + e] - coef * g[dims.g_off + e];
}
