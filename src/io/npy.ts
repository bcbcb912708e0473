/**
 * NumPy `.npy` files: parse and serialize bytes, with no Node-only imports.
 *
 * Reads format versions 1.0, 2.0 and 3.0 and writes 1.0 (2.0 when the header is too long for 1.0).
 * Supported element types are the little-endian numeric ones Lucerna meets in practice; arrays
 * are in C (row-major) order. Typed arrays use the host byte order, which is little-endian on
 * every platform Node and the browsers run on.
 *
 * Format: https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
 */
import { LucernaError } from '../errors.js';
import { sizeOf, type Tensor } from '../tensor/tensor.js';

/** The element types Lucerna reads and writes; the names are NumPy's (`str(a.dtype)`). */
export type NpyDtype = 'float32' | 'float64' | 'uint8' | 'int8' | 'uint16' | 'int16' | 'uint32' | 'int32' | 'int64' | 'bool';

/** The typed array that holds each {@link NpyDtype}; `bool` is stored as 0/1 bytes. */
export type NpyData = Float32Array | Float64Array | Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | BigInt64Array;

/** A parsed `.npy` array: its element type, shape and values in C order. */
export interface NpyArray {
  readonly dtype: NpyDtype;
  readonly shape: readonly number[];
  readonly data: NpyData;
}

interface DtypeInfo {
  readonly descr: string;
  readonly bytes: number;
  readonly make: (buffer: ArrayBuffer) => NpyData;
  readonly integer?: readonly [number, number];
}

const DTYPES: Readonly<Record<NpyDtype, DtypeInfo>> = {
  float32: { descr: '<f4', bytes: 4, make: (b) => new Float32Array(b) },
  float64: { descr: '<f8', bytes: 8, make: (b) => new Float64Array(b) },
  uint8: { descr: '|u1', bytes: 1, make: (b) => new Uint8Array(b), integer: [0, 255] },
  int8: { descr: '|i1', bytes: 1, make: (b) => new Int8Array(b), integer: [-128, 127] },
  uint16: { descr: '<u2', bytes: 2, make: (b) => new Uint16Array(b), integer: [0, 65535] },
  int16: { descr: '<i2', bytes: 2, make: (b) => new Int16Array(b), integer: [-32768, 32767] },
  uint32: { descr: '<u4', bytes: 4, make: (b) => new Uint32Array(b), integer: [0, 4294967295] },
  int32: { descr: '<i4', bytes: 4, make: (b) => new Int32Array(b), integer: [-2147483648, 2147483647] },
  int64: { descr: '<i8', bytes: 8, make: (b) => new BigInt64Array(b), integer: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER] },
  bool: { descr: '|b1', bytes: 1, make: (b) => new Uint8Array(b), integer: [0, 1] },
};

/** Every {@link NpyDtype}, in a stable order. @example `NPY_DTYPES.includes('float32') // true` */
export const NPY_DTYPES = Object.keys(DTYPES) as NpyDtype[];

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const ALIGN = 64;

/** A value of the Python literal subset a `.npy` header uses. */
type PyValue = string | number | boolean | null | PyValue[] | { [key: string]: PyValue };

/**
 * Parses the Python literal of a `.npy` header: a dict of strings, integers, booleans, None,
 * tuples and lists (tuples become arrays). Throws a plain Error on anything else.
 */
function parsePyLiteral(text: string): PyValue {
  let pos = 0;
  const skipSpace = () => {
    while (pos < text.length && ' \t\r\n'.includes(text[pos] as string)) pos++;
  };
  const fail = (msg: string): never => {
    throw new Error(`${msg} at character ${pos}`);
  };
  const sequence = (close: string): PyValue[] => {
    const items: PyValue[] = [];
    for (skipSpace(); text[pos] !== close; skipSpace()) {
      items.push(value());
      skipSpace();
      if (text[pos] === ',') pos++;
      else if (text[pos] !== close) fail(`expected "," or "${close}"`);
    }
    pos++;
    return items;
  };
  const dict = (): PyValue => {
    const out: Record<string, PyValue> = {};
    for (skipSpace(); text[pos] !== '}'; skipSpace()) {
      const key = value();
      if (typeof key !== 'string') fail('expected a string key');
      skipSpace();
      if (text[pos++] !== ':') fail('expected ":"');
      out[key as string] = value();
      skipSpace();
      if (text[pos] === ',') pos++;
      else if (text[pos] !== '}') fail('expected "," or "}"');
    }
    pos++;
    return out;
  };
  const string = (quote: string): string => {
    const end = text.indexOf(quote, pos);
    if (end < 0) fail('unterminated string');
    const s = text.slice(pos, end);
    pos = end + 1;
    return s;
  };
  const value = (): PyValue => {
    skipSpace();
    const c = text[pos++];
    if (c === '{') return dict();
    if (c === '(') return sequence(')');
    if (c === '[') return sequence(']');
    if (c === "'" || c === '"') return string(c);
    pos--;
    const word = /^(True|False|None|-?\d+)L?/.exec(text.slice(pos));
    if (!word) return fail('unexpected input');
    pos += (word[0] as string).length;
    const w = word[1] as string;
    return w === 'True' ? true : w === 'False' ? false : w === 'None' ? null : Number(w);
  };
  const result = value();
  skipSpace();
  if (pos < text.length) fail('unexpected trailing input');
  return result;
}

function badFile(what: string, message: string, hint?: string): LucernaError {
  return new LucernaError('BAD_FILE', `${what} ${message}`, hint);
}

/** The dtype for a NumPy type string such as `<f4`, or a one-line error saying why not. */
function dtypeFromDescr(descr: PyValue | undefined, what: string): NpyDtype {
  if (Array.isArray(descr)) {
    throw badFile(what, 'holds a structured (record) array', 'Save each field as its own plain numeric array');
  }
  if (typeof descr !== 'string') throw badFile(what, 'has a header without a valid "descr" entry', 'Save it again with numpy.save');
  const kind = descr.slice(1);
  if (kind === 'O')
    throw badFile(what, 'holds an object array, which cannot be read without Python', 'Convert it first, e.g. numpy.save(path, a.astype("float32"))');
  const found = NPY_DTYPES.find((d) => DTYPES[d].descr.slice(1) === kind);
  if (!found) {
    throw badFile(what, `has element type "${descr}", which Lucerna does not read`, `Use one of ${NPY_DTYPES.join(', ')}, e.g. a.astype("float32")`);
  }
  if (descr[0] === '>' && DTYPES[found].bytes > 1) {
    throw badFile(what, `holds big-endian data ("${descr}")`, `Save it little-endian: numpy.save(path, a.astype("${DTYPES[found].descr}"))`);
  }
  if (!'<|=>'.includes(descr[0] ?? '')) throw badFile(what, `has an invalid type string "${descr}"`);
  return found;
}

function shapeFromHeader(value: PyValue | undefined, what: string): number[] {
  if (!Array.isArray(value) || !value.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)) {
    throw badFile(what, 'has a header without a valid "shape" entry', 'Save it again with numpy.save');
  }
  return value as number[];
}

interface Header {
  readonly dtype: NpyDtype;
  readonly shape: number[];
  readonly dataOffset: number;
}

function readHeader(bytes: Uint8Array, what: string): Header {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw badFile(what, 'is not a .npy file (it does not start with "\\x93NUMPY")', 'Write it with numpy.save');
  }
  const major = bytes[6] as number;
  if (major < 1 || major > 3) throw badFile(what, `uses .npy format version ${major}.${bytes[7]}, which Lucerna does not read`, 'Save it with numpy.save');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lengthBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lengthBytes) throw badFile(what, 'is truncated inside its header', 'Copy or save the file again');
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = 8 + lengthBytes;
  const dataOffset = start + headerLength;
  if (bytes.length < dataOffset) throw badFile(what, 'is truncated inside its header', 'Copy or save the file again');
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, dataOffset));
  let dict: PyValue;
  try {
    dict = parsePyLiteral(text);
  } catch (e) {
    throw badFile(what, `has an unreadable header (${(e as Error).message})`, 'Save it again with numpy.save');
  }
  if (dict === null || typeof dict !== 'object' || Array.isArray(dict))
    throw badFile(what, 'has a header that is not a dictionary', 'Save it again with numpy.save');
  const dtype = dtypeFromDescr(dict.descr, what);
  const shape = shapeFromHeader(dict.shape, what);
  if (typeof dict.fortran_order !== 'boolean') throw badFile(what, 'has a header without a valid "fortran_order" entry', 'Save it again with numpy.save');
  // With at most one dim above 1, Fortran and C order lay out the same bytes.
  if (dict.fortran_order && shape.filter((d) => d > 1).length > 1) {
    throw badFile(what, 'is stored in Fortran (column-major) order', 'Save a C-order copy: numpy.save(path, numpy.ascontiguousarray(a))');
  }
  return { dtype, shape, dataOffset };
}

/**
 * Copies bytes [start, end) into a fresh, aligned ArrayBuffer. `Uint8Array.prototype.slice` is called
 * directly because a Node `Buffer`'s own `slice` returns a view that shares its (often pooled) memory,
 * whose `.buffer` would hold unrelated bytes.
 */
function copyOut(bytes: Uint8Array, start: number, end: number): ArrayBuffer {
  return Uint8Array.prototype.slice.call(bytes, start, end).buffer as ArrayBuffer;
}

/**
 * Parses the bytes of a `.npy` file. Errors are `BAD_FILE` with one line saying what is wrong:
 * not a .npy file, truncated, big-endian, Fortran order, object or structured arrays, or an
 * element type outside {@link NpyDtype}.
 *
 * @param what How to name the file in messages, e.g. its path.
 * @example
 * ```ts
 * const { dtype, shape, data } = parseNpy(await readBytes('input.npy'), 'input.npy');
 * ```
 */
export function parseNpy(bytes: Uint8Array, what = 'the .npy file'): NpyArray {
  const { dtype, shape, dataOffset } = readHeader(bytes, what);
  const info = DTYPES[dtype];
  const byteLength = sizeOf(shape) * info.bytes;
  const available = bytes.length - dataOffset;
  if (available < byteLength) {
    throw badFile(
      what,
      `is truncated: shape [${shape.join(', ')}] of ${dtype} needs ${byteLength} data bytes, the file has ${available}`,
      'Copy or save the file again',
    );
  }
  const buffer = copyOut(bytes, dataOffset, dataOffset + byteLength);
  return { dtype, shape, data: info.make(buffer) };
}

/**
 * Converts any parsed array (or `.npy` bytes) to a float32 {@link Tensor}; int64 values beyond
 * 2^53 lose precision, as they would in float32 anyway, and `bool` becomes 0/1.
 *
 * @example
 * ```ts
 * const x = npyToFloat32(await readBytes('input.npy'), 'input.npy'); // Tensor [1, 3, 224, 224]
 * ```
 */
export function npyToFloat32(array: NpyArray | Uint8Array, what?: string): Tensor {
  const npy = array instanceof Uint8Array ? parseNpy(array, what) : array;
  const out = new Float32Array(npy.data.length);
  if (npy.data instanceof BigInt64Array) for (let i = 0; i < out.length; i++) out[i] = Number(npy.data[i]);
  else out.set(npy.data);
  return { data: out, shape: [...npy.shape] };
}

/** Anything {@link serializeNpy} writes: a tensor, a parsed array, or values plus a shape. */
export interface NpyInput {
  readonly data: NpyData | ArrayLike<number>;
  readonly shape: readonly number[];
  readonly dtype?: NpyDtype;
}

function defaultDtype(input: NpyInput): NpyDtype {
  if (input.dtype) return input.dtype;
  const d = input.data;
  if (d instanceof Float32Array) return 'float32';
  if (d instanceof Uint8Array) return 'uint8';
  if (d instanceof Int8Array) return 'int8';
  if (d instanceof Uint16Array) return 'uint16';
  if (d instanceof Int16Array) return 'int16';
  if (d instanceof Uint32Array) return 'uint32';
  if (d instanceof Int32Array) return 'int32';
  if (d instanceof BigInt64Array) return 'int64';
  return 'float64';
}

function checkInteger(v: number, i: number, dtype: NpyDtype, range: readonly [number, number]): void {
  if (!Number.isInteger(v) || v < range[0] || v > range[1]) {
    throw new LucernaError(
      'BAD_OPTION',
      `Cannot write ${v} (index ${i}) as ${dtype}`,
      `Round or clip the values to integers in [${range[0]}, ${range[1]}] first`,
    );
  }
}

/** Copies `data` into a fresh typed array of `dtype`, checking that integer values fit. */
function convertData(data: NpyData | ArrayLike<number>, dtype: NpyDtype): NpyData {
  const info = DTYPES[dtype];
  const out = info.make(new ArrayBuffer(data.length * info.bytes));
  if (out instanceof BigInt64Array) {
    for (let i = 0; i < data.length; i++) {
      const raw = data[i] as number | bigint;
      if (typeof raw === 'number') checkInteger(raw, i, dtype, info.integer as [number, number]);
      out[i] = BigInt(raw);
    }
    return out;
  }
  const sameType = data.constructor === out.constructor && dtype !== 'bool';
  if (sameType) {
    out.set(data as ArrayLike<number>);
    return out;
  }
  for (let i = 0; i < data.length; i++) {
    const v = Number(data[i]);
    if (info.integer) checkInteger(v, i, dtype, info.integer);
    out[i] = v;
  }
  return out;
}

function formatShapeTuple(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}

/** The header dictionary, padded with spaces and a newline so the data starts 64-byte aligned. */
function headerBytes(dtype: NpyDtype, shape: readonly number[]): Uint8Array {
  const dict = `{'descr': '${DTYPES[dtype].descr}', 'fortran_order': False, 'shape': ${formatShapeTuple(shape)}, }`;
  const padded = (prefix: number) => Math.ceil((prefix + dict.length + 1) / ALIGN) * ALIGN;
  const major = padded(10) - 10 > 0xffff ? 2 : 1;
  const prefix = major === 1 ? 10 : 12;
  const total = padded(prefix);
  const text = dict.padEnd(total - prefix - 1, ' ') + '\n';
  const out = new Uint8Array(total);
  out.set(MAGIC);
  out[6] = major;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, text.length, true);
  else view.setUint32(8, text.length, true);
  for (let i = 0; i < text.length; i++) out[prefix + i] = text.charCodeAt(i);
  return out;
}

/**
 * Serializes an array as `.npy` bytes (format 1.0, or 2.0 when the header needs it), in C order.
 *
 * The element type is `dtype`, else `input.dtype`, else the one matching the typed array
 * (plain number arrays become float64). Writing to an integer type checks that every value is an
 * integer in range (`BAD_OPTION` otherwise); it never rounds silently.
 *
 * @example
 * ```ts
 * const bytes = serializeNpy(attribution); // a Tensor → '<f4'
 * const mask = serializeNpy({ data: [0, 1, 1, 0], shape: [2, 2] }, 'uint8');
 * ```
 */
export function serializeNpy(input: NpyInput, dtype: NpyDtype = defaultDtype(input)): Uint8Array {
  if (!(dtype in DTYPES)) throw new LucernaError('BAD_OPTION', `Unknown .npy dtype "${dtype}"`, `Use one of ${NPY_DTYPES.join(', ')}`);
  if (!input.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new LucernaError('BAD_SHAPE', `Cannot write shape [${input.shape.join(', ')}]: dims must be non-negative integers`);
  }
  if (input.data.length !== sizeOf(input.shape)) {
    throw new LucernaError('BAD_SHAPE', `Array has ${input.data.length} values but shape [${input.shape.join(', ')}] needs ${sizeOf(input.shape)}`);
  }
  const header = headerBytes(dtype, input.shape);
  const data = convertData(input.data, dtype);
  const out = new Uint8Array(header.length + data.byteLength);
  out.set(header);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), header.length);
  return out;
}

/** Where a `.npy` file's data starts, its dtype, shape and bytes per element (for streamed reads). */
export interface NpyLayout {
  readonly dtype: NpyDtype;
  readonly shape: readonly number[];
  readonly dataOffset: number;
  readonly itemBytes: number;
}

/**
 * Reads only the header of a `.npy` file (the first bytes of it are enough), so rows can be read
 * from the file by offset instead of loading the whole array.
 *
 * @example
 * ```ts
 * const { shape, dataOffset, itemBytes } = parseNpyLayout(firstBytes, 'x.npy');
 * ```
 */
export function parseNpyLayout(bytes: Uint8Array, what = 'the .npy file'): NpyLayout {
  const { dtype, shape, dataOffset } = readHeader(bytes, what);
  return { dtype, shape, dataOffset, itemBytes: DTYPES[dtype].bytes };
}

/**
 * Decodes raw little-endian element bytes of one dtype to float32 (a streamed slice of a `.npy`).
 *
 * @example
 * ```ts
 * npyBytesToFloat32(rowBytes, 'uint8'); // Float32Array of the row's values
 * ```
 */
export function npyBytesToFloat32(bytes: Uint8Array, dtype: NpyDtype): Float32Array {
  const data = DTYPES[dtype].make(copyOut(bytes, 0, bytes.length));
  return npyToFloat32({ dtype, shape: [data.length], data }).data;
}
