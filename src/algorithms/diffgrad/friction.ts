// diffGrad's friction coefficient, measured on the engine's fused optimizer.
//
// Dubey et al. 2019 (arXiv 1909.11015), PAPERS.md §7: diffGrad scales Adam's step
// element-wise by the friction ξ_t = σ(|g_{t−1} − g_t|) = 1 / (1 + e^{−|Δg|}) ∈ [½, 1)
// (g_0 = 0). Since m_t and v_t follow the same recursions in both methods, the ratio of
// diffGrad's displacement to Adam's at step t, fed the same gradients, is exactly ξ_t:
// ½ when the gradient does not change, → 1 (1 − ξ ≈ e^{−|Δg|}) when it changes a lot. The
// published runs used a version whose previous gradient aliased the current one, so ξ ≡ ½
// from step 2 on (`legacyConstantFriction`).

import { Adam, DiffGrad, tensor, zeros } from '../../engine.js';
import type { Tensor } from '../../engine.js';

/** The friction ξ = σ(|Δg|) = 1 / (1 + e^{−|Δg|}) of diffGrad (PAPERS.md §7, eq. for ξ_t), in float64. */
export function diffGradFriction(deltaG: number): number {
  return 1 / (1 + Math.exp(-Math.abs(deltaG)));
}

/** float32's unit roundoff u = 2^−24. */
const U32 = 2 ** -24;

export interface StepRatios {
  /** ratio[t][i]: diffGrad's displacement over Adam's at step t + 1, element i. */
  ratio: number[][];
  /** A bound on each ratio's rounding error in float32 (see stepRatios). */
  tolerance: number[][];
}

async function displacements(opt: { step(g: Tensor): void; dispose(): void }, p: Tensor, grads: readonly (readonly number[])[]): Promise<{ d: number[][]; mag: number[][] }> {
  const d: number[][] = [], mag: number[][] = [];
  let prev = Array.from(await p.data());
  for (const g of grads) {
    const gt = tensor(Float32Array.from(g), [g.length]);
    opt.step(gt);
    gt.dispose();
    const now = Array.from(await p.data());
    d.push(now.map((v, i) => v - prev[i]!));
    mag.push(now.map((v, i) => Math.abs(v) + Math.abs(prev[i]!)));
    prev = now;
  }
  opt.dispose();
  p.dispose();
  return { d, mag };
}

/**
 * Feeds the same gradient sequence (`grads[t]` is g_{t+1}, one number per element) to the
 * engine's DiffGrad and Adam (same lr, β₁, β₂, ε = 0, parameters starting at 0) and returns
 * the ratio of their displacements per step and element, which theory says is ξ_t.
 * Each ratio carries a float32 rounding bound: a displacement read as the difference of two
 * parameter values has error ≤ u(|θ_t| + |θ_{t−1}|), and the kernel's own step ≤ 16u of it,
 * so the ratio's relative error ≤ 2(u(|θ_t| + |θ_{t−1}|)/|Δθ| + 16u).
 */
export async function stepRatios(grads: readonly (readonly number[])[], opts: { lr?: number; beta1?: number; beta2?: number; legacy?: boolean } = {}): Promise<StepRatios> {
  const n = grads[0]!.length;
  const hyper = { lr: opts.lr ?? 0.01, beta1: opts.beta1 ?? 0.9, beta2: opts.beta2 ?? 0.999, eps: 0 };
  const pd = zeros([n]), pa = zeros([n]);
  const dg = await displacements(new DiffGrad(pd, { ...hyper, legacyConstantFriction: opts.legacy ?? false }), pd, grads);
  const ad = await displacements(new Adam(pa, hyper), pa, grads);
  const ratio = dg.d.map((row, t) => row.map((v, i) => v / ad.d[t]![i]!));
  const tolerance = ratio.map((row, t) => row.map((r, i) => {
    const rel = (m: number, d: number) => U32 * m / Math.abs(d) + 16 * U32;
    return 2 * Math.abs(r) * Math.max(rel(dg.mag[t]![i]!, dg.d[t]![i]!), rel(ad.mag[t]![i]!, ad.d[t]![i]!));
  }));
  return { ratio, tolerance };
}
