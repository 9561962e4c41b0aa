// elementwise.wgsl — fill, cast, unary, binary and where, float32 or int32, one element per invocation.
// | fill:   out[i] := value                                  @binding 0 out, 1 P {size, value bits}
// | cast_:  out[i] := DST(x[xoff + i]) (f32→i32 truncates toward 0, wrapping mod 2^32 like Int32Array; NaN, ±inf → 0)
// |                                                          @binding 0 x, 1 out, 2 P {size, xoff}
// | unary:  out[i] := f(x[xoff + i]), f = UNARY code OP       @binding 0 x, 1 out, 2 P {size, xoff}
// | binary: out[i] := g(a[·], b[·]), g = BINARY code OP       @binding 0 a, 1 b, 2 out, 3 P
// | where:  out[i] := cond[·] ≠ 0 ? a[·] : b[·]               @binding 0 cond, 1 a, 2 b, 3 out, 4 P
// |   binary/where read each input through its offset and strides over the broadcast shape:
// |   P = {size, offsets[3] (words 1..3), shape[6] (words 4..9), out offset (word 10), strides[3][6] (words 12..29)},
// |   shape collapsed by the host to RANK ≤ 6 axes (higher ranks are dispatched per leading index, each dispatch
// |   writing from the out offset); CONTIG = 1 when every input is contiguous (strides unused).
// | overrides: WG (64) workgroup size; DTYPE of x/a/b/out and CDTYPE of cond: 0 float32, 1 int32 (cast: DTYPE is
// |   the source, DST the target); OP the UNARY/BINARY code of src/backend/ops.ts; RANK 1..6; CONTIG 0/1.
// | dispatch: ⌈size/WG⌉ workgroups as (x, y) with x ≤ 65535; element i = (wid.y·nwg.x + wid.x)·WG + lid.
// | edges: invocations with i ≥ size return. float32 maths: math.wgsl (stated accuracy); NaN handled on the bits
// |   (max/min propagate NaN, comparisons with NaN are false except ne); int32: wrapping + − ×, division truncates
// |   (÷0 gives 0, as Int32Array stores ±inf/NaN), pow by squaring (negative exponents give 0 unless |base| = 1).
//! include math.wgsl

override WG: u32 = 64u;
override DTYPE: u32 = 0u;
override CDTYPE: u32 = 0u;
override DST: u32 = 0u;
override OP: u32 = 0u;
override RANK: u32 = 1u;
override CONTIG: u32 = 0u;

@group(0) @binding(0) var<storage, read_write> fill_out: array<u32>;
@group(0) @binding(1) var<uniform> fill_p: array<vec4<u32>, 16>;

@group(0) @binding(0) var<storage, read> un_x: array<u32>;
@group(0) @binding(1) var<storage, read_write> un_out: array<u32>;
@group(0) @binding(2) var<uniform> un_p: array<vec4<u32>, 16>;

@group(0) @binding(0) var<storage, read> bi_a: array<u32>;
@group(0) @binding(1) var<storage, read> bi_b: array<u32>;
@group(0) @binding(2) var<storage, read_write> bi_out: array<u32>;
@group(0) @binding(3) var<uniform> bi_p: array<vec4<u32>, 16>;

@group(0) @binding(0) var<storage, read> wh_c: array<u32>;
@group(0) @binding(1) var<storage, read> wh_a: array<u32>;
@group(0) @binding(2) var<storage, read> wh_b: array<u32>;
@group(0) @binding(3) var<storage, read_write> wh_out: array<u32>;
@group(0) @binding(4) var<uniform> wh_p: array<vec4<u32>, 16>;

fn element(wid: vec3<u32>, nwg: vec3<u32>, lid: u32) -> u32 {
  return (wid.y * nwg.x + wid.x) * WG + lid;
}

/** Float → int32 as JavaScript's ToInt32 after truncation: wraps modulo 2^32; NaN and ±inf give 0. */
fn f2i_wrap(x: f32) -> i32 {
  if (is_nan_(x) || is_inf_(x)) { return 0; }
  let t = trunc(x);
  if (abs(t) < 2147483648.0) { return i32(t); }
  let m = t - 4294967296.0 * floor(t / 4294967296.0);
  return bitcast<i32>(u32(m));
}

fn unary_f(op: u32, x: f32) -> f32 {
  switch (op) {
    case 0u: { return -x; }
    case 1u: { return abs(x); }
    case 2u: { return exp_(x); }
    case 3u: { return log_(x); }
    case 4u: { if (x < 0.0 || is_nan_(x)) { return nan_(); } return sqrt(x); }
    case 5u: { if (x < 0.0 || is_nan_(x)) { return nan_(); } if (x == 0.0) { return select(inf_(), -inf_(), bitcast<u32>(x) != 0u); } return 1.0 / sqrt(x); }
    case 6u: { return x * x; }
    case 7u: { return 1.0 / x; }
    case 8u: { return select(0.0, x, x > 0.0 || is_nan_(x)); }
    case 9u: { return tanh_(x); }
    case 10u: { return sigmoid_(x); }
    case 11u: { return gelu_(x); }
    case 12u: { if (is_nan_(x)) { return x; } return select(select(0.0, -1.0, x < 0.0), 1.0, x > 0.0); }
    case 13u: { return select(0.0, 1.0, x > 0.0); }
    case 14u: { return sin_(x); }
    case 15u: { return cos_(x); }
    case 16u: { return log1p_(x); }
    case 17u: { return expm1_(x); }
    case 18u: { return softplus_(x); }
    case 19u: { return gelugrad_(x); }
    case 20u: { return floor(x); }
    case 21u: { return ceil(x); }
    default: { return nan_(); }
  }
}

/** The int32 unary ops (the tensor layer allows neg, abs, sign, square, relu, step on int32). */
fn unary_i(op: u32, x: i32) -> i32 {
  switch (op) {
    case 0u: { return -x; }
    case 1u: { return abs(x); }
    case 6u: { return x * x; }
    case 8u: { return max(x, 0); }
    case 12u: { return sign(x); }
    case 13u: { return select(0, 1, x > 0); }
    case 20u, 21u: { return x; }
    default: { return 0; }
  }
}

/** x^y for float32 following Math.pow: |y| ≤ 8 integer by squaring (≤ 4 ulps), else e^{y ln|x|} (error grows like |y ln x|·u), signs of negative bases, NaN and ±inf rules. */
fn pow_f(x: f32, y: f32) -> f32 {
  if (y == 0.0) { return 1.0; }
  if (is_nan_(x) || is_nan_(y)) { return nan_(); }
  let yi = trunc(y) == y;
  if (yi && abs(y) <= 8.0) {
    var n = u32(abs(y));
    var base = x;
    var r = 1.0;
    loop {
      if ((n & 1u) == 1u) { r = r * base; }
      n = n >> 1u;
      if (n == 0u) { break; }
      base = base * base;
    }
    return select(r, 1.0 / r, y < 0.0);
  }
  if (x == 0.0) { return select(0.0, inf_(), y < 0.0); }
  if (x < 0.0) {
    if (!yi) { return nan_(); }
    let odd = !is_inf_(y) && abs(y) < 16777216.0 && (u32(abs(y)) & 1u) == 1u;
    let m = exp_(y * log_(-x));
    return select(m, -m, odd);
  }
  if (is_inf_(y)) {
    if (x == 1.0) { return nan_(); }
    return select(select(0.0, inf_(), x > 1.0), select(inf_(), 0.0, x > 1.0), y < 0.0);
  }
  return exp_(y * log_(x));
}

fn atan2_f(y: f32, x: f32) -> f32 {
  if (is_nan_(x) || is_nan_(y)) { return nan_(); }
  return atan2(y, x);
}

fn binary_f(op: u32, a: f32, b: f32) -> f32 {
  let nan_in = is_nan_(a) || is_nan_(b);
  switch (op) {
    case 0u: { return a + b; }
    case 1u: { return a - b; }
    case 2u: { return a * b; }
    case 3u: { return a / b; }
    case 4u: { if (nan_in) { return nan_(); } return select(b, a, a >= b); }
    case 5u: { if (nan_in) { return nan_(); } return select(b, a, a <= b); }
    case 6u: { return pow_f(a, b); }
    case 7u: { return select(0.0, 1.0, !nan_in && a < b); }
    case 8u: { return select(0.0, 1.0, !nan_in && a <= b); }
    case 9u: { return select(0.0, 1.0, !nan_in && a > b); }
    case 10u: { return select(0.0, 1.0, !nan_in && a >= b); }
    case 11u: { return select(0.0, 1.0, !nan_in && a == b); }
    case 12u: { return select(0.0, 1.0, nan_in || a != b); }
    case 13u: { return atan2_f(a, b); }
    default: { return nan_(); }
  }
}

/** Integer power with wrapping products; a negative exponent gives trunc(a^b): 0 unless |a| = 1 (0^−n → +inf → 0). */
fn pow_i(a: i32, b: i32) -> i32 {
  if (b < 0) {
    if (a == 1) { return 1; }
    if (a == -1) { return select(1, -1, (b & 1) != 0); }
    return 0;
  }
  var n = u32(b);
  var base = a;
  var r = 1;
  loop {
    if (n == 0u) { break; }
    if ((n & 1u) == 1u) { r = r * base; }
    base = base * base;
    n = n >> 1u;
  }
  return r;
}

fn binary_i(op: u32, a: i32, b: i32) -> i32 {
  switch (op) {
    case 0u: { return a + b; }
    case 1u: { return a - b; }
    case 2u: { return a * b; }
    case 3u: { if (b == 0) { return 0; } if (a == i32(-2147483648) && b == -1) { return a; } return a / b; }
    case 4u: { return max(a, b); }
    case 5u: { return min(a, b); }
    case 6u: { return pow_i(a, b); }
    case 7u: { return select(0, 1, a < b); }
    case 8u: { return select(0, 1, a <= b); }
    case 9u: { return select(0, 1, a > b); }
    case 10u: { return select(0, 1, a >= b); }
    case 11u: { return select(0, 1, a == b); }
    case 12u: { return select(0, 1, a != b); }
    case 13u: { return f2i_wrap(atan2_f(f32(a), f32(b))); }
    default: { return 0; }
  }
}

fn word(p: ptr<uniform, array<vec4<u32>, 16>>, i: u32) -> u32 {
  return (*p)[i / 4u][i % 4u];
}

@compute @workgroup_size(WG)
fn fill(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = element(wid, nwg, lid);
  if (i >= fill_p[0].x) { return; }
  fill_out[i] = fill_p[0].y;
}

@compute @workgroup_size(WG)
fn cast_(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = element(wid, nwg, lid);
  if (i >= un_p[0].x) { return; }
  let v = un_x[un_p[0].y + i];
  if (DTYPE == DST) {
    un_out[i] = v;
  } else if (DTYPE == 0u) {
    un_out[i] = bitcast<u32>(f2i_wrap(bitcast<f32>(v)));
  } else {
    un_out[i] = bitcast<u32>(f32(bitcast<i32>(v)));
  }
}

@compute @workgroup_size(WG)
fn unary(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = element(wid, nwg, lid);
  if (i >= un_p[0].x) { return; }
  let v = un_x[un_p[0].y + i];
  if (DTYPE == 0u) {
    un_out[i] = bitcast<u32>(unary_f(OP, bitcast<f32>(v)));
  } else {
    un_out[i] = bitcast<u32>(unary_i(OP, bitcast<i32>(v)));
  }
}

/** Element offsets of input v (0..2) for output element i. */
fn strided(p: ptr<uniform, array<vec4<u32>, 16>>, i: u32, v: u32) -> u32 {
  var off = word(p, 1u + v);
  if (CONTIG == 1u) { return off + i; }
  var rem = i;
  for (var d = RANK; d > 0u; d--) {
    let ax = d - 1u;
    let n = word(p, 4u + ax);
    var c = rem;
    if (ax > 0u) {
      c = rem % n;
      rem = rem / n;
    }
    off += c * word(p, 12u + 6u * v + ax);
  }
  return off;
}

@compute @workgroup_size(WG)
fn binary(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = element(wid, nwg, lid);
  if (i >= bi_p[0].x) { return; }
  let a = bi_a[strided(&bi_p, i, 0u)];
  let b = bi_b[strided(&bi_p, i, 1u)];
  if (DTYPE == 0u) {
    bi_out[word(&bi_p, 10u) + i] = bitcast<u32>(binary_f(OP, bitcast<f32>(a), bitcast<f32>(b)));
  } else {
    bi_out[word(&bi_p, 10u) + i] = bitcast<u32>(binary_i(OP, bitcast<i32>(a), bitcast<i32>(b)));
  }
}

@compute @workgroup_size(WG)
fn where_(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = element(wid, nwg, lid);
  if (i >= wh_p[0].x) { return; }
  let c = wh_c[strided(&wh_p, i, 0u)];
  // A float condition is true unless it is +0 or −0; NaN is true.
  let t = select(c != 0u, (c & 0x7fffffffu) != 0u, CDTYPE == 0u);
  wh_out[word(&wh_p, 10u) + i] = select(wh_b[strided(&wh_p, i, 2u)], wh_a[strided(&wh_p, i, 1u)], t);
}
