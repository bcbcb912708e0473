/**
 * DeepLift rescale rule for max pooling (Shrikumar et al. 2017, https://arxiv.org/abs/1704.02685).
 *
 * Per window, with p the input's arg-max and q the reference's, the output difference
 * Δy = y(x) − y(r) is split between the two units so that each part is at most the unit's own Δx:
 * - the max rose (Δy > 0): all of Δy goes to p (Δx_p = y(x) − r_p ≥ Δy), as in Captum;
 * - the max fell: p keeps its own fall min(Δx_p, 0) and the rest goes to q (Δx_q = x_q − y(r) ≤ Δy).
 * Each unit's multiplier is the routed sum divided by its Δx, in [0, 1], and Σ m·Δx = Σ dY·Δy exactly.
 * Captum routes a fall entirely to q; that differs only when p fell too, and it matters when the
 * reference window is constant (zero baseline after Conv→ReLU): every unit then ties for q, and
 * Captum's choice of the first one is arbitrary, while this rule keeps the fall on p, as the plain
 * gradient and the straight-line path do. Where |Δx| < 1e-10 the plain max-pool gradient is used.
 *
 * The reference half of the batch gets the plain max-pool gradient of its own rows.
 */

import type { AttrValue } from '../../onnx/attributes.js';
import { attrInt, attrInts, attrString, hasAttr } from '../../onnx/attributes.js';
import type { NodeProto } from '../../onnx/proto.js';
import { product, zerosOfShape } from '../rules/static-inputs.js';
import { grad0, reshapeTo } from '../rules/util.js';
import type { VjpContext, VjpRule } from '../vjp.js';
import { choose, halves, pairRows, rowsOf, safeDivide } from './deeplift-util.js';

/** The window attributes of a MaxPool node (storage order left at row-major, so indices are flat C-order). */
function windowAttrs(node: NodeProto): Record<string, AttrValue> {
  const attrs: Record<string, AttrValue> = { kernel_shape: attrInts(node, 'kernel_shape', []) };
  for (const name of ['strides', 'pads', 'dilations']) if (hasAttr(node, name)) attrs[name] = attrInts(node, name, []);
  attrs.ceil_mode = attrInt(node, 'ceil_mode', 0);
  attrs.auto_pad = attrString(node, 'auto_pad', 'NOTSET');
  return attrs;
}

/** Adds `values` (any shape with as many entries as `indices`) at the flat `indices` of a zero tensor of `shape`. */
function scatterAdd(ctx: VjpContext, indices: string, values: string, shape: readonly number[]): string {
  const { b } = ctx;
  const total = product(shape);
  const flat = b.op('ScatterElements', [zerosOfShape(b, [total]), reshapeTo(b, indices, [-1]), reshapeTo(b, values, [-1])], { axis: 0, reduction: 'add' });
  return reshapeTo(b, flat, shape);
}

/**
 * How much of each window's Δy goes to the input's arg-max p (the rest goes to the reference's arg-max q):
 * all of it when the window's max rose, else p's own fall min(Δx_p, 0).
 */
function inputArgMaxShare(ctx: VjpContext, indices: string, rows: number, ya: string, dOut: string): string {
  const { b } = ctx;
  const x = ctx.input(0);
  const indicesX = rowsOf(b, indices, 0, rows);
  const offset = b.constInt64([rows * product(ctx.shape(x).slice(1))], []);
  const referenceAtP = b.op('Gather', [reshapeTo(b, x, [-1]), b.op('Add', [indicesX, offset])], { axis: 0 });
  const fallAtP = b.op('Min', [b.op('Sub', [ya, referenceAtP]), b.scalar(0)]);
  const rose = b.op('Cast', [b.op('Greater', [dOut, b.scalar(0)])], { to: 1 });
  return choose(b, rose, dOut, fallAtP);
}

/** The rescale backward of a max pool whose flat arg-max indices (over the whole 2B batch) are `indices`. */
function maxPoolRescale(ctx: VjpContext, indices: string): string {
  const { b } = ctx;
  const x = ctx.input(0);
  const xShape = ctx.shape(x);
  const rows = pairRows(ctx, x);
  const dY = grad0(ctx);
  const [ya, yr] = halves(ctx, ctx.output(0));
  const dOut = b.op('Sub', [ya, yr]);
  const toP = inputArgMaxShare(ctx, indices, rows, ya, dOut);
  const dYa = rowsOf(b, dY, 0, rows);
  const parts = b.op('Concat', [b.op('Mul', [dYa, toP]), b.op('Mul', [dYa, b.op('Sub', [dOut, toP])])], { axis: 0 });
  const [routedX, routedR] = halves(ctx, scatterAdd(ctx, indices, parts, xShape), rows);
  const [plainX, plainR] = halves(ctx, scatterAdd(ctx, indices, dY, xShape), rows);
  const [xa, xr] = halves(ctx, x);
  const { quotient, tiny } = safeDivide(b, b.op('Add', [routedX, routedR]), b.op('Sub', [xa, xr]));
  return b.op('Concat', [choose(b, tiny, plainX, quotient), plainR], { axis: 0 });
}

/**
 * MaxPool under DeepLift: the cross-max rescale rule (see the file comment).
 *
 * @example
 * ```ts
 * const [dX] = deepliftMaxPoolRule(ctx);
 * ```
 */
export const deepliftMaxPoolRule: VjpRule = (ctx) => {
  const { b, node } = ctx;
  const forwardIndices = attrInt(node, 'storage_order', 0) === 0 ? ctx.output(1) : '';
  const indices = forwardIndices || (b.ops('MaxPool', [ctx.input(0)], windowAttrs(node), { outputs: 2 })[1] as string);
  return [maxPoolRescale(ctx, indices)];
};

/**
 * GlobalMaxPool under DeepLift: the max-pool rule with one window per channel (a twin MaxPool over
 * the whole plane provides the arg-max indices).
 *
 * @example
 * ```ts
 * const [dX] = deepliftGlobalMaxPoolRule(ctx);
 * ```
 */
export const deepliftGlobalMaxPoolRule: VjpRule = (ctx) => {
  const spatial = ctx.shape(ctx.input(0)).slice(2);
  const [, indices] = ctx.b.ops('MaxPool', [ctx.input(0)], { kernel_shape: [...spatial] }, { outputs: 2 });
  return [maxPoolRescale(ctx, indices as string)];
};
