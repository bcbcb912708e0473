/**
 * Core layers: Dense, Flatten, Reshape and Dropout (an Identity at inference).
 *
 * Flatten and Reshape follow Keras' channels-last element order: an NCHW tensor is transposed back
 * to NHWC before it is flattened, so a following Dense layer keeps its TF.js weights unchanged.
 */
import { type ConvertContext, flag, type LayerConverter, single, unsupportedLayer } from '../context.js';
import type { KerasLayer, KerasShape, KTensor } from '../types.js';
import { withActivation } from './activation.js';

function product(dims: readonly (number | null)[]): number | null {
  return dims.every((d) => d !== null) ? (dims as number[]).reduce((a, b) => a * b, 1) : null;
}

function convertDense(layer: KerasLayer, inputs: readonly KTensor[], ctx: ConvertContext): KTensor {
  const x = single(layer, inputs);
  const kernel = ctx.weights.get(layer.name, 'kernel');
  const [inputUnits, units] = kernel.shape as [number, number];
  if (kernel.shape.length !== 2) throw unsupportedLayer(layer, `its kernel has shape [${kernel.shape}], expected 2 dims`);
  const inner = x.shape[x.shape.length - 1];
  if (inner !== null && inner !== undefined && inner !== inputUnits)
    throw unsupportedLayer(layer, `its input has ${inner} features but its kernel expects ${inputUnits}`);
  const w = ctx.constant(kernel.values, [inputUnits, units], `${layer.name}/kernel`);
  const bias = flag(layer, 'use_bias', true) ? ctx.constant(ctx.weights.get(layer.name, 'bias', units).values, [units], `${layer.name}/bias`) : undefined;
  const shape: KerasShape = [...x.shape.slice(0, -1), units];
  const rank = x.shape.length;
  const name = withActivation(ctx, layer, rank, (output) => {
    if (rank === 2) {
      ctx.op(bias ? 'Gemm' : 'MatMul', bias ? [x.name, w, bias] : [x.name, w], {}, layer.name, output);
      return;
    }
    const last = rank === 4 ? ctx.tmp(layer, 'dense_nhwc') : output;
    const mm = ctx.op('MatMul', [ctx.toKerasLayout(x, layer), w], {}, layer.name, bias ? ctx.tmp(layer, 'matmul') : last);
    const nhwc = bias ? ctx.op('Add', [mm, bias], {}, `${layer.name}/bias_add`, last) : mm;
    ctx.fromKerasLayout(nhwc, shape, layer, output);
  });
  return { name, shape };
}

function convertFlatten(layer: KerasLayer, inputs: readonly KTensor[], ctx: ConvertContext): KTensor {
  const x = single(layer, inputs);
  const shape: KerasShape = [x.shape[0] ?? null, product(x.shape.slice(1))];
  if (x.shape.length === 2) return { name: ctx.op('Identity', [x.name], {}, layer.name, layer.name), shape };
  const [, h, w, c] = x.shape;
  const layoutFree = x.shape.length !== 4 || (h === 1 && w === 1) || c === 1;
  const source = layoutFree ? x.name : ctx.toKerasLayout(x, layer);
  return { name: ctx.op('Flatten', [source], { axis: 1 }, layer.name, layer.name), shape };
}

/**
 * The Keras output shape of a Reshape to `target` (no batch dim, at most one -1).
 *
 * @example
 * ```ts
 * reshapeTarget([null, 4, 4, 8], [-1, 8]); // [null, 16, 8]
 * ```
 */
export function reshapeTarget(input: KerasShape, target: readonly number[]): KerasShape {
  const known = product(input.slice(1));
  const fixed = target.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  return [input[0] ?? null, ...target.map((d) => (d === -1 ? (known === null ? null : known / fixed) : d))];
}

function convertReshape(layer: KerasLayer, inputs: readonly KTensor[], ctx: ConvertContext): KTensor {
  const x = single(layer, inputs);
  const raw = layer.config.target_shape;
  if (!Array.isArray(raw) || !raw.every((d) => typeof d === 'number' || d === null))
    throw unsupportedLayer(layer, `target_shape ${JSON.stringify(raw)} cannot be read`);
  const target = raw.map((d) => (d === null ? -1 : (d as number))); // TF.js saves -1 as null
  const shape = reshapeTarget(x.shape, target);
  const dims = ctx.ints([0, ...target], `${layer.name}/shape`);
  const out = shape.length === 4 ? ctx.tmp(layer, 'nhwc') : layer.name;
  const reshaped = ctx.op('Reshape', [ctx.toKerasLayout(x, layer), dims], {}, layer.name, out);
  return ctx.fromKerasLayout(reshaped, shape, layer, layer.name);
}

function convertDropout(layer: KerasLayer, inputs: readonly KTensor[], ctx: ConvertContext): KTensor {
  const x = single(layer, inputs);
  return { name: ctx.op('Identity', [x.name], {}, layer.name, layer.name), shape: x.shape };
}

/**
 * Core layer converters by Keras class name.
 *
 * @example `coreConverters.Flatten?.(layer, [x], ctx)`
 */
export const coreConverters: Readonly<Record<string, LayerConverter>> = {
  Dense: convertDense,
  Flatten: convertFlatten,
  Reshape: convertReshape,
  Dropout: convertDropout,
};
