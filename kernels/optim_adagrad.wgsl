// optim_adagrad.wgsl — AdaGrad: σ ← σ + g′², p ← keep·p − lr·g′/(√σ + ε)
// | @binding 0 p 1 g 2 tables 3 norms (optim_common.wgsl) 4 s0 5 dims; s0 = σ, updated in place
// | record fields (K = 5): clip, lr, weightDecay, keep, eps
// | overrides: WG (workgroup size, default 64)
// | dispatch ⌈total/WG⌉ workgroups as optim_common.wgsl
// | edges: invocations past the end return
//! include optim_common.wgsl

const K: u32 = 5u;

@group(0) @binding(4) var<storage, read_write> s0: array<f32>;
@group(0) @binding(5) var<uniform> dims: Dims;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let e = element(gid, nwg);
  if (e >= dims.total) { return; }
  let x = at(e);
  let acc = s0[dims.s0_off + e] + x.gp * x.gp;
  s0[dims.s0_off + e] = acc;
  p[dims.p_off + e] = hyp(x.h + 3u) * x.pv - (hyp(x.h + 1u) * x.gp) / (sqrt(acc) + hyp(x.h + 4u));
}
