/**
 * The pointing game (Zhang et al. 2016, "Top-down neural attention by excitation backprop",
 * https://arxiv.org/abs/1608.00507): a hit when the map's maximum lies on the object, with a
 * tolerance of a few pixels (15 in the paper). The score of a sample is 1 (hit) or 0 (miss); it is
 * NaN for an empty mask, where the game is undefined.
 */
import type { Tensor } from '../tensor/tensor.js';
import { type MetricDescriptor, requireMask } from './descriptor.js';
import type { Plane } from './maps.js';
import { type MaskMetricOptions, mapsWithMasks, objectPixels } from './masks.js';

/** Options of {@link pointingGame}. */
export interface PointingGameOptions extends MaskMetricOptions {
  /** A hit if an object pixel lies within this Euclidean distance (pixels) of the maximum. Default 15. */
  readonly tolerance?: number;
}

/**
 * The first maximum of a map in raster order, as [y, x].
 *
 * @example
 * ```ts
 * argmaxPixel({ values: Float32Array.of(0, 3, 1, 3), height: 2, width: 2 }); // [0, 1]
 * ```
 */
export function argmaxPixel(map: Plane): [number, number] {
  let best = 0;
  for (let i = 1; i < map.values.length; i++) if ((map.values[i] as number) > (map.values[best] as number)) best = i;
  return [Math.floor(best / map.width), best % map.width];
}

/** True when an object pixel lies within `tolerance` of (y, x). */
function objectNear(mask: Plane, y: number, x: number, tolerance: number): boolean {
  const r = Math.floor(tolerance);
  for (let dy = -r; dy <= r; dy++) {
    const yy = y + dy;
    if (yy < 0 || yy >= mask.height) continue;
    for (let dx = -r; dx <= r; dx++) {
      const xx = x + dx;
      if (xx < 0 || xx >= mask.width || dy * dy + dx * dx > tolerance * tolerance) continue;
      if ((mask.values[yy * mask.width + xx] as number) !== 0) return true;
    }
  }
  return false;
}

/**
 * The pointing game per sample: 1 for a hit, 0 for a miss, NaN for an empty mask. Layer-resolution
 * maps are upsampled to the input size first; ties for the maximum go to the first in raster order.
 *
 * @example
 * ```ts
 * pointingGame(attribution, mask, x.shape, { tolerance: 15 }); // [1, 0, 1]
 * ```
 */
export function pointingGame(attribution: Tensor, mask: Tensor, inputShape: readonly number[], options: PointingGameOptions = {}): number[] {
  const tolerance = options.tolerance ?? 15;
  return mapsWithMasks(attribution, mask, inputShape, options).map(({ map, mask: m }) => {
    if (objectPixels(m.values) === 0) return Number.NaN;
    const [y, x] = argmaxPixel(map);
    return objectNear(m, y, x, Math.max(0, tolerance)) ? 1 : 0;
  });
}

/**
 * The pointing game as a metric of `lucerna evaluate` (Zhang et al. 2016, https://arxiv.org/abs/1608.00507).
 *
 * @example `await pointingGameMetric.evaluate(context); // { value: 1 } (a hit)`
 */
export const pointingGameMetric: MetricDescriptor<'pointing-game'> = {
  name: 'pointing-game',
  description: 'Pointing game hit rate (Zhang et al. 2016)',
  needsMask: true,
  better: 'higher',
  evaluate: async (c) => ({
    value: pointingGame(c.attribution, requireMask(c, 'pointing-game'), c.x.shape, { tolerance: c.settings.pointing.tolerance })[0] as number,
  }),
};
