// A progress bar with elapsed time and ETA for long jobs, on stderr by default.
//
// On a terminal it redraws one line in place (at most every `minIntervalMs`); elsewhere
// (logs, CI, pipes) it prints a plain line at each 10% of the work, or every 30 s, so logs
// stay short. The ETA extrapolates the rate of the work done since start(), which keeps
// it honest after a resume that skips work already done. Any job can use it:
//
//   const bar = new Progress({ total: 480, label: 'spectrum' });
//   bar.start(done);             // done > 0 when resuming
//   bar.tick(8, 'lanczos 12/60');
//   bar.finish('done');

import { checkInt, typeError } from '../errors.js';

export interface ProgressStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressOptions {
  /** Units of work in all (for example matrix-vector products). */
  total: number;
  label?: string;
  /** Where to draw (default process.stderr). */
  stream?: ProgressStream;
  /** Draw in place (default: stream.isTTY). */
  tty?: boolean;
  /** false silences the bar (default true). */
  enabled?: boolean;
  /** Minimum time between redraws on a terminal (default 100 ms). */
  minIntervalMs?: number;
  /** Clock in ms (default performance.now; tests inject one). */
  now?: () => number;
}

/** 0.4s, 12.3s, 4m05s, 1h02m. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--';
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const s = Math.round(seconds);
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export class Progress {
  readonly total: number;
  private done = 0;
  private startDone = 0;
  private t0 = 0;
  private lastDraw = -Infinity;
  private lastDecile = -1;
  private lastLine = -Infinity;
  private note = '';
  private started = false;
  private readonly stream: ProgressStream;
  private readonly tty: boolean;
  private readonly enabled: boolean;
  private readonly label: string;
  private readonly minInterval: number;
  private readonly now: () => number;

  constructor(opts: ProgressOptions) {
    if (!opts || typeof opts !== 'object') throw typeError('Progress', 'opts', 'an options object', opts);
    this.total = checkInt('Progress', 'opts.total', opts.total, 0);
    this.stream = opts.stream ?? process.stderr;
    this.tty = opts.tty ?? this.stream.isTTY === true;
    this.enabled = opts.enabled ?? true;
    this.label = opts.label ?? '';
    this.minInterval = opts.minIntervalMs ?? 100;
    this.now = opts.now ?? (() => performance.now());
  }

  /** Starts the clock; `done` is work already finished (a resumed job). */
  start(done = 0, note = ''): void {
    this.done = Math.min(done, this.total);
    this.startDone = this.done;
    this.t0 = this.now();
    this.started = true;
    this.note = note;
    this.draw(true);
  }

  /** Seconds since start(). */
  get elapsed(): number {
    return this.started ? (this.now() - this.t0) / 1000 : 0;
  }

  /** Estimated seconds left, or NaN before any work was timed. */
  get eta(): number {
    const did = this.done - this.startDone;
    if (did <= 0) return NaN;
    return (this.elapsed / did) * (this.total - this.done);
  }

  get completed(): number {
    return this.done;
  }

  tick(units = 1, note?: string): void {
    this.update(this.done + units, note);
  }

  update(done: number, note?: string): void {
    if (!this.started) this.start();
    this.done = Math.max(0, Math.min(done, this.total));
    if (note !== undefined) this.note = note;
    this.draw(false);
  }

  /** Completes the bar and ends its line. */
  finish(note?: string): void {
    if (!this.started) this.start();
    this.done = this.total;
    if (note !== undefined) this.note = note;
    if (!this.enabled) return;
    if (this.tty) this.stream.write(`\r\x1b[2K${this.line()}\n`);
    else if (this.lastDecile < 10 || note !== undefined) this.stream.write(`${this.line()}\n`);
    this.lastDecile = 10;
  }

  /** The text of the bar as drawn now. */
  line(): string {
    const frac = this.total === 0 ? 1 : this.done / this.total;
    const width = 24;
    const full = Math.round(frac * width);
    const bar = '#'.repeat(full) + '.'.repeat(width - full);
    const pct = `${Math.floor(frac * 100)}%`.padStart(4);
    const eta = this.done >= this.total ? 'done' : `ETA ${formatDuration(this.eta)}`;
    const parts = [
      this.label ? `${this.label} ` : '',
      `[${bar}] ${pct} ${this.done}/${this.total}  ${formatDuration(this.elapsed)}  ${eta}`,
      this.note ? `  ${this.note}` : '',
    ];
    return parts.join('');
  }

  private draw(force: boolean): void {
    if (!this.enabled) return;
    const t = this.now();
    if (this.tty) {
      if (!force && t - this.lastDraw < this.minInterval) return;
      this.lastDraw = t;
      let text = this.line();
      const cols = this.stream.columns;
      if (cols && text.length >= cols) text = text.slice(0, cols - 1);
      this.stream.write(`\r\x1b[2K${text}`);
      return;
    }
    const decile = this.total === 0 ? 10 : Math.floor((10 * this.done) / this.total);
    if (force || decile > this.lastDecile || t - this.lastLine >= 30_000) {
      this.lastDecile = decile;
      this.lastLine = t;
      this.stream.write(`${this.line()}\n`);
    }
  }
}
