// density.svg: the spectral density in two panels, linear and logarithmic, drawn with
// vega-lite 5 compiled to vega 5 and rendered to SVG headlessly (vega.ts).
// The y axis is n·φ(t), the expected number of eigenvalues per unit length; the log panel
// shows values down to 1e-8 of the peak, and both mark the top eigenvalues found by Lanczos.
//
// Rendering needs vega and vega-lite, which take about 90 ms to load and as long again to
// draw: a job renders on a PlotWorker thread instead, which loads them while the job sets up
// and draws while it computes; renderDensitySvg draws on the calling thread.

import { Worker } from 'node:worker_threads';
import type { TopLevelSpec } from 'vega-lite';
import { RENDER_SOURCE, renderSvg, vegaPaths } from './vega.js';

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
  let peak = -Infinity;
  for (let i = 0; i < p.countDensity.length; i++) if (p.countDensity[i]! > peak) peak = p.countDensity[i]!;
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

/** Renders the figure to an SVG string on this thread. */
export function renderDensitySvg(p: PlotInput): Promise<string> {
  return renderSvg(densitySpec(p));
}

// The worker loads vega at normal priority (during the job's set-up, mostly single-threaded)
// and draws at the lowest: on Linux a thread's nice value is its own (setpriority(PRIO_PROCESS,
// 0) is the calling thread), so the drawing takes the cycles the job leaves idle instead of
// slowing its products on a small machine (2 cores: the trace phase took 0.47–0.52 s beside a
// normal-priority drawing and 0.19–0.23 s without one).
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { renameSync, writeFileSync } = require('node:fs');
const vega = require(workerData.vega), vegaLite = require(workerData.vegaLite);
const render = ${RENDER_SOURCE};
parentPort.on('message', async (m) => {
  try { require('node:os').setPriority(0, 19); } catch {}
  try {
    const svg = await render(vega, vegaLite, m.spec);
    writeFileSync(m.tmp, svg);
    renameSync(m.tmp, m.path);
    parentPort.postMessage({ id: m.id });
  } catch (e) {
    parentPort.postMessage({ id: m.id, error: String((e && e.message) || e) });
  }
});`;

/**
 * Draws figures on a worker thread: vega loads there as soon as the worker starts, and
 * draw() writes the SVG file (atomically) while the caller goes on.
 * @example
 * const plots = new PlotWorker();              // early: vega loads meanwhile
 * const done = plots.draw(input, 'out/density.svg');
 * ...
 * await done;
 * await plots.close();
 */
export class PlotWorker {
  private readonly worker: Worker;
  private next = 0;
  private readonly pending = new Map<number, { ok: () => void; fail: (e: Error) => void }>();
  private failure: Error | null = null;

  constructor() {
    this.worker = new Worker(WORKER, { eval: true, workerData: vegaPaths() });
    this.worker.unref();
    this.worker.on('message', (m: { id: number; error?: string }) => {
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (m.error === undefined) p?.ok();
      else p?.fail(new Error(`drawing the density plot failed: ${m.error}`));
      if (this.pending.size === 0) this.worker.unref();
    });
    this.worker.on('error', (e) => {
      this.failure = e;
      for (const p of this.pending.values()) p.fail(e);
      this.pending.clear();
    });
  }

  /** Renders the figure for `p` to `path` (written to a temporary name, then renamed). */
  draw(p: PlotInput, path: string): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.next++;
    this.worker.ref();
    return new Promise((ok, fail) => {
      this.pending.set(id, { ok, fail });
      this.worker.postMessage({ id, spec: densitySpec(p), path, tmp: `${path}.tmp-${process.pid}` });
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
