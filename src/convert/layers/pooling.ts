/**
 * Spatial layers without weights: ZeroPadding2D, MaxPooling2D, AveragePooling2D and the global
 * poolings, over NCHW tensors.
 *
 * TF `same` average pooling divides by the number of real (unpadded) pixels in each window, which is
 * ONNX AveragePool with `count_include_pad = 0`; `same` max pooling ignores the padding as ONNX does.
 */
import { type ConvertContext, flag, type LayerConverter, requireChannelsLast, single, unsupportedLayer } from '../context.js';
import { windowAttrs, windowOutputShape } from '../geometry.js';
import type { KerasLayer, KTensor } from '../types.js';
import { windowOf } from './conv.js';

function requireRank4(layer: KerasLayer, x: KTensor): void {
  if (x.shape.length !== 4) throw unsupportedLayer(layer, `its input has rank ${x.shape.length}, expected 4 (NHWC)`);
}

/**
 * The `[[top, bottom], [left, right]]` padding of a ZeroPadding2D config (`1`, `[1, 2]` or `[[0, 1], [0, 1]]`).
 *
 * @example
 * ```ts
 * zeroPaddingOf({ ...layer, config: { padding: [[0, 1], [0, 1]] } }); // [[0, 1], [0, 1]]
 * ```
 */
export function zeroPaddingOf(layer: KerasLayer): [[number, number], [number, number]] {
  const p = layer.config.padding ?? 1;
  if (typeof p === 'number')
    return [
      [p, p],
      [p, p],
    ];
  if (Array.isArray(p) && p.length === 2) {
    const [a, b] = p as unknown[];
    if (typeof a === 'number' && typeof b === 'number')
      return [
        [a, a],
        [b, b],
      ];
    if (Array.isArray(a) && Array.isArray(b))
      return [
        [a[0] as number, a[1] as number],
        [b[0] as number, b[1] as number],
      ];
  }
  throw unsupportedLayer(layer, `padding ${JSON.stringify(p)} cannot be read`);
}

function add(a: number | null | undefined, b: number): number | null {
  return a === null || a === undefined ? null : a + b;
}

function convertZeroPadding2D(layer: KerasLayer, inputs: readonly KTensor[], ctx: ConvertContext): KTensor {
  const x = single(layer, inputs);
  requireChannelsLast(layer);
  requireRank4(layer, x);
  const [[top, bottom], [left, right]] = zeroPaddingOf(layer);
  const pads = ctx.ints([0, 0, top, left, 0, 0, bottom, right], `${layer.name}/pads`);
  const name = ctx.op('Pad', [x.name, pads], { mode: 'constant' }, layer.name, layer.name);
  return { name, shape: [x.shape[0] ?? null, add(x.shape[1], top + bottom), add(x.shape[2], left + right), x.shape[3] ?? null] };
}

function pooling(opType: 'MaxPool' | 'AveragePool') {
  return (layer: KerasLayer, inputs: readonly KTensor[], ctx: ConvertContext): KTensor => {
    const x = single(layer, inputs);
    requireChannelsLast(layer);
    requireRank4(layer, x);
    const win = windowOf(layer, 'pool_size');
    const attrs = windowAttrs(win, [x.shape[1] ?? null, x.shape[2] ?? null], false);
    if (opType === 'AveragePool') attrs.count_include_pad = 0;
    const name = ctx.op(opType, [x.name], attrs, layer.name, layer.name);
    return { name, shape: windowOutputShape(x.shape, win, x.shape[3] ?? null) };
  };
}

function globalPooling(opType: 'GlobalAveragePool' | 'GlobalMaxPool') {
  return (layer: KerasLayer, inputs: readonly KTensor[], ctx: ConvertContext): KTensor => {
    const x = single(layer, inputs);
    requireChannelsLast(layer);
    requireRank4(layer, x);
    const channels = x.shape[3] ?? null;
    if (flag(layer, 'keepdims', false)) return { name: ctx.op(opType, [x.name], {}, layer.name, layer.name), shape: [x.shape[0] ?? null, 1, 1, channels] };
    const pooled = ctx.op(opType, [x.name], {}, layer.name, ctx.tmp(layer, 'pooled'));
    return { name: ctx.op('Flatten', [pooled], { axis: 1 }, `${layer.name}/flatten`, layer.name), shape: [x.shape[0] ?? null, channels] };
  };
}

/**
 * Padding and pooling layer converters by Keras class name.
 *
 * @example `poolingConverters.MaxPooling2D?.(layer, [x], ctx)`
 */
export const poolingConverters: Readonly<Record<string, LayerConverter>> = {
  ZeroPadding2D: convertZeroPadding2D,
  MaxPooling2D: pooling('MaxPool'),
  AveragePooling2D: pooling('AveragePool'),
  GlobalAveragePooling2D: globalPooling('GlobalAveragePool'),
  GlobalMaxPooling2D: globalPooling('GlobalMaxPool'),
};
