/**
 * Vector-Jacobian rules for element-wise arithmetic with NumPy broadcasting.
 */
import type { VjpRule } from '../vjp.js';
import { grad0, unbroadcast } from './util.js';

/** Add: each operand receives dY summed over its broadcast axes. */
export const addRule: VjpRule = (ctx) => {
  const dy = grad0(ctx);
  const yShape = ctx.shape(ctx.output(0));
  return [0, 1].map((i) => (ctx.needsGrad(i) ? unbroadcast(ctx.b, dy, yShape, ctx.shape(ctx.input(i))) : undefined));
};

/** Arithmetic rules of this file, by op type. */
export const arithmeticRules: Record<string, VjpRule> = {
  Add: addRule,
};
