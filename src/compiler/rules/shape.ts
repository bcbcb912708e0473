/**
 * Vector-Jacobian rules for shape ops: the gradient is reshaped or rearranged back.
 */
import type { VjpRule } from '../vjp.js';
import { grad0, reshapeTo } from './util.js';

/** Flatten and Reshape: dX = reshape(dY, shape(X)). */
export const reshapeBackRule: VjpRule = (ctx) => [reshapeTo(ctx.b, grad0(ctx), ctx.shape(ctx.input(0)))];

/** Shape rules of this file, by op type. */
export const shapeRules: Record<string, VjpRule> = {
  Flatten: reshapeBackRule,
  Reshape: reshapeBackRule,
};
