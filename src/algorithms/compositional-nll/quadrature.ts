// Gauss–Hermite quadrature in float64, for the exact-expectation mode of the compositional NLL
// (PAPERS.md §12): E_{N(μ, σ²)}[f(X)] ≈ Σ_k w_k f(x_k) with x_k = μ + √2·σ·t_k, w_k = ω_k/√π,
// where (t_k, ω_k) are the nodes and weights of ∫ e^{−t²} f(t) dt. Exact for polynomials of
// degree ≤ 2n − 1.

/** Nodes t_k (ascending) and weights ω_k of the n-point Gauss–Hermite rule for the weight e^{−t²}. */
export function gaussHermite(n: number): { nodes: Float64Array; weights: Float64Array } {
  if (!Number.isInteger(n) || n < 1 || n > 200) throw new RangeError(`gaussHermite: expected an integer in [1, 200] for 'n' but received ${String(n)}`);
  const nodes = new Float64Array(n), weights = new Float64Array(n);
  const m = Math.floor((n + 1) / 2);
  const pim4 = Math.PI ** -0.25;
  let z = 0;
  // Newton iteration on the orthonormal Hermite recurrence, with the classical initial guesses
  // for the largest roots (Numerical Recipes §4.6, written from the recurrence).
  for (let i = 0; i < m; i++) {
    if (i === 0) z = Math.sqrt(2 * n + 1) - 1.85575 * (2 * n + 1) ** (-1 / 6);
    else if (i === 1) z -= (1.14 * n ** 0.426) / z;
    else if (i === 2) z = 1.86 * z - 0.86 * nodes[n - 1]!;
    else if (i === 3) z = 1.91 * z - 0.91 * nodes[n - 2]!;
    else z = 2 * z - nodes[n - i + 1]!;
    let pp = 0;
    for (let it = 0; it < 100; it++) {
      let p1 = pim4, p2 = 0;
      for (let j = 1; j <= n; j++) {
        const p3 = p2;
        p2 = p1;
        p1 = z * Math.sqrt(2 / j) * p2 - Math.sqrt((j - 1) / j) * p3;
      }
      pp = Math.sqrt(2 * n) * p2;
      const z1 = z;
      z = z1 - p1 / pp;
      if (Math.abs(z - z1) <= 1e-15 * Math.max(1, Math.abs(z))) break;
    }
    nodes[n - 1 - i] = z;
    nodes[i] = -z;
    weights[n - 1 - i] = 2 / (pp * pp);
    weights[i] = weights[n - 1 - i]!;
  }
  return { nodes, weights };
}

/** A quadrature rule for expectations: E[f(X)] ≈ Σ_k weights[k]·f(points[k]) (weights sum to 1). */
export interface ExpectationRule {
  points: Float64Array;
  weights: Float64Array;
}

/** The n-point Gauss–Hermite rule for E_{N(mean, sd²)}[f]. */
export function normalRule(n: number, mean = 0, sd = 1): ExpectationRule {
  if (!(sd > 0)) throw new RangeError(`normalRule: expected a number > 0 for 'sd' but received ${String(sd)}`);
  const { nodes, weights } = gaussHermite(n);
  const s = 1 / Math.sqrt(Math.PI);
  return { points: nodes.map((t) => mean + Math.SQRT2 * sd * t), weights: weights.map((w) => w * s) };
}
