/**
 * Guided backpropagation (Springenberg et al. 2015, https://arxiv.org/abs/1412.6806) that guides
 * every rectifier, Clip included. The registered `guided-backprop` follows Captum and changes only
 * ReLU's backward, so on MobileNet-style networks, whose rectifiers are ReLU6 (ONNX `Clip`), it is
 * nearly the plain gradient. This variant applies the guided rule to Clip as well: only positive
 * gradients pass back, and only through units strictly inside the clip range.
 */
import type { Model } from '../../engine/model.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { AttributionMethod, AttributionResult, CommonOptions } from '../types.js';
import { inputGradient } from './input-gradient.js';

/** The rule set, registered in the compiler's `ruleSets` as `guided-clip`; re-exported here. */
export { guidedClipRule, guidedClipRules } from '../../compiler/rulesets/guided.js';

/**
 * Guided backpropagation through ReLU and Clip (ReLU6) units.
 *
 * @example
 * ```ts
 * const { attribution } = await guidedBackpropClip.attribute(mobilenet, x);
 * ```
 */
export const guidedBackpropClip: AttributionMethod<CommonOptions> = {
  name: 'guided-backprop-clip',
  kind: 'gradient',
  needs: { gradients: true, layer: false, baseline: false },
  options: [],
  display: { sign: 'all', reduction: 'sum' },
  description: 'Guided backpropagation through ReLU and Clip/ReLU6 units (Springenberg et al. 2015)',
  async attribute(model: Model, x: Tensor, options: CommonOptions = {}): Promise<AttributionResult> {
    const { gradient, targets, scores } = await inputGradient(model, x, { ...options, rules: 'guided-clip' });
    return { attribution: gradient, targets, scores };
  },
};
