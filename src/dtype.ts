// Element types. float32 is the working type everywhere; float64 serves small dense
// linear algebra on host backends; int32 holds labels and indices.

export type DType = 'float32' | 'float64' | 'int32';

export const DTYPES: readonly DType[] = ['float32', 'float64', 'int32'];

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
