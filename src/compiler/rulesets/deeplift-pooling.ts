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
 * When the backward runs over all 2B rows, the reference half gets the plain max-pool gradient of
 * its own rows; under a `first-half` plan only the input rows are computed.
 */

import type { AttrValue } from '../../onnx/attributes.js';
import { attrInt, attrInts, attrString, hasAttr } from '../../onnx/attributes.js';
import type { NodeProto } from '../../onnx/proto.js';
import { product, zerosOfShape } from '../rules/static-inputs.js';
import { grad0, reshapeTo } from '../rules/util.js';
import type { VjpContext, VjpRule } from '../vjp.js';
import { choose, pairOf, pairRows, rowsOf, safeDivide } from './deeplift-util.js';

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

/** The window arg-max indices of the input rows and of the reference rows, each flat within a tensor of B rows. */
interface ArgMaxPair {
  readonly ix: string;
  readonly ir: string;
}

/**
 * The arg-max indices of both halves: from the forward node's `Indices` output when it has one,
 * else from a twin MaxPool with `attrs`. Indices of a 2B-row tensor are flat over all of it, so the
 * reference half's are shifted down by the B input rows.
 */
function argMaxPair(ctx: VjpContext, attrs: Record<string, AttrValue>, forwardIndices: string): ArgMaxPair {
  const { b } = ctx;
  const x = ctx.input(0);
  const twin = (t: string) => b.ops('MaxPool', [t], attrs, { outputs: 2 })[1] as string;
  if (ctx.reference) {
    const xr = ctx.reference(x) as string;
    if (!forwardIndices) return { ix: twin(x), ir: twin(xr) };
    const shift = b.constInt64([(ctx.shape(x)[0] as number) * product(ctx.shape(x).slice(1))], []);
    return { ix: forwardIndices, ir: b.op('Sub', [ctx.reference(forwardIndices) as string, shift]) };
  }
  const indices = forwardIndices || twin(x);
  const rows = pairRows(ctx, x);
  const shift = b.constInt64([rows * product(ctx.shape(x).slice(1))], []);
  return { ix: rowsOf(b, indices, 0, rows), ir: b.op('Sub', [rowsOf(b, indices, rows, 2 * rows), shift]) };
}

/**
 * How much of each window's Δy goes to the input's arg-max p (the rest goes to the reference's arg-max q):
 * all of it when the window's max rose, else p's own fall min(Δx_p, 0).
 */
function inputArgMaxShare(ctx: VjpContext, ix: string, xr: string, ya: string, dOut: string): string {
  const { b } = ctx;
  const referenceAtP = b.op('Gather', [reshapeTo(b, xr, [-1]), ix], { axis: 0 });
  const fallAtP = b.op('Min', [b.op('Sub', [ya, referenceAtP]), b.scalar(0)]);
  const rose = b.op('Cast', [b.op('Greater', [dOut, b.scalar(0)])], { to: 1 });
  return choose(b, rose, dOut, fallAtP);
}

/** The shape of B rows of a forward tensor (its own shape under a `first-half` plan, else half its rows). */
function halfShape(ctx: VjpContext, tensor: string): number[] {
  const shape = ctx.shape(tensor);
  return ctx.reference ? [...shape] : [pairRows(ctx, tensor), ...shape.slice(1)];
}

/** The rescale backward of a max pool: the input rows' gradient, and the reference rows' plain one over all 2B rows. */
function maxPoolRescale(ctx: VjpContext, { ix, ir }: ArgMaxPair): string {
  const { b } = ctx;
  const x = ctx.input(0);
  const xHalf = halfShape(ctx, x);
  const [xa, xr] = pairOf(ctx, x);
  const [ya, yr] = pairOf(ctx, ctx.output(0));
  const dY = grad0(ctx);
  const dYa = ctx.reference ? dY : rowsOf(b, dY, 0, xHalf[0] as number);
  const dOut = b.op('Sub', [ya, yr]);
  const toP = inputArgMaxShare(ctx, ix, xr, ya, dOut);
  const flat = (t: string) => reshapeTo(b, t, [-1]);
  const routed = scatterAdd(
    ctx,
    b.op('Concat', [flat(ix), flat(ir)], { axis: 0 }),
    b.op('Concat', [flat(b.op('Mul', [dYa, toP])), flat(b.op('Mul', [dYa, b.op('Sub', [dOut, toP])]))], { axis: 0 }),
    xHalf,
  );
  const plainX = scatterAdd(ctx, ix, dYa, xHalf);
  const { quotient, tiny } = safeDivide(b, routed, b.op('Sub', [xa, xr]));
  const inputRows = choose(b, tiny, plainX, quotient);
  if (ctx.reference) return inputRows;
  const plainR = scatterAdd(ctx, ir, rowsOf(b, dY, xHalf[0] as number, 2 * (xHalf[0] as number)), xHalf);
  return b.op('Concat', [inputRows, plainR], { axis: 0 });
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
  const forwardIndices = attrInt(ctx.node, 'storage_order', 0) === 0 ? ctx.output(1) : '';
  return [maxPoolRescale(ctx, argMaxPair(ctx, windowAttrs(ctx.node), forwardIndices))];
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
  return [maxPoolRescale(ctx, argMaxPair(ctx, { kernel_shape: [...spatial] }, ''))];
};
