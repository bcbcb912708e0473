/**
 * BatchNormalization: folded into the conv before it when that conv feeds only this layer (see
 * `planBatchNormFolds`), else an ONNX BatchNormalization (rank 2 and NCHW rank 4) or a per-channel
 * multiply-add on the last axis (other ranks). Inference mode: the moving statistics are used.
 */
import { float } from '../../onnx/attributes.js';
import { type ConvertContext, flag, kerasAxis, type LayerConverter, num, single, unsupportedLayer } from '../context.js';
import type { KerasLayer, KTensor } from '../types.js';

/** The per-channel affine map `y = x · scale + shift` a BatchNormalization layer computes. */
export interface ChannelAffine {
  readonly scale: Float64Array;
  readonly shift: Float64Array;
}

/** The channel axis a BatchNormalization config names, as a single number. */
function configuredAxis(layer: KerasLayer): number {
  const raw = layer.config.axis;
  if (typeof raw === 'number') return raw;
  if (Array.isArray(raw) && raw.length === 1 && typeof raw[0] === 'number') return raw[0];
  if (raw === undefined || raw === null) return -1;
  throw unsupportedLayer(layer, `normalising over axes ${JSON.stringify(raw)} is not supported`);
}

/**
 * The per-channel scale and shift of a BatchNormalization layer:
 * `scale = gamma / sqrt(moving_variance + epsilon)`, `shift = beta − moving_mean · scale`.
 * `gamma` is 1 when `scale: false`, `beta` is 0 when `center: false`.
 *
 * @example
 * ```ts
 * const { scale, shift } = batchNormAffine(ctx, bnLayer);
 * ```
 */
export function batchNormAffine(ctx: ConvertContext, layer: KerasLayer): ChannelAffine {
  const mean = ctx.weights.get(layer.name, 'moving_mean').values;
  const variance = ctx.weights.get(layer.name, 'moving_variance', mean.length).values;
  const gamma = flag(layer, 'scale', true) ? ctx.weights.get(layer.name, 'gamma', mean.length).values : undefined;
  const beta = flag(layer, 'center', true) ? ctx.weights.get(layer.name, 'beta', mean.length).values : undefined;
  const epsilon = num(layer, 'epsilon', 1e-3);
  const scale = new Float64Array(mean.length);
  const shift = new Float64Array(mean.length);
  for (let c = 0; c < mean.length; c++) {
    scale[c] = (gamma?.[c] ?? 1) / Math.sqrt((variance[c] as number) + epsilon);
    shift[c] = (beta?.[c] ?? 0) - (mean[c] as number) * (scale[c] as number);
  }
  return { scale, shift };
}

/**
 * Folds a channel affine map into conv weights laid out `[O, ...]` (OIHW) and a bias:
 * `W'[o] = W[o] · scale[o]`, `b'[o] = b[o] · scale[o] + shift[o]`.
 *
 * @example
 * ```ts
 * const folded = foldAffine(weightOIHW, bias, batchNormAffine(ctx, bn));
 * ```
 */
export function foldAffine(weight: Float32Array, bias: Float32Array | undefined, affine: ChannelAffine): { weight: Float32Array; bias: Float32Array } {
  const channels = affine.scale.length;
  const per = weight.length / channels;
  const w = new Float32Array(weight.length);
  const b = new Float32Array(channels);
  for (let o = 0; o < channels; o++) {
    const s = affine.scale[o] as number;
    for (let i = 0; i < per; i++) w[o * per + i] = (weight[o * per + i] as number) * s;
    b[o] = (bias?.[o] ?? 0) * s + (affine.shift[o] as number);
  }
  return { weight: w, bias: b };
}

/**
 * Layer classes a following BatchNormalization can be folded into.
 *
 * @example `FOLDABLE_CONVS.has('SeparableConv2D'); // true`
 */
export const FOLDABLE_CONVS: ReadonlySet<string> = new Set(['Conv2D', 'DepthwiseConv2D', 'SeparableConv2D']);

/**
 * Which BatchNormalization layers fold into the conv before them: the BN's only input is a
 * Conv2D/DepthwiseConv2D/SeparableConv2D with a linear activation whose output nothing else reads
 * (and that is no model output), and the BN normalises the last axis.
 *
 * @returns Conv layer name → its BatchNormalization layer.
 * @example
 * ```ts
 * planBatchNormFolds(topology.layers, new Set(topology.outputs)).get('Conv1')?.name; // 'bn_Conv1'
 * ```
 */
export function planBatchNormFolds(layers: readonly KerasLayer[], outputs: ReadonlySet<string>): Map<string, KerasLayer> {
  const byName = new Map(layers.map((l) => [l.name, l]));
  const readers = new Map<string, number>();
  for (const l of layers) for (const ref of l.inbound) readers.set(ref.layer, (readers.get(ref.layer) ?? 0) + 1);
  const folds = new Map<string, KerasLayer>();
  for (const bn of layers) {
    if (bn.className !== 'BatchNormalization' || bn.inbound.length !== 1) continue;
    const source = byName.get((bn.inbound[0] as { layer: string }).layer);
    if (!source || !FOLDABLE_CONVS.has(source.className) || outputs.has(source.name) || readers.get(source.name) !== 1) continue;
    const activation = source.config.activation;
    if (activation !== undefined && activation !== null && activation !== 'linear') continue;
    const axis = bn.config.axis;
    const lastAxis = axis === undefined || axis === -1 || axis === 3 || (Array.isArray(axis) && axis.length === 1 && (axis[0] === -1 || axis[0] === 3));
    if (lastAxis) folds.set(source.name, bn);
  }
  return folds;
}

function convertBatchNormalization(layer: KerasLayer, inputs: readonly KTensor[], ctx: ConvertContext): KTensor {
  const x = single(layer, inputs);
  const rank = x.shape.length;
  const axis = kerasAxis(layer, configuredAxis(layer), rank);
  if (axis !== rank - 1)
    throw unsupportedLayer(layer, `normalising axis ${axis} of a rank-${rank} tensor is not supported`, 'Only the channels (last) axis is supported');
  const { scale, shift } = batchNormAffine(ctx, layer);
  const channels = scale.length;
  if (rank === 2 || rank === 4) {
    const mean = ctx.weights.get(layer.name, 'moving_mean').values;
    const variance = ctx.weights.get(layer.name, 'moving_variance').values;
    const gamma = flag(layer, 'scale', true) ? ctx.weights.get(layer.name, 'gamma').values : new Float32Array(channels).fill(1);
    const beta = flag(layer, 'center', true) ? ctx.weights.get(layer.name, 'beta').values : new Float32Array(channels);
    const ins = [
      x.name,
      ctx.constant(gamma, [channels], `${layer.name}/gamma`),
      ctx.constant(beta, [channels], `${layer.name}/beta`),
      ctx.constant(mean, [channels], `${layer.name}/moving_mean`),
      ctx.constant(variance, [channels], `${layer.name}/moving_variance`),
    ];
    return { name: ctx.op('BatchNormalization', ins, { epsilon: float(num(layer, 'epsilon', 1e-3)) }, layer.name, layer.name), shape: x.shape };
  }
  const scaled = ctx.op(
    'Mul',
    [x.name, ctx.constant(Float32Array.from(scale), [channels], `${layer.name}/scale`)],
    {},
    `${layer.name}/scale`,
    ctx.tmp(layer, 'scaled'),
  );
  return {
    name: ctx.op('Add', [scaled, ctx.constant(Float32Array.from(shift), [channels], `${layer.name}/shift`)], {}, layer.name, layer.name),
    shape: x.shape,
  };
}

/**
 * Normalization layer converters by Keras class name.
 *
 * @example `normalizationConverters.BatchNormalization?.(layer, [x], ctx)`
 */
export const normalizationConverters: Readonly<Record<string, LayerConverter>> = {
  BatchNormalization: convertBatchNormalization,
};
