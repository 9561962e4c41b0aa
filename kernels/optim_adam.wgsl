// optim_adam.wgsl — Adam/AdamW/AMSGrad: m ← β1m + (1−β1)g′, v ← β2v + (1−β2)g′², v̄ = AMSGRAD ? (vmax ← max(vmax, v)) : v; p ← keep·p − stepSize·m/(√v̄·bc2Rsqrt + ε)
// | @binding 0 p 1 g 2 tables 3 norms (optim_common.wgsl) 4 s0 5 s1 6 s2 7 dims; s0 = m, s1 = v, s2 = vmax if AMSGRAD, updated in place
// | record fields (K = 8): clip, stepSize, weightDecay, keep, beta1, beta2, eps, bc2Rsqrt
// | overrides: WG (workgroup size, default 64); AMSGRAD: bool (s2 is vmax)
// | dispatch ⌈total/WG⌉ workgroups as optim_common.wgsl
// | edges: invocations past the end return; a state binding an op does not use takes any small distinct buffer
//! include optim_common.wgsl

const K: u32 = 8u;

@group(0) @binding(4) var<storage, read_write> s0: array<f32>;
@group(0) @binding(5) var<storage, read_write> s1: array<f32>;
@group(0) @binding(6) var<storage, read_write> s2: array<f32>;
@group(0) @binding(7) var<uniform> dims: Dims;

override AMSGRAD: bool = false;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let e = element(gid, nwg);
  if (e >= dims.total) { return; }
  let x = at(e);
  let b1 = hyp(x.h + 4u);
  let b2 = hyp(x.h + 5u);
  let m = b1 * s0[dims.s0_off + e] + (1.0 - b1) * x.gp;
  var v = b2 * s1[dims.s1_off + e] + ((1.0 - b2) * x.gp) * x.gp;
  s0[dims.s0_off + e] = m;
  s1[dims.s1_off + e] = v;
  if (AMSGRAD) {
    v = max(s2[dims.s2_off + e], v);
    s2[dims.s2_off + e] = v;
  }
  let den = sqrt(v) * hyp(x.h + 7u) + hyp(x.h + 6u);
  p[dims.p_off + e] = hyp(x.h + 3u) * x.pv - (hyp(x.h + 1u) * m) / den;
}
