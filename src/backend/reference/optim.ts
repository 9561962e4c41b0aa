// Reference optimizer steps: the living definition of every fused optimizer op.
//
// Layout (see OptimArgs in ../ops.ts): p, g and per-element state are [replicas, size];
// replica r is cut into groups by `bounds`, and (r, group j) reads its record
// h = hyper[(r·G + j)·K …] with the fields of OPTIM_HYPER[op]. All arithmetic here is in
// float64 on the arena-precision hyperparameters; results are rounded once, when stored. In every
// formula below g′ = s·g + weightDecay·p (L2 coupled to the gradient), where s is the
// gradient-clipping scale of the replica (1 when h.clip = 0), and `keep` = 1 − lr·λ is
// decoupled weight decay (Loshchilov & Hutter 2019) applied to p before the update.

import { arrayFor } from '../../dtype.js';
import { host, HostStorage } from '../host.js';
import type { Contig, OpSignatures, OptimArgs, OptimOp, Storage } from '../ops.js';
import { checkOptimArgs, OPTIM_HYPER, RMSPROP_VARIANT } from '../ops.js';

type Arr = Float32Array | Float64Array | Int32Array;
type Rec = Readonly<Record<string, number>>;

/** Field name → value for the record of (r, j). */
function record(op: OptimOp, hyper: Float32Array | Float64Array, at: number): Rec {
  const names = OPTIM_HYPER[op], out: Record<string, number> = {};
  for (let f = 0; f < names.length; f++) out[names[f]!] = hyper[at * names.length + f]!;
  return out;
}

/** The clipping scale of replica r: min(1, clip / (‖g_r‖ + 1e-6)), or 1 when clip = 0. */
export function clipScale(clip: number, norms: Arr | null, normsOffset: number, r: number, groups: number): number {
  if (clip === 0) return 1;
  if (norms === null) throw new TypeError('optimizer step: a clip norm is set but no \'norms\' were given');
  let total = 0;
  for (let j = 0; j < groups; j++) total += norms[normsOffset + r * groups + j]!;
  return Math.min(1, clip / (Math.sqrt(total) + 1e-6));
}

/**
 * Calls `body(i, h, s)` for every element index i (into the [replicas, size] layout) with
 * its group's record h and its replica's clipping scale s. `pre(r, j, h, s)` runs once per
 * (replica, group) before its elements.
 */
function visit(op: OptimOp, a: OptimArgs, body: (i: number, h: Rec, s: number) => void,
  pre?: (r: number, j: number, h: Rec, s: number) => void): void {
  checkOptimArgs(op, a);
  const G = a.bounds.length - 1;
  const norms = a.norms ? host(a.norms.s).data : null;
  for (let r = 0; r < a.replicas; r++) {
    for (let j = 0; j < G; j++) {
      const h = record(op, a.hyper, r * G + j);
      const s = clipScale(h.clip!, norms, a.norms?.offset ?? 0, r, G);
      pre?.(r, j, h, s);
      for (let k = a.bounds[j]!; k < a.bounds[j + 1]!; k++) body(r * a.size + k, h, s);
    }
  }
}

/** Typed array and offset of each handle. */
function views(a: OptimArgs): { p: Arr; po: number; g: Arr; go: number; st: Arr[]; so: number[] } {
  return {
    p: host(a.p.s).data, po: a.p.offset, g: host(a.g.s).data, go: a.g.offset,
    st: a.state.map((c) => host(c.s).data), so: a.state.map((c) => c.offset),
  };
}

export const optim: Pick<OpSignatures, 'optimSumSq' | OptimOp> = {
  /** out[r·G + j] = Σ_{k ∈ [b_j, b_{j+1})} x[r·size + k]², accumulated in float64, stored float32. */
  optimSumSq(x: Contig, replicas: number, size: number, bounds: Int32Array): Storage {
    const d = host(x.s).data, G = bounds.length - 1, out = arrayFor('float32', replicas * G);
    for (let r = 0; r < replicas; r++) {
      for (let j = 0; j < G; j++) {
        let acc = 0;
        for (let k = bounds[j]!; k < bounds[j + 1]!; k++) {
          const v = d[x.offset + r * size + k]!;
          acc += v * v;
        }
        out[r * G + j] = acc;
      }
    }
    return new HostStorage(out);
  },

  /**
   * SGD with momentum μ, dampening d, Nesterov and weight decay (as torch.optim.SGD;
   * Sutskever et al. 2013 for the Nesterov form):
   * with a buffer b: b ← μ·b + (1 − d)·g′, u = nesterov ? g′ + μ·b : b; without: u = g′;
   * p ← keep·p − lr·u. The host passes d = 0 on the first step (torch starts b at g′).
   */
  sgdStep(a: OptimArgs): void {
    const { p, po, g, go, st, so } = views(a);
    const buf = st[0], bo = so[0] ?? 0;
    visit('sgdStep', a, (i, h, s) => {
      const pv = p[po + i]!;
      const gp = s * g[go + i]! + h.weightDecay! * pv;
      let u = gp;
      if (buf) {
        const b = h.momentum! * buf[bo + i]! + (1 - h.dampening!) * gp;
        buf[bo + i] = b;
        u = h.nesterov! !== 0 ? gp + h.momentum! * b : b;
      }
      p[po + i] = h.keep! * pv - h.lr! * u;
    });
  },

  /**
   * Adam (Kingma & Ba 2015, Alg. 1), AdamW (decoupled decay, `keep`) and AMSGrad
   * (Reddi et al. 2018): m ← β1·m + (1 − β1)·g′, v ← β2·v + (1 − β2)·g′²,
   * v̄ = AMSGrad ? (vmax ← max(vmax, v)) : v,
   * p ← keep·p − stepSize·m / (√v̄·bc2Rsqrt + ε), stepSize = lr/(1 − β1ᵗ), bc2Rsqrt = 1/√(1 − β2ᵗ).
   */
  adamStep(a: OptimArgs): void {
    const { p, po, g, go, st, so } = views(a);
    const [m, v, vmax] = st as [Arr, Arr, Arr | undefined];
    const [mo, vo, xo] = so as [number, number, number | undefined];
    visit('adamStep', a, (i, h, s) => {
      const pv = p[po + i]!;
      const gp = s * g[go + i]! + h.weightDecay! * pv;
      const mv = h.beta1! * m[mo + i]! + (1 - h.beta1!) * gp;
      const vv = h.beta2! * v[vo + i]! + (1 - h.beta2!) * gp * gp;
      m[mo + i] = mv;
      v[vo + i] = vv;
      let vb = vv;
      if (vmax) {
        vb = Math.max(vmax[xo! + i]!, vv);
        vmax[xo! + i] = vb;
      }
      p[po + i] = h.keep! * pv - h.stepSize! * mv / (Math.sqrt(vb) * h.bc2Rsqrt! + h.eps!);
    });
  },

  /** AdaGrad (Duchi, Hazan & Singer 2011): σ ← σ + g′², p ← keep·p − lr·g′/(√σ + ε). */
  adagradStep(a: OptimArgs): void {
    const { p, po, g, go, st, so } = views(a);
    const sum = st[0]!, o = so[0]!;
    visit('adagradStep', a, (i, h, s) => {
      const pv = p[po + i]!;
      const gp = s * g[go + i]! + h.weightDecay! * pv;
      const acc = sum[o + i]! + gp * gp;
      sum[o + i] = acc;
      p[po + i] = h.keep! * pv - h.lr! * gp / (Math.sqrt(acc) + h.eps!);
    });
  },

  /**
   * AdaGradNorm (Ward, Wu & Bottou 2019; as in AdAdaGrad, Lau et al. 2024): one scalar per
   * (replica, group): b² ← b² + s²·‖g‖²_group, p ← keep·p − lr·s·g/(√b² + ε). State is b²,
   * [replicas·G], and `norms` must hold ‖g‖²_group. No coupled weight decay (the norm is of g).
   */
  adagradNormStep(a: OptimArgs): void {
    const { p, po, g, go, st, so } = views(a);
    if (!a.norms) throw new TypeError('adagradNormStep: expected the squared group norms for \'norms\' but received undefined');
    const norms = host(a.norms.s).data, no = a.norms.offset;
    const acc = st[0]!, ao = so[0]!, G = a.bounds.length - 1;
    let denom = 0;
    visit('adagradNormStep', a, (i, h, s) => {
      p[po + i] = h.keep! * p[po + i]! - h.lr! * s * g[go + i]! / denom;
    }, (r, j, h, s) => {
      const b2 = acc[ao + r * G + j]! + s * s * norms[no + r * G + j]!;
      acc[ao + r * G + j] = b2;
      denom = Math.sqrt(b2) + h.eps!;
    });
  },

  /**
   * RMSProp (Hinton, Coursera lecture 6e, 2012; centred form of Graves 2013, as torch.optim.RMSprop):
   * v ← α·v + (1 − α)·g′²; centred: ḡ ← α·ḡ + (1 − α)·g′, d = √max(v − ḡ², 0) + ε, else d = √v + ε;
   * with momentum μ: b ← μ·b + g′/d, p ← keep·p − lr·b; without: p ← keep·p − lr·(g′/d).
   */
  rmspropStep(a: OptimArgs): void {
    const { p, po, g, go, st, so } = views(a);
    const centered = (a.variant & RMSPROP_VARIANT.centered) !== 0;
    const momentum = (a.variant & RMSPROP_VARIANT.momentum) !== 0;
    const v = st[0]!, vo = so[0]!;
    const ga = centered ? st[1]! : null, gao = centered ? so[1]! : 0;
    const buf = momentum ? st[centered ? 2 : 1]! : null, bo = momentum ? so[centered ? 2 : 1]! : 0;
    visit('rmspropStep', a, (i, h, s) => {
      const pv = p[po + i]!;
      const gp = s * g[go + i]! + h.weightDecay! * pv;
      const vv = h.alpha! * v[vo + i]! + (1 - h.alpha!) * gp * gp;
      v[vo + i] = vv;
      let d: number;
      if (ga) {
        const gav = h.alpha! * ga[gao + i]! + (1 - h.alpha!) * gp;
        ga[gao + i] = gav;
        d = Math.sqrt(Math.max(vv - gav * gav, 0)) + h.eps!;
      } else {
        d = Math.sqrt(vv) + h.eps!;
      }
      if (buf) {
        const b = h.momentum! * buf[bo + i]! + gp / d;
        buf[bo + i] = b;
        p[po + i] = h.keep! * pv - h.lr! * b;
      } else {
        p[po + i] = h.keep! * pv - h.lr! * (gp / d);
      }
    });
  },

  /**
   * diffGrad (Dubey et al. 2019, arXiv 1909.11015; the authors' corrected diffGrad_v2.py):
   * ξ = 1/(1 + e) with e = e^{−|g′_prev − g′|} (e = 1, ξ = ½, when constFriction = 1: the
   * published runs), m, v as Adam, g′_prev ← g′,
   * p ← keep·p − stepSize·ξ·m/(√v + ε) = keep·p − stepSize·m/((1 + e)·(√v + ε)),
   * stepSize = lr·√(1 − β2ᵗ)/(1 − β1ᵗ). The previous gradient starts at 0.
   */
  diffgradStep(a: OptimArgs): void {
    const { p, po, g, go, st, so } = views(a);
    const [m, v, prev] = st as [Arr, Arr, Arr];
    const [mo, vo, qo] = so as [number, number, number];
    visit('diffgradStep', a, (i, h, s) => {
      const pv = p[po + i]!;
      const gp = s * g[go + i]! + h.weightDecay! * pv;
      const e = h.constFriction! !== 0 ? 1 : Math.exp(-Math.abs(prev[qo + i]! - gp));
      const mv = h.beta1! * m[mo + i]! + (1 - h.beta1!) * gp;
      const vv = h.beta2! * v[vo + i]! + (1 - h.beta2!) * gp * gp;
      m[mo + i] = mv;
      v[vo + i] = vv;
      prev[qo + i] = gp;
      p[po + i] = h.keep! * pv - h.stepSize! * mv / ((1 + e) * (Math.sqrt(vv) + h.eps!));
    });
  },

  /**
   * Unnormalised exponentiated gradient with positive and negative weights, EGU±
   * (Kivinen & Warmuth 1997): with state [u, v], u ← u·e^{−lr·g′}, v ← v·e^{lr·g′}, p = u − v.
   * With no state, the sign-preserving form of Dale's-law networks (Cornford et al. 2024,
   * "Brain-like learning with exponentiated gradients"): p ← p·e^{−lr·sign(p)·g′}; it equals
   * EGU± started with one of u, v zero, so a weight never changes sign.
   */
  egStep(a: OptimArgs): void {
    const { p, po, g, go, st, so } = views(a);
    const u = st[0], v = st[1], uo = so[0] ?? 0, vo = so[1] ?? 0;
    visit('egStep', a, (i, h, s) => {
      const pv = p[po + i]!;
      const gp = s * g[go + i]! + h.weightDecay! * pv;
      if (u && v) {
        const uu = u[uo + i]! * Math.exp(-h.lr! * gp);
        const vv = v[vo + i]! * Math.exp(h.lr! * gp);
        u[uo + i] = uu;
        v[vo + i] = vv;
        p[po + i] = uu - vv;
      } else {
        p[po + i] = pv * Math.exp(-h.lr! * Math.sign(pv) * gp);
      }
    });
  },

  /**
   * Optimistic mirror descent with the last gradient as the hint (Rakhlin & Sridharan 2013;
   * Chen et al. 2023, arXiv 2302.04552): p is the played point x_t, the state is x̂.
   * Euclidean (entropic = 0): x̂ ← x̂ − lr·g′, p ← x̂ − lr·g′ (so p moves by −2·lr·g′_t + lr·g′_{t−1}).
   * Entropic (entropic = 1, positive orthant): x̂ ← x̂·e^{−lr·g′}, p ← x̂·e^{−lr·g′}.
   * x̂ starts at p.
   */
  optimisticStep(a: OptimArgs): void {
    const { p, po, g, go, st, so } = views(a);
    const xh = st[0]!, xo = so[0]!;
    visit('optimisticStep', a, (i, h, s) => {
      const gp = s * g[go + i]! + h.weightDecay! * p[po + i]!;
      if (h.entropic! !== 0) {
        const e = Math.exp(-h.lr! * gp);
        const x = xh[xo + i]! * e;
        xh[xo + i] = x;
        p[po + i] = x * e;
      } else {
        const x = xh[xo + i]! - h.lr! * gp;
        xh[xo + i] = x;
        p[po + i] = x - h.lr! * gp;
      }
    });
  },
};
