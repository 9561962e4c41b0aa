// The diffgrad experiment (PAPERS.md §7): diffGrad's exact step against Adam's, and Adam vs
// diffGrad vs the published constant friction on a Fashion-MNIST MLP.

import { loadDefaultDataset, meanSE, takeRows } from '../../engine.js';
import { check, defineExperiment } from '../experiment.js';
import type { Json, Series, SeriesPoint } from '../experiment.js';
import { trainPopulation } from './compare.js';
import { diffGradFriction, stepRatios } from './friction.js';

const PAPER = { number: 7, title: 'diffGrad: An Optimization Method for Convolutional Neural Networks', arxiv: '1909.11015' };

/** The three optimizers compared: name → engine kind and options (lr added from the settings). */
const ARMS: readonly { name: string; kind: string; options: Record<string, unknown> }[] = [
  { name: 'adam', kind: 'Adam', options: {} },
  { name: 'diffgrad', kind: 'DiffGrad', options: {} },
  { name: 'legacy', kind: 'DiffGrad', options: { legacyConstantFriction: true } },
];

/** Gradient changes |Δg| at which step 2's friction is measured. */
const DELTAS = [0.125, 0.25, 0.5, 1, 2, 4, 8, 16];
/** Constant gradients (one per element) for the ξ = ½ check. */
const CONSTANT_G = [0.3, -1, 2.5, 1e-3, 40];
const CONSTANT_STEPS = 6;

const round = (x: number, d = 6) => Number(x.toPrecision(d));

export const diffgradExperiment = defineExperiment({
  name: 'diffgrad',
  paper: PAPER,
  shows: "diffGrad's step is exactly ξ = σ(|Δg|) times Adam's (½ for a constant gradient, → 1 for large |Δg|), and on a Fashion-MNIST MLP Adam, diffGrad and the published constant friction (ξ ≡ ½) reach about the same accuracy",
  settings: {
    seed: 0,
    /** Hidden widths of the MLP 784-…-10 (PAPERS.md §7: a 2-layer MLP). */
    hidden: [128],
    epochs: 10,
    batchSize: 128,
    lr: 1e-3,
    /** Rows of the embedded 10,000-image set used to train (the first) and to test (the last). */
    trainRows: 8000,
    testRows: 2000,
    /** Seeds, trained as replicas of one arena. */
    replicas: 3,
  },
  quick: { hidden: [32], epochs: 2, trainRows: 1000, testRows: 500, replicas: 2 },
  seconds: { full: 100, quick: 6 },
  async run(s, ctx) {
    // ── Exact steps ──
    const exact = await ctx.stage('exact-steps', async () => {
      const constant = await stepRatios(Array.from({ length: CONSTANT_STEPS }, () => CONSTANT_G));
      const first = constant.ratio[0]!.map((r, i) => ({ g: CONSTANT_G[i]!, ratio: r, expected: diffGradFriction(CONSTANT_G[i]!), tol: constant.tolerance[0]![i]! }));
      const later = constant.ratio.slice(1).flatMap((row, t) => row.map((r, i) => ({ step: t + 2, g: CONSTANT_G[i]!, ratio: r, tol: constant.tolerance[t + 1]![i]! })));
      const grads = [DELTAS.map(() => 0.5), DELTAS.map((d) => 0.5 + d)];
      const v2 = await stepRatios(grads);
      const legacy = await stepRatios(grads, { legacy: true });
      const jump = DELTAS.map((d, i) => ({ delta: d, ratio: v2.ratio[1]![i]!, expected: diffGradFriction(d), tol: v2.tolerance[1]![i]!, legacyRatio: legacy.ratio[1]![i]!, legacyTol: legacy.tolerance[1]![i]! }));
      return { first, later, jump } as unknown as Json;
    }) as unknown as {
      first: { g: number; ratio: number; expected: number; tol: number }[];
      later: { step: number; g: number; ratio: number; tol: number }[];
      jump: { delta: number; ratio: number; expected: number; tol: number; legacyRatio: number; legacyTol: number }[];
    };
    const firstErr = Math.max(...exact.first.map((e) => Math.abs(e.ratio - e.expected) - e.tol));
    const halfErr = Math.max(...exact.later.map((e) => Math.abs(e.ratio - 0.5) - e.tol));
    const jumpErr = Math.max(...exact.jump.map((e) => Math.abs(e.ratio - e.expected) - e.tol));
    const legacyErr = Math.max(...exact.jump.map((e) => Math.abs(e.legacyRatio - 0.5) - e.legacyTol));
    ctx.progress(1, 1 + ARMS.length * (s.epochs as number), 'exact steps');

    // ── Adam vs diffGrad vs constant friction on Fashion-MNIST ──
    const all = loadDefaultDataset();
    const trainRows = Math.min(s.trainRows, all.n - s.testRows);
    const range = (a: number, b: number) => Int32Array.from({ length: b - a }, (_, i) => a + i);
    const train = takeRows(all, range(0, trainRows));
    const test = takeRows(all, range(all.n - s.testRows, all.n));
    const curves: Record<string, { testAccuracy: number[][]; testLoss: number[][]; trainLoss: number[] }> = {};
    let done = 1;
    for (const arm of ARMS) {
      curves[arm.name] = await ctx.stage(`train-${arm.name}`, async () => {
        const c = await trainPopulation(train, test, {
          hidden: s.hidden, optimizer: arm.kind, options: { ...arm.options, lr: s.lr }, epochs: s.epochs, batchSize: s.batchSize,
          seed: ctx.seed, replicas: s.replicas, onEpoch: (e) => ctx.progress(done + e, 1 + ARMS.length * s.epochs, `${arm.name} epoch ${e}/${s.epochs}`),
        });
        return c as unknown as Json;
      }) as unknown as { testAccuracy: number[][]; testLoss: number[][]; trainLoss: number[] };
      done += s.epochs;
    }
    const final = Object.fromEntries(ARMS.map((a) => {
      const accs = curves[a.name]!.testAccuracy.at(-1)!;
      const m = meanSE(accs);
      return [a.name, { mean: m.mean, se: accs.length > 1 ? m.se : null, perSeed: accs }];
    })) as Record<string, { mean: number; se: number | null; perSeed: number[] }>;
    const means = ARMS.map((a) => final[a.name]!.mean);
    const gap = Math.max(...means) - Math.min(...means);

    const frictionSeries: Series = {
      name: 'friction at step 2: diffGrad step / Adam step', x: '|Δg|', y: 'ξ', logX: true, mark: 'point',
      points: exact.jump.flatMap((e) => [
        { x: e.delta, y: e.ratio, group: 'diffGrad (measured)' },
        { x: e.delta, y: e.expected, group: 'σ(|Δg|) (theory)' },
        { x: e.delta, y: e.legacyRatio, group: 'legacy (measured)' },
      ]),
    };
    const accPoints: SeriesPoint[] = [], lossPoints: SeriesPoint[] = [];
    for (const a of ARMS) {
      curves[a.name]!.testAccuracy.forEach((accs, e) => {
        const m = meanSE(accs);
        accPoints.push({ x: e + 1, y: m.mean, group: a.name, ...(accs.length > 1 ? { lo: m.mean - m.se, hi: m.mean + m.se } : {}) });
      });
      curves[a.name]!.trainLoss.forEach((l, e) => lossPoints.push({ x: e + 1, y: l, group: a.name }));
    }

    return {
      metrics: {
        adamTestAccuracy: round(final.adam!.mean), diffgradTestAccuracy: round(final.diffgrad!.mean), legacyTestAccuracy: round(final.legacy!.mean),
        adamTestAccuracySE: final.adam!.se === null ? null : round(final.adam!.se, 3),
        diffgradTestAccuracySE: final.diffgrad!.se === null ? null : round(final.diffgrad!.se, 3),
        legacyTestAccuracySE: final.legacy!.se === null ? null : round(final.legacy!.se, 3),
        maxAccuracyGap: round(gap, 4),
        adamFinalTrainLoss: round(curves.adam!.trainLoss.at(-1)!), diffgradFinalTrainLoss: round(curves.diffgrad!.trainLoss.at(-1)!),
        legacyFinalTrainLoss: round(curves.legacy!.trainLoss.at(-1)!),
        trainRows, testRows: s.testRows, seeds: s.replicas,
      },
      series: [
        frictionSeries,
        { name: 'test accuracy (mean ± SE over seeds)', x: 'epoch', y: 'accuracy', points: accPoints },
        { name: 'training loss (mean minibatch loss)', x: 'epoch', y: 'loss', logY: true, points: lossPoints },
      ],
      checks: [
        check('xi-first-step-sigmoid-g1',
          'step 1 (g_0 = 0): diffGrad/Adam displacement ratio = σ(|g_1|) for g_1 ∈ {0.3, −1, 2.5, 0.001, 40}, within the float32 rounding bound 2(u(|θ_t|+|θ_{t−1}|)/|Δθ| + 16u), u = 2^−24 (PAPERS.md §7 unit tests)',
          { maxExcessOverTolerance: firstErr, ratios: exact.first.map((e) => ({ g: e.g, ratio: e.ratio, sigma: round(e.expected, 9) })) }, firstErr <= 0),
        check('xi-half-when-gradient-constant',
          `a constant gradient gives ξ = ½: diffGrad's step is exactly half of Adam's at steps 2–${CONSTANT_STEPS}, within the same float32 rounding bound (PAPERS.md §7)`,
          { maxExcessOverTolerance: halfErr, worstRatio: exact.later.reduce((w, e) => (Math.abs(e.ratio - 0.5) > Math.abs(w - 0.5) ? e.ratio : w), 0.5) }, halfErr <= 0),
        check('xi-to-one-for-large-delta-g',
          'at step 2 the ratio equals ξ = σ(|Δg|) for |Δg| ∈ {1/8 … 16}, within the float32 rounding bound, so 1 − ξ ≈ e^{−|Δg|} → 0: for large |Δg| the step is Adam\'s (PAPERS.md §7)',
          { maxExcessOverTolerance: jumpErr, ratios: exact.jump.map((e) => ({ delta: e.delta, ratio: e.ratio, sigma: round(e.expected, 9) })) }, jumpErr <= 0),
        check('legacy-constant-friction-half',
          'legacyConstantFriction (the published code\'s aliased previous gradient) gives ξ ≡ ½ from step 2 on, whatever |Δg|, within the float32 rounding bound (PAPERS.md §7 caveat)',
          { maxExcessOverTolerance: legacyErr, ratios: exact.jump.map((e) => ({ delta: e.delta, ratio: e.legacyRatio })) }, legacyErr <= 0),
        check('accuracy-parity',
          'final test accuracies (mean over seeds) of Adam, diffGrad-v2 and legacy diffGrad lie within 1 percentage point of each other (PAPERS.md §7: "expect accuracies within ~1%"; parity, no winner asserted)',
          { adam: final.adam!, diffgrad: final.diffgrad!, legacy: final.legacy!, maxGap: round(gap, 4) } as unknown as Json, gap <= 0.01),
      ],
    };
  },
});
