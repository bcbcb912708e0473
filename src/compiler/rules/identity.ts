/**
 * Vector-Jacobian rules for no-ops: Identity, and Dropout, which passes the gradient through at
 * inference and masks it in training mode (Srivastava et al. 2014,
 * https://jmlr.org/papers/v15/srivastava14a.html).
 */
import { DataType } from '../../onnx/proto.js';
import { readFloats, readInts } from '../../onnx/tensors.js';
import type { VjpContext, VjpRule } from '../vjp.js';
import { grad0, passThrough } from './util.js';

/** True when input `i` of the node is a constant that reads true. */
function constantTrue(ctx: VjpContext, i: number): boolean {
  const name = ctx.input(i);
  return name !== '' && ctx.graph.isInitializer(name) && readInts(ctx.graph.initializer(name))[0] === 1;
}

/**
 * Dropout: the identity at inference (its mask output is boolean and gets no gradient). In training
 * mode (a constant true `training_mode` input, and the mask as output 1), the kept elements were
 * scaled by 1/(1 − p): dX = dY · mask / (1 − p).
 *
 * @example
 * ```ts
 * const [dX] = dropoutRule(ctx); // dY at inference, dY·mask·2 in training mode with p 0.5
 * ```
 */
export const dropoutRule: VjpRule = (ctx) => {
  const mask = ctx.output(1);
  if (!constantTrue(ctx, 2) || !mask) return passThrough(ctx);
  const ratio = ctx.input(1) ? (readFloats(ctx.graph.initializer(ctx.input(1)))[0] ?? 0.5) : 0.5;
  const { b } = ctx;
  const keep = b.op('Mul', [b.op('Cast', [mask], { to: DataType.FLOAT }), b.scalar(1 / (1 - ratio))]);
  return [b.op('Mul', [grad0(ctx), keep])];
};

/**
 * No-op rules of this file, by op type.
 *
 * @example
 * ```ts
 * const [dX] = identityRules.Identity(ctx); // dX === dY
 * ```
 */
export const identityRules: Record<string, VjpRule> = {
  Identity: passThrough,
  Dropout: dropoutRule,
};
