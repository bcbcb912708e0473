/**
 * Vector-Jacobian rules for shape ops: the gradient is reshaped, permuted, split, joined or
 * sliced back. Slice and Pad live in `slice-pad.ts`.
 */
import { attrInt, attrInts } from '../../onnx/attributes.js';
import type { VjpRule } from '../vjp.js';
import { padRule, sliceRule } from './slice-pad.js';
import { at, normalizeAxis, zerosOfShape } from './static-inputs.js';
import { grad0, reshapeTo } from './util.js';

/**
 * Flatten, Reshape, Squeeze and Unsqueeze: dX = reshape(dY, shape(X)).
 *
 * @example
 * ```ts
 * const [dX] = reshapeBackRule(ctx); // dY [N, 512] → dX [N, 512, 1, 1]
 * ```
 */
export const reshapeBackRule: VjpRule = (ctx) => [reshapeTo(ctx.b, grad0(ctx), ctx.shape(ctx.input(0)))];

/**
 * The inverse of a permutation: `inverse[perm[i]] = i`.
 *
 * @example
 * ```ts
 * inversePermutation([0, 2, 3, 1]); // [0, 3, 1, 2]
 * ```
 */
export function inversePermutation(perm: readonly number[]): number[] {
  const inverse = new Array<number>(perm.length);
  perm.forEach((p, i) => {
    inverse[p] = i;
  });
  return inverse;
}

/**
 * Transpose: dX = transpose(dY, inverse(perm)); the default perm reverses the axes.
 *
 * @example
 * ```ts
 * const [dX] = transposeRule(ctx); // perm [0, 2, 3, 1] → dY transposed by [0, 3, 1, 2]
 * ```
 */
export const transposeRule: VjpRule = (ctx) => {
  const rank = ctx.shape(ctx.input(0)).length;
  const perm = attrInts(
    ctx.node,
    'perm',
    Array.from({ length: rank }, (_, i) => rank - 1 - i),
  );
  return [ctx.b.op('Transpose', [grad0(ctx)], { perm: inversePermutation(perm) })];
};

/**
 * Concat: each input gets its own slab of dY along the axis (Slice for one input, Split for more).
 *
 * @example
 * ```ts
 * const grads = concatRule(ctx); // a DenseNet block: dY [N, 96, H, W] → [N, 64, …], [N, 32, …]
 * ```
 */
export const concatRule: VjpRule = (ctx) => {
  const { b } = ctx;
  const count = (ctx.node.input ?? []).length;
  const inputs = Array.from({ length: count }, (_, i) => ctx.input(i));
  const rank = ctx.shape(ctx.output(0)).length;
  const axis = normalizeAxis(attrInt(ctx.node, 'axis', 0), rank);
  const sizes = inputs.map((name) => at(ctx.shape(name), axis));
  const needed = inputs.map((_, i) => ctx.needsGrad(i));
  const dY = grad0(ctx);
  if (needed.filter(Boolean).length === 1) {
    const i = needed.indexOf(true);
    const start = sizes.slice(0, i).reduce((p, s) => p + s, 0);
    const slab = b.op('Slice', [dY, b.constInt64([start]), b.constInt64([start + at(sizes, i)]), b.constInt64([axis])]);
    return needed.map((n) => (n ? slab : undefined));
  }
  const slabs = b.ops('Split', [dY, b.constInt64(sizes)], { axis }, { outputs: count });
  return slabs.map((slab, i) => (needed[i] ? slab : undefined));
};

/**
 * Split: dX = concat of the output gradients along the axis, with zeros for outputs that receive
 * no gradient.
 *
 * @example
 * ```ts
 * const [dX] = splitRule(ctx); // outputs [N, 32, …] ×2, only the first used → [dY0, zeros]
 * ```
 */
export const splitRule: VjpRule = (ctx) => {
  const { b } = ctx;
  const rank = ctx.shape(ctx.input(0)).length;
  const axis = normalizeAxis(attrInt(ctx.node, 'axis', 0), rank);
  const outputs = (ctx.node.output ?? []).map((_, i) => ctx.gradOutput(i) ?? zerosOfShape(b, ctx.shape(ctx.output(i))));
  return [outputs.length === 1 ? outputs[0] : b.op('Concat', outputs, { axis })];
};

/** Shape rules of this file, by op type. */
export const shapeRules: Record<string, VjpRule> = {
  Concat: concatRule,
  Flatten: reshapeBackRule,
  Pad: padRule,
  Reshape: reshapeBackRule,
  Slice: sliceRule,
  Split: splitRule,
  Squeeze: reshapeBackRule,
  Transpose: transposeRule,
  Unsqueeze: reshapeBackRule,
};
