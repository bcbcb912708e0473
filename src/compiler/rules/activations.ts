/**
 * Vector-Jacobian rules for element-wise activations.
 * Masks are computed from the activation's output where possible, so ORT keeps Conv+activation fused.
 */
import { attrFloat } from '../../onnx/attributes.js';
import type { VjpContext, VjpRule } from '../vjp.js';
import { grad0, maskGrad } from './util.js';

/** ReLU: dX = dY · [Y > 0]. */
export const reluRule: VjpRule = (ctx) => {
  const zero = ctx.b.scalar(0);
  return [maskGrad(ctx.b, grad0(ctx), ctx.b.op('Greater', [ctx.output(0), zero]))];
};

/** Clip (ReLU6 and friends): dX = dY · [min < Y < max], for the bounds that are present. */
export const clipRule: VjpRule = (ctx: VjpContext) => {
  const { b } = ctx;
  const y = ctx.output(0);
  const lo = ctx.input(1);
  const hi = ctx.input(2);
  const conds: string[] = [];
  if (lo) conds.push(b.op('Greater', [y, lo]));
  if (hi) conds.push(b.op('Less', [y, hi]));
  if (conds.length === 0) return [grad0(ctx)];
  const cond = conds.length === 2 ? b.op('And', conds) : (conds[0] as string);
  return [maskGrad(b, grad0(ctx), cond), undefined, undefined];
};

/** LeakyReLU: dX = dY · (Y > 0 ? 1 : alpha). */
export const leakyReluRule: VjpRule = (ctx) => {
  const { b } = ctx;
  const alpha = attrFloat(ctx.node, 'alpha', 0.01);
  const pos = b.op('Cast', [b.op('Greater', [ctx.output(0), b.scalar(0)])], { to: 1 });
  // slope = alpha + (1 - alpha) * pos
  const slope = b.op('Add', [b.op('Mul', [pos, b.scalar(1 - alpha)]), b.scalar(alpha)]);
  return [b.op('Mul', [grad0(ctx), slope])];
};

/** Activation rules of this file, by op type. */
export const activationRules: Record<string, VjpRule> = {
  Relu: reluRule,
  Clip: clipRule,
  LeakyRelu: leakyReluRule,
};
