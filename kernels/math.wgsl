// math.wgsl — float32 elementary functions with stated accuracy, shared by kernels that
// include it (a line `//! include math.wgsl`); it has no bindings and no entry points.
// | WGSL's built-ins may be far less accurate (sin/cos: absolute error 2^-11; exp: 3 + 2|x|
// | ulp) and may assume NaN and infinity never occur, so these functions test NaN and
// | infinity on the bits and reduce arguments themselves. Errors measured against float64
// | on lavapipe (test/webgpu/math.test.ts): exp_ ≤ 1.5, log_ ≤ 1.5, expm1_ ≤ 2, log1p_ ≤ 2.5,
// | sin_/cos_ ≤ 2 for |x| ≤ 6000 (the three-part π/2 is exact to there; past 8192 the driver's sin/cos), tanh_,
// | sigmoid_, softplus_ ≤ 3, erf_ ≤ 3 ulps; Phi_ (the normal CDF) and gelu_ ≤ 4 ulps, gelugrad_ ≤ 5 ulps of its
// | larger term (it crosses 0 near −0.75); the lower tail too, since
// | e^{−x²/2} is taken with x² split exactly. Subnormal results may flush to zero (WGSL allows it). Nothing here
// | relies on (1 + x) − 1 giving back the rounding of 1 + x: lavapipe folds it to x.

fn is_nan_(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn is_inf_(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) == 0x7f800000u; }
// NaN and ∞ through a `var`: WGSL rejects them in constant expressions.
fn nan_() -> f32 { var bits = 0x7fc00000u; return bitcast<f32>(bits); }
fn inf_() -> f32 { var bits = 0x7f800000u; return bitcast<f32>(bits); }

/** 2^n for integer n in [-252, 254] as a product of two normal powers of two. */
fn scale2_(p: f32, n: i32) -> f32 {
  let n1 = n / 2;
  let n2 = n - n1;
  return (p * bitcast<f32>(u32(n1 + 127) << 23u)) * bitcast<f32>(u32(n2 + 127) << 23u);
}

/** e^x: x = n·ln2 + r (Cody–Waite, |r| ≤ ln2/2), e^r by its Taylor polynomial to r^7. */
fn exp_(x: f32) -> f32 {
  if (is_nan_(x)) { return x; }
  if (x > 88.72284) { return inf_(); }
  if (x < -103.97208) { return 0.0; }
  let n = round(x * 1.442695041);
  let r = (x - n * 0.693145751953125) - n * 1.428606765330187e-6;
  let p = 1.0 + r * (1.0 + r * (0.5 + r * (1.6666667e-1 + r * (4.1666668e-2 + r * (8.3333338e-3 + r * (1.3888889e-3 + r * 1.9841270e-4))))));
  return scale2_(p, i32(n));
}

/** e^x − 1: a Taylor polynomial for |x| < 0.5, else exp_(x) − 1. */
fn expm1_(x: f32) -> f32 {
  if (abs(x) < 0.5) {
    return x * (1.0 + x * (0.5 + x * (1.6666667e-1 + x * (4.1666668e-2 + x * (8.3333338e-3 + x * (1.3888889e-3 + x * (1.9841270e-4 + x * (2.4801587e-5 + x * 2.7557319e-6))))))));
  }
  return exp_(x) - 1.0;
}

/** ln(1 + f) for f ∈ [√½ − 1, √2 − 1]: 2 atanh(f/(2 + f)) as f − f²/2 + s(f²/2 + R(s²)). */
fn log1p_kernel_(f: f32) -> f32 {
  let s = f / (2.0 + f);
  let z = s * s;
  let r = z * (0.6666667 + z * (0.4 + z * (0.2857143 + z * (0.22222222 + z * 0.18181819))));
  let hfsq = 0.5 * f * f;
  return f - hfsq + s * (hfsq + r);
}

/** ln x: x = 2^e·m with m ∈ [√½, √2), ln x = e·ln2 + ln(1 + (m − 1)), ln2 in two parts. */
fn log_(x0: f32) -> f32 {
  var x = x0;
  if (is_nan_(x) || x < 0.0) { return nan_(); }
  if (x == 0.0) { return -inf_(); }
  if (is_inf_(x)) { return x; }
  var bits = bitcast<u32>(x);
  var e = 0;
  if ((bits & 0x7f800000u) == 0u) {
    x = x * 8388608.0;
    bits = bitcast<u32>(x);
    e = -23;
  }
  e = e + i32(bits >> 23u) - 127;
  var m = bitcast<f32>((bits & 0x007fffffu) | 0x3f800000u);
  if (m > 1.41421356) { m = m * 0.5; e = e + 1; }
  let fe = f32(e);
  return fe * 0.693145751953125 + (log1p_kernel_(m - 1.0) + fe * 1.428606765330187e-6);
}

/**
 * ln(1 + x): the kernel on x itself near 0, where 1 + x would round; ln(1 + x) further out,
 * where that rounding costs at most an ulp. (No correction term like x/((1+x)−1): a compiler
 * that reassociates floats may fold it away.)
 */
fn log1p_(x: f32) -> f32 {
  if (is_nan_(x) || x < -1.0) { return nan_(); }
  if (is_inf_(x)) { return x; }
  if (x >= -0.29289322 && x <= 0.41421356) { return log1p_kernel_(x); }
  return log_(1.0 + x);
}

/** sin and cos of r ∈ [−π/4, π/4] by Taylor polynomials (truncation < 2e-9). */
fn sin_kernel_(r: f32) -> f32 {
  let z = r * r;
  return r + r * z * (-1.6666667e-1 + z * (8.3333338e-3 + z * (-1.9841270e-4 + z * (2.7557319e-6 - z * 2.5052108e-8))));
}
fn cos_kernel_(r: f32) -> f32 {
  let z = r * r;
  return 1.0 - 0.5 * z + z * z * (4.1666668e-2 + z * (-1.3888889e-3 + z * (2.4801587e-5 + z * (-2.7557319e-7 + z * 2.0876757e-9))));
}

/** sin x (q = 0) or cos x (q = 1): x = n·π/2 + r with π/2 in three parts, then the quadrant. */
fn sincos_(x: f32, q: u32) -> f32 {
  if (is_nan_(x) || is_inf_(x)) { return nan_(); }
  // Beyond the exact range of the three-part reduction the driver's own sin/cos take over.
  if (abs(x) > 8192.0) { return select(sin(x), cos(x), q == 1u); }
  let n = round(x * 0.636619772);
  let r = ((x - n * 1.5703125) - n * 4.83751297e-4) - n * 7.549790126e-8;
  let k = (u32(i32(n) & 3) + q) & 3u;
  if (k == 0u) { return sin_kernel_(r); }
  if (k == 1u) { return cos_kernel_(r); }
  if (k == 2u) { return -sin_kernel_(r); }
  return -cos_kernel_(r);
}
fn sin_(x: f32) -> f32 { return sincos_(x, 0u); }
fn cos_(x: f32) -> f32 { return sincos_(x, 1u); }

/** tanh x = expm1(2|x|)/(expm1(2|x|) + 2) with the sign of x. */
fn tanh_(x: f32) -> f32 {
  if (is_nan_(x)) { return x; }
  let a = abs(x);
  if (a > 9.5) { return sign(x); }
  let t = expm1_(2.0 * a);
  return select(-1.0, 1.0, x >= 0.0) * (t / (t + 2.0));
}

/** 1/(1 + e^−x), evaluated without overflow on either side. */
fn sigmoid_(x: f32) -> f32 {
  if (x >= 0.0) { return 1.0 / (1.0 + exp_(-x)); }
  let e = exp_(x);
  return e / (1.0 + e);
}

/** ln(1 + e^x) without overflow. */
fn softplus_(x: f32) -> f32 {
  if (x > 0.0) { return x + log1p_(exp_(-x)); }
  return log1p_(exp_(x));
}

/** erf z for |z| ≤ 1: its Taylor series in z² to z^21 (alternating; ≤ 3 ulps near |z| = 1). */
fn erf_small_(z: f32) -> f32 {
  let w = z * z;
  return z * (1.128379226 + w * (-3.761263788e-1 + w * (1.128379181e-1 + w * (-2.686617151e-2 + w * (5.223977845e-3 + w * (-8.548327023e-4
    + w * (1.205533263e-4 + w * (-1.492565025e-5 + w * (1.646211444e-6 + w * (-1.636584415e-7 + w * 1.480719281e-8))))))))));
}

/**
 * erfc(z)·e^{z²} for z ≥ ½: polynomials in z − c fitted (least squares on Chebyshev nodes,
 * float64 reference from mpmath) on [½,1] (degree 7), [1,2], [2,3.5], [3.5,6], [6,10]
 * (degree 8); the asymptotic series 1/(z√π)·(1 − 1/(2z²) + 3/(4z⁴) − 15/(8z⁶)) beyond 10.
 * ≤ 2 ulps in float32.
 */
fn erfcx_(z: f32) -> f32 {
  if (z < 1.0) {
    let d = z - 0.75;
    return 5.069376230e-01 + d * (-3.679727018e-01 + d * (2.309582829e-01 + d * (-1.298361719e-01 + d * (6.677842140e-02 + d * (-3.189096227e-02 + d * (1.459794119e-02 + d * -6.185256410e-03))))));
  }
  if (z >= 10.0) {
    let w = 1.0 / (z * z);
    return (0.5641895835 / z) * (1.0 + w * (-0.5 + w * (0.75 - w * 1.875)));
  }
  if (z < 2.0) {
    let d = z - 1.5;
    return 3.215854168e-01 + d * (-1.636229008e-01 + d * (7.615102828e-02 + d * (-3.293146938e-02 + d * (1.337763667e-02 + d * (-5.137898494e-03 + d * (1.882845187e-03 + d * (-7.043658406e-04 + d * 2.381558152e-04)))))));
  }
  if (z < 3.5) {
    let d = z - 2.75;
    return 1.936620921e-01 + d * (-6.323762983e-02 + d * (1.975858770e-02 + d * (-5.934540648e-03 + d * (1.719665132e-03 + d * (-4.809087841e-04 + d * (1.307713392e-04 + d * (-3.769483374e-05 + d * 9.759235581e-06)))))));
  }
  if (z < 6.0) {
    let d = z - 4.75;
    return 1.163027063e-01 + d * (-2.350343950e-02 + d * (4.661322106e-03 + d * (-9.081701282e-04 + d * (1.739492291e-04 + d * (-3.261378515e-05 + d * (6.044099791e-06 + d * (-1.246419060e-06 + d * 2.266708918e-07)))))));
  }
  let d = z - 8.0;
  return 6.998516619e-02 + d * (-8.616504259e-03 + d * (1.053101965e-03 + d * (-1.278004929e-04 + d * (1.540008998e-05 + d * (-1.831908662e-06 + d * (2.173946001e-07 + d * (-2.932190313e-08 + d * 3.481659405e-09)))))));
}

/** e^{−x²/2} with x² split exactly: s = x cut to 12 significant bits, x² = s² + (x − s)(x + s). */
fn exp_half_sq_neg_(x: f32) -> f32 {
  let s = bitcast<f32>(bitcast<u32>(x) & 0xfffff000u);
  return exp_(-0.5 * s * s) * exp_(-0.5 * ((x - s) * (x + s)));
}

fn erf_(z: f32) -> f32 {
  if (is_nan_(z)) { return z; }
  let a = abs(z);
  if (a <= 1.0) { return erf_small_(z); }
  let s = bitcast<f32>(bitcast<u32>(a) & 0xfffff000u);
  let e = erfcx_(a) * exp_(-s * s) * exp_(-((a - s) * (a + s)));
  return select(-1.0, 1.0, z >= 0.0) * (1.0 - e);
}

/** Φ(x) = ½ erfc(−x/√2), the standard normal CDF, with relative accuracy in the lower tail. */
fn Phi_(x: f32) -> f32 {
  if (is_nan_(x)) { return x; }
  let z = abs(x) * 0.70710678;
  // Near 0 from ½ + ½erf; further out from the tail ½erfc(|x|/√2), so that a small Φ is not a difference.
  if (z < 0.5) { return 0.5 + 0.5 * erf_small_(x * 0.70710678); }
  let tail = 0.5 * erfcx_(z) * exp_half_sq_neg_(x);
  return select(tail, 1.0 - tail, x > 0.0);
}

/** gelu(x) = x·Φ(x) (the exact, erf form). */
fn gelu_(x: f32) -> f32 { return x * Phi_(x); }

/** d/dx gelu(x) = Φ(x) + x·φ(x). */
fn gelugrad_(x: f32) -> f32 {
  // As the reference's ½(1 + erf(x/√2)) + x·φ(x): ∞·0 is NaN at ±∞.
  if (is_nan_(x) || is_inf_(x)) { return nan_(); }
  return Phi_(x) + x * 0.3989422804 * exp_half_sq_neg_(x);
}
