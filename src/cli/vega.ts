// Rendering vega-lite specifications to SVG headlessly (no browser, no canvas): vega-lite 5
// compiles the figure to vega 5, which draws it. Shared by every plot the CLI writes.
//
// Both packages ship CommonJS builds for Node; require() loads them in about half the time
// an ES import takes, which first scans every CommonJS file of the dozens vega is made of for
// its export names (measured: 86 ms against 146 ms).

import { createRequire } from 'node:module';
import type * as Vega from 'vega';
import type * as VegaLite from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';

const require = createRequire(import.meta.url);

/**
 * The renderer as source text, `async (vega, vegaLite, spec) => svg`: one definition for this
 * thread and for worker threads, which evaluate it (spectrum-plot.ts's PlotWorker).
 */
export const RENDER_SOURCE = `async (vega, vegaLite, spec) => {
  const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}`;

type Render = (vega: typeof Vega, vegaLite: typeof VegaLite, spec: TopLevelSpec) => Promise<string>;
const render = new Function(`return ${RENDER_SOURCE}`)() as Render;

/** The files a worker thread require()s to load vega and vega-lite. */
export function vegaPaths(): { vega: string; vegaLite: string } {
  return { vega: require.resolve('vega'), vegaLite: require.resolve('vega-lite') };
}

/** Renders a vega-lite specification to an SVG string on this thread. */
export function renderSvg(spec: TopLevelSpec): Promise<string> {
  return render(require('vega') as typeof Vega, require('vega-lite') as typeof VegaLite, spec);
}
