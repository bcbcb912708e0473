/**
 * Activations: the `activation` setting of Conv/Dense layers, and the ReLU, LeakyReLU, Softmax and
 * Activation layers. Keras semantics: https://keras.io/api/layers/activations/
 */
import { float } from '../../onnx/attributes.js';
import { type ConvertContext, kerasAxis, type LayerConverter, num, onnxAxis, single, unsupportedLayer } from '../context.js';
import type { KerasLayer, KTensor } from '../types.js';

/**
 * Keras activation names the converter emits.
 *
 * @example `SUPPORTED_ACTIVATIONS.includes('relu6'); // true`
 */
export const SUPPORTED_ACTIVATIONS = ['linear', 'relu', 'relu6', 'sigmoid', 'tanh', 'softmax', 'swish', 'silu', 'elu'] as const;

/**
 * The activation name a layer config sets (`activation`, lower-cased; `linear` when unset).
 *
 * @example
 * ```ts
 * activationOf({ ...layer, config: { activation: 'relu' } }); // 'relu'
 * ```
 */
export function activationOf(layer: KerasLayer, key = 'activation'): string {
  const v = layer.config[key];
  if (v === undefined || v === null) return 'linear';
  if (typeof v === 'string') return v.toLowerCase();
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (typeof o.config === 'string') return o.config.toLowerCase();
    const inner = o.config as Record<string, unknown> | undefined;
    if (typeof inner?.name === 'string') return inner.name.toLowerCase();
    if (typeof o.class_name === 'string') return o.class_name.toLowerCase();
  }
  throw unsupportedLayer(layer, `its activation ${JSON.stringify(v)} cannot be read`);
}

function unsupportedActivation(layer: KerasLayer, kind: string) {
  return unsupportedLayer(layer, `activation "${kind}" is not supported`, `Supported activations: ${SUPPORTED_ACTIVATIONS.join(', ')}`);
}

/**
 * Emits `output = activation(input)` for a Keras activation name.
 *
 * @param rank The Keras rank of the tensor (softmax runs over channels, ONNX axis 1, for rank 4).
 * @example
 * ```ts
 * emitActivation(ctx, layer, 'relu6', 'Conv1/linear', 4, 'Conv1', 'Conv1/relu6');
 * ```
 */
export function emitActivation(ctx: ConvertContext, layer: KerasLayer, kind: string, input: string, rank: number, output: string, nodeName: string): string {
  switch (kind) {
    case 'linear':
      return ctx.op('Identity', [input], {}, nodeName, output);
    case 'relu':
      return ctx.op('Relu', [input], {}, nodeName, output);
    case 'relu6':
      return ctx.op('Clip', [input, ctx.constant([0], [], `${layer.name}/zero`), ctx.constant([6], [], `${layer.name}/six`)], {}, nodeName, output);
    case 'sigmoid':
      return ctx.op('Sigmoid', [input], {}, nodeName, output);
    case 'tanh':
      return ctx.op('Tanh', [input], {}, nodeName, output);
    case 'elu':
      return ctx.op('Elu', [input], { alpha: float(1) }, nodeName, output);
    case 'softmax':
      return ctx.op('Softmax', [input], { axis: rank === 4 ? 1 : -1 }, nodeName, output);
    case 'swish':
    case 'silu': {
      const gate = ctx.op('Sigmoid', [input], {}, `${nodeName}/sigmoid`, ctx.tmp(layer, 'sigmoid'));
      return ctx.op('Mul', [input, gate], {}, nodeName, output);
    }
    default:
      throw unsupportedActivation(layer, kind);
  }
}

/**
 * Runs a layer's main operation and its fused `activation`: with a non-linear activation the main
 * node writes `<layer>/linear` and the activation writes the layer output. With `logits`, a softmax
 * at the end of a model output is dropped.
 *
 * @param emitMain Emits the main node so that it writes the given tensor name.
 * @returns The layer output tensor name.
 * @example
 * ```ts
 * const out = withActivation(ctx, layer, 4, (o) => ctx.op('Conv', [x, w], attrs, layer.name, o));
 * ```
 */
export function withActivation(ctx: ConvertContext, layer: KerasLayer, rank: number, emitMain: (output: string) => void): string {
  let kind = activationOf(layer);
  if (kind === 'softmax' && ctx.logits && ctx.isOutput(layer)) kind = 'linear';
  const output = ctx.outputName(layer);
  if (kind === 'linear') {
    emitMain(output);
    return output;
  }
  if (!(SUPPORTED_ACTIVATIONS as readonly string[]).includes(kind)) throw unsupportedActivation(layer, kind);
  const pre = ctx.tmp(layer, 'linear');
  emitMain(pre);
  return emitActivation(ctx, layer, kind, pre, rank, output, `${layer.name}/${kind}`);
}

/**
 * Keras ReLU: `max_value` caps the output, `negative_slope` scales inputs below `threshold`,
 * inputs at or below `threshold` map to 0 (Keras backend `relu`). Simple cases become Relu,
 * Clip or LeakyRelu; the general case is spelled out element-wise.
 */
function convertReLU(layer: KerasLayer, inputs: readonly KTensor[], ctx: ConvertContext): KTensor {
  const x = single(layer, inputs);
  const maxValue = typeof layer.config.max_value === 'number' ? layer.config.max_value : undefined;
  const slope = num(layer, 'negative_slope', 0);
  const threshold = num(layer, 'threshold', 0);
  const out = layer.name;
  const c = (v: number, role: string) => ctx.constant([v], [], `${layer.name}/${role}`);
  if (threshold === 0 && slope === 0) {
    if (maxValue === undefined) return { name: ctx.op('Relu', [x.name], {}, layer.name, out), shape: x.shape };
    return { name: ctx.op('Clip', [x.name, c(0, 'zero'), c(maxValue, 'max')], {}, layer.name, out), shape: x.shape };
  }
  if (threshold === 0 && maxValue === undefined) return { name: ctx.op('LeakyRelu', [x.name], { alpha: float(slope) }, layer.name, out), shape: x.shape };
  let pos: string;
  if (threshold === 0) pos = ctx.op('Relu', [x.name], {}, `${layer.name}/positive`, ctx.tmp(layer, 'positive'));
  else {
    const above = ctx.op('Greater', [x.name, c(threshold, 'threshold')], {}, `${layer.name}/above`, ctx.tmp(layer, 'above'));
    const mask = ctx.op('Cast', [above], { to: 1 }, `${layer.name}/mask`, ctx.tmp(layer, 'mask'));
    pos = ctx.op('Mul', [x.name, mask], {}, `${layer.name}/positive`, ctx.tmp(layer, 'positive'));
  }
  const last = slope === 0 ? out : ctx.tmp(layer, 'capped');
  if (maxValue !== undefined) pos = ctx.op('Clip', [pos, c(0, 'zero'), c(maxValue, 'max')], {}, `${layer.name}/clip`, last);
  else if (slope === 0) pos = ctx.op('Identity', [pos], {}, `${layer.name}/identity`, last);
  if (slope === 0) return { name: pos, shape: x.shape };
  const below = ctx.op('Sub', [c(threshold, 'threshold'), x.name], {}, `${layer.name}/below`, ctx.tmp(layer, 'below'));
  const neg = ctx.op('Relu', [below], {}, `${layer.name}/negative`, ctx.tmp(layer, 'negative'));
  const scaled = ctx.op('Mul', [neg, c(slope, 'slope')], {}, `${layer.name}/scaled`, ctx.tmp(layer, 'scaled'));
  return { name: ctx.op('Sub', [pos, scaled], {}, layer.name, out), shape: x.shape };
}

function convertActivationLayer(layer: KerasLayer, inputs: readonly KTensor[], ctx: ConvertContext): KTensor {
  const x = single(layer, inputs);
  let kind = activationOf(layer);
  if (kind === 'softmax' && ctx.logits && ctx.isOutput(layer)) kind = 'linear';
  return { name: emitActivation(ctx, layer, kind, x.name, x.shape.length, layer.name, layer.name), shape: x.shape };
}

function convertLeakyReLU(layer: KerasLayer, inputs: readonly KTensor[], ctx: ConvertContext): KTensor {
  const x = single(layer, inputs);
  const alpha = num(layer, 'alpha', num(layer, 'negative_slope', 0.3));
  return { name: ctx.op('LeakyRelu', [x.name], { alpha: float(alpha) }, layer.name, layer.name), shape: x.shape };
}

function convertSoftmaxLayer(layer: KerasLayer, inputs: readonly KTensor[], ctx: ConvertContext): KTensor {
  const x = single(layer, inputs);
  const rank = x.shape.length;
  const raw = layer.config.axis;
  const axis = kerasAxis(layer, typeof raw === 'number' ? raw : Array.isArray(raw) && raw.length === 1 ? (raw[0] as number) : -1, rank);
  if (ctx.logits && ctx.isOutput(layer)) return { name: ctx.op('Identity', [x.name], {}, layer.name, layer.name), shape: x.shape };
  return { name: ctx.op('Softmax', [x.name], { axis: onnxAxis(axis, rank) }, layer.name, layer.name), shape: x.shape };
}

/**
 * Activation layer converters by Keras class name.
 *
 * @example `activationConverters.ReLU?.(layer, [x], ctx)`
 */
export const activationConverters: Readonly<Record<string, LayerConverter>> = {
  ReLU: convertReLU,
  LeakyReLU: convertLeakyReLU,
  Softmax: convertSoftmaxLayer,
  Activation: convertActivationLayer,
};
