/**
 * Vector-Jacobian rules for linear reductions (ReduceSum, ReduceMean): the gradient is broadcast
 * back over the reduced axes (and divided by their size for the mean).
 */
import { attrInt, attrInts, hasAttr } from '../../onnx/attributes.js';
import type { VjpContext, VjpRule } from '../vjp.js';
import { normalizeAxis, product, staticInts } from './static-inputs.js';
import { grad0, reshapeTo } from './util.js';

/**
 * The reduced axes of a ReduceSum/ReduceMean node (non-negative, sorted), or undefined when the
 * node is a no-op (empty axes with noop_with_empty_axes=1). Reads the axes input (opset ≥ 13 for
 * ReduceSum, ≥ 18 for the others) or, for older forms, the attribute.
 *
 * @example
 * ```ts
 * reducedAxes(ctx, 4); // [2, 3] for a spatial mean with axes [-2, -1]
 * ```
 */
export function reducedAxes(ctx: VjpContext, rank: number): number[] | undefined {
  const given = ctx.input(1) ? (staticInts(ctx, 1, 'axes') ?? []) : hasAttr(ctx.node, 'axes') ? attrInts(ctx.node, 'axes', []) : [];
  if (given.length === 0) {
    if (attrInt(ctx.node, 'noop_with_empty_axes', 0) === 1) return undefined;
    return Array.from({ length: rank }, (_, i) => i);
  }
  return [...new Set(given.map((a) => normalizeAxis(a, rank)))].sort((a, b) => a - b);
}

function reduceRule(mean: boolean): VjpRule {
  return (ctx) => {
    const { b } = ctx;
    const xShape = ctx.shape(ctx.input(0));
    const axes = reducedAxes(ctx, xShape.length);
    if (!axes) return [grad0(ctx)];
    const keptShape = xShape.map((d, i) => (axes.includes(i) ? 1 : d));
    let g = grad0(ctx);
    if (mean) g = b.op('Mul', [g, b.scalar(1 / product(axes.map((a) => xShape[a] as number)))]);
    if (attrInt(ctx.node, 'keepdims', 1) === 0) g = reshapeTo(b, g, keptShape);
    return [b.op('Expand', [g, b.constInt64([...xShape])])];
  };
}

/**
 * ReduceSum: dX = broadcast(dY) over the reduced axes.
 *
 * @example
 * ```ts
 * const [dX] = reduceSumRule(ctx); // dY [N, C] → dX [N, C, H, W] for axes [2, 3], keepdims 0
 * ```
 */
export const reduceSumRule: VjpRule = reduceRule(false);

/**
 * ReduceMean: dX = broadcast(dY) / (number of reduced elements).
 *
 * @example
 * ```ts
 * const [dX] = reduceMeanRule(ctx); // a global average pool written as ReduceMean
 * ```
 */
export const reduceMeanRule: VjpRule = reduceRule(true);

/** Reduction rules of this file, by op type. */
export const reductionRules: Record<string, VjpRule> = {
  ReduceMean: reduceMeanRule,
  ReduceSum: reduceSumRule,
};
