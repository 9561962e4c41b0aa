// optim_sumsq.wgsl — squared norms per (replica, group) segment, out[seg] = Σ x² over it, in two dispatches
// | @binding 0 x 1 tables u32: [2·C] chunks (first element incl. offset, length ≤ CHUNK) then, from seg_off, [2·S]
// |   segments (first chunk, end chunk) 2 partials [C] (rw) 3 out [S] (rw) 4 dims (uniform: chunks C, segs S, seg_off)
// | overrides: WG (workgroup size, a power of two, default 256); WG_LEN = WG (the workgroup array's length);
// |   FINISH: bool (false: partials[c] = Σ over chunk c; true: out[s] = Σ of segment s's partials)
// | dispatch C (then S) workgroups, split over x and y when x would pass 65535; workgroup i = wid.x + wid.y·nwg.x
// | edges: invocations stride their range by WG; float32 sums per invocation, then a tree over the workgroup, so
// |   the error is ≲ (⌈CHUNK/WG⌉ + ⌈C_s/WG⌉ + 2·log2 WG)·u·Σx²; a segment with no chunks gives 0
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> tables: array<u32>;
@group(0) @binding(2) var<storage, read_write> partials: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<uniform> dims: Dims;

struct Dims {
  chunks: u32,
  segs: u32,
  seg_off: u32,
}

override WG: u32 = 256u;
override WG_LEN: u32 = 256u;
override FINISH: bool = false;
var<workgroup> acc: array<f32, WG_LEN>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = wid.x + wid.y * nwg.x;
  if (i >= select(dims.chunks, dims.segs, FINISH)) { return; }
  var s = 0.0;
  if (FINISH) {
    for (var c = tables[dims.seg_off + 2u * i] + lid; c < tables[dims.seg_off + 2u * i + 1u]; c = c + WG) { s = s + partials[c]; }
  } else {
    let start = tables[2u * i];
    let len = tables[2u * i + 1u];
    for (var k = lid; k < len; k = k + WG) {
      let v = x[start + k];
      s = s + v * v;
    }
  }
  acc[lid] = s;
  var w = WG / 2u;
  loop {
    if (w == 0u) { break; }
    workgroupBarrier();
    if (lid < w) { acc[lid] = acc[lid] + acc[lid + w]; }
    w = w / 2u;
  }
  if (lid == 0u) {
    if (FINISH) { out[i] = acc[0]; } else { partials[i] = acc[0]; }
  }
}
