// reduce.wgsl — reductions over the middle axis of x viewed as [outer, n, inner]: out[o·inner + i] := R_j x[o, j, i].
// | R = OP (REDUCE codes of src/backend/ops.ts): 0 sum, 1 max, 2 min, 3 argmax, 4 argmin (int32 result), 5 sum of squares.
// | @binding 0 x, 1 out (rw), 2 P {outer, n, inner, xoff, chunk, chunks}
// | entry per_output: one invocation per output (small n); entry per_group: one workgroup per (output, chunk of
// |   `chunk` consecutive j), writing out[(o·inner + i)·chunks + c] — with chunks > 1 the host reduces those
// |   partials again ([outputs, chunks, 1]; sum for sum and sum of squares, SQUARE = 0 then).
// | overrides: WG (per_group: a power of two ≤ 256; per_output: 64), WG_LEN = WG (workgroup array length);
// |   OP; DTYPE 0 float32, 1 int32; SQUARE 1 when OP = 5 squares x (the second pass of sumsq sets OP = 0).
// | dispatch: per_output ⌈outer·inner/WG⌉ as (x, y); per_group outer·inner·chunks as (x, y) (group g = wid.y·nwg.x + wid.x).
// | edges: float sums are compensated (Neumaier) per invocation and across the workgroup's pairwise combine, so
// |   one pass errs by ≲ 2u·|Σx| + O(n·u²)·Σ|x|; with chunks > 1 each partial is rounded once more, so
// |   ≲ (log2 chunks + 3)·u·Σ|x| in all. max/min give NaN if any element is NaN, −inf/+inf for n = 0; argmax/argmin give the
// |   first index of the extreme value (the first NaN if any), 0 for n = 0. int32 sums wrap modulo 2^32.
//! include math.wgsl

override WG: u32 = 64u;
override WG_LEN: u32 = 64u;
override OP: u32 = 0u;
override DTYPE: u32 = 0u;
override SQUARE: u32 = 0u;

@group(0) @binding(0) var<storage, read> x: array<u32>;
@group(0) @binding(1) var<storage, read_write> out: array<u32>;
@group(0) @binding(2) var<uniform> P: array<vec4<u32>, 2>;

var<workgroup> sv: array<f32, WG_LEN>;
var<workgroup> sc: array<f32, WG_LEN>;
var<workgroup> si: array<i32, WG_LEN>;
var<workgroup> sidx: array<u32, WG_LEN>;

/** A running reduction: float value + compensation, int value, and (for arg ops) the index. */
struct Acc { v: f32, c: f32, iv: i32, idx: u32 }

fn is_arg() -> bool { return OP == 3u || OP == 4u; }

fn init() -> Acc {
  var a = Acc(0.0, 0.0, 0, 0u);
  if (OP == 1u || OP == 3u) { a.v = -inf_(); a.iv = i32(-2147483648); }
  if (OP == 2u || OP == 4u) { a.v = inf_(); a.iv = 2147483647; }
  return a;
}

/** Whether (v, i) beats (w, k) for argmax/argmin: NaN first, then the extreme value, then the smaller index. */
fn beats_f(v: f32, i: u32, w: f32, k: u32) -> bool {
  let nv = is_nan_(v);
  let nw = is_nan_(w);
  if (nv || nw) { return nv && (!nw || i < k); }
  if (v != w) { return select((v < w), (v > w), OP == 3u); }
  return i < k;
}
fn beats_i(v: i32, i: u32, w: i32, k: u32) -> bool {
  if (v != w) { return select((v < w), (v > w), OP == 3u); }
  return i < k;
}

fn add(a: Acc, raw: u32, j: u32) -> Acc {
  var r = a;
  if (DTYPE == 1u) {
    var v = bitcast<i32>(raw);
    if (SQUARE == 1u) { v = v * v; }
    switch (OP) {
      case 0u, 5u: { r.iv = a.iv + v; }
      case 1u: { r.iv = max(a.iv, v); }
      case 2u: { r.iv = min(a.iv, v); }
      default: { if (beats_i(v, j, a.iv, a.idx)) { r.iv = v; r.idx = j; } }
    }
    return r;
  }
  var v = bitcast<f32>(raw);
  if (SQUARE == 1u) { v = v * v; }
  switch (OP) {
    case 0u, 5u: {
      // Neumaier: keep the low-order part lost by each addition in c.
      let t = a.v + v;
      if (abs(a.v) >= abs(v)) { r.c = a.c + ((a.v - t) + v); } else { r.c = a.c + ((v - t) + a.v); }
      r.v = t;
    }
    case 1u: { if (is_nan_(v) || is_nan_(a.v)) { r.v = nan_(); } else { r.v = max(a.v, v); } }
    case 2u: { if (is_nan_(v) || is_nan_(a.v)) { r.v = nan_(); } else { r.v = min(a.v, v); } }
    default: { if (beats_f(v, j, a.v, a.idx)) { r.v = v; r.idx = j; } }
  }
  return r;
}

fn result(a: Acc) -> u32 {
  if (is_arg()) { return a.idx; }
  if (DTYPE == 1u) { return bitcast<u32>(a.iv); }
  if (OP == 0u || OP == 5u) { return bitcast<u32>(a.v + a.c); }
  return bitcast<u32>(a.v);
}

@compute @workgroup_size(WG)
fn per_output(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let outer = P[0].x;
  let n = P[0].y;
  let inner = P[0].z;
  let t = (wid.y * nwg.x + wid.x) * WG + lid;
  if (t >= outer * inner) { return; }
  let o = t / inner;
  let i = t - o * inner;
  var base = P[0].w + o * n * inner + i;
  var a = init();
  for (var j = 0u; j < n; j++) {
    a = add(a, x[base], j);
    base += inner;
  }
  out[t] = result(a);
}

/** Combines the workgroup's partial results pairwise; slot 0 holds the total afterwards. */
fn combine(lid: u32) {
  for (var w = WG / 2u; w > 0u; w = w / 2u) {
    workgroupBarrier();
    if (lid < w) {
      let k = lid + w;
      if (DTYPE == 1u) {
        switch (OP) {
          case 0u, 5u: { si[lid] = si[lid] + si[k]; }
          case 1u: { si[lid] = max(si[lid], si[k]); }
          case 2u: { si[lid] = min(si[lid], si[k]); }
          default: { if (beats_i(si[k], sidx[k], si[lid], sidx[lid])) { si[lid] = si[k]; sidx[lid] = sidx[k]; } }
        }
      } else {
        switch (OP) {
          case 0u, 5u: {
            // Neumaier sum of the two (value, compensation) pairs.
            let a = sv[lid];
            let b = sv[k];
            let t = a + b;
            var e = 0.0;
            if (abs(a) >= abs(b)) { e = (a - t) + b; } else { e = (b - t) + a; }
            sv[lid] = t;
            sc[lid] = sc[lid] + sc[k] + e;
          }
          case 1u: { if (is_nan_(sv[lid]) || is_nan_(sv[k])) { sv[lid] = nan_(); } else { sv[lid] = max(sv[lid], sv[k]); } }
          case 2u: { if (is_nan_(sv[lid]) || is_nan_(sv[k])) { sv[lid] = nan_(); } else { sv[lid] = min(sv[lid], sv[k]); } }
          default: { if (beats_f(sv[k], sidx[k], sv[lid], sidx[lid])) { sv[lid] = sv[k]; sidx[lid] = sidx[k]; } }
        }
      }
    }
  }
  workgroupBarrier();
}

@compute @workgroup_size(WG)
fn per_group(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let outer = P[0].x;
  let n = P[0].y;
  let inner = P[0].z;
  let chunk = P[1].x;
  let chunks = P[1].y;
  let g = wid.y * nwg.x + wid.x;
  let t = g / chunks;
  let c = g - t * chunks;
  let valid = t < outer * inner;
  var a = init();
  if (valid) {
    let o = t / inner;
    let i = t - o * inner;
    let j0 = c * chunk;
    let j1 = min(n, j0 + chunk);
    let base = P[0].w + o * n * inner + i;
    for (var j = j0 + lid; j < j1; j += WG) {
      a = add(a, x[base + j * inner], j);
    }
  }
  sv[lid] = a.v;
  sc[lid] = a.c;
  si[lid] = a.iv;
  sidx[lid] = a.idx;
  combine(lid);
  if (valid && lid == 0u) {
    var r = Acc(sv[0], sc[0], si[0], sidx[0]);
    out[g] = result(r);
  }
}
