// Host-side data sets: row-major typed arrays plus their sizes, no tensors.
//
// Contract: `x` holds n rows of `features` float32 values, row-major. A classification set
// has int32 labels in [0, classes); a regression set has float32 targets, n rows of
// `outputs`. `selectRows` turns a loader's {limit, indices, seed} options into the list of
// rows to read (or undefined for all rows in file order), validating each option.

import { checkInt, typeError } from '../errors.js';
import { gatherRows, subsetIndices } from './batches.js';

export interface ClassificationData {
  /** n × features, row-major. */
  x: Float32Array;
  /** n labels in [0, classes). */
  y: Int32Array;
  n: number;
  features: number;
  classes: number;
}

export interface RegressionData {
  /** n × features, row-major. */
  x: Float32Array;
  /** n × outputs, row-major. */
  y: Float32Array;
  n: number;
  features: number;
  outputs: number;
}

export interface RowSelection {
  /** Take this many rows: the first ones in file order, or a random subset when `seed` is given. */
  limit?: number;
  /** Take exactly these rows, in this order (0-based). Excludes `limit` and `seed`. */
  indices?: ArrayLike<number>;
  /** Shuffle seed: with `limit`, a uniform random subset; alone, every row in a random order. */
  seed?: number;
}

/** The rows a selection asks for out of `total`, or undefined for all rows in file order. */
export function selectRows(fn: string, total: number, selection: RowSelection): Int32Array | undefined {
  const { limit, indices, seed } = selection;
  if (indices !== undefined) {
    if (limit !== undefined || seed !== undefined) {
      throw new TypeError(`${fn}: expected either 'indices' or 'limit'/'seed' but received both`);
    }
    if (!(indices instanceof Int32Array) && !Array.isArray(indices) && !ArrayBuffer.isView(indices)) {
      throw typeError(fn, 'indices', 'an Int32Array or an array of row numbers', indices);
    }
    const rows = new Int32Array(indices.length);
    for (let i = 0; i < indices.length; i++) {
      const r = indices[i]!;
      if (!Number.isInteger(r) || r < 0 || r >= total) {
        throw new RangeError(`${fn}: expected row numbers in [0, ${total}) for 'indices' but received ${r} at position ${i}`);
      }
      rows[i] = r;
    }
    return rows;
  }
  if (limit === undefined && seed === undefined) return undefined;
  const size = limit === undefined ? total : checkInt(fn, 'limit', limit, 0, total);
  if (seed !== undefined) checkInt(fn, 'seed', seed, 0);
  return subsetIndices(total, size, seed);
}

/** The listed rows of a classification set, in order. */
export function takeRows(data: ClassificationData, rows: ArrayLike<number>): ClassificationData {
  return {
    x: gatherRows(data.x, data.features, rows),
    y: gatherRows(data.y, 1, rows),
    n: rows.length,
    features: data.features,
    classes: data.classes,
  };
}
