// density.svg: the spectral density in two panels, linear and logarithmic, drawn with
// vega-lite 5 compiled to vega 5 and rendered to SVG headlessly (no browser, no canvas).
// The y axis is n·φ(t), the expected number of eigenvalues per unit length; the log panel
// shows values down to 1e-8 of the peak, and both mark the top eigenvalues found by Lanczos.

import { createRequire } from 'node:module';
import type * as Vega from 'vega';
import type * as VegaLite from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';

// Both ship CommonJS builds for Node; require() loads them in about half the time an ES
// import takes, which first scans every CommonJS file of the dozens vega is made of for its
// export names (measured: 86 ms against 146 ms).
const require = createRequire(import.meta.url);
const vega = require('vega') as typeof Vega;
const { compile } = require('vega-lite') as typeof VegaLite;

export interface PlotInput {
  grid: ArrayLike<number>;
  /** n·φ on the grid. */
  countDensity: ArrayLike<number>;
  top: ArrayLike<number>;
  title: string;
  /** Lines under the title. */
  subtitle: string[];
}

/** The vega-lite specification of the figure (exported for tests and for users who restyle it). */
export function densitySpec(p: PlotInput): TopLevelSpec {
  const peak = Math.max(...Array.from(p.countDensity));
  const floor = peak * 1e-8;
  const values = Array.from(p.grid, (t, i) => ({ t, d: p.countDensity[i]! }));
  // NOTE: values are clamped to the floor rather than dropped, so that the log panel shows the
  // gaps between separated eigenvalues instead of bridging them.
  const logValues = values.map((v) => ({ t: v.t, d: Math.max(v.d, floor) }));
  const tops = Array.from(p.top, (t) => ({ t }));
  const x = { field: 't', type: 'quantitative' as const, title: 'eigenvalue', scale: { zero: false, nice: false } };
  const panel = (title: string, data: { t: number; d: number }[], log: boolean) => ({
    title,
    width: 420,
    height: 260,
    layer: [
      {
        data: { values: data },
        mark: { type: 'area' as const, line: { color: '#1f5fa8' }, color: '#9ec1e8', opacity: 0.8 },
        encoding: {
          x,
          y: {
            field: 'd', type: 'quantitative' as const, stack: null,
            title: log ? 'eigenvalues per unit (log scale)' : 'eigenvalues per unit',
            scale: log ? { type: 'log' as const, domainMin: floor } : { zero: true },
          },
        },
      },
      {
        data: { values: tops },
        mark: { type: 'rule' as const, color: '#c0392b', strokeDash: [4, 3], strokeWidth: 1 },
        encoding: { x },
      },
    ],
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: p.title, subtitle: p.subtitle, anchor: 'start' },
    background: 'white',
    padding: 12,
    hconcat: [panel('density', values, false), panel('log density', logValues, true)],
  } as TopLevelSpec;
}

/** Renders the figure to an SVG string. */
export async function renderDensitySvg(p: PlotInput): Promise<string> {
  const { spec } = compile(densitySpec(p));
  const view = new vega.View(vega.parse(spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
