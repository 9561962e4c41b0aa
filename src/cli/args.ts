// Command-line options for every `descent` job: typed specs → parsing, validation and the
// --help text, from one table per command.
//
// Contract. `parseOptions(command, specs, argv)` returns the typed values (defaults filled
// in), the positionals, or 'help' for -h/--help; anything else it cannot take is an
// `OptionError` (a UsageError: exit status 2) whose message names the option, what was
// expected and what came: "--seed: expected an integer ≥ 0 but received 'x'". A value may
// follow its option as the next word or after '=': `--seed -1` and `--seed=-1` both give −1
// (an option that takes a value always takes the next word, so negative numbers are never
// mistaken for options). `helpText` renders the same table as the --help text.
//
// Choice lists come from the library's own registries (optimizers, activations, backends,
// experiments) through the functions below, never retyped in a command.

import type { BackendName } from '../backend/ops.js';
import { ACTIVATIONS } from '../ops/activations.js';
import { OPTIMIZERS } from '../optim/optimizers.js';
import { UsageError } from './usage.js';

/** A command-line value that does not fit its option: which option, what was expected, what came. */
export class OptionError extends UsageError {
  override name = 'OptionError';
  constructor(readonly option: string, readonly expected: string, readonly got: string, message?: string) {
    super(message ?? `${option}: expected ${expected} but received '${got}'`);
  }
}

interface Base {
  /** One line for --help. */
  help: string;
  /** Placeholder in --help (default from the kind: N, X, NAME...). */
  arg?: string;
  /** A one-letter alias (-h). */
  short?: string;
  /** Section heading in --help (options keep their table order within a section). */
  group?: string;
}
export interface IntSpec extends Base { kind: 'int'; default?: number; min?: number; max?: number }
export interface NumberSpec extends Base { kind: 'number'; default?: number; min?: number; max?: number; positive?: boolean }
export interface StringSpec extends Base { kind: 'string'; default?: string; /** Reject '' (e.g. --out). */ nonEmpty?: boolean }
export interface ChoiceSpec extends Base { kind: 'choice'; choices: () => readonly string[]; default?: string }
export interface FlagSpec extends Base { kind: 'flag' }
/** Repeatable string option (`--set k=v --set k2=v2`). */
export interface ListSpec extends Base { kind: 'list' }
export type OptionSpec = IntSpec | NumberSpec | StringSpec | ChoiceSpec | FlagSpec | ListSpec;
export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

type ValueOf<S extends OptionSpec> =
  S extends IntSpec | NumberSpec ? (S extends { default: number } ? number : number | undefined)
  : S extends StringSpec | ChoiceSpec ? (S extends { default: string } ? string : string | undefined)
  : S extends FlagSpec ? boolean
  : S extends ListSpec ? string[]
  : never;

/** The parsed values of a spec table, keyed by option name (as spelled on the command line). */
export type OptionValues<T extends OptionSpecs> = { -readonly [K in keyof T]: ValueOf<T[K]> };

export interface Parsed<T extends OptionSpecs> {
  values: OptionValues<T>;
  positionals: string[];
  /** The options given on the command line (not defaulted). */
  given: Set<string>;
}

/** Checks and converts one value; throws OptionError naming `--name`. */
export function convert(name: string, spec: OptionSpec, text: string): number | string {
  const opt = `--${name}`;
  switch (spec.kind) {
    case 'int': {
      const x = Number(text);
      const { min, max } = spec;
      const expected = max !== undefined ? `an integer in [${min ?? '-∞'}, ${max}]` : min !== undefined ? `an integer ≥ ${min}` : 'an integer';
      if (text.trim() === '' || !Number.isSafeInteger(x) || (min !== undefined && x < min) || (max !== undefined && x > max)) throw new OptionError(opt, expected, text);
      return x;
    }
    case 'number': {
      const x = Number(text);
      const { min, max, positive } = spec;
      const bound = positive ? ' > 0' : min !== undefined ? ` ≥ ${min}` : '';
      const expected = (positive ? 'a positive number' : `a finite number${bound}`) + (max !== undefined ? ` ≤ ${max}` : '');
      if (text.trim() === '' || !Number.isFinite(x) || (positive && !(x > 0)) || (min !== undefined && x < min) || (max !== undefined && x > max)) throw new OptionError(opt, expected, text);
      return x;
    }
    case 'string':
      if (spec.nonEmpty && text.trim() === '') throw new OptionError(opt, 'a non-empty value', text);
      return text;
    case 'choice': {
      const choices = spec.choices();
      if (!choices.includes(text)) throw new OptionError(opt, `one of ${choices.join(', ')}`, text);
      return text;
    }
    default:
      return text;
  }
}

/**
 * Parses `argv` against `specs`. `positionals` says how many bare words the command takes
 * (default 0: any is an error).
 * @example
 * const p = parseOptions('train', { seed: { kind: 'int', min: 0, default: 0, help: 'seed' } }, ['--seed', '3']);
 * if (p !== 'help') p.values.seed; // 3
 */
export function parseOptions<T extends OptionSpecs>(command: string, specs: T, argv: readonly string[], opts: { positionals?: number } = {}): Parsed<T> | 'help' {
  const values: Record<string, unknown> = {};
  const given = new Set<string>();
  const positionals: string[] = [];
  const shorts = new Map(Object.entries(specs).filter(([, s]) => s.short).map(([n, s]) => [s.short!, n]));
  const see = `(see descent ${command} --help)`;
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === '-h' || word === '--help') return 'help';
    if (word === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!word.startsWith('-') || word === '-' || /^-\d/.test(word)) {
      positionals.push(word);
      continue;
    }
    const eq = word.indexOf('=');
    let name = word.startsWith('--') ? word.slice(2, eq < 0 ? undefined : eq) : shorts.get(word.slice(1, eq < 0 ? undefined : eq)) ?? word.slice(1);
    let inline = eq < 0 ? undefined : word.slice(eq + 1);
    let spec = specs[name];
    let negated = false;
    if (!spec && name.startsWith('no-') && specs[name.slice(3)]?.kind === 'flag') {
      name = name.slice(3);
      spec = specs[name];
      negated = true;
    }
    if (!spec) throw new UsageError(`Unknown option '${word.split('=')[0]}' ${see}`);
    given.add(name);
    if (spec.kind === 'flag') {
      if (inline !== undefined) {
        if (inline !== 'true' && inline !== 'false') throw new OptionError(`--${name}`, "no value (or 'true'/'false')", inline);
        values[name] = (inline === 'true') !== negated;
      } else values[name] = !negated;
      continue;
    }
    if (inline === undefined) {
      if (i + 1 >= argv.length) throw new OptionError(`--${name}`, `a value (${spec.arg ?? placeholder(spec)})`, '', `--${name}: expected a value (${spec.arg ?? placeholder(spec)}) but none was given ${see}`);
      inline = argv[++i]!;
    }
    if (spec.kind === 'list') ((values[name] ??= []) as string[]).push(inline);
    else values[name] = convert(name, spec, inline);
  }
  const max = opts.positionals ?? 0;
  if (positionals.length > max) {
    throw new UsageError(max === 0
      ? `unexpected argument '${positionals[0]}' ${see}`
      : `expected at most ${max} argument${max === 1 ? '' : 's'} but received ${positionals.length}: ${positionals.join(' ')} ${see}`);
  }
  for (const [name, spec] of Object.entries(specs)) {
    if (name in values) continue;
    if (spec.kind === 'flag') values[name] = false;
    else if (spec.kind === 'list') values[name] = [];
    else if ('default' in spec && spec.default !== undefined) values[name] = spec.default;
  }
  return { values: values as OptionValues<T>, positionals, given };
}

function placeholder(spec: OptionSpec): string {
  switch (spec.kind) {
    case 'int': return 'N';
    case 'number': return 'X';
    case 'choice': return 'NAME';
    case 'list': return 'K=V';
    case 'flag': return '';
    default: return 'VALUE';
  }
}

/**
 * The --help text of a command: its usage line, a description, and one line per option
 * (placeholder, help, choices and default), grouped by `group`.
 */
export function helpText(usage: string, description: string, specs: OptionSpecs): string {
  const rows: { group: string; left: string; right: string }[] = [];
  for (const [name, spec] of Object.entries(specs)) {
    const ph = spec.arg ?? placeholder(spec);
    const left = `  ${spec.short ? `-${spec.short}, ` : ''}--${name}${ph ? ` ${ph}` : ''}`;
    let right = spec.help;
    if (spec.kind === 'choice') right += ` (${spec.choices().join(' | ')})`;
    if ('default' in spec && spec.default !== undefined && spec.default !== '') right += ` (default ${spec.default})`;
    rows.push({ group: spec.group ?? '', left, right });
  }
  rows.push({ group: '', left: '  -h, --help', right: 'this text' });
  const width = Math.min(28, rows.reduce((w, r) => Math.max(w, r.left.length), 0));
  const groups = [...new Set(rows.map((r) => r.group))];
  const lines = [`usage: ${usage}`, '', description, ''];
  for (const g of groups) {
    if (g) lines.push(g);
    for (const r of rows.filter((x) => x.group === g)) {
      const text = wrap(r.right, LINE - width - 2);
      const pad = ' '.repeat(width + 2);
      const first = r.left.length > width ? `${r.left}\n${pad}${text[0]}` : `${r.left.padEnd(width)}  ${text[0]}`;
      lines.push([first, ...text.slice(1).map((l) => pad + l)].join('\n'));
    }
  }
  return lines.join('\n');
}

/** Help lines are wrapped to this many columns. */
const LINE = 100;

/** Splits text into lines of at most `width` characters at spaces (a longer word gets a line of its own). */
function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      out.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  out.push(line);
  return out;
}

// ── Choice lists from the library's registries ──

// Exhaustive over the library's BackendName type (the backend registry keeps its names
// private): a backend added there fails to compile here until it is listed.
const BACKEND_SET: Record<BackendName, true> = { cpu: true, webgpu: true, reference: true };

/** Backend names a job accepts, `auto` last. */
export function backendChoices(): readonly string[] {
  return [...Object.keys(BACKEND_SET), 'auto'];
}

/** The MLP activations (the library's activation table, ops/activations.ts). */
export function activationChoices(): readonly string[] {
  return ACTIVATIONS;
}

/** Optimizer names as the CLI spells them (lower case of the registry's kinds). */
export function optimizerChoices(): readonly string[] {
  return Object.keys(OPTIMIZERS).map((k) => k.toLowerCase());
}

/** The optimizer kind (OPTIMIZERS' key) of a CLI name. */
export function optimizerKind(name: string): string {
  const kind = Object.keys(OPTIMIZERS).find((k) => k.toLowerCase() === name.toLowerCase());
  if (!kind) throw new OptionError('--optimizer', `one of ${optimizerChoices().join(', ')}`, name);
  return kind;
}

/** Parses repeated `key=value` words (for --set, --opt). */
export function keyValues(option: string, words: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of words) {
    const at = kv.indexOf('=');
    if (at <= 0) throw new OptionError(option, 'KEY=VALUE', kv);
    out[kv.slice(0, at)] = kv.slice(at + 1);
  }
  return out;
}
