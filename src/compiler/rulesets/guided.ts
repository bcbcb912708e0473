import { reluRule } from '../rules/activations.js';
import { grad0 } from '../rules/util.js';
import { extendRuleSet, type VjpRule } from '../vjp.js';
import { standardRules } from './standard.js';

/** Guided ReLU: dX = relu(dY) · [Y > 0] — only positive gradients through active units. */
export const guidedReluRule: VjpRule = (ctx) => {
  const positive = ctx.b.op('Relu', [grad0(ctx)]);
  return reluRule({ ...ctx, gradOutput: (i) => (i === 0 ? positive : ctx.gradOutput(i)) });
};

/**
 * Guided backpropagation (Springenberg et al. 2015, https://arxiv.org/abs/1412.6806).
 * Changes only the backward of Relu, exactly as Captum's `GuidedBackprop` (Clip/ReLU6 is untouched).
 *
 * @example
 * ```ts
 * const compiled = await model.compile({ seeds: ['logits'], rules: guidedRules });
 * ```
 */
export const guidedRules = extendRuleSet(standardRules, 'guided', { Relu: guidedReluRule }, 'guided backpropagation');
