/**
 * Vector-Jacobian rules for activations: the piecewise ones (ReLU family, Clip, hard sigmoid/swish)
 * and Softmax/LogSoftmax. Smooth element-wise ones (Sigmoid, Tanh, Erf) live in `elementwise-smooth.ts`.
 *
 * Masks are read from the activation's OUTPUT where that is exact, so ORT keeps Conv+activation fused,
 * and are applied as `Mul(grad, Cast(condition))`, never `Where` or `Sign` (both much slower in ORT).
 */
import { attrFloat, attrInt } from '../../onnx/attributes.js';
import type { VjpContext, VjpRule } from '../vjp.js';
import { smoothActivationRules } from './elementwise-smooth.js';
import { blend, normalizeAxis, positiveMask, reduceKeep, scaleBy } from './elementwise-util.js';
import { grad0, maskGrad, unbroadcast } from './util.js';

/**
 * ReLU: dX = dY · [Y > 0].
 *
 * @example
 * ```ts
 * const [dX] = reluRule(ctx);
 * ```
 */
export const reluRule: VjpRule = (ctx) => {
  const zero = ctx.b.scalar(0);
  return [maskGrad(ctx.b, grad0(ctx), ctx.b.op('Greater', [ctx.output(0), zero]))];
};

/**
 * Gradient of a Clip bound: dY summed where the output sits on that bound (`Y ≤ min` below `max`,
 * or `Y ≥ max`). Only emitted when a bound is itself computed from the differentiated input.
 */
function clipBoundGrad(ctx: VjpContext, which: 1 | 2): string {
  const { b } = ctx;
  const y = ctx.output(0);
  const bound = ctx.input(which);
  const hi = ctx.input(2);
  let cond = b.op(which === 1 ? 'LessOrEqual' : 'GreaterOrEqual', [y, bound]);
  if (which === 1 && hi) cond = b.op('And', [cond, b.op('Less', [y, hi])]);
  return unbroadcast(b, maskGrad(b, grad0(ctx), cond), ctx.shape(y), ctx.shape(bound));
}

/**
 * Clip (ReLU6 and friends): dX = dY · [min < Y < max], for the bounds that are present; with no
 * bounds it is the identity. A bound computed in-graph from the input also gets its gradient.
 *
 * @example
 * ```ts
 * const [dX] = clipRule(ctx); // ReLU6: Clip(x, 0, 6)
 * ```
 */
export const clipRule: VjpRule = (ctx: VjpContext) => {
  const { b } = ctx;
  const y = ctx.output(0);
  const lo = ctx.input(1);
  const hi = ctx.input(2);
  const conds: string[] = [];
  if (lo) conds.push(b.op('Greater', [y, lo]));
  if (hi) conds.push(b.op('Less', [y, hi]));
  const dX = conds.length === 0 ? grad0(ctx) : maskGrad(b, grad0(ctx), conds.length === 2 ? b.op('And', conds) : (conds[0] as string));
  return [dX, lo && ctx.needsGrad(1) ? clipBoundGrad(ctx, 1) : undefined, hi && ctx.needsGrad(2) ? clipBoundGrad(ctx, 2) : undefined];
};

/**
 * LeakyReLU: dX = dY · (X > 0 ? 1 : alpha). The mask is read from Y when alpha ≥ 0 (same sign as X).
 *
 * @example
 * ```ts
 * const [dX] = leakyReluRule(ctx);
 * ```
 */
export const leakyReluRule: VjpRule = (ctx) => {
  const alpha = attrFloat(ctx.node, 'alpha', 0.01);
  const pos = positiveMask(ctx.b, alpha >= 0 ? ctx.output(0) : ctx.input(0));
  return [ctx.b.op('Mul', [grad0(ctx), blend(ctx.b, pos, 1, alpha)])];
};

/**
 * PRelu (He et al. 2015, https://arxiv.org/abs/1502.01852): dX = dY · (X > 0 ? 1 : slope), slope broadcast to X. When the slope is itself an activation,
 * dSlope = Σ dY · min(X, 0) over the broadcast axes.
 *
 * @example
 * ```ts
 * const [dX, dSlope] = preluRule(ctx);
 * ```
 */
export const preluRule: VjpRule = (ctx) => {
  const { b } = ctx;
  const x = ctx.input(0);
  const slope = ctx.input(1);
  const dy = grad0(ctx);
  const dX = ctx.needsGrad(0) ? b.op('Mul', [dy, blend(b, positiveMask(b, x), 1, slope)]) : undefined;
  const dSlope = ctx.needsGrad(1) ? unbroadcast(b, b.op('Mul', [dy, b.op('Min', [x, b.scalar(0)])]), ctx.shape(ctx.output(0)), ctx.shape(slope)) : undefined;
  return [dX, dSlope];
};

/**
 * ELU (Clevert et al. 2015, https://arxiv.org/abs/1511.07289): dX = dY · (X > 0 ? 1 : Y + alpha), since d/dX alpha·(eˣ − 1) = Y + alpha.
 * The mask is read from Y when alpha ≥ 0 (then Y > 0 exactly when X > 0).
 *
 * @example
 * ```ts
 * const [dX] = eluRule(ctx);
 * ```
 */
export const eluRule: VjpRule = (ctx) => {
  const { b } = ctx;
  const alpha = attrFloat(ctx.node, 'alpha', 1);
  const y = ctx.output(0);
  const pos = positiveMask(b, alpha >= 0 ? y : ctx.input(0));
  return [b.op('Mul', [grad0(ctx), blend(b, pos, 1, b.op('Add', [y, b.scalar(alpha)]))])];
};

/**
 * HardSigmoid, Y = max(0, min(1, alpha·X + beta)): dX = dY · alpha · [0 < Y < 1].
 *
 * @example
 * ```ts
 * const [dX] = hardSigmoidRule(ctx);
 * ```
 */
export const hardSigmoidRule: VjpRule = (ctx) => {
  const { b } = ctx;
  const alpha = attrFloat(ctx.node, 'alpha', 0.2);
  const y = ctx.output(0);
  const inside = b.op('And', [b.op('Greater', [y, b.scalar(0)]), b.op('Less', [y, b.scalar(1)])]);
  return [maskGrad(b, scaleBy(b, grad0(ctx), alpha), inside)];
};

/**
 * HardSwish (Howard et al. 2019, https://arxiv.org/abs/1905.02244), Y = X · h(X) with h = HardSigmoid(alpha = 1/6, beta = 1/2):
 * dX = dY · (h + X/6 · [0 < h < 1]), i.e. 0 below −3, X/3 + 1/2 in between, 1 above 3.
 * Y is not monotonic, so this rule reads X.
 *
 * @example
 * ```ts
 * const [dX] = hardSwishRule(ctx);
 * ```
 */
export const hardSwishRule: VjpRule = (ctx) => {
  const { b } = ctx;
  const x = ctx.input(0);
  const h = b.op('HardSigmoid', [x], { alpha: { float: 1 / 6 }, beta: { float: 0.5 } });
  const inside = b.op('And', [b.op('Greater', [h, b.scalar(0)]), b.op('Less', [h, b.scalar(1)])]);
  const slope = b.op('Add', [h, maskGrad(b, b.op('Mul', [x, b.scalar(1 / 6)]), inside)]);
  return [b.op('Mul', [grad0(ctx), slope])];
};

/** The softmax axis of a node (opset ≥ 13: one axis, default −1), made non-negative. */
function softmaxAxis(ctx: VjpContext): number {
  const rank = ctx.shape(ctx.input(0)).length;
  return normalizeAxis(ctx, attrInt(ctx.node, 'axis', -1), rank);
}

/**
 * Softmax along one axis (opset ≥ 13 semantics): dX = Y · (dY − Σ_axis dY·Y).
 *
 * @example
 * ```ts
 * const [dX] = softmaxRule(ctx);
 * ```
 */
export const softmaxRule: VjpRule = (ctx) => {
  const { b } = ctx;
  const y = ctx.output(0);
  const dy = grad0(ctx);
  const dot = reduceKeep(b, 'ReduceSum', b.op('Mul', [dy, y]), [softmaxAxis(ctx)]);
  return [b.op('Mul', [y, b.op('Sub', [dy, dot])])];
};

/**
 * LogSoftmax along one axis (opset ≥ 13 semantics): dX = dY − exp(Y) · Σ_axis dY.
 *
 * @example
 * ```ts
 * const [dX] = logSoftmaxRule(ctx);
 * ```
 */
export const logSoftmaxRule: VjpRule = (ctx) => {
  const { b } = ctx;
  const dy = grad0(ctx);
  const total = reduceKeep(b, 'ReduceSum', dy, [softmaxAxis(ctx)]);
  return [b.op('Sub', [dy, b.op('Mul', [b.op('Exp', [ctx.output(0)]), total])])];
};

/**
 * Activation rules, by op type (this file's and the smooth element-wise ones).
 *
 * @example
 * ```ts
 * const rule = activationRules.Relu;
 * ```
 */
export const activationRules: Record<string, VjpRule> = {
  Relu: reluRule,
  Clip: clipRule,
  LeakyRelu: leakyReluRule,
  PRelu: preluRule,
  Elu: eluRule,
  HardSigmoid: hardSigmoidRule,
  HardSwish: hardSwishRule,
  Softmax: softmaxRule,
  LogSoftmax: logSoftmaxRule,
  ...smoothActivationRules,
};
