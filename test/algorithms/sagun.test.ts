// §21 Sagun et al.: the hessian-outliers experiment at its --quick settings (structure, and
// every check reported with numbers; the oracle and barrier checks must pass).

import test from 'ava';
import '../../src/index.js';
import { runExperiment } from '../../src/algorithms/experiment.js';
import { hessianOutliersExperiment } from '../../src/algorithms/sagun/index.js';

test('hessian-outliers · quick run: metric keys, finite numbers, checks reported', async (t) => {
  const r = await runExperiment(hessianOutliersExperiment, { quick: true });
  const m = r.metrics as Record<string, any>;
  for (const key of ['outliers', 'gap', 'nearZero', 'barrier', 'lanczosVsDense']) t.true(key in m, key);
  const s = hessianOutliersExperiment.quick as { classes: number[]; widths: number[] };
  for (const k of s.classes) for (const h of s.widths) {
    t.true(Number.isInteger(m.outliers[k][h]), `outliers k=${k} h=${h}`);
    t.true(Number.isFinite(m.gap[k][h]) && m.gap[k][h] >= 1, `gap k=${k} h=${h}`);
  }
  for (const h of s.widths) t.true(Number.isInteger(m.nearZero[h]));
  t.true(Number.isFinite(m.barrier) && m.barrier >= 0);
  t.is(r.checks.length, 6);
  for (const c of r.checks) t.not(c.observed, null, c.name);
  // The Lanczos path against the float64 dense oracle, and the barrier test, hold at any size.
  for (const name of ['lanczos-vs-dense', 'no-barrier-sb-lb']) t.true(r.checks.find((c) => c.name === name)!.pass, name);
});
