/**
 * ONNX protobuf in and out, through the `onnx-proto` package (protobufjs static code).
 *
 * Decoding keeps each initializer's `rawData` as a view into the input bytes: weights are never copied.
 * int64 fields may come back as `Long` objects; read them with {@link toNumber} / {@link toNumbers}.
 */
import onnxProto from 'onnx-proto';
import { LucernaError } from '../errors.js';

/** The generated `onnx` namespace (ModelProto, GraphProto, NodeProto, TensorProto…). */
export const onnx = onnxProto.onnx;
export type { onnx as OnnxTypes } from 'onnx-proto';

export type ModelProto = onnxProto.onnx.IModelProto;
export type GraphProto = onnxProto.onnx.IGraphProto;
export type NodeProto = onnxProto.onnx.INodeProto;
export type TensorProto = onnxProto.onnx.ITensorProto;
export type AttributeProto = onnxProto.onnx.IAttributeProto;
export type ValueInfoProto = onnxProto.onnx.IValueInfoProto;

/** ONNX TensorProto.DataType values that Lucerna reads or writes. */
export const DataType = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  INT32: 6,
  INT64: 7,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
} as const;

/** Name of an ONNX element type, for messages. */
export function dataTypeName(t: number | null | undefined): string {
  const entry = Object.entries(DataType).find(([, v]) => v === t);
  return entry ? entry[0].toLowerCase() : `type ${t}`;
}

/** Converts a protobufjs int64 (number or Long) to a JS number. */
export function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v && typeof v === 'object' && 'toNumber' in v) return (v as { toNumber(): number }).toNumber();
  if (typeof v === 'string') return Number(v);
  return 0;
}

/** Converts a list of protobufjs int64 values to numbers. */
export function toNumbers(v: readonly unknown[] | null | undefined): number[] {
  return v ? v.map(toNumber) : [];
}

/**
 * Parses ONNX model bytes. Not-ONNX and truncated files get a clear {@link LucernaError}.
 *
 * @example
 * ```ts
 * const model = decodeModel(bytes);
 * console.log(model.graph?.node?.length);
 * ```
 */
export function decodeModel(bytes: Uint8Array, what = 'the model'): ModelProto {
  let model: onnxProto.onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    const msg = String((e as Error).message ?? e);
    if (/index out of range|invalid wire type|premature|length/i.test(msg) && looksLikeOnnxStart(bytes)) {
      throw new LucernaError('TRUNCATED_FILE', `${what} is a truncated or damaged ONNX file (${msg})`, 'Export or download the model again');
    }
    throw new LucernaError(
      'NOT_ONNX',
      `${what} is not an ONNX model (${msg})`,
      'Pass a .onnx file exported by torch.onnx.export, tf2onnx or `lucerna convert`',
    );
  }
  if (!model.graph?.node || model.graph.node.length === 0 || !model.opsetImport?.length) {
    throw new LucernaError(
      'NOT_ONNX',
      `${what} is not an ONNX model (no graph or no opset import found)`,
      'Pass a .onnx file exported by torch.onnx.export, tf2onnx or `lucerna convert`',
    );
  }
  return model;
}

/** Serialises a model to bytes. @example `const bytes = encodeModel(model)` */
export function encodeModel(model: ModelProto): Uint8Array {
  encodedModels++;
  return onnx.ModelProto.encode(model as onnxProto.onnx.IModelProto).finish();
}

let encodedModels = 0;

/**
 * How many models {@link encodeModel} has serialised in this process: a diagnostic for the
 * engine's promise that a plan is serialised once (and not at all when the compile cache has it).
 * See https://onnx.ai/onnx/repo-docs/IR.html for the format.
 *
 * @example
 * ```ts
 * const before = encodedModelCount();
 * await model.compile(plan, shape);
 * console.log(encodedModelCount() - before); // 1 for a new plan, 0 when it was compiled before
 * ```
 */
export function encodedModelCount(): number {
  return encodedModels;
}

/** ONNX files start with field 1 (ir_version, varint): byte 0x08. */
function looksLikeOnnxStart(bytes: Uint8Array): boolean {
  return bytes.length > 2 && bytes[0] === 0x08;
}
