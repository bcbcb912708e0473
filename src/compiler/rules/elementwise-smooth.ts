/**
 * Vector-Jacobian rules for smooth element-wise activations: Sigmoid, Tanh and Erf.
 * Sigmoid and Tanh read their output, so the forward Conv+activation fusion stays intact.
 */
import type { VjpRule } from '../vjp.js';
import { grad0 } from './util.js';

/**
 * Sigmoid: dX = dY · Y · (1 − Y).
 *
 * @example
 * ```ts
 * const [dX] = sigmoidRule(ctx);
 * ```
 */
export const sigmoidRule: VjpRule = (ctx) => {
  const { b } = ctx;
  const y = ctx.output(0);
  const slope = b.op('Mul', [y, b.op('Sub', [b.scalar(1), y])]);
  return [b.op('Mul', [grad0(ctx), slope])];
};

/**
 * Tanh: dX = dY · (1 − Y²).
 *
 * @example
 * ```ts
 * const [dX] = tanhRule(ctx);
 * ```
 */
export const tanhRule: VjpRule = (ctx) => {
  const { b } = ctx;
  const y = ctx.output(0);
  const slope = b.op('Sub', [b.scalar(1), b.op('Mul', [y, y])]);
  return [b.op('Mul', [grad0(ctx), slope])];
};

/**
 * Erf: dX = dY · 2/√π · exp(−X²).
 *
 * @example
 * ```ts
 * const [dX] = erfRule(ctx);
 * ```
 */
export const erfRule: VjpRule = (ctx) => {
  const { b } = ctx;
  const x = ctx.input(0);
  const negSquare = b.op('Mul', [b.op('Mul', [x, x]), b.scalar(-1)]);
  const slope = b.op('Mul', [b.op('Exp', [negSquare]), b.scalar(2 / Math.sqrt(Math.PI))]);
  return [b.op('Mul', [grad0(ctx), slope])];
};

/** Sqrt: dX = dY · 0.5 / Y (reads the output). */
export const sqrtRule: VjpRule = (ctx) => [ctx.b.op('Div', [ctx.b.op('Mul', [grad0(ctx), ctx.b.scalar(0.5)]), ctx.output(0)])];

/**
 * Smooth element-wise activation rules, by op type (gathered into `activationRules`).
 *
 * @example
 * ```ts
 * const rule = smoothActivationRules.Sigmoid;
 * ```
 */
export const smoothActivationRules: Record<string, VjpRule> = {
  Sigmoid: sigmoidRule,
  Tanh: tanhRule,
  Erf: erfRule,
  Sqrt: sqrtRule,
};
