/**
 * Insertion (Petsiuk et al. 2018, RISE, https://arxiv.org/abs/1806.07421): start from a baseline
 * (a blurred copy of the image by default, σ = 5 px) and put back the pixels the attribution ranks
 * most important first, watching the target score rise. A faithful attribution makes it rise fast:
 * a HIGHER area is better.
 */
import type { Tensor } from '../tensor/tensor.js';
import type { ModelOrScorer } from './context.js';
import type { MetricDescriptor } from './descriptor.js';
import { type PixelCurveOptions, type PixelCurveResult, pixelCurve, pixelCurveOutcome } from './pixel-curve.js';

/**
 * The insertion curve and its area for each sample. The score defaults to the softmax probability
 * of the target, as in the paper (`score: 'logit'` for raw logits).
 *
 * @example
 * ```ts
 * const { auc } = await insertion(model, x, attribution, { baseline: 'blur', step: 224 });
 * ```
 */
export function insertion(source: ModelOrScorer, x: Tensor, attribution: Tensor, options: PixelCurveOptions = {}): Promise<PixelCurveResult> {
  return pixelCurve('insertion', source, x, attribution, { ...options, score: options.score ?? 'probability', baseline: options.baseline ?? 'blur' });
}

/**
 * Insertion as a metric of `lucerna evaluate`: the area under the target's score as pixels are
 * restored, most relevant first (Petsiuk et al. 2018, https://arxiv.org/abs/1806.07421).
 *
 * @example `await insertionMetric.evaluate(context); // { value: auc, curve }`
 */
export const insertionMetric: MetricDescriptor<'insertion'> = {
  name: 'insertion',
  description: 'Insertion AUC of the target score (Petsiuk et al. 2018)',
  needsMask: false,
  better: 'higher',
  evaluate: (c) => pixelCurveOutcome(c, 'insertion'),
};
