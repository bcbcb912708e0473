/**
 * The state one conversion shares between layer converters: the ONNX graph builder, the weights,
 * the BatchNormalization folds, and helpers for naming and for the NHWC ↔ NCHW layout change.
 *
 * Naming: the tensor named after a Keras layer is that layer's output (so `out_relu` is the output
 * of layer `out_relu`), and the node that does the layer's main operation carries the layer name.
 * Helper tensors and nodes are named `<layer>/<role>` (e.g. `Conv1/linear` before a fused activation).
 */
import { LucernaError } from '../errors.js';
import type { AttrValue } from '../onnx/attributes.js';
import type { GraphBuilder } from '../onnx/builder.js';
import type { KerasLayer, KerasShape, KTensor } from './types.js';
import type { WeightStore } from './weights.js';

/** Converts one Keras layer: emits its nodes and returns its output tensor. */
export type LayerConverter = (layer: KerasLayer, inputs: readonly KTensor[], ctx: ConvertContext) => KTensor;

/**
 * NCHW → NHWC.
 *
 * @example `ctx.op('Transpose', [x], { perm: [...TO_NHWC] }, name, out)`
 */
export const TO_NHWC = [0, 2, 3, 1] as const;
/**
 * NHWC → NCHW.
 *
 * @example `ctx.op('Transpose', [x], { perm: [...TO_NCHW] }, name, out)`
 */
export const TO_NCHW = [0, 3, 1, 2] as const;

/**
 * Shared conversion state and emit helpers for layer converters.
 *
 * @example
 * ```ts
 * const y = ctx.op('Relu', [x.name], {}, layer.name, ctx.outputName(layer));
 * ```
 */
export class ConvertContext {
  private readonly nodeNames = new Set<string>();

  constructor(
    readonly b: GraphBuilder,
    readonly weights: WeightStore,
    /** Conv layer name → the BatchNormalization layer folded into it. */
    private readonly folds: ReadonlyMap<string, KerasLayer>,
    /** Model output layer names. */
    private readonly outputs: ReadonlySet<string>,
    /** Drop a softmax at the end of an output layer, so the model outputs logits. */
    readonly logits: boolean,
  ) {}

  /** The BatchNormalization layer folded into conv layer `name`, if any. */
  foldedBatchNorm(name: string): KerasLayer | undefined {
    return this.folds.get(name);
  }

  /** The tensor a layer's output is written to: its own name, or the folded BN's name for a conv. */
  outputName(layer: KerasLayer): string {
    return this.folds.get(layer.name)?.name ?? layer.name;
  }

  /** True when the layer is a model output. */
  isOutput(layer: KerasLayer): boolean {
    return this.outputs.has(layer.name) || this.outputs.has(this.outputName(layer));
  }

  /** A fresh helper tensor name `<layer>/<role>`. */
  tmp(layer: KerasLayer, role: string): string {
    return this.b.unique(`${layer.name}/${role}`);
  }

  /** A node name not used yet, from `hint` (node names have their own namespace in ONNX). */
  nodeName(hint: string): string {
    let name = hint;
    for (let i = 1; this.nodeNames.has(name); i++) name = `${hint}_${i}`;
    this.nodeNames.add(name);
    return name;
  }

  /** Emits one node with one named output and returns the output name. */
  op(opType: string, inputs: readonly string[], attrs: Readonly<Record<string, AttrValue | undefined>>, nodeName: string, output: string): string {
    return this.b.op(opType, inputs, attrs, { name: this.nodeName(nodeName), outputs: [output] });
  }

  /** Adds a float32 initializer named after `hint` (made unique). */
  constant(values: ArrayLike<number>, dims: readonly number[], hint: string): string {
    return this.b.constFloat(values, dims, hint);
  }

  /** Adds an int64 initializer named after `hint` (made unique). */
  ints(values: readonly number[], hint: string): string {
    return this.b.constInt64(values, [values.length], hint);
  }

  /**
   * The input in Keras (channels-last) layout: rank-4 tensors are transposed NCHW → NHWC,
   * others are returned as they are.
   */
  toKerasLayout(t: KTensor, layer: KerasLayer): string {
    if (t.shape.length !== 4) return t.name;
    return this.op('Transpose', [t.name], { perm: [...TO_NHWC] }, `${layer.name}/to_nhwc`, this.tmp(layer, 'nhwc'));
  }

  /**
   * Writes `input` (in Keras layout, of Keras shape `shape`) to `output` in ONNX layout:
   * a Transpose NHWC → NCHW for rank 4, else an Identity unless the names already agree.
   */
  fromKerasLayout(input: string, shape: KerasShape, layer: KerasLayer, output: string): KTensor {
    if (shape.length === 4) return { name: this.op('Transpose', [input], { perm: [...TO_NCHW] }, `${layer.name}/to_nchw`, output), shape };
    if (input === output) return { name: output, shape };
    return { name: this.op('Identity', [input], {}, `${layer.name}/identity`, output), shape };
  }
}

/**
 * The error for a layer, or a layer setting, the converter cannot handle.
 *
 * @example
 * ```ts
 * throw unsupportedLayer(layer, 'data_format channels_first is not supported');
 * ```
 */
export function unsupportedLayer(layer: KerasLayer, why?: string, hint?: string): LucernaError {
  return new LucernaError('UNSUPPORTED_MODEL', `Cannot convert layer "${layer.name}" of class ${layer.className}${why ? `: ${why}` : ''}`, hint);
}

/**
 * The one input of a single-input layer; a layer fed by several tensors is an error.
 *
 * @example
 * ```ts
 * const x = single(layer, inputs);
 * ```
 */
export function single(layer: KerasLayer, inputs: readonly KTensor[]): KTensor {
  const x = inputs[0];
  if (inputs.length !== 1 || !x) throw unsupportedLayer(layer, `it takes ${inputs.length} inputs, expected 1`);
  return x;
}

/**
 * Fails unless the layer is channels-last (the only layout TF.js runs).
 *
 * @example `requireChannelsLast(layer); // throws for data_format channels_first`
 */
export function requireChannelsLast(layer: KerasLayer): void {
  const format = layer.config.data_format;
  if (format !== undefined && format !== null && format !== 'channels_last') throw unsupportedLayer(layer, `data_format ${String(format)} is not supported`);
}

/**
 * A numeric config value, or `fallback`.
 *
 * @example `num(layer, 'epsilon', 1e-3)`
 */
export function num(layer: KerasLayer, key: string, fallback: number): number {
  const v = layer.config[key];
  return typeof v === 'number' ? v : fallback;
}

/**
 * A boolean config value, or `fallback`.
 *
 * @example `flag(layer, 'use_bias', true)`
 */
export function flag(layer: KerasLayer, key: string, fallback: boolean): boolean {
  const v = layer.config[key];
  return typeof v === 'boolean' ? v : fallback;
}

/**
 * Normalises a Keras axis (negative counts from the end) for a tensor of rank `rank`.
 *
 * @example `kerasAxis(layer, -1, 4); // 3`
 */
export function kerasAxis(layer: KerasLayer, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw unsupportedLayer(layer, `axis ${axis} is out of range for rank ${rank}`);
  return a;
}

/**
 * Where Keras axis `axis` (normalised, rank counted with the batch) lives in the ONNX tensor:
 * channels-last rank-4 axes move (H→2, W→3, C→1); other ranks keep their axes.
 *
 * @example
 * ```ts
 * onnxAxis(3, 4); // 1 (channels)
 * onnxAxis(1, 2); // 1
 * ```
 */
export function onnxAxis(axis: number, rank: number): number {
  if (rank !== 4) return axis;
  return [0, 2, 3, 1][axis] as number;
}
