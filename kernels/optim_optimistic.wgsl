// optim_optimistic.wgsl — optimistic mirror descent: Euclidean x̂ ← x̂ − lr·g′, p ← x̂ − lr·g′; entropic (record field, per group) x̂ ← x̂·e^{−lr·g′}, p ← x̂·e^{−lr·g′}
// | @binding 0 p 1 g 2 tables 3 norms (optim_common.wgsl) 4 s0 5 dims; s0 = x̂, updated in place
// | record fields (K = 4): clip, lr, weightDecay, entropic
// | overrides: WG (workgroup size, default 64)
// | dispatch ⌈total/WG⌉ workgroups as optim_common.wgsl
// | edges: invocations past the end return
//! include optim_common.wgsl

const K: u32 = 4u;

@group(0) @binding(4) var<storage, read_write> s0: array<f32>;
@group(0) @binding(5) var<uniform> dims: Dims;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let e = element(gid, nwg);
  if (e >= dims.total) { return; }
  let x = at(e);
  if (hyp(x.h + 3u) != 0.0) {
    let f = exp(-hyp(x.h + 1u) * x.gp);
    let xh = s0[dims.s0_off + e] * f;
    s0[dims.s0_off + e] = xh;
    p[dims.p_off + e] = xh * f;
  } else {
    let step = hyp(x.h + 1u) * x.gp;
    let xh = s0[dims.s0_off + e] - step;
    s0[dims.s0_off + e] = xh;
    p[dims.p_off + e] = xh - step;
  }
}
