import { clipRule, reluRule } from '../rules/activations.js';
import { grad0 } from '../rules/util.js';
import { extendRuleSet, type RuleSet, type VjpRule } from '../vjp.js';
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

/**
 * Guided Clip: dX = relu(dY) · [min < Y < max].
 *
 * @example
 * ```ts
 * const rules = extendRuleSet(guidedRules, 'mine', { Clip: guidedClipRule });
 * ```
 */
export const guidedClipRule: VjpRule = (ctx) => {
  const positive = ctx.b.op('Relu', [grad0(ctx)]);
  return clipRule({ ...ctx, gradOutput: (i) => (i === 0 ? positive : ctx.gradOutput(i)) });
};

/**
 * The guided rule set with Clip (ReLU6) guided too: what `guided-backprop-clip` uses on
 * MobileNet-style networks, where guiding ReLU alone leaves nearly the plain gradient.
 *
 * @example
 * ```ts
 * const compiled = await model.compile({ seeds: ['logits'], rules: 'guided-clip' });
 * ```
 */
export const guidedClipRules: RuleSet = extendRuleSet(guidedRules, 'guided-clip', { Clip: guidedClipRule }, 'guided backpropagation through ReLU and Clip');
