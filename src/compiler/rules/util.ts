/**
 * Small helpers shared by the vector-Jacobian rules.
 */
import type { GraphBuilder } from '../../onnx/builder.js';
import type { VjpContext } from '../vjp.js';

/**
 * Sums a gradient of shape `from` down to the broadcast source shape `to` (NumPy rules).
 *
 * @example
 * ```ts
 * const dBias = unbroadcast(ctx.b, dY, [8, 16, 4, 4], [16, 1, 1]);
 * ```
 */
export function unbroadcast(b: GraphBuilder, grad: string, from: readonly number[], to: readonly number[]): string {
  if (from.join() === to.join()) return grad;
  const offset = from.length - to.length;
  const axes: number[] = [];
  for (let i = 0; i < from.length; i++) {
    const src = i < offset ? 1 : (to[i - offset] as number);
    if (src === 1 && from[i] !== 1) axes.push(i);
  }
  let g = grad;
  if (axes.length > 0) g = b.op('ReduceSum', [g, b.constInt64(axes)], { keepdims: 1 });
  return b.op('Reshape', [g, b.constInt64(to.length === 0 ? [] : [...to], [to.length])]);
}

/** `grad * float(condition)`: a masked gradient (Mul with Cast is ~3× faster than Where in ORT). */
export function maskGrad(b: GraphBuilder, grad: string, condition: string): string {
  return b.op('Mul', [grad, b.op('Cast', [condition], { to: 1 })]);
}

/** Reshape to an explicit static shape (never 0 entries, see the notes on Reshape). */
export function reshapeTo(b: GraphBuilder, x: string, shape: readonly number[]): string {
  return b.op('Reshape', [x, b.constInt64([...shape], [shape.length])]);
}

/** The gradient of output 0, which every rule with one output needs. */
export function grad0(ctx: VjpContext): string {
  const g = ctx.gradOutput(0);
  if (!g) throw new Error(`internal: no gradient at the output of ${ctx.node.name}`);
  return g;
}

/** Gradient for inputs that pass through with the same shape (Identity, Dropout…). */
export function passThrough(ctx: VjpContext): (string | undefined)[] {
  return [ctx.gradOutput(0)];
}
