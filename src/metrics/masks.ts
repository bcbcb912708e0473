/**
 * Ground-truth masks for the localisation metrics: a tensor [N, 1, H, W] (or [1, 1, H, W] for one
 * mask shared by every sample) at the input's resolution, where a nonzero value marks the object.
 */
import { LucernaError } from '../errors.js';
import { formatShape, type Tensor } from '../tensor/tensor.js';
import { attributionMaps, type MapReduction, type Plane, planeOf } from './maps.js';

/** Options shared by the mask metrics. */
export interface MaskMetricOptions {
  /** How channels are reduced to one map (default `sum`). */
  readonly reduction?: MapReduction;
}

/**
 * Checks a mask batch against the input and returns sample `i`'s mask as a plane.
 *
 * @example
 * ```ts
 * const m = maskPlane(mask, x.shape, 0);
 * ```
 */
export function maskPlane(mask: Tensor, inputShape: readonly number[], i: number): Plane {
  const [n, , h, w] = inputShape as [number, number, number, number];
  const ok = mask.shape.length === 4 && mask.shape[1] === 1 && mask.shape[2] === h && mask.shape[3] === w && (mask.shape[0] === n || mask.shape[0] === 1);
  if (!ok) {
    throw new LucernaError(
      'BAD_SHAPE',
      `The mask has shape ${formatShape(mask.shape)} but the input is ${formatShape(inputShape)}`,
      `Pass a mask of shape [${n}, 1, ${h}, ${w}] or [1, 1, ${h}, ${w}]`,
    );
  }
  return planeOf(mask, mask.shape[0] === 1 ? 0 : i);
}

/**
 * Per sample, the attribution map at input size and the mask, for a metric to compare.
 *
 * @example
 * ```ts
 * for (const { map, mask } of mapsWithMasks(attribution, mask, x.shape)) { ... }
 * ```
 */
export function mapsWithMasks(
  attribution: Tensor,
  mask: Tensor,
  inputShape: readonly number[],
  options: MaskMetricOptions = {},
): { map: Plane; mask: Plane }[] {
  const maps = attributionMaps(attribution, inputShape, options.reduction ?? 'sum');
  return Array.from({ length: inputShape[0] as number }, (_, i) => ({ map: planeOf(maps, i), mask: maskPlane(mask, inputShape, i) }));
}

/** The number of object pixels of a mask. @example `objectPixels(mask.values)` */
export function objectPixels(mask: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < mask.length; i++) if ((mask[i] as number) !== 0) n++;
  return n;
}
