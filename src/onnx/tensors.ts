/**
 * TensorProto helpers: read initializer values and make new constant tensors.
 */
import { LucernaError } from '../errors.js';
import { DataType, dataTypeName, type TensorProto, toNumber, toNumbers } from './proto.js';

/** Dimensions of a TensorProto as numbers. */
export function tensorDims(t: TensorProto): number[] {
  return toNumbers(t.dims);
}

function rawView(t: TensorProto): Uint8Array | undefined {
  const raw = t.rawData;
  return raw && raw.length > 0 ? raw : undefined;
}

function numel(t: TensorProto): number {
  return tensorDims(t).reduce((a, b) => a * b, 1);
}

/**
 * The values of a float tensor as a Float32Array (a view of the raw bytes when they are aligned).
 *
 * @example
 * ```ts
 * const w = readFloats(graph.initializer('conv1.weight'));
 * ```
 */
export function readFloats(t: TensorProto): Float32Array {
  const raw = rawView(t);
  const type = t.dataType ?? DataType.FLOAT;
  if (type === DataType.FLOAT) {
    if (raw) {
      if (raw.byteOffset % 4 === 0) return new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
      return new Float32Array(new Uint8Array(raw).buffer);
    }
    return Float32Array.from(t.floatData ?? []);
  }
  if (type === DataType.DOUBLE) {
    if (raw) return Float32Array.from(new Float64Array(new Uint8Array(raw).buffer));
    return Float32Array.from(t.doubleData ?? []);
  }
  if (type === DataType.INT64 || type === DataType.INT32 || type === DataType.UINT8 || type === DataType.INT8) {
    return Float32Array.from(readInts(t));
  }
  throw new LucernaError('BAD_DTYPE', `Tensor "${t.name}" has element type ${dataTypeName(type)}, expected a float type`);
}

/**
 * The values of an integer (or bool) tensor as numbers.
 *
 * @example
 * ```ts
 * const shape = readInts(graph.initializer('/Reshape_shape'));
 * ```
 */
export function readInts(t: TensorProto): number[] {
  const raw = rawView(t);
  const type = t.dataType ?? DataType.INT64;
  const n = numel(t);
  if (raw) {
    const bytes = new Uint8Array(raw); // a copy: decoded bytes may be a view into a larger Node Buffer
    const dv = new DataView(bytes.buffer);
    const out = new Array<number>(n);
    for (let i = 0; i < n; i++) {
      if (type === DataType.INT64) out[i] = Number(dv.getBigInt64(i * 8, true));
      else if (type === DataType.INT32) out[i] = dv.getInt32(i * 4, true);
      else if (type === DataType.UINT8 || type === DataType.BOOL) out[i] = dv.getUint8(i);
      else if (type === DataType.INT8) out[i] = dv.getInt8(i);
      else if (type === DataType.FLOAT) out[i] = dv.getFloat32(i * 4, true);
      else if (type === DataType.DOUBLE) out[i] = dv.getFloat64(i * 8, true);
      else throw new LucernaError('BAD_DTYPE', `Tensor "${t.name}" has unsupported element type ${dataTypeName(type)}`);
    }
    return out;
  }
  if (type === DataType.INT64) return toNumbers(t.int64Data);
  if (type === DataType.FLOAT) return [...(t.floatData ?? [])];
  if (type === DataType.DOUBLE) return [...(t.doubleData ?? [])];
  return (t.int32Data ?? []).map(toNumber);
}

/**
 * A float32 TensorProto from values and dims (stored as raw bytes).
 *
 * @example
 * ```ts
 * const w = floatTensor('w', new Float32Array(9), [1, 1, 3, 3]);
 * ```
 */
export function floatTensor(name: string, data: ArrayLike<number>, dims: readonly number[]): TensorProto {
  const arr = data instanceof Float32Array ? data : Float32Array.from(data);
  return {
    name,
    dataType: DataType.FLOAT,
    dims: [...dims],
    rawData: new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength),
  };
}

const INT64_MAX = (BigInt(1) << BigInt(63)) - BigInt(1);
const INT64_MIN = -(BigInt(1) << BigInt(63));

/** A number as int64, saturating at the int64 range (so 2^63, e.g. an "until the end" Slice bound, stays positive). */
function clampInt64(v: number): bigint {
  const b = BigInt(Math.trunc(v));
  return b > INT64_MAX ? INT64_MAX : b < INT64_MIN ? INT64_MIN : b;
}

/** An int64 TensorProto from values and dims. @example `int64Tensor('shape', [1, -1], [2])` */
export function int64Tensor(name: string, values: readonly number[], dims: readonly number[] = [values.length]): TensorProto {
  const bytes = new Uint8Array(values.length * 8);
  const dv = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) dv.setBigInt64(i * 8, clampInt64(values[i] as number), true);
  return { name, dataType: DataType.INT64, dims: [...dims], rawData: bytes };
}

/** A TensorProto of any supported type from numbers (used when folding constants). */
export function typedTensor(name: string, dataType: number, values: ArrayLike<number | bigint>, dims: readonly number[]): TensorProto {
  if (dataType === DataType.FLOAT) return floatTensor(name, Float32Array.from(values as ArrayLike<number>), dims);
  if (dataType === DataType.INT64)
    return int64Tensor(
      name,
      Array.from(values as ArrayLike<number | bigint>, (v) => Number(v)),
      dims,
    );
  const n = values.length;
  if (dataType === DataType.INT32) {
    const a = Int32Array.from(Array.from(values as ArrayLike<number | bigint>, (v) => Number(v)));
    return { name, dataType, dims: [...dims], rawData: new Uint8Array(a.buffer) };
  }
  if (dataType === DataType.BOOL || dataType === DataType.UINT8) {
    const a = Uint8Array.from(Array.from(values as ArrayLike<number | bigint>, (v) => Number(v)));
    return { name, dataType, dims: [...dims], rawData: a };
  }
  if (dataType === DataType.DOUBLE) {
    const a = Float64Array.from(Array.from(values as ArrayLike<number | bigint>, (v) => Number(v)));
    return { name, dataType, dims: [...dims], rawData: new Uint8Array(a.buffer) };
  }
  throw new LucernaError('BAD_DTYPE', `Cannot store ${n} values of element type ${dataTypeName(dataType)}`);
}
