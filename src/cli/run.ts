// `descent run NAME`: runs one registered experiment (src/algorithms/registry.ts) as a
// resumable job, and `descent run --list`.
//
// Contract. The job writes DIR/result.json (the ExperimentResult of experiment.ts, schema
// RESULT_SCHEMA, documented in docs/experiments.md), DIR/figure.svg (its series) and
// prints a summary with each check's verdict. Stages (ctx.stage) are kept in DIR/state/ as
// checksummed files committed by the job's manifest (job.ts), so a killed run recomputes
// only the stage in flight; a rerun with the same options reuses the finished result; other
// options are refused unless --fresh. A failed check is a result: exit 0, or 1 with --strict.

import '../backends.js';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { useBackend } from '../backend/backend.js';
import { resolveSettings, runExperiment } from '../algorithms/experiment.js';
import type { Experiment, ExperimentResult, Json, StageStore } from '../algorithms/experiment.js';
import { EXPERIMENTS, findExperiment } from '../algorithms/registry.js';
import { backendChoices, helpText, keyValues, parseOptions } from './args.js';
import type { OptionSpecs } from './args.js';
import { renderFigure } from './figure.js';
import { Job, JobError } from './job.js';
import { Progress, formatDuration } from './progress.js';
import { UsageError } from './usage.js';

/** The options of `descent run` (reproduce shares most of them). */
export const RUN_OPTIONS = {
  list: { kind: 'flag', help: 'list the registered experiments: name, paper, what it shows, seconds (full / --quick)' },
  quick: { kind: 'flag', help: 'the small settings (seconds on 2 cores) instead of the full run' },
  out: { kind: 'string', arg: 'DIR', nonEmpty: true, help: 'output folder: result.json, figure.svg, state/ (default runs/NAME, runs/NAME-quick)' },
  seed: { kind: 'int', min: 0, max: 2 ** 32 - 1, help: "the run's seed (default: the experiment's seed setting, else 0)" },
  set: { kind: 'list', arg: 'KEY=VALUE', help: 'override a setting (repeatable); parsed by the type of the setting it replaces' },
  backend: { kind: 'choice', choices: backendChoices, default: 'cpu', help: 'backend of tensors the experiment creates' },
  strict: { kind: 'flag', help: 'exit 1 when a check fails (default: report it and exit 0)' },
  fresh: { kind: 'flag', help: 'discard a previous job in --out (only the files descent wrote) and start over' },
  quiet: { kind: 'flag', help: 'no progress or summary' },
} as const satisfies OptionSpecs;

export const RUN_HELP = helpText('descent run NAME [options] | descent run --list',
  'Runs one registered experiment (a paper\'s prediction) as a resumable job: writes result.json and\n'
  + 'figure.svg to --out and prints each check\'s verdict. Rerun the same command after an interruption\n'
  + 'to resume; a finished run with the same options is reused.', RUN_OPTIONS);

export interface RunOneOptions {
  quick: boolean;
  out: string;
  seed?: number;
  set?: Readonly<Record<string, string>>;
  backend: string;
  fresh: boolean;
  quiet: boolean;
}

export interface RunOutcome {
  result: ExperimentResult;
  /** The finished result was reused (same options), nothing ran. */
  reused: boolean;
  out: string;
}

/** What the run keeps in its job manifest. */
interface RunState {
  [key: string]: Json;
  /** Stage key → its file in state/. */
  stages: { [key: string]: string };
  /** Seconds per stage, over all runs. */
  stageSeconds: { [key: string]: number };
}

/** The file of a stage: a hash of its key (keys are free text). */
function stageFile(key: string): string {
  return `state/stage-${createHash('sha256').update(key).digest('hex').slice(0, 20)}.json`;
}

/** The `--list` table. */
export function listText(): string {
  if (EXPERIMENTS.length === 0) return 'no experiments are registered';
  const rows = EXPERIMENTS.map((e) => [e.name, `§${e.paper.number} ${e.paper.title}`, `${e.seconds.full} s / ${e.seconds.quick} s`, e.shows]);
  const head = ['name', 'paper', 'full / quick', 'shows'];
  const w = [0, 1, 2].map((i) => rows.reduce((m, r) => Math.max(m, Math.min(r[i]!.length, i === 1 ? 48 : 200)), head[i]!.length));
  const cut = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
  return [head, ...rows].map((r) => `${r[0]!.padEnd(w[0]!)}  ${cut(r[1]!, 48).padEnd(w[1]!)}  ${r[2]!.padEnd(w[2]!)}  ${r[3]}`).join('\n');
}

/**
 * Runs (or resumes, or reuses) one experiment into `o.out`. Throws UsageError for bad
 * settings and JobError when the folder holds another job (unless fresh) or a damaged state.
 */
export async function runOne(exp: Experiment, o: RunOneOptions): Promise<RunOutcome> {
  let settings;
  try {
    settings = resolveSettings(exp, { quick: o.quick, ...(o.set ? { set: o.set } : {}) });
  } catch (e) {
    if (e instanceof RangeError) throw new UsageError(`--set: ${e.message}`);
    throw e;
  }
  const seed = o.seed ?? (typeof settings['seed'] === 'number' ? (settings['seed'] as number) : 0);
  const backend = await useBackend(o.backend as 'auto');
  const job = Job.open({
    command: `run ${exp.name}`,
    out: o.out,
    options: { experiment: exp.name, quick: o.quick, seed, settings, backend: backend.name },
    fresh: o.fresh,
    quiet: o.quiet,
  });
  try {
    if (job.status === 'done' && job.has('result.json')) {
      const result = JSON.parse(job.readFile('result.json').toString('utf8')) as ExperimentResult;
      if (job.has('figure.svg')) job.readFile('figure.svg');
      return { result, reused: true, out: job.dir };
    }
    job.begin();
    const st: RunState = (job.state as RunState | null) ?? { stages: {}, stageSeconds: {} };
    if (job.resumed && Object.keys(st.stages).length > 0) job.say(`descent run: resuming ${exp.name} in ${job.dir} (${Object.keys(st.stages).length} stages done)`);
    const store: StageStore = {
      get(key) {
        const file = st.stages[key];
        if (file === undefined) return undefined;
        const doc = JSON.parse(job.readFile(file).toString('utf8')) as { key: string; value: Json };
        if (doc.key !== key) throw new JobError(`${job.path(file)} holds stage '${doc.key}', not '${key}'; rerun with --fresh`);
        return doc.value;
      },
      set(key, value) {
        const file = stageFile(key);
        job.writeFile(file, JSON.stringify({ key, value }));
        st.stages[key] = file;
        job.commit(st);
      },
    };
    let bar: Progress | null = null;
    const progress = (done: number, total: number, label?: string) => {
      if (o.quiet) return;
      if (!bar || bar.total !== total) bar = new Progress({ total, label: exp.name });
      bar.update(done, label);
    };
    const r = await job.timed('run', () => runExperiment(exp, {
      quick: o.quick, seed, ...(o.set ? { set: o.set } : {}), store, progress,
      log: (m) => { if (!o.quiet) process.stderr.write(`${m}\n`); },
    }));
    (bar as Progress | null)?.finish();
    Object.assign(st.stageSeconds, r.timings.stages);
    const result: ExperimentResult = {
      ...r,
      timings: {
        totalSeconds: job.timings['run'] ?? r.timings.totalSeconds,
        stages: st.stageSeconds,
        ...({ thisRunSeconds: r.timings.totalSeconds, runs: job.runs, resumed: job.resumed, backend: backend.name } as object),
      } as ExperimentResult['timings'],
    };
    const svg = await job.timed('figure', () => renderFigure(result));
    job.writeFile('figure.svg', svg);
    job.writeFile('result.json', `${JSON.stringify(result, null, 1)}\n`);
    job.finish(st);
    return { result, reused: false, out: job.dir };
  } finally {
    job.close();
  }
}

const fmt = (v: Json): string => {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toPrecision(4);
  const s = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'number' && !Number.isInteger(x) ? Number(x.toPrecision(4)) : x));
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
};

/** The printed summary of a result. */
export function summaryText(r: ExperimentResult, out: string, reused: boolean): string {
  const failed = r.checks.filter((c) => !c.pass).length;
  const lines = [
    `${r.experiment}: paper ${r.paper.number}, ${r.paper.title} (arXiv:${r.paper.arxiv})${r.quick ? ' — quick settings' : ''}, seed ${r.seed}`,
    `checks: ${r.checks.length - failed} of ${r.checks.length} held`,
    ...r.checks.map((c) => `  ${c.pass ? 'PASS' : 'FAIL'}  ${c.name}: ${fmt(c.observed)}\n        predicted: ${c.prediction}`),
    'metrics:',
    ...Object.entries(r.metrics).map(([k, v]) => `  ${k} = ${fmt(v)}`),
    `${reused ? 'reused the finished result in' : 'wrote'} ${join(out, 'result.json')} and ${join(out, 'figure.svg')}`
      + ` (${formatDuration(r.timings.totalSeconds)} of computing)`,
  ];
  return lines.join('\n');
}

/** Runs `descent run`; returns the exit code. */
export async function runCommand(argv: string[]): Promise<number> {
  const p = parseOptions('run', RUN_OPTIONS, argv, { positionals: 1 });
  if (p === 'help') {
    console.log(RUN_HELP);
    return 0;
  }
  const v = p.values;
  if (v.list) {
    console.log(listText());
    return 0;
  }
  const name = p.positionals[0];
  if (name === undefined) throw new UsageError(`expected an experiment name (one of ${EXPERIMENTS.map((e) => e.name).join(', ') || 'none registered'}) or --list (see descent run --help)`);
  let exp: Experiment;
  try {
    exp = findExperiment(name);
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/^descent run: /, ''));
  }
  const out = v.out ?? join('runs', v.quick ? `${name}-quick` : name);
  const set = keyValues('--set', v.set);
  const { result, reused, out: dir } = await runOne(exp, {
    quick: v.quick, out, ...(v.seed !== undefined ? { seed: v.seed } : {}), set, backend: v.backend, fresh: v.fresh, quiet: v.quiet,
  });
  if (!v.quiet) console.log(summaryText(result, dir, reused));
  return v.strict && result.checks.some((c) => !c.pass) ? 1 : 0;
}
