// IDX files (the MNIST / Fashion-MNIST container), raw or gzip-compressed.
//
// Format (LeCun et al., http://yann.lecun.com/exdb/mnist/): bytes 00 00, a type code
// (08 uint8, 09 int8, 0B int16, 0C int32, 0D float32, 0E float64), the number of dimensions
// d, then d big-endian u32 sizes, then the elements in row-major order, big-endian.
//
// Contract: `openIdx` reads and checks a file (magic, type, dimensions, length against the
// header, and an expected type/rank when given) and returns its header and bytes without
// decoding them; `decodeImages` turns uint8 rows into float32 pixels u/255 and `decodeLabels`
// turns uint8 rows into int32, each for all rows or a chosen list of rows; `readIdx` decodes
// a whole file of any IDX type. With `rows`, openIdx reads (inflates) only the first rows of
// a file — the rest is never decompressed — and the decoders refuse rows beyond them. Every problem is a `DataFileError` naming the calling
// function, the file and what was wrong, e.g.
// `loadFashionMnist: /d/train-images-idx3-ubyte.gz is truncated: header says 60000×28×28 =
// 47040000 bytes of pixels but the file holds 1234 (after gunzip)`.

import { DataFileError, hexBytes, readMaybeGzip, readMaybeGzipPrefix } from '../io/files.js';
import type { Inflated } from '../io/files.js';

export type IdxDtype = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';

const TYPE_CODES: Record<number, { dtype: IdxDtype; size: number }> = {
  0x08: { dtype: 'uint8', size: 1 },
  0x09: { dtype: 'int8', size: 1 },
  0x0b: { dtype: 'int16', size: 2 },
  0x0c: { dtype: 'int32', size: 4 },
  0x0d: { dtype: 'float32', size: 4 },
  0x0e: { dtype: 'float64', size: 8 },
};

const CODE_OF: Record<IdxDtype, number> = {
  uint8: 0x08, int8: 0x09, int16: 0x0b, int32: 0x0c, float32: 0x0d, float64: 0x0e,
};

export interface IdxHeader {
  dtype: IdxDtype;
  /** Sizes, outermost first; dims[0] is the number of rows (images, labels). */
  dims: number[];
  /** Bytes per element. */
  itemBytes: number;
  /** Offset of the first element in the (inflated) bytes. */
  dataOffset: number;
}

export interface IdxFile {
  path: string;
  header: IdxHeader;
  /** The file, inflated when it was gzip-compressed: all of it, or at least its first `rowsHeld` rows. */
  bytes: Uint8Array;
  gzip: boolean;
  /** The rows the bytes hold: dims[0], or fewer when openIdx was asked for the first rows only. */
  rowsHeld: number;
}

export interface IdxExpectation {
  dtype: IdxDtype;
  ndim: number;
  /** What the rows are, for messages: 'images', 'labels'. */
  what: string;
  /** What the elements are, for messages: 'pixels', 'labels'. */
  noun: string;
}

export interface OpenIdxOptions {
  /** Name that starts every error message. */
  fn?: string;
  expect?: IdxExpectation;
  /** Appended to a 'missing file' message, e.g. how to install the data. */
  hint?: string;
  /** Only the first `rows` rows are needed: read (inflate) no further than them. */
  rows?: number;
}

function magicOf(dtype: IdxDtype, ndim: number): string {
  return ['00', '00', CODE_OF[dtype].toString(16).padStart(2, '0'), ndim.toString(16).padStart(2, '0')].join(' ');
}

function plural(n: number, one: string): string {
  return `${n} ${one}${n === 1 ? '' : 's'}`;
}

/** Reads an IDX file and checks its header and length; does not decode the elements. */
export function openIdx(path: string, options: OpenIdxOptions = {}): IdxFile {
  const fn = options.fn ?? 'openIdx';
  const expect = options.expect;
  const hint = options.hint ?? '';
  const { bytes, gzip, gzipTruncated, complete } = options.rows === undefined
    ? { ...readMaybeGzip(fn, path, hint), complete: true }
    : readRows(fn, path, options.rows, hint);
  const after = gzip ? ' (after gunzip)' : '';
  const truncated = (msg: string) => new DataFileError(`${fn}: ${path} is truncated: ${msg}`, path, 'truncated');
  const format = (msg: string) => new DataFileError(`${fn}: ${path} ${msg}`, path, 'format');
  const wanted = expect ? `, expected ${magicOf(expect.dtype, expect.ndim)} for ${expect.what}` : '';

  const type = bytes.length >= 3 ? TYPE_CODES[bytes[2]!] : undefined;
  if ((bytes.length >= 1 && bytes[0] !== 0) || (bytes.length >= 2 && bytes[1] !== 0) ||
      (bytes.length >= 3 && type === undefined)) {
    throw format(`is not an IDX file: it starts with bytes ${hexBytes(bytes, 4)}, but an IDX file starts with ` +
      `00 00 <type 08|09|0b|0c|0d|0e> <number of dimensions>${wanted}`);
  }
  if (bytes.length < 4) {
    throw truncated(`it holds ${plural(bytes.length, 'byte')}${after}, fewer than the 4 bytes of an IDX magic number`);
  }
  const ndim = bytes[3]!;
  const { dtype, size } = type!;
  if (expect && (dtype !== expect.dtype || ndim !== expect.ndim)) {
    throw format(`is an IDX file of ${dtype} with ${plural(ndim, 'dimension')} (magic ${hexBytes(bytes, 4)}), ` +
      `but ${expect.what} must be ${expect.dtype} with ${plural(expect.ndim, 'dimension')} ` +
      `(magic ${magicOf(expect.dtype, expect.ndim)})`);
  }
  const dataOffset = 4 + 4 * ndim;
  if (bytes.length < dataOffset) {
    throw truncated(`its magic number announces ${plural(ndim, 'dimension')}, which take ${dataOffset} header ` +
      `bytes, but the file holds ${plural(bytes.length, 'byte')}${after}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let d = 0; d < ndim; d++) dims.push(view.getUint32(4 + 4 * d, false));
  const count = dims.reduce((a, b) => a * b, 1);
  const need = count * size;
  const held = bytes.length - dataOffset;
  const noun = expect?.noun ?? 'data';
  const says = `header says ${dims.length > 0 ? dims.join('×') : '(no dimensions)'} = ` +
    (size === 1 ? `${need} bytes of ${noun}` : `${count} ${dtype} values = ${need} bytes of ${noun}`);
  const rowBytes = dims.length === 0 ? need : need / Math.max(dims[0]!, 1);
  if (!complete) {
    // Only the head was inflated: it must hold the rows asked for (it stops at no row boundary).
    const rowsHeld = Math.min(dims[0] ?? 1, Math.floor(held / Math.max(rowBytes, 1)));
    if (rowsHeld < Math.min(options.rows!, dims[0] ?? 1)) throw truncated(`${says} but the file holds ${held}${after}`);
    return { path, header: { dtype, dims, itemBytes: size, dataOffset }, bytes, gzip, rowsHeld };
  }
  if (held < need) {
    throw truncated(`${says} but the file holds ${held}${after}${gzipTruncated ? '; its gzip stream also ends early' : ''}`);
  }
  if (held > need) {
    throw format(`has ${held - need} bytes after its data: ${says} but the file holds ${held}${after}`);
  }
  if (gzipTruncated) {
    throw truncated('its gzip stream ends before the end-of-stream marker and checksum, so its contents cannot be verified');
  }
  return { path, header: { dtype, dims, itemBytes: size, dataOffset }, bytes, gzip, rowsHeld: dims.length === 0 ? 1 : dims[0]! };
}

/** The head of a file holding its header and first `rows` rows (the header says how long a row is). */
function readRows(fn: string, path: string, rows: number, hint: string): Inflated & { complete: boolean } {
  return readMaybeGzipPrefix(fn, path, (b) => {
    // Not an IDX header: enough to say so.
    if (b.length >= 4 && (b[0] !== 0 || b[1] !== 0 || !TYPE_CODES[b[2]!])) return true;
    const ndim = b[3];
    if (ndim === undefined || b.length < 4 + 4 * ndim) return false;
    const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    let rowBytes = TYPE_CODES[b[2]!]!.size;
    for (let d = 1; d < ndim; d++) rowBytes *= view.getUint32(4 + 4 * d, false);
    return b.length >= 4 + 4 * ndim + rows * rowBytes;
  }, hint);
}

/** Checks that every listed row was read (openIdx with `rows` holds only the first ones). */
function checkHeld(fn: string, file: IdxFile, rows: Int32Array | undefined): void {
  const all = idxRows(file);
  if (file.rowsHeld === all) return;
  let most = -1;
  if (rows) for (const r of rows) most = Math.max(most, r);
  if (!rows || most >= file.rowsHeld) {
    throw new RangeError(`${fn}: ${file.path} was opened for its first ${file.rowsHeld} rows only, but row ${rows ? most : all - 1} was asked for`);
  }
}

/** Number of rows (the first dimension). */
export function idxRows(file: IdxFile): number {
  return file.header.dims.length === 0 ? 1 : file.header.dims[0]!;
}

const PIXEL = (() => {
  const t = new Float32Array(256);
  for (let i = 0; i < 256; i++) t[i] = i / 255;
  return t;
})();

/**
 * uint8 rows → float32 pixels u/255, row-major, `rows.length × (dims[1]·dims[2]·…)`.
 * `rows` lists the rows to take in order; omit it to take every row.
 * Row indices are trusted: callers validate them against `idxRows(file)`.
 */
export function decodeImages(file: IdxFile, rows?: Int32Array): Float32Array {
  const { header, bytes } = file;
  if (header.dtype !== 'uint8') {
    throw new DataFileError(`decodeImages: ${file.path} holds ${header.dtype}, expected uint8 pixels`, file.path, 'dtype');
  }
  checkHeld('decodeImages', file, rows);
  const features = header.dims.slice(1).reduce((a, b) => a * b, 1);
  const n = rows ? rows.length : idxRows(file);
  const out = new Float32Array(n * features);
  for (let i = 0; i < n; i++) {
    const src = header.dataOffset + (rows ? rows[i]! : i) * features;
    const dst = i * features;
    for (let j = 0; j < features; j++) out[dst + j] = PIXEL[bytes[src + j]!]!;
  }
  return out;
}

/**
 * uint8 labels → int32, for all rows or the listed ones. With `classes`, every label read
 * must lie in [0, classes).
 */
export function decodeLabels(file: IdxFile, rows?: Int32Array, classes?: number, fn = 'decodeLabels'): Int32Array {
  const { header, bytes } = file;
  if (header.dtype !== 'uint8' || header.dims.length !== 1) {
    throw new DataFileError(`${fn}: ${file.path} holds ${header.dtype} with ${plural(header.dims.length, 'dimension')}, ` +
      'expected uint8 labels with 1 dimension', file.path, 'dtype');
  }
  checkHeld(fn, file, rows);
  const n = rows ? rows.length : idxRows(file);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const r = rows ? rows[i]! : i;
    const v = bytes[header.dataOffset + r]!;
    if (classes !== undefined && v >= classes) {
      throw new DataFileError(`${fn}: ${file.path} holds label ${v} at row ${r}, outside [0, ${classes})`,
        file.path, 'format');
    }
    out[i] = v;
  }
  return out;
}

export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

export interface IdxArray {
  dtype: IdxDtype;
  dims: number[];
  /** All elements, row-major, in the file's own type (converted from big-endian). */
  data: IdxData;
}

/** Reads and decodes a whole IDX file of any type. */
export function readIdx(path: string, options: OpenIdxOptions = {}): IdxArray {
  const { rows: _rows, ...whole } = options;
  const file = openIdx(path, { ...whole, fn: options.fn ?? 'readIdx' });
  const { dtype, dims, dataOffset, itemBytes } = file.header;
  const count = dims.reduce((a, b) => a * b, 1);
  const src = file.bytes.subarray(dataOffset, dataOffset + count * itemBytes);
  const view = new DataView(src.buffer, src.byteOffset, src.byteLength);
  let data: IdxData;
  switch (dtype) {
    case 'uint8': data = src.slice(); break;
    case 'int8': data = new Int8Array(src.slice().buffer); break;
    case 'int16': data = Int16Array.from({ length: count }, (_, i) => view.getInt16(2 * i, false)); break;
    case 'int32': data = Int32Array.from({ length: count }, (_, i) => view.getInt32(4 * i, false)); break;
    case 'float32': data = Float32Array.from({ length: count }, (_, i) => view.getFloat32(4 * i, false)); break;
    case 'float64': data = Float64Array.from({ length: count }, (_, i) => view.getFloat64(8 * i, false)); break;
    default: dtype satisfies never; throw new TypeError(`readIdx: unknown IDX dtype '${String(dtype)}'`);
  }
  return { dtype, dims, data };
}

/** Encodes an IDX file (uncompressed); the writer used to make test files and small exports. */
export function encodeIdx(dtype: IdxDtype, dims: readonly number[], data: ArrayLike<number>): Uint8Array {
  const size = TYPE_CODES[CODE_OF[dtype]]!.size;
  for (const d of dims) {
    if (!Number.isInteger(d) || d < 0 || d > 0xffffffff) {
      throw new RangeError(`encodeIdx: expected sizes that are u32 integers for 'dims' but received [${dims.join(', ')}]`);
    }
  }
  if (dims.length > 255) throw new RangeError(`encodeIdx: expected at most 255 dimensions for 'dims' but received ${dims.length}`);
  const count = dims.reduce((a, b) => a * b, 1);
  if (data.length !== count) {
    throw new RangeError(`encodeIdx: expected ${count} elements for 'data' (dims ${dims.join('×')}) but received ${data.length}`);
  }
  const out = new Uint8Array(4 + 4 * dims.length + count * size);
  const view = new DataView(out.buffer);
  out[2] = CODE_OF[dtype];
  out[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  const at = 4 + 4 * dims.length;
  for (let i = 0; i < count; i++) {
    const v = data[i]!;
    switch (dtype) {
      case 'uint8': view.setUint8(at + i, v); break;
      case 'int8': view.setInt8(at + i, v); break;
      case 'int16': view.setInt16(at + 2 * i, v, false); break;
      case 'int32': view.setInt32(at + 4 * i, v, false); break;
      case 'float32': view.setFloat32(at + 4 * i, v, false); break;
      case 'float64': view.setFloat64(at + 8 * i, v, false); break;
    }
  }
  return out;
}
