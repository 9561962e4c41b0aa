// The figure of an experiment's result (figure.svg): one vega-lite panel per series, log
// axes where the series asks for them, groups as colours, error bars from lo/hi. Rendered
// headlessly by cli/vega.ts.

import type { TopLevelSpec } from 'vega-lite';
import type { ExperimentResult, Series } from '../algorithms/experiment.js';
import { renderSvg } from './vega.js';

/** One panel of the figure as a vega-lite unit (or layer) specification. */
function panel(s: Series): Record<string, unknown> {
  const nominalX = s.points.some((p) => typeof p.x === 'string');
  // A log axis cannot show values ≤ 0 (or non-finite ones): such points are left out of that panel.
  const keep = (v: number | undefined, log: boolean | undefined) => v === undefined || (Number.isFinite(v) && (!log || v > 0));
  const rows = s.points
    .filter((p) => keep(p.y, s.logY) && (nominalX || keep(p.x as number, s.logX)))
    .map((p) => ({ x: p.x, y: p.y, group: p.group ?? '', ...(p.lo !== undefined && p.hi !== undefined && keep(p.lo, s.logY) && keep(p.hi, s.logY) ? { lo: p.lo, hi: p.hi } : {}) }));
  const grouped = rows.some((r) => r.group !== '');
  const x = {
    field: 'x', type: nominalX ? 'nominal' : 'quantitative', title: s.x,
    ...(!nominalX ? { scale: s.logX ? { type: 'log' } : { zero: false } } : {}),
  };
  const y = { field: 'y', type: 'quantitative', title: s.y, scale: s.logY ? { type: 'log' } : { zero: false } };
  const color = grouped ? { color: { field: 'group', type: 'nominal', title: null } } : {};
  const markType = s.mark ?? 'line';
  const main = {
    mark: markType === 'line' ? { type: 'line', point: true } : { type: markType },
    encoding: { x, y, ...color },
  };
  const layers: Record<string, unknown>[] = [main];
  if (rows.some((r) => 'lo' in r)) {
    layers.push({
      transform: [{ filter: 'isValid(datum.lo)' }],
      mark: { type: 'rule' },
      encoding: { x, y: { ...y, field: 'lo' }, y2: { field: 'hi' }, ...color },
    });
  }
  return { title: s.name, width: 300, height: 200, data: { values: rows }, layer: layers };
}

/** The vega-lite specification of a result's figure (null when it has no series). */
export function figureSpec(r: Pick<ExperimentResult, 'experiment' | 'paper' | 'series' | 'quick'>): TopLevelSpec | null {
  if (r.series.length === 0) return null;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: `${r.experiment}${r.quick ? ' (--quick)' : ''}`, subtitle: `paper ${r.paper.number}: ${r.paper.title}` },
    columns: Math.min(2, r.series.length),
    concat: r.series.map(panel),
  } as unknown as TopLevelSpec;
}

/** figure.svg's text: the rendered figure, or a small SVG saying there is nothing to plot. */
export async function renderFigure(r: Pick<ExperimentResult, 'experiment' | 'paper' | 'series' | 'quick'>): Promise<string> {
  const spec = figureSpec(r);
  if (!spec) {
    return '<svg xmlns="http://www.w3.org/2000/svg" width="320" height="40"><text x="8" y="24" font-family="sans-serif" font-size="13">'
      + `${escapeXml(r.experiment)}: no series to plot</text></svg>\n`;
  }
  return renderSvg(spec);
}

/** Escapes text for XML and HTML. */
export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
