/**
 * Merge layers: Add, Multiply (element-wise, chained for more than two inputs) and Concatenate
 * (its Keras axis moved to where it lives in the NCHW tensor).
 */
import { type ConvertContext, kerasAxis, type LayerConverter, num, onnxAxis, unsupportedLayer } from '../context.js';
import type { KerasLayer, KerasShape, KTensor } from '../types.js';

function sameRank(layer: KerasLayer, inputs: readonly KTensor[]): number {
  if (inputs.length < 2) throw unsupportedLayer(layer, `it has ${inputs.length} input(s), expected at least 2`);
  const rank = (inputs[0] as KTensor).shape.length;
  if (inputs.some((t) => t.shape.length !== rank))
    throw unsupportedLayer(layer, `its inputs have different ranks (${inputs.map((t) => t.shape.length).join(', ')})`);
  return rank;
}

/** The element-wise result shape: a known dim wins over an unknown one, 1 broadcasts. */
function broadcastShape(inputs: readonly KTensor[]): KerasShape {
  const rank = (inputs[0] as KTensor).shape.length;
  return Array.from({ length: rank }, (_, i) => {
    const dims = inputs.map((t) => t.shape[i] ?? null);
    const known = dims.filter((d): d is number => d !== null && d !== 1);
    if (known.length) return known[0] as number;
    return dims.every((d) => d === 1) ? 1 : null;
  });
}

function elementwise(opType: 'Add' | 'Mul') {
  return (layer: KerasLayer, inputs: readonly KTensor[], ctx: ConvertContext): KTensor => {
    sameRank(layer, inputs);
    let acc = (inputs[0] as KTensor).name;
    for (let i = 1; i < inputs.length; i++) {
      const last = i === inputs.length - 1;
      const out = last ? layer.name : ctx.tmp(layer, `partial${i}`);
      acc = ctx.op(opType, [acc, (inputs[i] as KTensor).name], {}, last ? layer.name : `${layer.name}/partial${i}`, out);
    }
    return { name: acc, shape: broadcastShape(inputs) };
  };
}

function convertConcatenate(layer: KerasLayer, inputs: readonly KTensor[], ctx: ConvertContext): KTensor {
  const rank = sameRank(layer, inputs);
  const axis = kerasAxis(layer, num(layer, 'axis', -1), rank);
  const shape = [...(inputs[0] as KTensor).shape];
  const sizes = inputs.map((t) => t.shape[axis] ?? null);
  shape[axis] = sizes.every((d) => d !== null) ? (sizes as number[]).reduce((a, b) => a + b, 0) : null;
  const name = ctx.op(
    'Concat',
    inputs.map((t) => t.name),
    { axis: onnxAxis(axis, rank) },
    layer.name,
    layer.name,
  );
  return { name, shape };
}

/**
 * Merge layer converters by Keras class name.
 *
 * @example `mergeConverters.Add?.(layer, [a, b], ctx)`
 */
export const mergeConverters: Readonly<Record<string, LayerConverter>> = {
  Add: elementwise('Add'),
  Multiply: elementwise('Mul'),
  Concatenate: convertConcatenate,
};
