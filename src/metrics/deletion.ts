/**
 * Deletion (Petsiuk et al. 2018, RISE, https://arxiv.org/abs/1806.07421): remove the pixels the
 * attribution ranks most important first, replacing them with a baseline (zeros by default), and
 * watch the target score fall. A faithful attribution makes it fall fast: a LOWER area is better.
 */
import type { Tensor } from '../tensor/tensor.js';
import type { ModelOrScorer } from './context.js';
import type { MetricDescriptor } from './descriptor.js';
import { type PixelCurveOptions, type PixelCurveResult, pixelCurve, pixelCurveOutcome } from './pixel-curve.js';

/**
 * The deletion curve and its area for each sample. The score defaults to the softmax probability
 * of the target, as in the paper (`score: 'logit'` for raw logits).
 *
 * @example
 * ```ts
 * const { auc, curves } = await deletion(model, x, attribution, { steps: 100 });
 * ```
 */
export function deletion(source: ModelOrScorer, x: Tensor, attribution: Tensor, options: PixelCurveOptions = {}): Promise<PixelCurveResult> {
  return pixelCurve('deletion', source, x, attribution, { ...options, score: options.score ?? 'probability', baseline: options.baseline ?? 'zeros' });
}

/**
 * Deletion as a metric of `lucerna evaluate`: the area under the target's score as pixels are
 * removed, most relevant first (Petsiuk et al. 2018, https://arxiv.org/abs/1806.07421).
 *
 * @example `await deletionMetric.evaluate(context); // { value: auc, curve }`
 */
export const deletionMetric: MetricDescriptor<'deletion'> = {
  name: 'deletion',
  description: 'Deletion AUC of the target score (Petsiuk et al. 2018)',
  needsMask: false,
  better: 'lower',
  evaluate: (c) => pixelCurveOutcome(c, 'deletion'),
};
