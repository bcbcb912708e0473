/**
 * Relevance mass accuracy (Arras et al. 2022, "CLEVR-XAI", https://arxiv.org/abs/2003.07258): the
 * share of the positive relevance that falls on the object, R_in / R_total. Channels are summed
 * first and only positive relevance counts, as in the paper. NaN for an empty mask or a map with
 * no positive relevance.
 */
import type { Tensor } from '../tensor/tensor.js';
import { type MetricDescriptor, requireMask } from './descriptor.js';
import { type MaskMetricOptions, mapsWithMasks, objectPixels } from './masks.js';

/**
 * Relevance mass accuracy per sample, in [0, 1].
 *
 * @example
 * ```ts
 * relevanceMassAccuracy(attribution, mask, x.shape); // [0.83]
 * ```
 */
export function relevanceMassAccuracy(attribution: Tensor, mask: Tensor, inputShape: readonly number[], options: MaskMetricOptions = {}): number[] {
  return mapsWithMasks(attribution, mask, inputShape, options).map(({ map, mask: m }) => {
    if (objectPixels(m.values) === 0) return Number.NaN;
    let inside = 0;
    let total = 0;
    for (let i = 0; i < map.values.length; i++) {
      const r = Math.max(0, map.values[i] as number);
      total += r;
      if ((m.values[i] as number) !== 0) inside += r;
    }
    return total > 0 ? inside / total : Number.NaN;
  });
}

/**
 * Relevance mass accuracy as a metric of `lucerna evaluate` (Arras et al. 2022, https://arxiv.org/abs/2003.07258).
 *
 * @example `await relevanceMassMetric.evaluate(context); // { value: 0.8 }`
 */
export const relevanceMassMetric: MetricDescriptor<'relevance-mass'> = {
  name: 'relevance-mass',
  description: 'Relevance mass accuracy (Arras et al. 2022)',
  needsMask: true,
  better: 'higher',
  evaluate: async (c) => ({ value: relevanceMassAccuracy(c.attribution, requireMask(c, 'relevance-mass'), c.x.shape)[0] as number }),
};
