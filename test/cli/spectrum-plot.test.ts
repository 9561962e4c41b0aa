// density.svg: the worker thread and the calling thread draw the same figure, and a
// worker's failure reaches the caller.

import test from 'ava';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PlotWorker, renderDensitySvg } from '../../src/cli/spectrum-plot.js';
import type { PlotInput } from '../../src/cli/spectrum-plot.js';

const tmp = mkdtempSync(join(tmpdir(), 'descent-plot-'));
test.after.always(() => rmSync(tmp, { recursive: true, force: true }));

const input: PlotInput = {
  grid: Array.from({ length: 64 }, (_, i) => i / 8 - 2),
  countDensity: Array.from({ length: 64 }, (_, i) => Math.exp(-(((i / 8 - 2) / 0.7) ** 2)) * 1000),
  top: [5.1, 4.3],
  title: 'Hessian spectral density',
  subtitle: ['a test figure'],
};

test('PlotWorker · draws the same SVG as renderDensitySvg, into the file it is given', async (t) => {
  const plots = new PlotWorker();
  const path = join(tmp, 'density.svg');
  try {
    await plots.draw(input, path);
  } finally {
    await plots.close();
  }
  const svg = readFileSync(path, 'utf8');
  t.true(svg.startsWith('<svg') && svg.includes('log density'));
  t.is(svg, await renderDensitySvg(input));
});

test('PlotWorker · a failure (an unwritable path) rejects the draw with the reason', async (t) => {
  const plots = new PlotWorker();
  try {
    await t.throwsAsync(() => plots.draw(input, join(tmp, 'no-such-folder', 'density.svg')), { message: /drawing the density plot failed: .*no-such-folder/ });
  } finally {
    await plots.close();
  }
});
