// Adaptive feature aggregation (AFA) of frozen expert denoisers (Wang et al., "Ensembling
// Diffusion Models via Adaptive Feature Aggregation", arXiv 2405.17082; PAPERS.md §14; authors'
// models/modules/aggregator.py).
//
// M experts with one architecture (an MLP here, a population arena [M, P]) run layer by layer.
// At every layer l each expert computes its block features F_m = layer_l(h) from the shared
// aggregated input h; an aggregator g_l reads [F_1, …, F_M, t_emb] and gives softmax weights
// a = softmax_m(g_l(·)) per example; the aggregated features h ← Σ_m a_m F_m feed every expert's
// next layer. The output layer is aggregated the same way. Each g_l's last layer is
// zero-initialised (the authors' conv_out), so at step 0 a = 1/M everywhere and the ensemble is
// exactly the uniform feature average (static merging). Only the aggregators train.
//
// The paper's SABW aggregator is conv1x1 → ResBlock(t_emb) → Transformer2D(text) → conv1x1 per
// spatial location of a U-Net block; on MLP experts the "location" is the example and the block
// is a layer, so g_l is a small MLP (the toy of PAPERS.md §14).

import {
  MLP, Tensor, checkInt, concat, mlpLayer, mul, permute, reshape, slice, softmax, sum, tensor, tidy, transpose, typeError,
} from '../../engine.js';

/** The aggregators of an AFA ensemble and where each one's parameters sit in one arena. */
export interface AfaAggregators {
  /** One aggregator MLP per expert layer: [M·n_l + E, hidden, M]. */
  models: MLP[];
  /** Offset of aggregator l's parameters in the arena. */
  offsets: number[];
  /** The arena's length. */
  size: number;
  /** Number of experts M. */
  experts: number;
}

/**
 * Aggregators for M experts of architecture `experts` and a conditioning embedding of width
 * `embedding`, with a zero-initialised arena (their last layers are zero, the others seeded).
 * @example
 * const { aggregators, params } = createAggregators(expertNet, 2, 9, { seed: 0 });
 */
export function createAggregators(experts: MLP, m: number, embedding: number, opts: { hidden?: number; seed: number }): { aggregators: AfaAggregators; params: Tensor } {
  const fn = 'createAggregators';
  if (!(experts instanceof MLP)) throw typeError(fn, 'experts', 'an MLP (the experts\' shared architecture)', experts);
  checkInt(fn, 'm', m, 2);
  checkInt(fn, 'embedding', embedding, 0);
  const hidden = checkInt(fn, 'opts.hidden', opts.hidden ?? 64, 1);
  const models: MLP[] = [], offsets: number[] = [], parts: Float32Array[] = [];
  let size = 0;
  for (let l = 1; l <= experts.depth; l++) {
    const g = new MLP([m * experts.sizes[l]! + embedding, hidden, m], { activation: 'relu' });
    const p = g.init({ seed: opts.seed + l });
    const host = Float32Array.from(p.dataSync());
    p.dispose();
    const last = g.layerRange(2);
    host.fill(0, last.begin, last.end); // zero-init: a = softmax(0) = 1/M
    models.push(g); offsets.push(size); parts.push(host);
    size += g.size;
  }
  const arena = new Float32Array(size);
  parts.forEach((p, l) => arena.set(p, offsets[l]!));
  return { aggregators: { models, offsets, size, experts: m }, params: tensor(arena, [size]) };
}

/** What an AFA forward pass gives: the ensemble output and each layer's weights [M, B]. */
export interface AfaOutput {
  output: Tensor;
  weights: Tensor[];
}

/**
 * The AFA ensemble's output for expert inputs x [B, n0] (shared by every expert) and the
 * aggregators' conditioning emb [B, E]: experts' layers are run as one population (params
 * [M, P]) and aggregated after every layer with learned softmax weights, or with 1/M each when
 * `aggregatorParams` is null (the uniform feature average, computed as a plain mean over the
 * experts).
 */
export function afaForward(experts: MLP, expertParams: Tensor, aggregators: AfaAggregators, aggregatorParams: Tensor | null, x: Tensor, emb: Tensor): AfaOutput {
  const fn = 'afaForward';
  if (!(expertParams instanceof Tensor) || expertParams.rank !== 2 || expertParams.shape[0] !== aggregators.experts) {
    throw typeError(fn, 'expertParams', `a population arena [${aggregators.experts}, ${experts.size}]`, expertParams);
  }
  if (!(x instanceof Tensor) || x.rank !== 2) throw typeError(fn, 'x', 'a Tensor [B, n0]', x);
  const m = aggregators.experts, b = x.shape[0]!;
  const weights: Tensor[] = [];
  let h = x;
  for (let l = 1; l <= experts.depth; l++) {
    const f = mlpLayer(experts, expertParams, l, h); // [M, B, n_l]
    const n = experts.sizes[l]!;
    if (aggregatorParams === null) {
      h = mul(sum(f, 0), 1 / m);
      continue;
    }
    const g = aggregators.models[l - 1]!;
    const feats = concat([reshape(permute(f, [1, 0, 2]), [b, m * n]), emb], 1);
    const a = softmax(g.apply(slice(aggregatorParams, [aggregators.offsets[l - 1]!], [g.size]), feats), 1); // [B, M]
    const at = transpose(a); // [M, B]
    weights.push(at);
    h = sum(mul(f, reshape(at, [m, b, 1])), 0);
  }
  return { output: h, weights };
}

/** The uniform feature average of the experts (AFA with every weight 1/M): [B, nL]. */
export function uniformFeatureAverage(experts: MLP, expertParams: Tensor, m: number, x: Tensor): Tensor {
  return tidy(() => afaForward(experts, expertParams, { models: [], offsets: [], size: 0, experts: m }, null, x, x).output);
}
