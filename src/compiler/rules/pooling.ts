/**
 * Vector-Jacobian rules for pooling.
 */
import type { VjpRule } from '../vjp.js';
import { grad0, reshapeTo } from './util.js';

/** GlobalAveragePool: dX = broadcast(dY) / (H·W). */
export const globalAveragePoolRule: VjpRule = (ctx) => {
  const { b } = ctx;
  const xShape = ctx.shape(ctx.input(0));
  const area = xShape.slice(2).reduce((p, d) => p * d, 1);
  const scaled = b.op('Mul', [grad0(ctx), b.scalar(1 / area)]);
  return [b.op('Expand', [scaled, b.constInt64([...xShape])])];
};

/**
 * MaxPool: the gradient goes to the arg-max of each window. A twin MaxPool emits the flat indices,
 * and ScatterElements(reduction=add) sums overlapping windows (ResNet's 3×3/2 stem) exactly.
 */
export const maxPoolRule: VjpRule = (ctx) => {
  const { b } = ctx;
  const x = ctx.input(0);
  const xShape = ctx.shape(x);
  const total = xShape.reduce((p, d) => p * d, 1);
  const attrs: Record<string, number | number[] | string> = {};
  for (const a of ctx.node.attribute ?? []) {
    if (a.name === 'storage_order') continue;
    if (a.ints?.length) attrs[a.name ?? ''] = a.ints.map(Number);
    else if (a.s?.length) attrs[a.name ?? ''] = new TextDecoder().decode(a.s);
    else attrs[a.name ?? ''] = Number(a.i ?? 0);
  }
  const [, indices] = b.ops('MaxPool', [x], attrs, { outputs: 2 });
  const flatIdx = reshapeTo(b, indices as string, [-1]);
  const flatGrad = reshapeTo(b, grad0(ctx), [-1]);
  const zeros = b.constFloat(new Float32Array(total), [total], 'maxpool_zeros');
  const scattered = b.op('ScatterElements', [zeros, flatIdx, flatGrad], { axis: 0, reduction: 'add' });
  return [reshapeTo(b, scattered, xShape)];
};

/** Pooling rules of this file, by op type. */
export const poolingRules: Record<string, VjpRule> = {
  GlobalAveragePool: globalAveragePoolRule,
  MaxPool: maxPoolRule,
};
