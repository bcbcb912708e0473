/**
 * DeepLift rescale rules for element-wise activations (Shrikumar et al. 2017,
 * https://arxiv.org/abs/1704.02685, §3.5.1): the backward of y = f(x) multiplies the incoming
 * gradient by the multiplier m = Δy/Δx of each unit, where Δ is the difference between the input
 * row and its reference row. The backward rows get `dY · m` (both halves, `dY · Concat(m, m)`, when
 * the backward runs over all 2B rows).
 *
 * The multipliers are computed so that they stay exact in float32, where a plain Δy/Δx would not:
 * - ReLU and Clip/ReLU6, whose pieces have slopes 0 and 1: Δy/Δx itself, exact in float32 (see
 *   `unitSlopeMultiplier`), with the derivative where Δx = 0;
 * - other piecewise-linear functions (LeakyReLU, PReLU, HardSigmoid) and the piecewise
 *   HardSwish and ELU: when x and r lie on the same piece, the secant of that piece in closed form
 *   (its slope, or (x + r + 3)/6 for HardSwish's quadratic piece); across a kink, Δy/Δx clamped to the
 *   range of the derivative (it is well conditioned there, the clamp only bounds rounding);
 * - Sigmoid and Tanh: closed forms of the secant through tanh(Δ/2)/(Δ/2), which never cancel.
 * When |Δx| < 1e-10 the multiplier is the derivative (Captum's `eps` fallback).
 */
import { LucernaError } from '../../errors.js';
import { attrFloat } from '../../onnx/attributes.js';
import type { GraphBuilder } from '../../onnx/builder.js';
import { grad0 } from '../rules/util.js';
import type { VjpContext, VjpRule } from '../vjp.js';
import { choose, pairOf, perRow, safeDivide, tanhRatio } from './deeplift-util.js';

/** The forward values a multiplier is built from: both halves of the input and output, and their differences. */
export interface PairValues {
  /** Input rows (x half) and reference rows (r half) of the node's input. */
  readonly xa: string;
  readonly xr: string;
  /** The same for the node's output. */
  readonly ya: string;
  readonly yr: string;
  /** xa − xr and ya − yr. */
  readonly dIn: string;
  readonly dOut: string;
}

/**
 * A rescale rule from a multiplier emitter: dX = dY · m on the input rows (Concat(m, m) over both halves).
 *
 * @example
 * ```ts
 * const tanhRescale = rescaleRule((b, v) => b.op('Mul', [b.op('Sub', [b.scalar(1), b.op('Mul', [v.ya, v.yr])]), tanhRatio(b, v.dIn)]));
 * ```
 */
export function rescaleRule(multiplier: (b: GraphBuilder, v: PairValues, ctx: VjpContext) => string): VjpRule {
  return (ctx) => {
    const { b } = ctx;
    const [xa, xr] = pairOf(ctx, ctx.input(0));
    const [ya, yr] = pairOf(ctx, ctx.output(0));
    const v: PairValues = { xa, xr, ya, yr, dIn: b.op('Sub', [xa, xr]), dOut: b.op('Sub', [ya, yr]) };
    const dX = b.op('Mul', [grad0(ctx), perRow(ctx, multiplier(b, v, ctx))]);
    return [dX, ...Array.from({ length: (ctx.node.input ?? []).length - 1 }, () => undefined)];
  };
}

/** A piecewise function: its kinks (ascending) and the multiplier for a pair on one piece. */
interface Pieces {
  /** Kink positions, ascending: scalars or tensor names (Clip bounds). */
  readonly kinks: readonly (number | string)[];
  /** The multiplier when x and r lie on the same piece; `above[i]` is the 0/1 mask `xa > kinks[i]`. */
  within(b: GraphBuilder, v: PairValues, above: readonly string[]): string;
  /** Bounds of the derivative, to clamp the cross-kink secant. */
  readonly range: readonly [number | string, number | string];
  /** The function's value, when the forward op rounds it too coarsely for a secant (default: the node's output). */
  value?(b: GraphBuilder, x: string): string;
}

const asTensor = (b: GraphBuilder, v: number | string): string => (typeof v === 'number' ? b.scalar(v) : v);

/** Σᵢ [x > kᵢ] as a float (the piece index), and the masks themselves. */
function pieceOf(b: GraphBuilder, x: string, kinks: readonly (number | string)[]): { index: string; above: string[] } {
  const above = kinks.map((k) => b.op('Cast', [b.op('Greater', [x, asTensor(b, k)])], { to: 1 }));
  const index = above.length === 1 ? (above[0] as string) : b.op('Sum', above);
  return { index, above };
}

/** The multiplier of a piecewise function (see the file comment). */
function piecewiseMultiplier(b: GraphBuilder, v: PairValues, pieces: Pieces): string {
  const a = pieceOf(b, v.xa, pieces.kinks);
  const r = pieceOf(b, v.xr, pieces.kinks);
  const dOut = pieces.value ? b.op('Sub', [pieces.value(b, v.xa), pieces.value(b, v.xr)]) : v.dOut;
  const { quotient, tiny } = safeDivide(b, dOut, v.dIn);
  const [lo, hi] = pieces.range;
  const secant = b.op('Max', [b.op('Min', [quotient, asTensor(b, hi)]), asTensor(b, lo)]);
  const samePiece = b.op('Cast', [b.op('Equal', [a.index, r.index])], { to: 1 });
  const useWithin = b.op('Max', [samePiece, tiny]);
  return choose(b, useWithin, pieces.within(b, v, a.above), secant);
}

/** A rescale rule for a piecewise function whose pieces depend on the node. */
function piecewiseRule(pieces: (ctx: VjpContext) => Pieces): VjpRule {
  return rescaleRule((b, v, ctx) => piecewiseMultiplier(b, v, pieces(ctx)));
}

/**
 * The multiplier of a function whose pieces have slopes 0 and 1 only (ReLU, Clip/ReLU6), with
 * `derivative` its derivative at the input row: m = (Δy + z·f′(x)) / (Δx + z), z = [Δx = 0].
 * No case analysis is needed, because y is computed exactly (x itself or a bound): on one piece Δy
 * is exactly Δx or 0, so m is exactly 1 or 0; across a kink |Δy| ≤ |Δx| survives rounding (it is
 * monotone), so m lies in [0, 1]; where Δx = 0, Δy = 0 too and m is the derivative. A secant with
 * 0 < |Δx| < 1e-10 is kept (it is exact here), where the general rule takes the derivative.
 * About half the element-wise passes of the general piecewise rule.
 */
function unitSlopeMultiplier(b: GraphBuilder, v: PairValues, derivative: string): string {
  const zero = b.op('Cast', [b.op('Equal', [v.dIn, b.scalar(0)])], { to: 1 });
  return b.op('Div', [b.op('Add', [v.dOut, b.op('Mul', [zero, derivative])]), b.op('Add', [v.dIn, zero])]);
}

/** `[x > k]` as a float. */
const above = (b: GraphBuilder, x: string, k: string): string => b.op('Cast', [b.op('Greater', [x, k])], { to: 1 });

/**
 * ReLU: m = 1 on the positive piece, 0 on the other, and Δy/Δx (in [0, 1]) across 0 — Captum's
 * `DeepLift` rule for `nn.ReLU` (see {@link unitSlopeMultiplier}).
 *
 * @example
 * ```ts
 * const [dX] = deepliftReluRule(ctx);
 * ```
 */
export const deepliftReluRule: VjpRule = rescaleRule((b, v) => unitSlopeMultiplier(b, v, above(b, v.xa, b.scalar(0))));

/**
 * LeakyReLU: m = 1 or alpha on one piece, the secant across 0.
 *
 * @example
 * ```ts
 * const [dX] = deepliftLeakyReluRule(ctx);
 * ```
 */
export const deepliftLeakyReluRule: VjpRule = piecewiseRule((ctx) => {
  const alpha = attrFloat(ctx.node, 'alpha', 0.01);
  return {
    kinks: [0],
    within: (b, _v, [pos]) => b.op('Add', [b.op('Mul', [pos as string, b.scalar(1 - alpha)]), b.scalar(alpha)]),
    range: [Math.min(alpha, 1), Math.max(alpha, 1)],
  };
});

/** Throws when a parameter input of an activation (PRelu slope, Clip bounds) needs a gradient. */
function requireConstantParameters(ctx: VjpContext, what: string): void {
  const ins = (ctx.node.input ?? []).length;
  for (let i = 1; i < ins; i++) {
    if (ctx.needsGrad(i)) {
      throw new LucernaError(
        'NO_GRADIENT_RULE',
        `DeepLift cannot explain node "${ctx.node.name}" (${ctx.node.opType}): its ${what} is computed from the input`,
        'Use a gradient method such as saliency or integrated-gradients for this model',
      );
    }
  }
}

/**
 * PRelu: like LeakyReLU with a per-channel slope tensor (the slope must be a constant).
 *
 * @example
 * ```ts
 * const [dX] = deepliftPreluRule(ctx);
 * ```
 */
export const deepliftPreluRule: VjpRule = (ctx) => {
  requireConstantParameters(ctx, 'slope');
  const slope = ctx.input(1);
  return piecewiseRule((c) => ({
    kinks: [0],
    within: (b, _v, [pos]) => b.op('Add', [b.op('Mul', [pos as string, b.op('Sub', [b.scalar(1), slope])]), slope]),
    range: [c.b.op('Min', [slope, c.b.scalar(1)]), c.b.op('Max', [slope, c.b.scalar(1)])],
  }))(ctx);
};

/**
 * Clip (ReLU6 = Clip(x, 0, 6)): m = 1 between the bounds, 0 beyond either, the secant across a bound
 * (see {@link unitSlopeMultiplier}).
 * Captum's DeepLift leaves `nn.ReLU6` untouched (it is not in its list of non-linearities), so on
 * MobileNets Captum returns input × gradient and completeness fails; this rule is the true rescale rule.
 *
 * @example
 * ```ts
 * const [dX] = deepliftClipRule(ctx); // ReLU6
 * ```
 */
export const deepliftClipRule: VjpRule = (ctx) => {
  requireConstantParameters(ctx, 'bound');
  const lo = ctx.input(1);
  const hi = ctx.input(2);
  if (!lo && !hi) return [grad0(ctx)];
  return rescaleRule((b, v) => {
    // The derivative at x: [x > lo] − [x > hi], 1 between the bounds.
    const overLo = lo ? above(b, v.xa, lo) : b.scalar(1);
    const derivative = hi ? b.op('Sub', [overLo, above(b, v.xa, hi)]) : overLo;
    return unitSlopeMultiplier(b, v, derivative);
  })(ctx);
};

/**
 * HardSigmoid, y = max(0, min(1, alpha·x + beta)): m = alpha on the sloped piece, 0 on the flat ones.
 *
 * @example
 * ```ts
 * const [dX] = deepliftHardSigmoidRule(ctx);
 * ```
 */
export const deepliftHardSigmoidRule: VjpRule = (ctx) => {
  const alpha = attrFloat(ctx.node, 'alpha', 0.2);
  const beta = attrFloat(ctx.node, 'beta', 0.5);
  if (alpha === 0) return [ctx.b.op('Mul', [grad0(ctx), ctx.b.scalar(0)])];
  const kinks = [-beta / alpha, (1 - beta) / alpha].sort((p, q) => p - q);
  return piecewiseRule(() => ({
    kinks,
    within: (b, _v, [first, second]) => b.op('Mul', [b.op('Sub', [first as string, second as string]), b.scalar(alpha)]),
    range: [Math.min(0, alpha), Math.max(0, alpha)],
  }))(ctx);
};

/**
 * HardSwish, y = x · max(0, min(1, x/6 + 1/2)): m = 0 below −3, 1 above 3, and the exact secant
 * (x + r + 3)/6 of the quadratic piece between.
 *
 * @example
 * ```ts
 * const [dX] = deepliftHardSwishRule(ctx);
 * ```
 */
export const deepliftHardSwishRule: VjpRule = piecewiseRule(() => ({
  kinks: [-3, 3],
  within: (b, v, [middleOrAbove, above]) => {
    const quadratic = b.op('Div', [b.op('Add', [b.op('Add', [v.xa, v.xr]), b.scalar(3)]), b.scalar(6)]);
    return b.op('Add', [b.op('Mul', [middleOrAbove as string, quadratic]), b.op('Mul', [above as string, b.op('Sub', [b.scalar(1), quadratic])])]);
  },
  range: [-0.5, 1.5],
}));

/**
 * ELU: m = 1 on the positive piece; on the negative one the exact secant of alpha·(eˣ − 1),
 * alpha · (eˣ + eʳ)/2 · tanh(h)/h with h = (x − r)/2; the secant across 0, with the negative side
 * evaluated as alpha · tanh(x/2) · (eˣ + 1) (ORT's eˣ − 1 loses all digits for tiny x).
 *
 * @example
 * ```ts
 * const [dX] = deepliftEluRule(ctx);
 * ```
 */
export const deepliftEluRule: VjpRule = piecewiseRule((ctx) => {
  const alpha = attrFloat(ctx.node, 'alpha', 1);
  return {
    kinks: [0],
    within: (b, v, [pos]) => {
      const expA = b.op('Exp', [b.op('Min', [v.xa, b.scalar(0)])]);
      const expR = b.op('Exp', [b.op('Min', [v.xr, b.scalar(0)])]);
      const half = b.op('Mul', [v.dIn, b.scalar(0.5)]);
      const negative = b.op('Mul', [b.op('Mul', [b.op('Add', [expA, expR]), b.scalar(alpha / 2)]), tanhRatio(b, half)]);
      return choose(b, pos as string, b.scalar(1), negative);
    },
    range: [Math.min(0, alpha), Math.max(1, alpha)],
    value: (b, x) => {
      const negative = b.op('Min', [x, b.scalar(0)]);
      const expm1 = b.op('Mul', [b.op('Tanh', [b.op('Mul', [negative, b.scalar(0.5)])]), b.op('Add', [b.op('Exp', [negative]), b.scalar(1)])]);
      return b.op('Add', [b.op('Max', [x, b.scalar(0)]), b.op('Mul', [expm1, b.scalar(alpha)])]);
    },
  };
});

/**
 * Sigmoid: m = (σ(x) + σ(r) − 2σ(x)σ(r)) · tanh(h)/(2h) with h = (x − r)/2, the exact secant
 * (σ(x) − σ(r))/(x − r) without cancellation.
 *
 * @example
 * ```ts
 * const [dX] = deepliftSigmoidRule(ctx);
 * ```
 */
export const deepliftSigmoidRule: VjpRule = rescaleRule((b, v) => {
  const spread = b.op('Sub', [b.op('Add', [v.ya, v.yr]), b.op('Mul', [b.op('Mul', [v.ya, v.yr]), b.scalar(2)])]);
  const half = b.op('Mul', [v.dIn, b.scalar(0.5)]);
  return b.op('Mul', [b.op('Mul', [spread, b.scalar(0.5)]), tanhRatio(b, half)]);
});

/**
 * Tanh: m = (1 − tanh(x)·tanh(r)) · tanh(x − r)/(x − r), the exact secant without cancellation.
 *
 * @example
 * ```ts
 * const [dX] = deepliftTanhRule(ctx);
 * ```
 */
export const deepliftTanhRule: VjpRule = rescaleRule((b, v) => b.op('Mul', [b.op('Sub', [b.scalar(1), b.op('Mul', [v.ya, v.yr])]), tanhRatio(b, v.dIn)]));

/**
 * The element-wise DeepLift rules, by op type.
 *
 * @example
 * ```ts
 * const rule = deepliftActivationRules.Relu;
 * ```
 */
export const deepliftActivationRules: Record<string, VjpRule> = {
  Relu: deepliftReluRule,
  LeakyRelu: deepliftLeakyReluRule,
  PRelu: deepliftPreluRule,
  Clip: deepliftClipRule,
  HardSigmoid: deepliftHardSigmoidRule,
  HardSwish: deepliftHardSwishRule,
  Elu: deepliftEluRule,
  Sigmoid: deepliftSigmoidRule,
  Tanh: deepliftTanhRule,
};
