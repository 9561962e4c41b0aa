// One error format for the whole library: the function, the argument, what was expected
// and what arrived. TypeError for types, RangeError for sizes, ranges and NaN, DescentError
// subclasses for state (a disposed tensor, a lost device, a failed native load).

export class DescentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A tensor (or its storage) was used after dispose(). */
export class DisposedError extends DescentError {}

/** Shapes that do not fit an op. */
export class ShapeError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'ShapeError';
  }
}

/** A short description of a value for error messages: its type, and its length or value. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    return `${value.constructor.name} of length ${(value as unknown as ArrayLike<number>).length}`;
  }
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'an object';
  return typeof value;
}

/** `fn: expected <expected> for '<arg>' but received <described value>` */
export function argMessage(fn: string, arg: string, expected: string, received: unknown): string {
  return `${fn}: expected ${expected} for '${arg}' but received ${describe(received)}`;
}

export function typeError(fn: string, arg: string, expected: string, received: unknown): TypeError {
  return new TypeError(argMessage(fn, arg, expected, received));
}

export function rangeError(fn: string, arg: string, expected: string, received: unknown): RangeError {
  return new RangeError(argMessage(fn, arg, expected, received));
}

/** Checks a count: an integer in [min, max]. */
export function checkInt(fn: string, arg: string, value: unknown, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number') throw typeError(fn, arg, 'an integer', value);
  if (!Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `an integer ≥ ${min}` : `an integer in [${min}, ${max}]`;
    throw rangeError(fn, arg, range, value);
  }
  return value;
}

/** Checks a finite number. */
export function checkFinite(fn: string, arg: string, value: unknown): number {
  if (typeof value !== 'number') throw typeError(fn, arg, 'a finite number', value);
  if (!Number.isFinite(value)) throw rangeError(fn, arg, 'a finite number', value);
  return value;
}
