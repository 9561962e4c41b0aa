// optim_diffgrad.wgsl — diffGrad (v2): e = constFriction ? 1 : exp(−|g′_prev − g′|) (ξ = 1/(1+e)); m, v as Adam; g′_prev ← g′; p ← keep·p − stepSize·m/((1 + e)(√v + ε))
// | @binding 0 p 1 g 2 tables 3 norms (optim_common.wgsl) 4 s0 5 s1 6 s2 7 dims; s0 = m, s1 = v, s2 = previous g′, updated in place
// | record fields (K = 8): clip, stepSize, weightDecay, keep, beta1, beta2, eps, constFriction
// | overrides: WG (workgroup size, default 64)
// | dispatch ⌈total/WG⌉ workgroups as optim_common.wgsl
// | edges: invocations past the end return
//! include optim_common.wgsl

const K: u32 = 8u;

@group(0) @binding(4) var<storage, read_write> s0: array<f32>;
@group(0) @binding(5) var<storage, read_write> s1: array<f32>;
@group(0) @binding(6) var<storage, read_write> s2: array<f32>;
@group(0) @binding(7) var<uniform> dims: Dims;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let e = element(gid, nwg);
  if (e >= dims.total) { return; }
  let x = at(e);
  let ef = select(exp(-abs(s2[dims.s2_off + e] - x.gp)), 1.0, hyp(x.h + 7u) != 0.0);
  let b1 = hyp(x.h + 4u);
  let b2 = hyp(x.h + 5u);
  let m = b1 * s0[dims.s0_off + e] + (1.0 - b1) * x.gp;
  let v = b2 * s1[dims.s1_off + e] + ((1.0 - b2) * x.gp) * x.gp;
  s0[dims.s0_off + e] = m;
  s1[dims.s1_off + e] = v;
  s2[dims.s2_off + e] = x.gp;
  let den = (1.0 + ef) * (sqrt(v) + hyp(x.h + 6u));
  p[dims.p_off + e] = hyp(x.h + 3u) * x.pv - (hyp(x.h + 1u) * m) / den;
}
