// copy.wgsl — strided copy: dst[view_d(i)] := src[view_s(i)] for every index i of a shape, 32-bit elements of any dtype.
// | @binding 0 src, 1 dst (rw), 2 P {size, src offset, dst offset, —, shape[6] (words 4..9), —, —,
// |   src strides[6] (words 12..17), dst strides[6] (words 18..23)}; strides in elements, 0 broadcasts (src only).
// | overrides: WG (64) workgroup size; RANK 1..6 axes of the host-collapsed shape (higher ranks are dispatched
// |   per leading index with shifted offsets).
// | dispatch: ⌈size/WG⌉ workgroups as (x, y) with x ≤ 65535; element i = (wid.y·nwg.x + wid.x)·WG + lid.
// | edges: invocations with i ≥ size return; views must not overlap (the host copies through a temporary if they do).

override WG: u32 = 64u;
override RANK: u32 = 1u;

@group(0) @binding(0) var<storage, read> src: array<u32>;
@group(0) @binding(1) var<storage, read_write> dst: array<u32>;
@group(0) @binding(2) var<uniform> P: array<vec4<u32>, 16>;

fn word(i: u32) -> u32 {
  return P[i / 4u][i % 4u];
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * nwg.x + wid.x) * WG + lid;
  if (i >= word(0u)) { return; }
  var so = word(1u);
  var dO = word(2u);
  var rem = i;
  for (var d = RANK; d > 0u; d--) {
    let ax = d - 1u;
    let n = word(4u + ax);
    var c = rem;
    if (ax > 0u) {
      c = rem % n;
      rem = rem / n;
    }
    so += c * word(12u + ax);
    dO += c * word(18u + ax);
  }
  dst[dO] = src[so];
}
