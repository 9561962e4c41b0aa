// optim_sgd.wgsl — SGD: b ← μb + (1−d)g′, u = nesterov ? g′ + μb : b (MOMENTUM) else u = g′; p ← keep·p − lr·u
// | @binding 0 p 1 g 2 tables 3 norms (optim_common.wgsl) 4 s0 5 dims; s0 = the momentum buffer if MOMENTUM, updated in place
// | record fields (K = 7): clip, lr, weightDecay, keep, momentum, dampening, nesterov
// | overrides: WG (workgroup size, default 64); MOMENTUM: bool (s0 is the momentum buffer)
// | dispatch ⌈total/WG⌉ workgroups as optim_common.wgsl
// | edges: invocations past the end return; a state binding an op does not use takes any small distinct buffer
//! include optim_common.wgsl

const K: u32 = 7u;

@group(0) @binding(4) var<storage, read_write> s0: array<f32>;
@group(0) @binding(5) var<uniform> dims: Dims;

override MOMENTUM: bool = false;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let e = element(gid, nwg);
  if (e >= dims.total) { return; }
  let x = at(e);
  var u = x.gp;
  if (MOMENTUM) {
    let mu = hyp(x.h + 4u);
    let b = mu * s0[dims.s0_off + e] + (1.0 - hyp(x.h + 5u)) * x.gp;
    s0[dims.s0_off + e] = b;
    u = select(b, x.gp + mu * b, hyp(x.h + 6u) != 0.0);
  }
  p[dims.p_off + e] = hyp(x.h + 3u) * x.pv - hyp(x.h + 1u) * u;
}
