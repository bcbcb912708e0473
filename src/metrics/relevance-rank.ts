/**
 * Relevance rank accuracy (Arras et al. 2022, "CLEVR-XAI", https://arxiv.org/abs/2003.07258): with
 * K the object's size in pixels, the share of the K most relevant pixels that lie on the object.
 * Channels are summed first; ties keep raster order. NaN for an empty mask.
 */
import type { Tensor } from '../tensor/tensor.js';
import { rankPixels } from './maps.js';
import { type MaskMetricOptions, mapsWithMasks, objectPixels } from './masks.js';

/**
 * Relevance rank accuracy per sample, in [0, 1].
 *
 * @example
 * ```ts
 * relevanceRankAccuracy(attribution, mask, x.shape); // [0.61]
 * ```
 */
export function relevanceRankAccuracy(attribution: Tensor, mask: Tensor, inputShape: readonly number[], options: MaskMetricOptions = {}): number[] {
  return mapsWithMasks(attribution, mask, inputShape, options).map(({ map, mask: m }) => {
    const k = objectPixels(m.values);
    if (k === 0) return Number.NaN;
    const order = rankPixels(map.values);
    let hits = 0;
    for (let j = 0; j < k; j++) if ((m.values[order[j] as number] as number) !== 0) hits++;
    return hits / k;
  });
}
