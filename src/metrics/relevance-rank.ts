/**
 * Relevance rank accuracy (Arras et al. 2022, "CLEVR-XAI", https://arxiv.org/abs/2003.07258): with
 * K the object's size in pixels, the share of the K most relevant pixels that lie on the object.
 * Channels are summed first; ties keep raster order. NaN for an empty mask.
 */
import type { Tensor } from '../tensor/tensor.js';
import { type MetricDescriptor, requireMask } from './descriptor.js';
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

/**
 * Relevance rank accuracy as a metric of `lucerna evaluate` (Arras et al. 2022, https://arxiv.org/abs/2003.07258).
 *
 * @example `await relevanceRankMetric.evaluate(context); // { value: 0.6 }`
 */
export const relevanceRankMetric: MetricDescriptor<'relevance-rank'> = {
  name: 'relevance-rank',
  description: 'Relevance rank accuracy (Arras et al. 2022)',
  needsMask: true,
  better: 'higher',
  evaluate: async (c) => ({ value: relevanceRankAccuracy(c.attribution, requireMask(c, 'relevance-rank'), c.x.shape)[0] as number }),
};
