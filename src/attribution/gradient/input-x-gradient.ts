/**
 * Input × gradient (Shrikumar et al. 2016, https://arxiv.org/abs/1605.01713): the input times the
 * gradient of the target score, element by element.
 */
import type { Model } from '../../engine/model.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { AttributionMethod, AttributionResult, CommonOptions } from '../types.js';
import { inputGradient } from './input-gradient.js';

/**
 * Input × gradient.
 *
 * @example
 * ```ts
 * const { attribution } = await inputXGradient.attribute(model, x, { target: 3 });
 * ```
 */
export const inputXGradient: AttributionMethod<CommonOptions> = {
  name: 'input-x-gradient',
  kind: 'gradient',
  needs: { gradients: true, layer: false, baseline: false },
  options: [],
  display: { sign: 'all', reduction: 'sum' },
  description: 'Input times the gradient of the score (Shrikumar et al. 2016)',
  async attribute(model: Model, x: Tensor, options: CommonOptions = {}): Promise<AttributionResult> {
    const { gradient: g, targets, scores } = await inputGradient(model, x, options);
    for (let i = 0; i < g.data.length; i++) g.data[i] = (g.data[i] as number) * (x.data[i] as number);
    return { attribution: g, targets, scores };
  },
};
