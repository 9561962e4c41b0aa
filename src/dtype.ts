// Element types. float32 is the working type everywhere; float64 serves small dense
// linear algebra on host backends; int32 holds labels and indices.

export type DType = 'float32' | 'float64' | 'int32';

export const DTYPES: readonly DType[] = ['float32', 'float64', 'int32'];

/** `value` when it names a DType, else a TypeError naming the function and argument. */
export function checkDType(fn: string, arg: string, value: unknown): DType {
  if (typeof value === 'string' && (DTYPES as readonly string[]).includes(value)) return value as DType;
  const got = typeof value === 'string' ? `'${value}'` : String(value);
  throw new TypeError(`${fn}: expected one of ${DTYPES.map((d) => `'${d}'`).join(', ')} for '${arg}' but received ${got}`);
}

export function arrayFor(dtype: DType, size: number): Float32Array | Float64Array | Int32Array {
  switch (dtype) {
    case 'float32': return new Float32Array(size);
    case 'float64': return new Float64Array(size);
    case 'int32': return new Int32Array(size);
  }
  dtype satisfies never;
  throw new TypeError(`unknown dtype '${String(dtype)}'`);
}

export function dtypeOf(a: Float32Array | Float64Array | Int32Array): DType {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  return 'int32';
}

/** Unit roundoff of each float format (half the machine epsilon). */
export const UNIT_ROUNDOFF: Record<DType, number> = {
  float32: 2 ** -24,
  float64: 2 ** -53,
  int32: 0,
};
