// The experiment contract: every paper of the algorithm layer registers experiments that
// `descent run NAME` and `descent reproduce` execute (DESIGN.md decision 11).
//
// An experiment is data (name, paper, settings and their --quick overrides) plus an async
// `run(settings, ctx)` that returns metrics, series for the figure, and checks. A check is the
// paper's prediction, stated before the run (its `prediction` text is fixed in code, never
// derived from the outcome), with what was observed and whether it held. A failed check is a
// result, not an error: the runner reports it and exits 0 (1 with --strict).
//
// Resume: `ctx.stage(key, compute)` memoises a JSON-valued unit of work. The command-line
// runner stores stages in the output folder (atomic writes), so a killed run recomputes only
// the stage in flight; in tests `runExperiment` keeps them in memory. Stage keys are unique
// within a run and must not depend on timing.
//
// Randomness: everything random derives from `ctx.seed` (the --seed option, default the
// experiment's `seed` setting or 0) and from fixed stream numbers, so a rerun is identical.

/** A JSON value: what metrics, settings and stage results are made of. */
export type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json };

/** The paper an experiment reproduces, as numbered in PAPERS.md. */
export interface PaperRef {
  number: number;
  title: string;
  arxiv: string;
}

/** A prediction checked by a run. */
export interface Check {
  /** Short identifier, e.g. 'xi-half-when-gradient-constant'. */
  name: string;
  /** The paper's prediction in words, fixed before the run (with the tolerance and where it comes from). */
  prediction: string;
  /** What the run observed (numbers, with their error estimates where there are any). */
  observed: Json;
  pass: boolean;
}

/** One panel of the figure: points (x, y), optionally grouped into lines and with error bars. */
export interface Series {
  name: string;
  /** Axis titles. */
  x: string;
  y: string;
  logX?: boolean;
  logY?: boolean;
  /** Default 'line'. */
  mark?: 'line' | 'point' | 'bar';
  points: readonly SeriesPoint[];
}

export interface SeriesPoint {
  x: number | string;
  y: number;
  /** Line or colour group (e.g. the scheme's name). */
  group?: string;
  /** Error bar, when the point is an estimate. */
  lo?: number;
  hi?: number;
}

/** What `run` returns. */
export interface ExperimentOutput {
  metrics: { readonly [key: string]: Json };
  series: readonly Series[];
  checks: readonly Check[];
}

/** What an experiment sees of its runner. */
export interface ExperimentContext {
  /** True for the --quick settings. */
  readonly quick: boolean;
  /** The run's seed; derive every random stream from it. */
  readonly seed: number;
  /** Memoises a resumable unit of work (see the file header). */
  stage<T extends Json>(key: string, compute: () => T | Promise<T>): Promise<T>;
  /** Reports progress through the run (done of total units, with a label). */
  progress(done: number, total: number, label?: string): void;
  /** A line for the log (shown unless --quiet). */
  log(message: string): void;
}

/** A registered experiment. `S` is its settings object (JSON values only). */
export interface Experiment<S extends { readonly [key: string]: Json } = { readonly [key: string]: Json }> {
  /** Fixed name used by `descent run NAME` and read by other tools. */
  name: string;
  paper: PaperRef;
  /** One sentence: what the experiment shows. */
  shows: string;
  /** Full-run settings. */
  settings: S;
  /** Overrides for --quick (small: seconds on 2 cores). */
  quick: Partial<S>;
  /** Measured wall-clock seconds on the development machine (2 cores), for `descent run --list`. */
  seconds: { full: number; quick: number };
  run(settings: S, ctx: ExperimentContext): Promise<ExperimentOutput>;
}

/** The result.json schema identifier; bump on an incompatible change (docs/experiments.md). */
export const RESULT_SCHEMA = 'descent.experiment/1';

/** The document an experiment run writes as result.json. */
export interface ExperimentResult extends ExperimentOutput {
  schema: typeof RESULT_SCHEMA;
  experiment: string;
  paper: PaperRef;
  quick: boolean;
  seed: number;
  settings: { readonly [key: string]: Json };
  timings: { totalSeconds: number; stages: { [key: string]: number } };
}

/** Type-checks an experiment definition (settings inferred from the object). */
export function defineExperiment<S extends { readonly [key: string]: Json }>(e: Experiment<S>): Experiment<S> {
  return e;
}

/** Builds a check; `observed` should carry the numbers the verdict came from. */
export function check(name: string, prediction: string, observed: Json, pass: boolean): Check {
  return { name, prediction, observed, pass };
}

/**
 * The settings a run uses: the full settings, then --quick's overrides, then `set` (from
 * `--set key=value`). A `set` value is parsed by the type of the setting it replaces: numbers,
 * booleans ('true'/'false'), strings, or JSON for arrays and objects.
 */
export function resolveSettings<S extends { readonly [key: string]: Json }>(
  e: Experiment<S>,
  opts: { quick?: boolean; set?: Readonly<Record<string, string>> } = {},
): S {
  const out: Record<string, Json> = { ...e.settings, ...(opts.quick ? e.quick : {}) } as Record<string, Json>;
  for (const [key, text] of Object.entries(opts.set ?? {})) {
    if (!(key in e.settings)) {
      throw new RangeError(`${e.name}: unknown setting '${key}' in --set; expected one of ${Object.keys(e.settings).join(', ')}`);
    }
    out[key] = parseSetting(e.name, key, text, e.settings[key]!);
  }
  return out as S;
}

function parseSetting(experiment: string, key: string, text: string, like: Json): Json {
  const bad = (expected: string): never => {
    throw new RangeError(`${experiment}: expected ${expected} for setting '${key}' but received '${text}'`);
  };
  if (typeof like === 'number') {
    const v = Number(text);
    return text.trim() !== '' && Number.isFinite(v) ? v : bad('a finite number');
  }
  if (typeof like === 'boolean') return text === 'true' ? true : text === 'false' ? false : bad("'true' or 'false'");
  if (typeof like === 'string') return text;
  try {
    const v = JSON.parse(text) as Json;
    if (Array.isArray(like) !== Array.isArray(v) || typeof v !== 'object' || v === null) bad(Array.isArray(like) ? 'a JSON array' : 'a JSON object');
    return v;
  } catch (err) {
    if (err instanceof RangeError) throw err;
    return bad(Array.isArray(like) ? 'a JSON array' : 'a JSON object');
  }
}

/** Where a runner keeps stage results between runs. */
export interface StageStore {
  get(key: string): Json | undefined;
  set(key: string, value: Json): void | Promise<void>;
}

export interface RunOptions {
  quick?: boolean;
  seed?: number;
  set?: Readonly<Record<string, string>>;
  /** Stage results kept across runs (default: in memory, this run only). */
  store?: StageStore;
  progress?: ExperimentContext['progress'];
  log?: ExperimentContext['log'];
}

/**
 * Runs an experiment in this process and returns its result document (the runner of
 * `descent run` adds files, resume and printing around this; tests call it directly).
 */
export async function runExperiment<S extends { readonly [key: string]: Json }>(
  e: Experiment<S>,
  opts: RunOptions = {},
): Promise<ExperimentResult> {
  const settings = resolveSettings(e, opts);
  const seed = opts.seed ?? (typeof settings['seed'] === 'number' ? (settings['seed'] as number) : 0);
  const memory = new Map<string, Json>();
  const store: StageStore = opts.store ?? { get: (k) => memory.get(k), set: (k, v) => void memory.set(k, v) };
  const stages: Record<string, number> = {};
  const seen = new Set<string>();
  const ctx: ExperimentContext = {
    quick: opts.quick ?? false,
    seed,
    async stage<T extends Json>(key: string, compute: () => T | Promise<T>): Promise<T> {
      if (seen.has(key)) throw new RangeError(`${e.name}: stage '${key}' ran twice in one run; stage keys must be unique`);
      seen.add(key);
      const kept = store.get(key);
      if (kept !== undefined) return kept as T;
      const t0 = performance.now();
      const value = await compute();
      stages[key] = (performance.now() - t0) / 1000;
      await store.set(key, value);
      return value;
    },
    progress: opts.progress ?? (() => {}),
    log: opts.log ?? (() => {}),
  };
  const t0 = performance.now();
  const out = await e.run(settings, ctx);
  return {
    schema: RESULT_SCHEMA,
    experiment: e.name,
    paper: e.paper,
    quick: ctx.quick,
    seed,
    settings,
    metrics: out.metrics,
    series: out.series,
    checks: out.checks,
    timings: { totalSeconds: (performance.now() - t0) / 1000, stages },
  };
}
