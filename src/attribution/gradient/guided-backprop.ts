/**
 * Guided backpropagation (Springenberg et al. 2015, https://arxiv.org/abs/1412.6806) and
 * deconvnet (Zeiler & Fergus 2014, https://arxiv.org/abs/1311.2901): the input gradient under the
 * compiler's `guided` or `deconvnet` rule set, which change only the backward of ReLU, as Captum.
 */
import type { Model } from '../../engine/model.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { AttributionMethod, AttributionResult, CommonOptions } from '../types.js';
import { inputGradient } from './input-gradient.js';

function ruleSetMethod(name: string, rules: string, description: string): AttributionMethod<CommonOptions> {
  return {
    name,
    kind: 'gradient',
    needs: { gradients: true, layer: false, baseline: false },
    options: [],
    display: { sign: 'absolute', reduction: 'abs-sum' },
    description,
    async attribute(model: Model, x: Tensor, options: CommonOptions = {}): Promise<AttributionResult> {
      const { gradient: g, targets, scores } = await inputGradient(model, x, { ...options, rules });
      return { attribution: g, targets, scores };
    },
  };
}

/**
 * Guided backpropagation: only positive gradients pass back through active ReLUs.
 *
 * @example
 * ```ts
 * const { attribution } = await guidedBackprop.attribute(model, x);
 * ```
 */
export const guidedBackprop = ruleSetMethod('guided-backprop', 'guided', 'Guided backpropagation (Springenberg et al. 2015)');

/**
 * Deconvnet: ReLU's backward is ReLU of the incoming gradient.
 *
 * @example
 * ```ts
 * const { attribution } = await deconvnet.attribute(model, x);
 * ```
 */
export const deconvnet = ruleSetMethod('deconvnet', 'deconvnet', 'Deconvolution network (Zeiler & Fergus 2014)');
