// Each trace estimator's stated standard error, tested by coverage (issue 17: Hutch++'s looked
// optimistic): over R seeds on matrices with a known trace, the interval
// trace ± t·stdError with t = t_{0.975, c−1} should cover the truth in 95% of runs. With c = 30
// samples per run t = 2.0452 (scipy.stats.t.ppf(0.975, 29)). The observed rate is binomial:
// its standard error is √(0.95·0.05/R), and the test accepts 0.95 ± 3 of those.

import test from 'ava';
import * as d from '../../src/index.js';
import { deflatedTrace } from '../../src/linalg/hutchinson.js';

const n = 60, R = 200, T = 2.0452;
const band = 3 * Math.sqrt((0.95 * 0.05) / R);

for (const kind of ['decaying', 'indefinite'] as const) {
  test(`coverage of the stated 95% intervals · ${kind} spectrum, ${R} seeds`, async (t) => {
    const spectrum = d.testSpectra[kind](n);
    const truth = spectrum.reduce((a, b) => a + b, 0);
    const op = d.matrixOperator(d.symmetricWithSpectrum(spectrum, { seed: 7, dtype: 'float64', backend: 'cpu' }).matrix);
    const covered = { hutchinson: 0, hutchPlusPlus: 0, deflatedTrace: 0 };
    for (let s = 0; s < R; s++) {
      const o = { seed: 1000 + s, dtype: 'float64' as const, backend: 'cpu' as const };
      const run = await d.lanczos(op, n, { steps: 8, probes: 1, ...o });
      const estimates = {
        hutchinson: await d.hutchinson(op, n, { probes: 30, ...o }),
        hutchPlusPlus: await d.hutchPlusPlus(op, n, { matvecs: 90, ...o }), // 30 sketch, 30 exact, 30 probes
        deflatedTrace: await deflatedTrace(op, run, { extraProbes: 30, seed: 1000 + s }),
      };
      for (const [name, e] of Object.entries(estimates) as [keyof typeof covered, d.TraceEstimate][]) {
        t.is(e.samples.length, 30);
        if (Math.abs(e.trace - truth) <= T * e.stdError) covered[name]++;
      }
    }
    for (const [name, c] of Object.entries(covered)) {
      const rate = c / R;
      t.log(`${name}: ${rate.toFixed(3)} (accepted ${(0.95 - band).toFixed(3)}–${Math.min(1, 0.95 + band).toFixed(3)})`);
      t.true(Math.abs(rate - 0.95) <= band, `${name} covered the trace in ${c} of ${R} runs`);
    }
  });
}
