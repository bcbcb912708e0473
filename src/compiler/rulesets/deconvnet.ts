import { grad0 } from '../rules/util.js';
import { extendRuleSet, type VjpRule } from '../vjp.js';
import { standardRules } from './standard.js';

/** Deconvnet ReLU: dX = relu(dY), ignoring the forward mask. */
export const deconvnetReluRule: VjpRule = (ctx) => [ctx.b.op('Relu', [grad0(ctx)])];

/**
 * Deconvnet (Zeiler & Fergus 2014, https://arxiv.org/abs/1311.2901): the backward of ReLU is
 * ReLU of the incoming gradient, as Captum's `Deconvolution`.
 *
 * @example
 * ```ts
 * const compiled = await model.compile({ seeds: ['logits'], rules: deconvnetRules });
 * ```
 */
export const deconvnetRules = extendRuleSet(standardRules, 'deconvnet', { Relu: deconvnetReluRule }, 'deconvnet');
