// optim_rmsprop.wgsl — RMSProp: v ← αv + (1−α)g′²; CENTERED: ḡ ← αḡ + (1−α)g′, d = √max(v − ḡ², 0) + ε, else d = √v + ε; MOMENTUM: b ← μb + g′/d, p ← keep·p − lr·b; else p ← keep·p − lr·(g′/d)
// | @binding 0 p 1 g 2 tables 3 norms (optim_common.wgsl) 4 s0 5 s1 6 s2 7 dims; s0 = v, then ḡ if CENTERED, then the momentum buffer if MOMENTUM, updated in place
// | record fields (K = 7): clip, lr, weightDecay, keep, alpha, eps, momentum
// | overrides: WG (workgroup size, default 64); CENTERED: bool; MOMENTUM: bool (state order v, ḡ, buffer)
// | dispatch ⌈total/WG⌉ workgroups as optim_common.wgsl
// | edges: invocations past the end return; a state binding an op does not use takes any small distinct buffer
//! include optim_common.wgsl

const K: u32 = 7u;

@group(0) @binding(4) var<storage, read_write> s0: array<f32>;
@group(0) @binding(5) var<storage, read_write> s1: array<f32>;
@group(0) @binding(6) var<storage, read_write> s2: array<f32>;
@group(0) @binding(7) var<uniform> dims: Dims;

override CENTERED: bool = false;
override MOMENTUM: bool = false;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let e = element(gid, nwg);
  if (e >= dims.total) { return; }
  let x = at(e);
  let al = hyp(x.h + 4u);
  let v = al * s0[dims.s0_off + e] + ((1.0 - al) * x.gp) * x.gp;
  s0[dims.s0_off + e] = v;
  var d: f32;
  if (CENTERED) {
    let ga = al * s1[dims.s1_off + e] + (1.0 - al) * x.gp;
    s1[dims.s1_off + e] = ga;
    d = sqrt(max(0.0, v - ga * ga)) + hyp(x.h + 5u);
  } else {
    d = sqrt(v) + hyp(x.h + 5u);
  }
  if (MOMENTUM) {
    var b: f32;
    if (CENTERED) {
      b = hyp(x.h + 6u) * s2[dims.s2_off + e] + x.gp / d;
      s2[dims.s2_off + e] = b;
    } else {
      b = hyp(x.h + 6u) * s1[dims.s1_off + e] + x.gp / d;
      s1[dims.s1_off + e] = b;
    }
    p[dims.p_off + e] = hyp(x.h + 3u) * x.pv - hyp(x.h + 1u) * b;
  } else {
    p[dims.p_off + e] = hyp(x.h + 3u) * x.pv - hyp(x.h + 1u) * (x.gp / d);
  }
}
