/**
 * Attributions as per-sample 2-D maps: what the localisation and deletion metrics rank. Channels
 * are reduced by an explicit, chosen rule and layer-resolution maps (CAMs) are upsampled to the
 * input size, so input-sized and layer-sized methods are measured on the same pixel grid.
 */
import { type ChannelReduction, reduceChannels } from '../attribution/postprocess.js';
import { upsampleBilinear } from '../attribution/upsample.js';
import { LucernaError } from '../errors.js';
import { formatShape, type Tensor } from '../tensor/tensor.js';

/** How a multi-channel attribution becomes one map (default `sum`, which keeps the sign). */
export type MapReduction = ChannelReduction;

/** One sample's map: `values[y * width + x]`. */
export interface Plane {
  readonly values: Float32Array;
  readonly height: number;
  readonly width: number;
}

/**
 * Reduces an attribution [N, C, h, w] to maps [N, 1, H, W] at the input's spatial size: channels
 * reduced by `reduction`, then bilinear upsampling when the map is at a layer's resolution.
 *
 * @example
 * ```ts
 * const maps = attributionMaps(result.attribution, x.shape, 'sum'); // [N, 1, 224, 224]
 * ```
 */
export function attributionMaps(attribution: Tensor, inputShape: readonly number[], reduction: MapReduction = 'sum'): Tensor {
  if (attribution.shape.length !== 4 || inputShape.length !== 4) {
    throw new LucernaError(
      'BAD_SHAPE',
      `Metrics need image attributions [N, C, H, W], got ${formatShape(attribution.shape)} for input ${formatShape(inputShape)}`,
    );
  }
  if (attribution.shape[0] !== inputShape[0]) {
    throw new LucernaError('BAD_SHAPE', `The attribution has ${attribution.shape[0]} samples but the input has ${inputShape[0]}`);
  }
  const reduced = attribution.shape[1] === 1 ? attribution : reduceChannels(attribution, reduction);
  const size = [inputShape[2] as number, inputShape[3] as number] as const;
  if (reduced.shape[2] === size[0] && reduced.shape[3] === size[1]) return reduced;
  return upsampleBilinear(reduced, size);
}

/**
 * Sample `i` of a map batch [N, 1, H, W] as a {@link Plane} (a view, not a copy).
 *
 * @example
 * ```ts
 * const { values, height, width } = planeOf(maps, 0);
 * ```
 */
export function planeOf(maps: Tensor, i: number): Plane {
  const height = maps.shape[maps.shape.length - 2] as number;
  const width = maps.shape[maps.shape.length - 1] as number;
  const size = height * width;
  if (maps.data.length % size !== 0 || i < 0 || (i + 1) * size > maps.data.length) {
    throw new LucernaError('BAD_SHAPE', `No map ${i} in a batch of shape ${formatShape(maps.shape)}`);
  }
  return { values: maps.data.subarray(i * size, (i + 1) * size), height, width };
}

/**
 * Pixel indices ordered by decreasing value; ties keep raster order (a stable sort), so the order
 * is deterministic.
 *
 * @example
 * ```ts
 * rankPixels(Float32Array.of(0.1, 0.9, 0.5)); // [1, 2, 0]
 * ```
 */
export function rankPixels(values: ArrayLike<number>): Uint32Array {
  const order = Array.from({ length: values.length }, (_, i) => i);
  order.sort((a, b) => (values[b] as number) - (values[a] as number) || a - b);
  return Uint32Array.from(order);
}
