/**
 * Vector-Jacobian rules for pooling: MaxPool, AveragePool and their global forms.
 *
 * Max pools route each output gradient to the arg-max of its window (exact away from ties, which
 * have measure zero). Average pools are linear, so their gradient is their exact adjoint: the
 * gradient divided by each window's divisor, spread back over the window by a ConvTranspose of ones.
 */

import { type AttrValue, attrInt, attrInts, attrString, hasAttr } from '../../onnx/attributes.js';
import type { NodeProto } from '../../onnx/proto.js';
import type { VjpRule } from '../vjp.js';
import { averagePoolDivisors, averagePoolGeometry, spreadOverWindows } from './pool-adjoint.js';
import { product, zerosOfShape } from './static-inputs.js';
import { grad0, reshapeTo } from './util.js';

/**
 * GlobalAveragePool: dX = broadcast(dY) / (H·W).
 *
 * @example
 * ```ts
 * const [dX] = globalAveragePoolRule(ctx); // dY [N, C, 1, 1] → dX [N, C, H, W]
 * ```
 */
export const globalAveragePoolRule: VjpRule = (ctx) => {
  const { b } = ctx;
  const xShape = ctx.shape(ctx.input(0));
  const scaled = b.op('Mul', [grad0(ctx), b.scalar(1 / product(xShape.slice(2)))]);
  return [b.op('Expand', [scaled, b.constInt64([...xShape])])];
};

/**
 * GlobalMaxPool: the whole gradient of each channel goes to its (first) arg-max position.
 *
 * @example
 * ```ts
 * const [dX] = globalMaxPoolRule(ctx); // dY [N, C, 1, 1] → dX [N, C, H, W], one non-zero per channel
 * ```
 */
export const globalMaxPoolRule: VjpRule = (ctx) => {
  const { b } = ctx;
  const xShape = ctx.shape(ctx.input(0));
  const planes = [xShape[0] as number, xShape[1] as number];
  const flatX = reshapeTo(b, ctx.input(0), [...planes, product(xShape.slice(2))]);
  const argMax = b.op('ArgMax', [flatX], { axis: 2, keepdims: 1 });
  const dY = reshapeTo(b, grad0(ctx), [...planes, 1]);
  const zeros = zerosOfShape(b, [...planes, product(xShape.slice(2))]);
  return [reshapeTo(b, b.op('ScatterElements', [zeros, argMax, dY], { axis: 2 }), xShape)];
};

/** The window attributes of a MaxPool node, as given (auto_pad kept, so the twin matches exactly). */
function maxPoolWindowAttrs(node: NodeProto): Record<string, AttrValue> {
  const attrs: Record<string, AttrValue> = { kernel_shape: attrInts(node, 'kernel_shape', []) };
  for (const name of ['strides', 'pads', 'dilations']) if (hasAttr(node, name)) attrs[name] = attrInts(node, name, []);
  attrs.ceil_mode = attrInt(node, 'ceil_mode', 0);
  attrs.auto_pad = attrString(node, 'auto_pad', 'NOTSET');
  return attrs;
}

/**
 * MaxPool: the gradient goes to the arg-max of each window. A twin MaxPool (row-major
 * storage_order 0) emits the flat indices over the whole tensor, and ScatterElements(reduction=add)
 * sums the contributions of overlapping windows (ResNet's 3×3/2 pad 1 stem) exactly.
 *
 * @example
 * ```ts
 * const [dX] = maxPoolRule(ctx); // dY [N, C, 56, 56] → dX [N, C, 112, 112]
 * ```
 */
export const maxPoolRule: VjpRule = (ctx) => {
  const { b, node } = ctx;
  const xShape = ctx.shape(ctx.input(0));
  const forwardIndices = attrInt(node, 'storage_order', 0) === 0 ? ctx.output(1) : '';
  const indices = forwardIndices || (b.ops('MaxPool', [ctx.input(0)], maxPoolWindowAttrs(node), { outputs: 2 })[1] as string);
  const total = product(xShape);
  const flatGrad = reshapeTo(b, grad0(ctx), [-1]);
  const scattered = b.op('ScatterElements', [zerosOfShape(b, [total]), reshapeTo(b, indices, [-1]), flatGrad], { axis: 0, reduction: 'add' });
  return [reshapeTo(b, scattered, xShape)];
};

/**
 * AveragePool: dX = Σ over the windows that read x of dY / divisor(window). The divisor of each
 * output position (window taps inside the input for count_include_pad=0, inside the padded input
 * for count_include_pad=1) is computed here from the static shapes; the spreading is a
 * ConvTranspose of ones over the N·C planes, or a plain Expand for non-overlapping windows.
 *
 * @example
 * ```ts
 * const [dX] = averagePoolRule(ctx); // 3×3 stride 1 pad 1, count_include_pad 0 → exact borders
 * ```
 */
export const averagePoolRule: VjpRule = (ctx) => {
  const { b } = ctx;
  const xShape = ctx.shape(ctx.input(0));
  const yShape = ctx.shape(ctx.output(0));
  const geometry = averagePoolGeometry(ctx.node, xShape, yShape);
  const divisors = averagePoolDivisors(geometry, attrInt(ctx.node, 'count_include_pad', 0) === 1);
  const uniform = divisors.every((d) => d === divisors[0]);
  const reciprocal = uniform
    ? b.scalar(1 / (divisors[0] as number))
    : b.constFloat(
        divisors.map((d) => (d > 0 ? 1 / d : 0)),
        yShape.slice(2),
        'avgpool_reciprocal_divisors',
      );
  const scaled = b.op('Mul', [grad0(ctx), reciprocal]);
  return [spreadOverWindows(b, scaled, geometry)];
};

/** Pooling rules of this file, by op type. */
export const poolingRules: Record<string, VjpRule> = {
  AveragePool: averagePoolRule,
  GlobalAveragePool: globalAveragePoolRule,
  GlobalMaxPool: globalMaxPoolRule,
  MaxPool: maxPoolRule,
};
