// optim_eg.wgsl — EG±: PM: u ← u·e^{−lr·g′}, v ← v·e^{lr·g′}, p = u − v; else (sign-preserving) p ← p·e^{−lr·sign(p)·g′}
// | @binding 0 p 1 g 2 tables 3 norms (optim_common.wgsl) 4 s0 5 s1 6 dims; s0 = u, s1 = v if PM, updated in place
// | record fields (K = 3): clip, lr, weightDecay
// | overrides: WG (workgroup size, default 64); PM: bool (state u, v; p = u − v)
// | dispatch ⌈total/WG⌉ workgroups as optim_common.wgsl
// | edges: invocations past the end return; a state binding an op does not use takes any small distinct buffer
//! include optim_common.wgsl

const K: u32 = 3u;

@group(0) @binding(4) var<storage, read_write> s0: array<f32>;
@group(0) @binding(5) var<storage, read_write> s1: array<f32>;
@group(0) @binding(6) var<uniform> dims: Dims;

override PM: bool = false;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let e = element(gid, nwg);
  if (e >= dims.total) { return; }
  let x = at(e);
  let lr = hyp(x.h + 1u);
  if (PM) {
    let u = s0[dims.s0_off + e] * exp(-lr * x.gp);
    let v = s1[dims.s1_off + e] * exp(lr * x.gp);
    s0[dims.s0_off + e] = u;
    s1[dims.s1_off + e] = v;
    p[dims.p_off + e] = u - v;
  } else {
    p[dims.p_off + e] = x.pv * exp(-lr * (sign(x.pv) * x.gp));
  }
}
