/**
 * Saliency (Simonyan et al. 2013, https://arxiv.org/abs/1312.6034): the gradient of the target
 * score with respect to the input.
 *
 * Unlike Captum (whose default is `abs=True`), Lucerna returns the raw signed gradient unless
 * `abs` is set: the sign is information, and dropping it is a post-processing choice.
 */
import type { Model } from '../../engine/model.js';
import type { Tensor } from '../../tensor/tensor.js';
import { OPTIONS } from '../options.js';
import type { AttributionMethod, AttributionResult, CommonOptions } from '../types.js';
import { inputGradient } from './input-gradient.js';

/** Options of {@link saliency}. */
export interface SaliencyOptions extends CommonOptions {
  /** Return |gradient| (Captum's default). Default false: the raw gradient. */
  readonly abs?: boolean;
}

/**
 * Gradient saliency.
 *
 * @example
 * ```ts
 * const { attribution } = await saliency.attribute(model, x, { target: 'argmax' });
 * ```
 */
export const saliency: AttributionMethod<SaliencyOptions> = {
  name: 'saliency',
  kind: 'gradient',
  needs: { gradients: true, layer: false, baseline: false },
  options: [OPTIONS.abs],
  display: { sign: 'all', reduction: 'sum' },
  absAware: true,
  description: 'Gradient of the score w.r.t. the input (Simonyan et al. 2013)',
  async attribute(model: Model, x: Tensor, options: SaliencyOptions = {}): Promise<AttributionResult> {
    const { gradient: g, targets, scores } = await inputGradient(model, x, options);
    if (options.abs) for (let i = 0; i < g.data.length; i++) g.data[i] = Math.abs(g.data[i] as number);
    return { attribution: g, targets, scores };
  },
};
