// Quadratic forms gᵀMg of an MLP's mean softmax-cross-entropy loss, M its Hessian or its
// Gauss-Newton matrix, for a block of probes g at once, by second-order forward mode
// (Taylor mode): one pass carries each probe's first and second derivatives along the line
// θ + t·g through the layers,
//   ż_l = ḣ_{l−1}·W_l + h_{l−1}·Ẇ_l + ḃ_l,   z̈_l = ḧ_{l−1}·W_l + 2·ḣ_{l−1}·Ẇ_l,
//   ḣ_l = σ′(z_l)·ż_l,   ḧ_l = σ″(z_l)·ż_l² + σ′(z_l)·z̈_l   (h_0 = x: ḣ_0 = ḧ_0 = 0),
// and at the logits z, per row, with p = softmax(z) and y the one-hot label,
//   d²ℓ/dt² = żᵀ(diag p − p pᵀ)ż + (p − y)·z̈   (the Gauss-Newton form keeps the first term).
// gᵀHg is the batch-weighted mean of that over the rows. A Hutchinson trace needs only these
// numbers, not M·g, and this pass has no backward half: for a ReLU network (σ″ = 0) it costs
// about half a Hessian-vector product. Exact in exact arithmetic (tests compare it with
// gᵀ(M·g) from the autodiff operators).

import { zeros } from '../ops/creation.js';
import { ACTIVATION_D1, ACTIVATION_D2, ACTIVATION_FN } from '../ops/activations.js';
import type { Activation } from '../ops/activations.js';
import { add, cast, mul, square, sub } from '../ops/elementwise.js';
import { linear, matmul } from '../ops/matmul.js';
import { oneHot, softmax } from '../ops/nn.js';
import { sum } from '../ops/reduce.js';
import { concat, reshape, slice } from '../ops/views.js';
import { keep, tidy } from '../tensor.js';
import type { Tensor } from '../tensor.js';
import type { Range } from './layout.js';
import type { MLP } from './mlp.js';

export interface QuadraticBatch {
  x: Tensor;
  /** int32 class labels. */
  y: Tensor;
}

/**
 * What each layer's activation contributes: σ′(z) and σ″(z) (null where σ′ = 1 or σ″ = 0)
 * from z and h = σ(z), by the one derivative table the autodiff rules also use.
 */
function derivatives(act: Activation, z: Tensor, h: Tensor): { d1: Tensor | null; d2: Tensor | null } {
  if (act === 'identity') return { d1: null, d2: null };
  const d1 = ACTIVATION_D1[act](z, h);
  const second = ACTIVATION_D2[act];
  return { d1, d2: second ? second(z, h, d1) : null };
}

interface Primal {
  /** h_0 = x, h_1, ..., h_{L−1}. */
  h: Tensor[];
  /** σ′ and σ″ of layers 1..L−1 (index l − 1). */
  d1: (Tensor | null)[];
  d2: (Tensor | null)[];
  p: Tensor;
  /** p − y. */
  r: Tensor;
}

/**
 * gᵢᵀ M gᵢ for the rows gᵢ of G [b, m] (m = the arena's size, or the range's length), M the
 * Hessian (`kind` 'hessian') or Gauss-Newton matrix of Σ_i weights[i]·(mean loss on
 * batches[i]); returns a function G → [b]. The forward pass at params is computed on first
 * use and kept until dispose().
 */
export function mlpQuadraticForms(model: MLP, params: Tensor, batches: readonly QuadraticBatch[], weights: readonly number[],
  kind: 'hessian' | 'ggn', range?: Range): { forms: (G: Tensor) => Tensor; dispose: () => void } {
  const L = model.depth;
  const layout = model.layout;
  let primal: Primal[] | null = null;
  const run = (b: QuadraticBatch): Primal => {
    const out = tidy(() => {
      const h: Tensor[] = [b.x];
      const d1: (Tensor | null)[] = [], d2: (Tensor | null)[] = [];
      let z = linear(b.x, layout.view(params, 'W1'), layout.view(params, 'b1'));
      for (let l = 1; l < L; l++) {
        const hl = ACTIVATION_FN[model.activation](z);
        const d = derivatives(model.activation, z, hl);
        h.push(hl);
        d1.push(d.d1);
        d2.push(d.d2);
        z = linear(hl, layout.view(params, `W${l + 1}`), layout.view(params, `b${l + 1}`));
      }
      const p = softmax(z, -1);
      const onehot = oneHot(reshape(b.y, [b.y.size]), z.shape.at(-1)!);
      const r = sub(p, onehot.dtype === p.dtype ? onehot : cast(onehot, p.dtype));
      return { h, d1, d2, p, r };
    });
    // b.x is the caller's; everything else is ours to keep.
    for (const t of [...out.h.slice(1), ...out.d1, ...out.d2, out.p, out.r]) if (t) keep(t);
    return out;
  };

  const forms = (G: Tensor): Tensor => tidy(() => {
    primal ??= batches.map(run);
    const b = G.shape[0]!;
    const full = range
      ? concat([
        ...(range.begin > 0 ? [zeros([b, range.begin], { dtype: G.dtype, backend: G.backend })] : []),
        G,
        ...(range.end < layout.size ? [zeros([b, layout.size - range.end], { dtype: G.dtype, backend: G.backend })] : []),
      ], 1)
      : G;
    /** Probe tangents of a parameter: [b, ...shape], or null when it lies outside the range. */
    const tangent = (name: string): Tensor | null => {
      const info = layout.get(name);
      if (range && (info.offset + info.size <= range.begin || info.offset >= range.end)) return null;
      return reshape(slice(full, [0, info.offset], [b, info.size]), [b, ...info.shape]);
    };
    let total: Tensor | null = null;
    primal.forEach((pr, i) => {
      let hd: Tensor | null = null, hdd: Tensor | null = null;
      let zd: Tensor | null = null, zdd: Tensor | null = null;
      for (let l = 1; l <= L; l++) {
        const w = layout.view(params, `W${l}`);
        const wd = tangent(`W${l}`), bd = tangent(`b${l}`);
        const hPrev = pr.h[l - 1]!;
        const out = w.shape[1]!;
        zd = sumOf([
          hd ? rowsTimes(hd, w) : null,
          wd ? matmul(hPrev, wd) : null,
          bd ? reshape(bd, [b, 1, out]) : null,
        ]);
        zdd = kind === 'ggn' ? null : sumOf([
          hdd ? rowsTimes(hdd, w) : null,
          hd && wd ? mul(matmul(hd, wd), 2) : null,
        ]);
        if (l === L) break;
        const d1 = pr.d1[l - 1] ?? null, d2 = pr.d2[l - 1] ?? null;
        hd = zd ? (d1 ? mul(zd, d1) : zd) : null;
        hdd = sumOf([
          d2 && zd ? mul(square(zd), d2) : null,
          zdd ? (d1 ? mul(zdd, d1) : zdd) : null,
        ]);
      }
      if (!zd) return;
      // Per row: Σ_c p ż² − (Σ_c p ż)² (+ Σ_c (p − y) z̈ for the Hessian); then the batch mean.
      const pz = mul(pr.p, zd);
      let perRow = sub(sum(mul(pz, zd), -1), square(sum(pz, -1)));
      if (zdd) perRow = add(perRow, sum(mul(pr.r, zdd), -1));
      const rowsN = pr.p.shape[0]!;
      const part = mul(sum(perRow, -1), weights[i]! / rowsN);
      total = total ? add(total, part) : part;
    });
    return reshape(total ?? zeros([b], { dtype: G.dtype, backend: G.backend }), [b]);
  });

  return {
    forms,
    dispose() {
      for (const pr of primal ?? []) for (const t of [...pr.h.slice(1), ...pr.d1, ...pr.d2, pr.p, pr.r]) t?.dispose();
      primal = null;
    },
  };
}

/** t·w for probe rows t [b, rows, in] against a matrix w [in, out]: one product over all rows. */
function rowsTimes(t: Tensor, w: Tensor): Tensor {
  const [b, rows, inp] = t.shape as [number, number, number];
  if (!t.isContiguous) return matmul(t, w);
  return reshape(matmul(reshape(t, [b * rows, inp]), w), [b, rows, w.shape[1]!]);
}

function sumOf(ts: readonly (Tensor | null)[]): Tensor | null {
  let acc: Tensor | null = null;
  for (const t of ts) if (t) acc = acc ? add(acc, t) : t;
  return acc;
}
