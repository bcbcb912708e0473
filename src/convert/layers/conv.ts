/**
 * Convolutions: Conv2D, DepthwiseConv2D and SeparableConv2D → ONNX Conv over NCHW.
 *
 * Kernels change layout: Conv2D HWIO `[kh, kw, in, out]` → OIHW `[out, in, kh, kw]`; a depthwise
 * kernel `[kh, kw, C, M]` → `[C·M, 1, kh, kw]` with `group = C` (output channel `c·M + m`, as in TF).
 * A BatchNormalization planned to fold into the conv is multiplied into its weights and bias.
 */
import type { AttrValue } from '../../onnx/attributes.js';
import { type ConvertContext, flag, type LayerConverter, requireChannelsLast, single, unsupportedLayer } from '../context.js';
import { pairOf, type Window2D, windowAttrs, windowOutputShape } from '../geometry.js';
import type { KerasLayer, KTensor, Weight } from '../types.js';
import { withActivation } from './activation.js';
import { batchNormAffine, foldAffine } from './normalization.js';

/**
 * The sliding window of a conv or pooling layer config.
 *
 * @param kernelKey `kernel_size` for convs, `pool_size` for pooling.
 * @example
 * ```ts
 * windowOf(layer, 'kernel_size'); // { kernel: [3, 3], strides: [2, 2], dilations: [1, 1], padding: 'same' }
 * ```
 */
export function windowOf(layer: KerasLayer, kernelKey: string): Window2D {
  const kernel = pairOf(layer.config[kernelKey], [2, 2]);
  const strides = pairOf(layer.config.strides, kernelKey === 'pool_size' ? kernel : [1, 1]);
  const dilations = pairOf(layer.config.dilation_rate, [1, 1]);
  const padding = layer.config.padding ?? 'valid';
  if (padding !== 'same' && padding !== 'valid') throw unsupportedLayer(layer, `padding ${JSON.stringify(padding)} is not supported`, 'Use "same" or "valid"');
  return { kernel, strides, dilations, padding };
}

/**
 * HWIO `[kh, kw, in, out]` → OIHW `[out, in, kh, kw]`.
 *
 * @example
 * ```ts
 * hwioToOihw(kernel.values, [3, 3, 3, 32]); // Float32Array of 32·3·3·3 values
 * ```
 */
export function hwioToOihw(values: Float32Array, shape: readonly number[]): Float32Array {
  const [kh, kw, cin, cout] = shape as [number, number, number, number];
  const out = new Float32Array(values.length);
  for (let i = 0; i < kh; i++)
    for (let j = 0; j < kw; j++)
      for (let c = 0; c < cin; c++)
        for (let o = 0; o < cout; o++) out[((o * cin + c) * kh + i) * kw + j] = values[((i * kw + j) * cin + c) * cout + o] as number;
  return out;
}

/**
 * Depthwise `[kh, kw, C, M]` → `[C·M, 1, kh, kw]` (output channel `c·M + m`).
 *
 * @example
 * ```ts
 * depthwiseToOihw(kernel.values, [3, 3, 32, 1]); // for Conv with group = 32
 * ```
 */
export function depthwiseToOihw(values: Float32Array, shape: readonly number[]): Float32Array {
  const [kh, kw, channels, multiplier] = shape as [number, number, number, number];
  const out = new Float32Array(values.length);
  for (let i = 0; i < kh; i++)
    for (let j = 0; j < kw; j++)
      for (let c = 0; c < channels; c++)
        for (let m = 0; m < multiplier; m++) out[((c * multiplier + m) * kh + i) * kw + j] = values[((i * kw + j) * channels + c) * multiplier + m] as number;
  return out;
}

function requireRank4(layer: KerasLayer, x: KTensor): void {
  if (x.shape.length !== 4) throw unsupportedLayer(layer, `its input has rank ${x.shape.length}, expected 4 (NHWC)`);
}

function kernelOf(ctx: ConvertContext, layer: KerasLayer, name: string): Weight {
  const w = ctx.weights.get(layer.name, name);
  if (w.shape.length !== 4) throw unsupportedLayer(layer, `its ${name} has shape [${w.shape}], expected 4 dims`);
  return w;
}

/**
 * Emits the Conv node of a layer (weights already OIHW), folding its BatchNormalization and
 * applying its activation; returns the layer output.
 */
function emitConv(
  ctx: ConvertContext,
  layer: KerasLayer,
  input: string,
  weight: Float32Array,
  dims: number[],
  bias: Float32Array | undefined,
  attrs: Record<string, AttrValue>,
): string {
  const bn = ctx.foldedBatchNorm(layer.name);
  let w = weight;
  let b = bias;
  if (bn) ({ weight: w, bias: b } = foldAffine(weight, bias, batchNormAffine(ctx, bn)));
  const inputs = [input, ctx.constant(w, dims, `${layer.name}/kernel`)];
  if (b) inputs.push(ctx.constant(b, [dims[0] as number], `${layer.name}/bias`));
  return withActivation(ctx, layer, 4, (output) => ctx.op('Conv', inputs, attrs, layer.name, output));
}

function biasOf(ctx: ConvertContext, layer: KerasLayer, channels: number): Float32Array | undefined {
  return flag(layer, 'use_bias', true) ? ctx.weights.get(layer.name, 'bias', channels).values : undefined;
}

function convertConv2D(layer: KerasLayer, inputs: readonly KTensor[], ctx: ConvertContext): KTensor {
  const x = single(layer, inputs);
  requireChannelsLast(layer);
  requireRank4(layer, x);
  const groups = typeof layer.config.groups === 'number' ? layer.config.groups : 1;
  if (groups !== 1) throw unsupportedLayer(layer, `groups=${groups} is not supported`);
  const win = windowOf(layer, 'kernel_size');
  const kernel = kernelOf(ctx, layer, 'kernel');
  const [kh, kw, cin, cout] = kernel.shape as [number, number, number, number];
  const attrs = windowAttrs(win, [x.shape[1] ?? null, x.shape[2] ?? null], true);
  const name = emitConv(ctx, layer, x.name, hwioToOihw(kernel.values, kernel.shape), [cout, cin, kh, kw], biasOf(ctx, layer, cout), attrs);
  return { name, shape: windowOutputShape(x.shape, win, cout) };
}

function convertDepthwiseConv2D(layer: KerasLayer, inputs: readonly KTensor[], ctx: ConvertContext): KTensor {
  const x = single(layer, inputs);
  requireChannelsLast(layer);
  requireRank4(layer, x);
  const win = windowOf(layer, 'kernel_size');
  const kernel = kernelOf(ctx, layer, 'depthwise_kernel');
  const [kh, kw, channels, multiplier] = kernel.shape as [number, number, number, number];
  const attrs = { ...windowAttrs(win, [x.shape[1] ?? null, x.shape[2] ?? null], true), group: channels };
  const out = channels * multiplier;
  const name = emitConv(ctx, layer, x.name, depthwiseToOihw(kernel.values, kernel.shape), [out, 1, kh, kw], biasOf(ctx, layer, out), attrs);
  return { name, shape: windowOutputShape(x.shape, win, out) };
}

function convertSeparableConv2D(layer: KerasLayer, inputs: readonly KTensor[], ctx: ConvertContext): KTensor {
  const x = single(layer, inputs);
  requireChannelsLast(layer);
  requireRank4(layer, x);
  const win = windowOf(layer, 'kernel_size');
  const depthwise = kernelOf(ctx, layer, 'depthwise_kernel');
  const pointwise = kernelOf(ctx, layer, 'pointwise_kernel');
  const [kh, kw, channels, multiplier] = depthwise.shape as [number, number, number, number];
  const mid = channels * multiplier;
  const cout = pointwise.shape[3] as number;
  const depthAttrs = { ...windowAttrs(win, [x.shape[1] ?? null, x.shape[2] ?? null], true), group: channels };
  const depthWeight = ctx.constant(depthwiseToOihw(depthwise.values, depthwise.shape), [mid, 1, kh, kw], `${layer.name}/depthwise_kernel`);
  const depthOut = ctx.op('Conv', [x.name, depthWeight], depthAttrs, `${layer.name}/depthwise`, ctx.tmp(layer, 'depthwise'));
  const pointAttrs = { kernel_shape: [1, 1], strides: [1, 1] };
  const name = emitConv(ctx, layer, depthOut, hwioToOihw(pointwise.values, pointwise.shape), [cout, mid, 1, 1], biasOf(ctx, layer, cout), pointAttrs);
  return { name, shape: windowOutputShape(x.shape, win, cout) };
}

/**
 * Convolution layer converters by Keras class name.
 *
 * @example `convConverters.DepthwiseConv2D?.(layer, [x], ctx)`
 */
export const convConverters: Readonly<Record<string, LayerConverter>> = {
  Conv2D: convertConv2D,
  DepthwiseConv2D: convertDepthwiseConv2D,
  SeparableConv2D: convertSeparableConv2D,
};
