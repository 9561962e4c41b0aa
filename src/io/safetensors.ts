// safetensors files (https://github.com/huggingface/safetensors): read and write.
//
// Format: an 8-byte little-endian u64 N; N bytes of UTF-8 JSON (padding: trailing spaces)
// mapping each tensor name to {"dtype", "shape", "data_offsets": [begin, end]} plus an
// optional "__metadata__" map of strings to strings; then the data section, in which the
// tensors' byte ranges (relative to its start, little-endian, row-major) tile it exactly.
//
// Contract: `parseSafetensors` / `readSafetensors` check all of that and decode F32, F16,
// BF16 and F64 to Float32Array (F64 is rounded to float32) and I32, I64 to Int32Array (I64
// values outside the int32 range are an error); `dtype` keeps the type the file held.
// `encodeSafetensors` / `writeSafetensors` write F32, F64, F16, BF16 (round to nearest even),
// I32 and I64, laying tensors out by decreasing element size (as the reference writer does,
// so every tensor is aligned to its own size) and keeping the caller's order otherwise, with
// the header padded by spaces to a multiple of 8 bytes. A bad file throws a
// `DataFileError` naming the function, the file, the tensor key and the problem.

import { writeFileSync } from 'node:fs';
import { rangeError, typeError } from '../errors.js';
import { DataFileError, readBytes } from './files.js';

export type SafetensorsDtype = 'F32' | 'F64' | 'F16' | 'BF16' | 'I32' | 'I64';

const ITEM_BYTES: Record<SafetensorsDtype, number> = { F32: 4, F64: 8, F16: 2, BF16: 2, I32: 4, I64: 8 };
const SUPPORTED = Object.keys(ITEM_BYTES) as SafetensorsDtype[];
// Every dtype the safetensors format defines, so an unsupported one is told apart from a typo.
const FORMAT_DTYPES = new Set(['BOOL', 'U8', 'I8', 'F8_E5M2', 'F8_E4M3', 'F8_E8M0', 'I16', 'U16', 'F16', 'BF16',
  'I32', 'U32', 'F32', 'F64', 'I64', 'U64', 'C64', 'F4', 'F6_E2M3', 'F6_E3M2']);
/** The largest header the reference implementation accepts (100 MB). */
const MAX_HEADER_BYTES = 100_000_000;

export interface SafeTensor {
  /** The type the file stored. */
  dtype: SafetensorsDtype;
  shape: number[];
  /** float dtypes → Float32Array, integer dtypes → Int32Array; row-major. */
  data: Float32Array | Int32Array;
}

export interface Safetensors {
  /** In the order of the file's data section. */
  tensors: Map<string, SafeTensor>;
  metadata: Record<string, string>;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A copy of `bytes` in a fresh, aligned buffer, in host byte order for items of `size` bytes. */
function hostOrder(bytes: Uint8Array, size: number): ArrayBuffer {
  const copy = bytes.slice();
  if (!LITTLE_ENDIAN && size > 1) {
    for (let i = 0; i < copy.length; i += size) copy.subarray(i, i + size).reverse();
  }
  return copy.buffer;
}

let F16_TABLE: Float32Array | undefined;
function f16Table(): Float32Array {
  if (F16_TABLE) return F16_TABLE;
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, m = h & 0x3ff;
    t[h] = e === 0 ? s * m * 2 ** -24 : e === 31 ? (m ? NaN : s * Infinity) : s * (1 + m / 1024) * 2 ** (e - 15);
  }
  return (F16_TABLE = t);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 → IEEE binary16 bits, round to nearest even; overflow → ±inf; NaN stays NaN. */
export function f32ToF16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 | (mant >>> 13) : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 2 ** (shift - 1);
    let r = mant >>> shift;
    const rem = mant % 2 ** shift;
    if (rem > half || (rem === half && r & 1)) r++;
    return sign | r;
  }
  let r = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && r & 1)) r++;
  return sign | r;
}

/** float32 → bfloat16 bits, round to nearest even; NaN stays NaN. */
export function f32ToBf16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  if ((x & 0x7f800000) === 0x7f800000 && (x & 0x7fffff) !== 0) return (x >>> 16) | 0x40;
  return Math.floor((x + 0x7fff + ((x >>> 16) & 1)) / 65536) & 0xffff;
}

/** IEEE binary16 bits → the float32 they denote (exactly). */
export function f16BitsToF32(bits: number): number {
  return f16Table()[bits & 0xffff]!;
}

function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

function decode(dtype: SafetensorsDtype, raw: Uint8Array, count: number,
  fail: (msg: string) => DataFileError): Float32Array | Int32Array {
  switch (dtype) {
    case 'F32': return new Float32Array(hostOrder(raw, 4), 0, count);
    case 'I32': return new Int32Array(hostOrder(raw, 4), 0, count);
    case 'F64': return Float32Array.from(new Float64Array(hostOrder(raw, 8), 0, count));
    case 'F16': {
      const bits = new Uint16Array(hostOrder(raw, 2), 0, count);
      const table = f16Table();
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = table[bits[i]!]!;
      return out;
    }
    case 'BF16': {
      const bits = new Uint16Array(hostOrder(raw, 2), 0, count);
      const out = new Float32Array(count);
      const outBits = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) outBits[i] = bits[i]! << 16;
      return out;
    }
    case 'I64': {
      const words = new Uint32Array(hostOrder(raw, 8));
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) {
        const lo = words[2 * i + (LITTLE_ENDIAN ? 0 : 1)]!, hi = words[2 * i + (LITTLE_ENDIAN ? 1 : 0)]!;
        if (!((hi === 0 && lo < 2 ** 31) || (hi === 0xffffffff && lo >= 2 ** 31))) {
          const value = (BigInt(hi) << 32n | BigInt(lo)) - (hi >= 2 ** 31 ? 1n << 64n : 0n);
          throw fail(`holds ${value} at element ${i}, outside the int32 range descent reads I64 into`);
        }
        out[i] = lo | 0;
      }
      return out;
    }
  }
  dtype satisfies never;
  throw new TypeError(`unknown dtype ${String(dtype)}`);
}

/** Sets an own property even for a key such as '__proto__' (a legal tensor or metadata name). */
function define(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** Parses the bytes of a safetensors file; `source` names it in errors. */
export function parseSafetensors(bytes: Uint8Array, source = '<buffer>', fn = 'parseSafetensors'): Safetensors {
  if (!(bytes instanceof Uint8Array)) throw typeError(fn, 'bytes', 'a Uint8Array', bytes);
  const at = `${fn}: ${source}`;
  const truncated = (msg: string) => new DataFileError(`${at} is truncated: ${msg}`, source, 'truncated');
  const format = (msg: string) => new DataFileError(`${at}: ${msg}`, source, 'format');

  if (bytes.length < 8) {
    throw truncated(`it holds ${bytes.length} bytes, fewer than the 8-byte header length that starts a safetensors file`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lo = view.getUint32(0, true), hi = view.getUint32(4, true);
  const headerBytes = hi * 2 ** 32 + lo;
  if (headerBytes > MAX_HEADER_BYTES) {
    throw format(`header length field says ${headerBytes} bytes, more than the ${MAX_HEADER_BYTES} a safetensors ` +
      'header may hold (is this a safetensors file?)');
  }
  if (8 + headerBytes > bytes.length) {
    throw truncated(`header length field says ${headerBytes} bytes of JSON but only ${bytes.length - 8} bytes follow it`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerBytes));
  } catch {
    throw format('header is not valid UTF-8 (is this a safetensors file?)');
  }
  if (!text.startsWith('{')) {
    throw format(`header does not start with '{' but with ${JSON.stringify(text.slice(0, 16))} (is this a safetensors file?)`);
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    throw format(`header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw format('header JSON is not an object');
  }

  const metadata: Record<string, string> = {};
  const entries: { key: string; dtype: SafetensorsDtype; shape: number[]; begin: number; end: number }[] = [];
  for (const [key, value] of Object.entries(header as Record<string, unknown>)) {
    if (key === '__metadata__') {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        throw format(`'__metadata__' must be an object mapping strings to strings but is ${JSON.stringify(value)}`);
      }
      for (const [mk, mv] of Object.entries(value as Record<string, unknown>)) {
        if (typeof mv !== 'string') {
          throw format(`'__metadata__' must map strings to strings but '${mk}' holds ${JSON.stringify(mv)}`);
        }
        define(metadata, mk, mv);
      }
      continue;
    }
    const bad = (msg: string) => format(`tensor '${key}': ${msg}`);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw bad(`expected an object with dtype, shape and data_offsets but found ${JSON.stringify(value)}`);
    }
    const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
    if (typeof dtype !== 'string') throw bad(`'dtype' must be a string but is ${JSON.stringify(dtype)}`);
    if (!Object.hasOwn(ITEM_BYTES, dtype)) {
      const kind = FORMAT_DTYPES.has(dtype) ? 'dtype' : 'unknown dtype';
      throw new DataFileError(`${at}: tensor '${key}' has ${kind} '${dtype}', which ${fn} does not read ` +
        `(it reads ${SUPPORTED.join(', ')})`, source, 'dtype');
    }
    if (!Array.isArray(shape) || !shape.every(isCount)) {
      throw bad(`'shape' must be an array of non-negative integers but is ${JSON.stringify(shape)}`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount) || offsets[0] > offsets[1]) {
      throw bad(`'data_offsets' must be [begin, end] with 0 ≤ begin ≤ end but is ${JSON.stringify(offsets)}`);
    }
    const size = ITEM_BYTES[dtype as SafetensorsDtype];
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    const [begin, end] = offsets as [number, number];
    if (count * size !== end - begin) {
      throw new DataFileError(`${at}: tensor '${key}' has shape ${shapeText(shape as number[])} of ${dtype}, which ` +
        `needs ${count} × ${size} = ${count * size} bytes, but its data_offsets [${begin}, ${end}] span ` +
        `${end - begin} bytes`, source, 'mismatch');
    }
    entries.push({ key, dtype: dtype as SafetensorsDtype, shape: shape as number[], begin, end });
  }

  const dataStart = 8 + headerBytes;
  const dataBytes = bytes.length - dataStart;
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  for (const e of entries) {
    if (e.end > dataBytes) {
      throw truncated(`tensor '${e.key}' ends at byte ${e.end} of the data section but the file holds only ` +
        `${dataBytes} bytes of data after its ${headerBytes}-byte header`);
    }
  }
  let covered = 0;
  let previous = '';
  for (const e of entries) {
    if (e.begin !== covered) {
      throw format(`tensor '${e.key}' starts at byte ${e.begin} of the data section but ` +
        (previous ? `the previous tensor '${previous}' ends at byte ${covered}` : 'the data section starts at byte 0') +
        ' (tensors must tile the data section with no gaps or overlaps)');
    }
    covered = e.end;
    previous = e.key;
  }
  if (covered !== dataBytes) {
    throw format(`has ${dataBytes - covered} bytes after the last tensor's data (the tensors cover ${covered} of ` +
      `${dataBytes} data bytes)`);
  }

  const tensors = new Map<string, SafeTensor>();
  for (const e of entries) {
    const count = e.shape.reduce((a, b) => a * b, 1);
    const raw = bytes.subarray(dataStart + e.begin, dataStart + e.end);
    const fail = (msg: string) => new DataFileError(`${at}: tensor '${e.key}' ${msg}`, source, 'dtype');
    tensors.set(e.key, { dtype: e.dtype, shape: e.shape.slice(), data: decode(e.dtype, raw, count, fail) });
  }
  return { tensors, metadata };
}

/** Reads a safetensors file. */
export function readSafetensors(path: string): Safetensors {
  if (typeof path !== 'string') throw typeError('readSafetensors', 'path', 'a file path', path);
  return parseSafetensors(readBytes('readSafetensors', path), path, 'readSafetensors');
}

export interface TensorToWrite {
  data: Float32Array | Float64Array | Int32Array;
  shape: readonly number[];
  /** On-disk type. Default: F32 for Float32Array, F64 for Float64Array, I32 for Int32Array. */
  dtype?: SafetensorsDtype;
}

export type TensorsToWrite = Map<string, TensorToWrite> | Record<string, TensorToWrite>;

function encodeData(t: TensorToWrite, dtype: SafetensorsDtype): Uint8Array {
  const n = t.data.length;
  if (LITTLE_ENDIAN && (dtype === 'F32' || dtype === 'F64' || dtype === 'I32')) {
    const typed = dtype === 'F32' ? Float32Array.from(t.data) : dtype === 'F64' ? Float64Array.from(t.data)
      : Int32Array.from(t.data);
    return new Uint8Array(typed.buffer);
  }
  const out = new Uint8Array(n * ITEM_BYTES[dtype]);
  const view = new DataView(out.buffer);
  const d = t.data;
  switch (dtype) {
    case 'F32': for (let i = 0; i < n; i++) view.setFloat32(4 * i, d[i]!, true); break;
    case 'F64': for (let i = 0; i < n; i++) view.setFloat64(8 * i, d[i]!, true); break;
    case 'I32': for (let i = 0; i < n; i++) view.setInt32(4 * i, d[i]!, true); break;
    case 'I64':
      for (let i = 0; i < n; i++) {
        view.setInt32(8 * i, d[i]!, true);
        view.setInt32(8 * i + 4, d[i]! < 0 ? -1 : 0, true);
      }
      break;
    case 'F16': for (let i = 0; i < n; i++) view.setUint16(2 * i, f32ToF16Bits(d[i]!), true); break;
    case 'BF16': for (let i = 0; i < n; i++) view.setUint16(2 * i, f32ToBf16Bits(d[i]!), true); break;
    default: dtype satisfies never;
  }
  return out;
}

const FLOAT_DTYPES: ReadonlySet<SafetensorsDtype> = new Set(['F32', 'F64', 'F16', 'BF16']);

/** The bytes of a safetensors file holding `tensors` and `metadata`. */
export function encodeSafetensors(tensors: TensorsToWrite, metadata: Record<string, string> = {},
  fn = 'encodeSafetensors'): Uint8Array {
  if (typeof tensors !== 'object' || tensors === null) throw typeError(fn, 'tensors', 'a Map or an object of tensors', tensors);
  const list = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  if (typeof metadata !== 'object' || metadata === null) throw typeError(fn, 'metadata', 'an object of strings', metadata);
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== 'string') throw typeError(fn, `metadata['${k}']`, 'a string', v);
  }
  const planned = list.map(([key, t]) => {
    const arg = `tensors['${key}']`;
    if (key === '__metadata__' || key === '') throw rangeError(fn, 'tensors', "tensor names other than '' and '__metadata__'", key);
    if (typeof t !== 'object' || t === null) throw typeError(fn, arg, 'an object {data, shape, dtype?}', t);
    const { data, shape } = t;
    if (!(data instanceof Float32Array || data instanceof Float64Array || data instanceof Int32Array)) {
      throw typeError(fn, `${arg}.data`, 'a Float32Array, Float64Array or Int32Array', data);
    }
    if (!Array.isArray(shape) || !shape.every(isCount)) {
      throw typeError(fn, `${arg}.shape`, 'an array of non-negative integers', shape);
    }
    const count = shape.reduce((a, b) => a * b, 1);
    if (count !== data.length) {
      throw rangeError(fn, `${arg}.data`, `${count} elements (shape ${shapeText(shape)})`, data);
    }
    const dtype = t.dtype ?? (data instanceof Int32Array ? 'I32' : data instanceof Float64Array ? 'F64' : 'F32');
    if (!Object.hasOwn(ITEM_BYTES, dtype)) throw rangeError(fn, `${arg}.dtype`, `one of ${SUPPORTED.join(', ')}`, dtype);
    const intData = data instanceof Int32Array;
    if (intData === FLOAT_DTYPES.has(dtype)) {
      throw typeError(fn, `${arg}.data`, `${intData ? 'float' : 'Int32Array'} data for dtype ${dtype}`, data);
    }
    // NOTE: float64 → F16/BF16 would round twice (through float32); refuse rather than be off by one ulp.
    if ((dtype === 'F16' || dtype === 'BF16') && !(data instanceof Float32Array)) {
      throw typeError(fn, `${arg}.data`, `a Float32Array for dtype ${dtype}`, data);
    }
    return { key, dtype, shape: shape.slice(), bytes: encodeData(t, dtype) };
  });
  const order = planned.map((p, i) => ({ p, i }))
    .sort((a, b) => ITEM_BYTES[b.p.dtype] - ITEM_BYTES[a.p.dtype] || a.i - b.i)
    .map(({ p }) => p);

  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = { ...metadata };
  let offset = 0;
  for (const p of order) {
    define(header, p.key, { dtype: p.dtype, shape: p.shape, data_offsets: [offset, offset + p.bytes.length] });
    offset += p.bytes.length;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil((8 + json.length) / 8) * 8 - 8;
  const headerBytes = new Uint8Array(padded).fill(0x20);
  headerBytes.set(json);
  json = headerBytes;

  const out = new Uint8Array(8 + json.length + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, json.length % 2 ** 32, true);
  view.setUint32(4, Math.floor(json.length / 2 ** 32), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const p of order) {
    out.set(p.bytes, at);
    at += p.bytes.length;
  }
  return out;
}

/**
 * Writes a safetensors file.
 * @example
 * writeSafetensors('w.safetensors', { '0.weight': { data: w, shape: [10, 784] } }, { format: 'pt' });
 */
export function writeSafetensors(path: string, tensors: TensorsToWrite, metadata: Record<string, string> = {}): void {
  if (typeof path !== 'string') throw typeError('writeSafetensors', 'path', 'a file path', path);
  writeFileSync(path, encodeSafetensors(tensors, metadata, 'writeSafetensors'));
}
