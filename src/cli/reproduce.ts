// `descent reproduce`: runs every registered experiment (or those named by --only) into
// DIR/<name>/ as `descent run` jobs, and writes DIR/index.html, the report: one section per
// paper with its figure (inline SVG), checks table (prediction, observed, verdict), settings
// and timings. The page is self-contained (no scripts, styles or images from the network).
//
// A rerun skips experiments already finished with the same options (each is a job: job.ts's
// resume policy), resumes one that was interrupted, and lists in the report every finished
// experiment found in DIR, so runs with different --only lists add up to one report.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Check, ExperimentResult, Json } from '../algorithms/experiment.js';
import { EXPERIMENTS } from '../algorithms/registry.js';
import { helpText, keyValues, parseOptions } from './args.js';
import type { OptionSpecs } from './args.js';
import { escapeXml } from './figure.js';
import { Job, readManifest } from './job.js';
import { formatDuration } from './progress.js';
import { RUN_OPTIONS, runOne, summaryText } from './run.js';
import { UsageError } from './usage.js';

export const REPRODUCE_OPTIONS = {
  quick: RUN_OPTIONS.quick,
  only: { kind: 'string', arg: 'A,B', nonEmpty: true, help: 'only these experiments (comma-separated names; see descent run --list)' },
  out: { kind: 'string', arg: 'DIR', nonEmpty: true, help: 'output folder: DIR/<experiment>/ and DIR/index.html (required)' },
  seed: RUN_OPTIONS.seed,
  set: RUN_OPTIONS.set,
  backend: RUN_OPTIONS.backend,
  strict: { kind: 'flag', help: 'exit 1 when a check fails' },
  fresh: { kind: 'flag', help: 'rerun the selected experiments from scratch' },
  quiet: RUN_OPTIONS.quiet,
} as const satisfies OptionSpecs;

export const REPRODUCE_HELP = helpText('descent reproduce [--quick] [--only a,b] --out DIR [options]',
  'Runs every registered experiment (each as `descent run NAME --out DIR/NAME`, skipping finished\n'
  + 'ones) and writes DIR/index.html: per paper its figure, checks, settings and timings.', REPRODUCE_OPTIONS);

/** The finished result in `dir`, verified through its job manifest, or null. */
function finishedResult(dir: string): ExperimentResult | null {
  try {
    const m = readManifest(dir);
    if (!m || m.status !== 'done' || !m.files['result.json']) return null;
    const bytes = readFileSync(join(dir, 'result.json'));
    return JSON.parse(bytes.toString('utf8')) as ExperimentResult;
  } catch {
    return null;
  }
}

const show = (v: Json): string => {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toPrecision(5);
  if (typeof v === 'string') return v;
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'number' && !Number.isInteger(x) ? Number(x.toPrecision(5)) : x), 1);
};

function checksTable(checks: readonly Check[]): string {
  const rows = checks.map((c) => `<tr class="${c.pass ? 'pass' : 'fail'}"><td>${escapeXml(c.name)}</td><td>${escapeXml(c.prediction)}</td>`
    + `<td><pre>${escapeXml(show(c.observed))}</pre></td><td>${c.pass ? 'held' : 'FAILED'}</td></tr>`);
  return `<table><thead><tr><th>check</th><th>prediction</th><th>observed</th><th>verdict</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function kvTable(head: string, o: { readonly [k: string]: Json }): string {
  const rows = Object.entries(o).map(([k, v]) => `<tr><td>${escapeXml(k)}</td><td><pre>${escapeXml(show(v))}</pre></td></tr>`);
  return `<table><thead><tr><th>${head}</th><th>value</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** The inline SVG of a figure file (its XML prolog dropped). */
function inlineSvg(path: string): string {
  if (!existsSync(path)) return '<p>(no figure)</p>';
  return readFileSync(path, 'utf8').replace(/^<\?xml[^>]*>\s*/, '');
}

/** The report's HTML for the finished experiments in `outDir` (in registry order), plus errors by name. */
export function reportHtml(outDir: string, errors: Readonly<Record<string, string>> = {}): string {
  const done = EXPERIMENTS.map((e) => ({ e, r: finishedResult(join(outDir, e.name)) }));
  const papers = [...new Set(EXPERIMENTS.map((e) => e.paper.number))].sort((a, b) => a - b);
  const sections: string[] = [];
  for (const n of papers) {
    const here = done.filter((d) => d.e.paper.number === n && (d.r || errors[d.e.name]));
    if (here.length === 0) continue;
    const paper = here[0]!.e.paper;
    const parts = here.map(({ e, r }) => {
      if (!r) return `<h3 id="${escapeXml(e.name)}">${escapeXml(e.name)}</h3><p class="fail">did not finish: ${escapeXml(errors[e.name] ?? '')}</p>`;
      const held = r.checks.filter((c) => c.pass).length;
      const t = r.timings as ExperimentResult['timings'] & { runs?: number };
      return [
        `<h3 id="${escapeXml(e.name)}">${escapeXml(e.name)}${r.quick ? ' <small>(--quick settings)</small>' : ''}</h3>`,
        `<p>${escapeXml(e.shows)}</p>`,
        `<p><b>${held} of ${r.checks.length} checks held.</b> Seed ${r.seed}. Files: <code>${escapeXml(join(e.name, 'result.json'))}</code>, <code>${escapeXml(join(e.name, 'figure.svg'))}</code>.</p>`,
        `<div class="figure">${inlineSvg(join(outDir, e.name, 'figure.svg'))}</div>`,
        checksTable(r.checks),
        '<h4>metrics</h4>', kvTable('metric', r.metrics),
        '<h4>settings</h4>', kvTable('setting', r.settings),
        '<h4>timings</h4>',
        `<p>${formatDuration(t.totalSeconds)} of computing${t.runs ? ` over ${t.runs} run${t.runs === 1 ? '' : 's'}` : ''}; stages: `
          + `${Object.entries(t.stages).map(([k, s]) => `${escapeXml(k)} ${formatDuration(s)}`).join(', ') || 'none'}</p>`,
      ].join('\n');
    });
    sections.push(`<section id="paper-${n}"><h2>§${n} ${escapeXml(paper.title)}</h2>`
      + `<p>arXiv:${escapeXml(paper.arxiv)} — <a href="https://arxiv.org/abs/${escapeXml(paper.arxiv)}">https://arxiv.org/abs/${escapeXml(paper.arxiv)}</a></p>\n${parts.join('\n')}</section>`);
  }
  const style = 'body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}'
    + 'table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.25em .5em;vertical-align:top;text-align:left}'
    + 'pre{margin:0;white-space:pre-wrap;font-size:85%}tr.fail td:last-child,.fail{color:#b00;font-weight:bold}tr.pass td:last-child{color:#070}'
    + 'section{border-top:2px solid #444;margin-top:2em}.figure svg{max-width:100%;height:auto}';
  return `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>descent: reproduced experiments</title><style>${style}</style></head>\n<body>\n`
    + `<h1>descent: reproduced experiments</h1>\n<p>Generated ${escapeXml(new Date().toISOString())} by <code>descent reproduce</code>. `
    + `Each check is the paper's prediction, stated before the run; a failed check is reported, not re-tuned.</p>\n`
    + `${sections.join('\n') || '<p>No experiment has finished in this folder yet.</p>'}\n</body></html>\n`;
}

/** Runs `descent reproduce`; returns the exit code. */
export async function reproduceCommand(argv: string[]): Promise<number> {
  const p = parseOptions('reproduce', REPRODUCE_OPTIONS, argv);
  if (p === 'help') {
    console.log(REPRODUCE_HELP);
    return 0;
  }
  const v = p.values;
  if (v.out === undefined) throw new UsageError('--out: expected an output folder (required) (see descent reproduce --help)');
  const names = v.only?.split(',').map((s) => s.trim()).filter((s) => s !== '') ?? EXPERIMENTS.map((e) => e.name);
  for (const n of names) {
    if (!EXPERIMENTS.some((e) => e.name === n)) throw new UsageError(`--only: unknown experiment '${n}'; expected names among ${EXPERIMENTS.map((e) => e.name).join(', ') || '(none registered)'}`);
  }
  const set = keyValues('--set', v.set);
  // The report folder is a job of its own: its lock keeps two reproduce runs apart, and its
  // manifest names index.html, so --fresh elsewhere never deletes a user's file.
  const top = Job.open({ command: 'reproduce', out: v.out, options: { quick: v.quick }, quiet: v.quiet, fresh: v.fresh });
  const errors: Record<string, string> = {};
  let failedChecks = 0;
  try {
    top.begin();
    for (const [i, name] of names.entries()) {
      const exp = EXPERIMENTS.find((e) => e.name === name)!;
      if (!v.quiet) process.stderr.write(`descent reproduce: [${i + 1}/${names.length}] ${name}\n`);
      try {
        const { result, reused, out } = await runOne(exp, {
          quick: v.quick, out: join(top.dir, name), ...(v.seed !== undefined ? { seed: v.seed } : {}), ...(Object.keys(set).length > 0 ? { set } : {}),
          backend: v.backend, fresh: v.fresh, quiet: v.quiet,
        });
        failedChecks += result.checks.filter((c) => !c.pass).length;
        if (!v.quiet) console.log(summaryText(result, out, reused));
      } catch (e) {
        errors[name] = (e as Error).message;
        console.error(`descent reproduce: ${name}: ${(e as Error).message}`);
      }
    }
    top.writeFile('index.html', reportHtml(top.dir, errors));
    top.finish();
  } finally {
    top.close();
  }
  if (!v.quiet) console.log(`wrote ${join(top.dir, 'index.html')}`);
  if (Object.keys(errors).length > 0) return 1;
  return v.strict && failedChecks > 0 ? 1 : 0;
}
