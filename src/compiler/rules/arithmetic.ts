/**
 * Vector-Jacobian rules for element-wise arithmetic with NumPy broadcasting: each operand's
 * gradient is computed at the output's shape, then summed back to the operand's own shape.
 */
import type { VjpContext, VjpRule } from '../vjp.js';
import { grad0, unbroadcast } from './util.js';

/** Emits the gradient of operand `i` (full output shape) when the plan needs it, then unbroadcasts it. */
function operandGrad(ctx: VjpContext, i: number, atOutputShape: () => string): string | undefined {
  if (!ctx.needsGrad(i)) return undefined;
  return unbroadcast(ctx.b, atOutputShape(), ctx.shape(ctx.output(0)), ctx.shape(ctx.input(i)));
}

/**
 * Add: each operand receives dY summed over its broadcast axes.
 *
 * @example
 * ```ts
 * const [dA, dB] = addRule(ctx);
 * ```
 */
export const addRule: VjpRule = (ctx) => {
  const dy = grad0(ctx);
  return [operandGrad(ctx, 0, () => dy), operandGrad(ctx, 1, () => dy)];
};

/**
 * Sum (variadic, broadcasting): every operand receives dY summed over its broadcast axes, as in Add.
 *
 * @example
 * ```ts
 * const grads = sumRule(ctx); // one entry per input
 * ```
 */
export const sumRule: VjpRule = (ctx) => {
  const dy = grad0(ctx);
  return (ctx.node.input ?? []).map((_, i) => operandGrad(ctx, i, () => dy));
};

/**
 * Sub: dA = dY, dB = −dY, each summed over its broadcast axes.
 *
 * @example
 * ```ts
 * const [dA, dB] = subRule(ctx);
 * ```
 */
export const subRule: VjpRule = (ctx) => {
  const dy = grad0(ctx);
  return [operandGrad(ctx, 0, () => dy), operandGrad(ctx, 1, () => ctx.b.op('Neg', [dy]))];
};

/**
 * Mul: dA = dY · B, dB = dY · A, each summed over its broadcast axes.
 *
 * @example
 * ```ts
 * const [dA, dB] = mulRule(ctx);
 * ```
 */
export const mulRule: VjpRule = (ctx) => {
  const dy = grad0(ctx);
  const { b } = ctx;
  return [operandGrad(ctx, 0, () => b.op('Mul', [dy, ctx.input(1)])), operandGrad(ctx, 1, () => b.op('Mul', [dy, ctx.input(0)]))];
};

/**
 * Div, Y = A / B: dA = dY / B, dB = −dY · A / B² = −dY · Y / B, each summed over its broadcast axes.
 *
 * @example
 * ```ts
 * const [dA, dB] = divRule(ctx);
 * ```
 */
export const divRule: VjpRule = (ctx) => {
  const dy = grad0(ctx);
  const { b } = ctx;
  const divisor = ctx.input(1);
  return [
    operandGrad(ctx, 0, () => b.op('Div', [dy, divisor])),
    operandGrad(ctx, 1, () => b.op('Neg', [b.op('Div', [b.op('Mul', [dy, ctx.output(0)]), divisor])])),
  ];
};

/**
 * Arithmetic rules, by op type.
 *
 * @example
 * ```ts
 * const rule = arithmeticRules.Mul;
 * ```
 */
export const arithmeticRules: Record<string, VjpRule> = {
  Add: addRule,
  Sum: sumRule,
  Sub: subRule,
  Mul: mulRule,
  Div: divRule,
};
