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

/**
 * Class labels from any numbers (a file's float or integer tensor), validated: every label
 * must be a finite integer in [0, classes) (classes = largest label + 1 when not given).
 * A NaN, a fraction such as 3.7, a negative or too large label is a RangeError naming `fn`,
 * `source`, the row and the value, never truncated or mapped to class 0. An empty list is an
 * error too (a data set with no rows).
 * @example
 * const { labels, classes } = checkedLabels('loadData', file.tensors.y.data, 'data.safetensors');
 */
export function checkedLabels(fn: string, values: ArrayLike<number>, source: string, classes?: number): { labels: Int32Array; classes: number } {
  if (values.length === 0) throw new RangeError(`${fn}: ${source} holds no rows (0 labels); expected at least one`);
  const labels = new Int32Array(values.length);
  let most = -1;
  for (let i = 0; i < values.length; i++) {
    const v = Number(values[i]);
    if (!Number.isInteger(v) || v < 0 || v > 2 ** 31 - 1 || (classes !== undefined && v >= classes)) {
      const range = classes === undefined ? 'a non-negative integer class label' : `an integer class label in [0, ${classes})`;
      throw new RangeError(`${fn}: ${source} holds label ${Number.isNaN(v) ? 'NaN' : v} at row ${i}; expected ${range}`);
    }
    labels[i] = v;
    if (v > most) most = v;
  }
  return { labels, classes: classes ?? most + 1 };
}
