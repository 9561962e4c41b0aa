// The reference backend's scalar maths against known values.

import test from 'ava';
import { erf, gelu, geluGrad, softplus } from '../../src/backend/reference/math.js';

test('erf · known values to 1e-13', (t) => {
  // erf(x) values from Abramowitz & Stegun Table 7.1 (more digits from the series).
  const known: [number, number][] = [[0, 0], [0.5, 0.5204998778130465], [1, 0.8427007929497149], [2, 0.9953222650189527], [3.5, 0.9999992569016276], [-1, -0.8427007929497149]];
  for (const [x, v] of known) t.true(Math.abs(erf(x) - v) < 1e-13, `erf(${x}) = ${erf(x)}, expected ${v}`);
});

test('gelu · derivative matches central differences', (t) => {
  for (const x of [-4, -1, -0.3, 0, 0.7, 2, 5]) {
    const h = 1e-4, fd = (gelu(x + h) - gelu(x - h)) / (2 * h);
    // Truncation h²/6·|gelu‴| ≤ 2e-9 (|gelu‴| < 1) plus rounding 2·1e-16/h.
    t.true(Math.abs(fd - geluGrad(x)) < 2e-9 + 2e-12, `x=${x}: ${fd} vs ${geluGrad(x)}`);
  }
  t.is(softplus(1000), 1000);
  t.true(Math.abs(softplus(-1000)) < 1e-300);
});
