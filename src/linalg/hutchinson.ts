// Stochastic trace estimators, each with a standard error.
//
// - Hutchinson (1989): tr(A) ≈ (1/s) Σ g_iᵀ A g_i with Rademacher (or Gaussian) probes g_i;
//   Var = 2(‖A‖_F² − Σ A_ii²)/s for Rademacher. The standard error is the sample standard
//   deviation over √s.
// - Hutch++ (Meyer, Musco, Musco & Woodruff, SOSA 2021, Alg. 1): with m products, sketch
//   Y = A S (m/3 probes), Q = orth(Y), then tr(A) = tr(QᵀAQ) + Hutchinson on (I−QQᵀ)A(I−QQᵀ)
//   with m/3 probes. The first term is exact given Q; the standard error is that of the
//   second.
// - Krylov-deflated (Chen & Hallman, "Krylov-aware stochastic trace estimation", SIMAX 44,
//   2023, in its simplest form): reuse the orthonormal Krylov basis Q of a finished Lanczos
//   run, tr(A) = tr(T) + tr(PAP) with P = I − QQᵀ, and Hutchinson on PAP. With
//   AQ = QT + β q_{m+1} e_mᵀ, a probe g costs no product beyond gᵀAg:
//   (Pg)ᵀA(Pg) = gᵀAg − uᵀTu − 2β u_m (q_{m+1}ᵀg), u = Qᵀg,
//   and the start vectors of the run's other probes already have gᵀAg = ‖g‖²·α_1.
//   Extra probes cost one product each. The estimate is unbiased because Q depends only on
//   the first probe, which is independent of the probes g.
//
// Every sample needs only the number gᵀAg, never A·g itself: an operator that can give
// these quadratic forms more cheaply than a product (CurvatureOperator.quadratic, half a
// product for an MLP) is passed as `quadratic` and used for them instead.

import type { DType } from '../dtype.js';
import { checkInt, rangeError, typeError } from '../errors.js';
import type { Backend, BackendName } from '../backend/ops.js';
import { backendSync } from '../backend/backend.js';
import { tensor } from '../ops/creation.js';
import { mul, sub } from '../ops/elementwise.js';
import { matmul } from '../ops/matmul.js';
import { sum } from '../ops/reduce.js';
import { concat, slice, transpose } from '../ops/views.js';
import { Tensor, tidy } from '../tensor.js';
import { gramOrthonormaliser } from './dense.js';
import type { Lanczos } from './lanczos.js';
import { checkOperatorResult, operatorCall } from './operators.js';
import type { Operator, OperatorLike, SizedOperator } from './operators.js';
import { PROBE_STREAM, probeRows } from './probes.js';
import type { ProbeDistribution } from './probes.js';
import { meanAndError } from './slq.js';

export interface TraceEstimate {
  trace: number;
  stdError: number;
  /** Per-probe values of the stochastic part (their mean is the stochastic part). */
  samples: Float64Array;
  /** The deterministic part (Hutch++: tr(QᵀAQ); deflated: tr(T)); 0 for Hutchinson. */
  exactPart: number;
  /** Matrix-vector products spent by this estimator (quadratic forms, when used, are not products). */
  matvecs: number;
}

export interface HutchinsonOptions {
  /** Number of probes (default 100). */
  probes?: number;
  /** Probes per operator call (default 10). */
  block?: number;
  seed?: number;
  distribution?: ProbeDistribution;
  dtype?: 'float32' | 'float64';
  backend?: Backend | BackendName;
  /** Index of the first probe in the stream (to continue an earlier run; default 0). */
  first?: number;
  /** Called after each block with the samples so far (for checkpoints and progress). */
  onBlock?: (done: number, samples: Float64Array) => void | Promise<void>;
  /** The operator's quadratic forms, used for the samples instead of products (see the file header). */
  quadratic?: QuadraticForms;
}

/** gᵢᵀAgᵢ for the rows gᵢ of G [b, n], as a tensor [b] (CurvatureOperator.quadratic). */
export type QuadraticForms = (G: Tensor) => Tensor | Promise<Tensor>;

/** gᵢᵀ(A gᵢ) for the rows g_i of G [k, n] and the columns of AG [n, k], as a host array. */
async function quadForms(g: Tensor, ag: Tensor): Promise<Float64Array> {
  const s = tidy(() => sum(mul(g, transpose(ag)), 1));
  try {
    return Float64Array.from(await s.data());
  } finally {
    s.dispose();
  }
}

/** gᵢᵀAgᵢ of the rows gᵢ of g [b, n]: from `quadratic` when given, else from one operator call. */
async function samplesOf(fn: string, op: Operator, g: Tensor, quadratic?: QuadraticForms): Promise<Float64Array> {
  if (!quadratic) {
    const ag = await apply(fn, op, g);
    try {
      return await quadForms(g, ag);
    } finally {
      ag.dispose();
    }
  }
  const q = await quadratic(g);
  try {
    if (!(q instanceof Tensor) || q.size !== g.shape[0]) throw rangeError(fn, 'opts.quadratic(G)', `a tensor of ${g.shape[0]} values`, q);
    return Float64Array.from(await q.data());
  } finally {
    if (q instanceof Tensor) q.dispose();
  }
}

async function apply(fn: string, op: Operator, rows: Tensor): Promise<Tensor> {
  const v = transpose(rows);
  try {
    return checkOperatorResult(fn, v, await op(v));
  } finally {
    v.dispose();
  }
}

function checkCommon(fn: string, op: unknown, n: unknown): number {
  if (typeof op !== 'function') throw typeError(fn, 'op', 'a function V => A·V', op);
  return checkInt(fn, 'n', n, 1);
}

/**
 * Hutchinson's trace estimate with `probes` random probes, applied in blocks.
 * @example
 * const { trace, stdError } = await hutchinson(matrixOperator(a), n, { probes: 100, seed: 1 });
 */
export function hutchinson(op: SizedOperator, opts?: HutchinsonOptions): Promise<TraceEstimate>;
export function hutchinson(op: Operator, n: number, opts?: HutchinsonOptions): Promise<TraceEstimate>;
export async function hutchinson(opIn: OperatorLike, nOrOpts?: number | HutchinsonOptions, optsIn?: HutchinsonOptions): Promise<TraceEstimate> {
  const { op, n, opts } = operatorCall('hutchinson', opIn, nOrOpts, optsIn);
  checkCommon('hutchinson', op, n);
  const probes = checkInt('hutchinson', 'opts.probes', opts.probes ?? 100, 1);
  const block = checkInt('hutchinson', 'opts.block', opts.block ?? 10, 1);
  const first = checkInt('hutchinson', 'opts.first', opts.first ?? 0, 0);
  const dtype = opts.dtype ?? 'float32', backend = backendSync(opts.backend);
  const samples = new Float64Array(probes);
  for (let done = 0; done < probes; done += block) {
    const count = Math.min(block, probes - done);
    const g = probeRows(opts.distribution ?? 'rademacher', n, count, {
      seed: opts.seed ?? 0, stream: PROBE_STREAM.hutchinson, first: first + done, dtype, backend,
    });
    samples.set(await samplesOf('hutchinson', op, g, opts.quadratic), done);
    g.dispose();
    await opts.onBlock?.(done + count, samples.slice(0, done + count));
  }
  return { ...meanAndError(samples, 'hutchinson'), samples, exactPart: 0, matvecs: opts.quadratic ? 0 : probes };
}

/** Orthonormal rows spanning the rows of y [k, n] (two SVQB passes); returns [r, n]. */
async function orthonormalRows(fn: string, y: Tensor): Promise<Tensor> {
  let q = y;
  for (let pass = 0; pass < 2; pass++) {
    const k = q.shape[0]!;
    const gram = tidy(() => matmul(q, transpose(q)));
    const g = Float64Array.from(await gram.data());
    gram.dispose();
    // The Gram matrix sums every product entry: a non-finite one shows here.
    const bad = g.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new RangeError(`${fn}: the operator produced a non-finite value (the sketch's Gram matrix holds ${g[bad]})`);
    const { x, rank } = gramOrthonormaliser(g, k, pass === 0 ? 1e-12 : 1e-6);
    const next = tidy(() => {
      const xt = tensor(q.dtype === 'float64' ? x : Float32Array.from(x), [k, rank], { dtype: q.dtype, backend: q.backend });
      return matmul(transpose(xt), q);
    });
    if (q !== y) q.dispose();
    q = next;
  }
  return q;
}

export interface HutchPlusPlusOptions extends Omit<HutchinsonOptions, 'probes' | 'first' | 'onBlock'> {
  /** Total matrix-vector products (default 102); a third each for the sketch, the deflated part and the probes. */
  matvecs?: number;
}

/**
 * Hutch++ with a budget of `matvecs` products (see the file header).
 * @example
 * const { trace, stdError } = await hutchPlusPlus(matrixOperator(a), n, { matvecs: 99, seed: 1 });
 */
export function hutchPlusPlus(op: SizedOperator, opts?: HutchPlusPlusOptions): Promise<TraceEstimate>;
export function hutchPlusPlus(op: Operator, n: number, opts?: HutchPlusPlusOptions): Promise<TraceEstimate>;
export async function hutchPlusPlus(opIn: OperatorLike, nOrOpts?: number | HutchPlusPlusOptions, optsIn?: HutchPlusPlusOptions): Promise<TraceEstimate> {
  const { op, n, opts } = operatorCall('hutchPlusPlus', opIn, nOrOpts, optsIn);
  checkCommon('hutchPlusPlus', op, n);
  const m = checkInt('hutchPlusPlus', 'opts.matvecs', opts.matvecs ?? 102, 3);
  const k = Math.floor(m / 3), probes = m - 2 * k;
  const dtype = opts.dtype ?? 'float32', backend = backendSync(opts.backend);
  const dist = opts.distribution ?? 'rademacher', seed = opts.seed ?? 0;
  const block = checkInt('hutchPlusPlus', 'opts.block', opts.block ?? 10, 1);

  // Sketch: Y = A S, Q = orth(Y).
  const s = probeRows(dist, n, k, { seed, stream: PROBE_STREAM.hutchppSketch, dtype, backend });
  const ys = await apply('hutchPlusPlus', op, s);
  s.dispose();
  const yRows = tidy(() => transpose(ys));
  const q = await orthonormalRows('hutchPlusPlus', yRows);
  yRows.dispose();
  ys.dispose();
  const r = q.shape[0]!;
  // Exact part: tr(QᵀAQ).
  let exactPart = 0;
  if (r > 0) {
    const aq = await apply('hutchPlusPlus', op, q);
    for (const v of await quadForms(q, aq)) exactPart += v;
    aq.dispose();
  }
  // Hutchinson on (I − QQᵀ)A(I − QQᵀ).
  const samples = new Float64Array(probes);
  for (let done = 0; done < probes; done += block) {
    const count = Math.min(block, probes - done);
    const g = probeRows(dist, n, count, { seed, stream: PROBE_STREAM.hutchppProbe, first: done, dtype, backend });
    const pg = r > 0 ? tidy(() => sub(g, matmul(matmul(g, transpose(q)), q))) : g;
    samples.set(await samplesOf('hutchPlusPlus', op, pg, opts.quadratic), done);
    if (pg !== g) pg.dispose();
    g.dispose();
  }
  q.dispose();
  const part = meanAndError(samples, 'hutchPlusPlus');
  return { trace: exactPart + part.trace, stdError: part.stdError, samples, exactPart, matvecs: k + r + (opts.quadratic ? 0 : probes) };
}

export interface DeflatedTraceOptions {
  /** The probe whose Krylov basis deflates (default 0). */
  basisProbe?: number;
  /**
   * The run's start vectors as the raw probes g (rows [probes, n], before normalisation),
   * so the other probes serve as free Hutchinson samples; omit to use only extra probes.
   * For the default random start these are `probeRows(distribution, n, probes, { seed, stream: PROBE_STREAM.lanczos })`.
   */
  startProbes?: Tensor;
  /** Additional probes on the deflated operator, one product each (default 0). */
  extraProbes?: number;
  block?: number;
  seed?: number;
  distribution?: ProbeDistribution;
  /** Index of the first extra probe in its stream (to continue; default 0). */
  first?: number;
  onBlock?: (done: number, samples: Float64Array) => void | Promise<void>;
  /** The operator's quadratic forms, used for the extra probes instead of products (see the file header). */
  quadratic?: QuadraticForms;
}

/**
 * Krylov-deflated trace estimate from a finished Lanczos run (see the file header).
 * @example
 * const run = await lanczos(op, n, { steps: 60, probes: 8, seed: 1 });
 * const g = probeRows('rademacher', n, 8, { seed: 1, stream: PROBE_STREAM.lanczos });
 * const { trace, stdError } = await deflatedTrace(op, run, { startProbes: g, extraProbes: 20 });
 */
export async function deflatedTrace(op: Operator, run: Lanczos, opts: DeflatedTraceOptions = {}): Promise<TraceEstimate> {
  if (typeof op !== 'function') throw typeError('deflatedTrace', 'op', 'a function V => A·V', op);
  const p0 = checkInt('deflatedTrace', 'opts.basisProbe', opts.basisProbe ?? 0, 0, run.probes - 1);
  const extra = checkInt('deflatedTrace', 'opts.extraProbes', opts.extraProbes ?? 0, 0);
  const block = checkInt('deflatedTrace', 'opts.block', opts.block ?? 10, 1);
  const first = checkInt('deflatedTrace', 'opts.first', opts.first ?? 0, 0);
  const n = run.n, m = run.steps[p0]!;
  const { diag, off } = run.tridiagonal(p0);
  let exactPart = 0;
  for (const a of diag) exactPart += a;
  const beta = run.brokeDown(p0) ? 0 : run.residualNorm(p0);
  // Rows of [Q; q_{m+1}] ([m+1, n]).
  const basis = slice(run.basis[p0]!, [0, 0], [m + 1, n]);

  /** gᵀPAPg from gᵀAg and the projections u = Qᵀg, c = q_{m+1}ᵀg (columns of proj [m+1, k]). */
  const deflate = (gAg: ArrayLike<number>, proj: Float64Array, k: number): Float64Array => Float64Array.from({ length: k }, (_, col) => {
    const u = (i: number) => proj[i * k + col]!;
    let uTu = 0;
    for (let i = 0; i < m; i++) {
      uTu += diag[i]! * u(i) * u(i);
      if (i + 1 < m) uTu += 2 * off[i]! * u(i) * u(i + 1);
    }
    return gAg[col]! - uTu - 2 * beta * u(m - 1) * u(m);
  });

  const samples: number[] = [];
  const start = opts.startProbes;
  if (start !== undefined) {
    if (!(start instanceof Tensor) || start.rank !== 2 || start.shape[0] !== run.probes || start.shape[1] !== n) {
      throw rangeError('deflatedTrace', 'opts.startProbes', `a tensor [${run.probes}, ${n}]`, start instanceof Tensor ? `shape [${start.shape.join(', ')}]` : start);
    }
    const others = Array.from({ length: run.probes }, (_, p) => p).filter((p) => p !== p0 && run.steps[p]! > 0);
    if (others.length > 0) {
      const { proj, norms } = tidy(() => {
        const g = concat(others.map((p) => slice(start, [p, 0], [1, n])), 0);
        return { proj: matmul(basis, transpose(g)), norms: sum(mul(g, g), 1) };
      });
      const pr = Float64Array.from(await proj.data()), nr = await norms.data();
      proj.dispose();
      norms.dispose();
      const gAg = others.map((p, i) => nr[i]! * run.alpha[p]![0]!);
      samples.push(...deflate(gAg, pr, others.length));
    }
  }
  const dtype: DType = run.dtype;
  for (let done = 0; done < extra; done += block) {
    const count = Math.min(block, extra - done);
    const g = probeRows(opts.distribution ?? 'rademacher', n, count, {
      seed: opts.seed ?? 0, stream: PROBE_STREAM.deflation, first: first + done, dtype, backend: run.backend,
    });
    const qa = await samplesOf('deflatedTrace', op, g, opts.quadratic);
    const proj = tidy(() => matmul(basis, transpose(g)));
    const pr = Float64Array.from(await proj.data());
    proj.dispose();
    g.dispose();
    samples.push(...deflate(qa, pr, count));
    await opts.onBlock?.(done + count, Float64Array.from(samples));
  }
  basis.dispose();
  const arr = Float64Array.from(samples);
  const part = meanAndError(arr, 'deflatedTrace');
  return { trace: exactPart + part.trace, stdError: part.stdError, samples: arr, exactPart, matvecs: opts.quadratic ? 0 : extra };
}
