// Graphs as neighbour lists (compressed rows), the Metropolis–Hastings base chain and the
// self-repellent kernel of Hu, Doshi & Eun (arXiv 2401.09665, ICLR 2024; Doshi et al. 2023),
// all in float64 on the host.

import { philox4x32 } from '../../engine.js';

function argError(fn: string, arg: string, expected: string, received: unknown): RangeError {
  return new RangeError(`${fn}: expected ${expected} for '${arg}' but received ${Array.isArray(received) ? `an array of length ${received.length}` : String(received)}`);
}

function checkInt(fn: string, arg: string, v: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw argError(fn, arg, `an integer in [${min}, ${max}]`, v);
  return v;
}

/** An undirected simple graph: node i's neighbours are neighbors[offsets[i] … offsets[i+1]), sorted. */
export interface Graph {
  nodes: number;
  offsets: Int32Array;
  neighbors: Int32Array;
}

/** The degree of node i. */
export function degree(g: Graph, i: number): number {
  return g.offsets[i + 1]! - g.offsets[i]!;
}

/**
 * A graph from an undirected edge list (pairs of node ids; duplicates and both orientations
 * allowed, self-loops refused).
 */
export function graphFromEdges(nodes: number, edges: readonly (readonly [number, number])[]): Graph {
  const fn = 'graphFromEdges';
  checkInt(fn, 'nodes', nodes, 1);
  const adj: Set<number>[] = Array.from({ length: nodes }, () => new Set());
  edges.forEach(([a, b], k) => {
    checkInt(fn, `edges[${k}][0]`, a, 0, nodes - 1);
    checkInt(fn, `edges[${k}][1]`, b, 0, nodes - 1);
    if (a === b) throw argError(fn, `edges[${k}]`, 'two different nodes (no self-loops)', `${a}–${b}`);
    adj[a]!.add(b); adj[b]!.add(a);
  });
  const offsets = new Int32Array(nodes + 1);
  adj.forEach((s, i) => { offsets[i + 1] = offsets[i]! + s.size; });
  const neighbors = new Int32Array(offsets[nodes]!);
  adj.forEach((s, i) => neighbors.set(Array.from(s).sort((x, y) => x - y), offsets[i]!));
  return { nodes, offsets, neighbors };
}

/** The rows × cols torus (4-regular for rows, cols ≥ 3); node r·cols + c. */
export function torusGraph(rows: number, cols: number): Graph {
  checkInt('torusGraph', 'rows', rows, 3);
  checkInt('torusGraph', 'cols', cols, 3);
  const edges: [number, number][] = [];
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) {
    const i = r * cols + c;
    edges.push([i, r * cols + ((c + 1) % cols)], [i, ((r + 1) % rows) * cols + c]);
  }
  return graphFromEdges(rows * cols, edges);
}

/** Whether every node is reachable from node 0. */
export function isConnected(g: Graph): boolean {
  const seen = new Uint8Array(g.nodes);
  const stack = [0];
  seen[0] = 1;
  let count = 1;
  while (stack.length) {
    const i = stack.pop()!;
    for (let k = g.offsets[i]!; k < g.offsets[i + 1]!; k++) {
      const j = g.neighbors[k]!;
      if (!seen[j]) { seen[j] = 1; count++; stack.push(j); }
    }
  }
  return count === g.nodes;
}

/**
 * A connected Erdős–Rényi graph G(n, p) with p = meanDegree/(n − 1): draws from Philox (seed,
 * stream), one word per node pair, and redraws (next attempt's words) until connected.
 */
export function erdosRenyiGraph(nodes: number, meanDegree: number, seed: number, stream: number, maxAttempts = 1000): Graph {
  const fn = 'erdosRenyiGraph';
  checkInt(fn, 'nodes', nodes, 2);
  if (!(meanDegree > 0 && meanDegree <= nodes - 1)) throw argError(fn, 'meanDegree', `a number in (0, ${nodes - 1}]`, meanDegree);
  const p = meanDegree / (nodes - 1);
  const pairs = (nodes * (nodes - 1)) / 2;
  const w = new Uint32Array(4);
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    const edges: [number, number][] = [];
    let k = attempt * pairs;
    for (let a = 0; a < nodes; a++) for (let b = a + 1; b < nodes; b++, k++) {
      const blk = Math.floor(k / 4);
      philox4x32(seed % 2 ** 32, Math.floor(seed / 2 ** 32), blk % 2 ** 32, Math.floor(blk / 2 ** 32), stream, 0, w);
      if ((w[k % 4]! + 0.5) * 2 ** -32 < p) edges.push([a, b]);
    }
    const g = graphFromEdges(nodes, edges);
    if (isConnected(g)) return g;
  }
  throw new RangeError(`${fn}: no connected graph in ${maxAttempts} attempts with n = ${nodes} and mean degree ${meanDegree}; raise 'meanDegree'`);
}

/**
 * A Markov chain on a graph's nodes in compressed rows that include the node itself: row i holds
 * entries [rowStart[i], rowStart[i+1]) with columns `cols` (the neighbours in order, then i) and
 * probabilities `probs`.
 */
export interface Chain {
  graph: Graph;
  rowStart: Int32Array;
  cols: Int32Array;
  probs: Float64Array;
  /** The stationary distribution μ. */
  mu: Float64Array;
}

/**
 * Metropolis–Hastings chain with stationary μ (default uniform) and proposals uniform on the
 * neighbours: P_ij = min(1/d_i, μ_j/(μ_i d_j)) for j ∈ N(i), P_ii = 1 − Σ_j P_ij (for uniform μ,
 * min(1/d_i, 1/d_j); on a regular graph the simple random walk). `lazy` = λ gives
 * (1 − λ)P + λI (λ = ½ keeps a bipartite torus aperiodic). Reversible with respect to μ.
 */
export function metropolisHastings(g: Graph, opts: { lazy?: number; mu?: ArrayLike<number> } = {}): Chain {
  const fn = 'metropolisHastings';
  const lazy = opts.lazy ?? 0;
  if (!(lazy >= 0 && lazy < 1)) throw argError(fn, 'opts.lazy', 'a number in [0, 1)', lazy);
  const N = g.nodes;
  const mu = opts.mu ? Float64Array.from(opts.mu) : new Float64Array(N).fill(1 / N);
  if (mu.length !== N) throw argError(fn, 'opts.mu', `${N} probabilities`, mu.length);
  mu.forEach((m, i) => { if (!(m > 0)) throw argError(fn, `opts.mu[${i}]`, 'a positive probability', m); });
  const rowStart = new Int32Array(N + 1);
  for (let i = 0; i < N; i++) rowStart[i + 1] = rowStart[i]! + degree(g, i) + 1;
  const cols = new Int32Array(rowStart[N]!), probs = new Float64Array(rowStart[N]!);
  for (let i = 0; i < N; i++) {
    const di = degree(g, i);
    if (di === 0) throw argError(fn, 'g', 'a graph without isolated nodes', `node ${i} of degree 0`);
    let out = 0, at = rowStart[i]!;
    for (let k = g.offsets[i]!; k < g.offsets[i + 1]!; k++, at++) {
      const j = g.neighbors[k]!;
      const pij = (1 - lazy) * Math.min(1 / di, mu[j]! / (mu[i]! * degree(g, j)));
      cols[at] = j; probs[at] = pij; out += pij;
    }
    cols[at] = i; probs[at] = 1 - out;
  }
  return { graph: g, rowStart, cols, probs, mu };
}

/**
 * Row i of the self-repellent kernel (Hu, Doshi & Eun, eq. (4); Doshi et al. 2023):
 * K_ij[x] = P_ij (x_j/μ_j)^{−α} / Σ_{k ∈ N(i) ∪ {i}} P_ik (x_k/μ_k)^{−α}, over the chain's row
 * entries (columns chain.cols). α = 0 gives P's row exactly.
 */
export function srrwKernelRow(chain: Chain, x: ArrayLike<number>, alpha: number, i: number): Float64Array {
  const fn = 'srrwKernelRow';
  if (!(alpha >= 0)) throw argError(fn, 'alpha', 'a repellence α ≥ 0', alpha);
  checkInt(fn, 'i', i, 0, chain.graph.nodes - 1);
  if (x.length !== chain.graph.nodes) throw argError(fn, 'x', `a visit measure of ${chain.graph.nodes} entries`, x.length);
  const a = chain.rowStart[i]!, b = chain.rowStart[i + 1]!;
  const out = new Float64Array(b - a);
  let s = 0;
  for (let k = a; k < b; k++) {
    const j = chain.cols[k]!;
    if (!(x[j]! > 0)) throw argError(fn, `x[${j}]`, 'a positive visit measure', x[j]);
    const v = alpha === 0 ? chain.probs[k]! : chain.probs[k]! * Math.pow(x[j]! / chain.mu[j]!, -alpha);
    out[k - a] = v; s += v;
  }
  if (alpha !== 0) for (let k = 0; k < out.length; k++) out[k]! /= s;
  return out;
}
