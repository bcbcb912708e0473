/**
 * Small emitters shared by the element-wise, normalization and linear vector-Jacobian rules.
 * Each returns the name of the tensor it emits (or its input, when nothing needs emitting).
 */
import { LucernaError } from '../../errors.js';
import type { GraphBuilder } from '../../onnx/builder.js';
import type { VjpContext } from '../vjp.js';

/**
 * `x · k` for a constant `k`; returns `x` itself when `k` is 1.
 *
 * @example
 * ```ts
 * const dA = scaleBy(ctx.b, dY, alpha);
 * ```
 */
export function scaleBy(b: GraphBuilder, x: string, k: number): string {
  return k === 1 ? x : b.op('Mul', [x, b.scalar(k)]);
}

/**
 * `float(x > 0)`: the 0/1 mask of the positive entries (Cast of a comparison, never Sign).
 *
 * @example
 * ```ts
 * const pos = positiveMask(ctx.b, ctx.output(0));
 * ```
 */
export function positiveMask(b: GraphBuilder, x: string): string {
  return b.op('Cast', [b.op('Greater', [x, b.scalar(0)])], { to: 1 });
}

/**
 * `off + mask · (on − off)`: picks `on` where the 0/1 `mask` is 1 and `off` elsewhere, without Where.
 * `on` and `off` are tensor names or constants.
 *
 * @example
 * ```ts
 * const slope = blend(ctx.b, pos, 1, alpha); // LeakyReLU's derivative
 * ```
 */
export function blend(b: GraphBuilder, mask: string, on: string | number, off: string | number): string {
  if (typeof on === 'number' && typeof off === 'number') return b.op('Add', [b.op('Mul', [mask, b.scalar(on - off)]), b.scalar(off)]);
  const onT = typeof on === 'number' ? b.scalar(on) : on;
  const offT = typeof off === 'number' ? b.scalar(off) : off;
  return b.op('Add', [b.op('Mul', [mask, b.op('Sub', [onT, offT])]), offT]);
}

/**
 * An ONNX axis attribute made non-negative for a tensor of rank `rank`; throws a clear error when
 * it is out of range.
 *
 * @example
 * ```ts
 * normalizeAxis(ctx, -1, 4); // 3
 * ```
 */
export function normalizeAxis(ctx: VjpContext, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= Math.max(rank, 1)) {
    throw new LucernaError('UNSUPPORTED_MODEL', `Node "${ctx.node.name}" (${ctx.node.opType}) has axis ${axis}, out of range for rank ${rank}`);
  }
  return a;
}

/**
 * A reduction (`ReduceSum`, `ReduceMean`…) over `axes` that keeps the reduced dims (opset ≥ 18: axes as an input).
 *
 * @example
 * ```ts
 * const s = reduceKeep(ctx.b, 'ReduceSum', t, [1]);
 * ```
 */
export function reduceKeep(b: GraphBuilder, op: string, x: string, axes: readonly number[]): string {
  return b.op(op, [x, b.constInt64([...axes])], { keepdims: 1 });
}

/**
 * The axes `from..rank−1`, as listed for LayerNormalization and friends.
 *
 * @example
 * ```ts
 * trailingAxes(1, 4); // [1, 2, 3]
 * ```
 */
export function trailingAxes(from: number, rank: number): number[] {
  return Array.from({ length: rank - from }, (_, i) => from + i);
}

/**
 * Swaps the last two axes of a tensor of rank ≥ 2 (a batched matrix transpose).
 *
 * @example
 * ```ts
 * const bT = swapLastTwo(ctx.b, 'B', 3); // Transpose perm [0, 2, 1]
 * ```
 */
export function swapLastTwo(b: GraphBuilder, x: string, rank: number): string {
  const perm = [...trailingAxes(0, rank - 2), rank - 1, rank - 2];
  return b.op('Transpose', [x], { perm });
}

/**
 * Throws a clear error when a gradient arrives at output `i` of a node whose rule differentiates
 * output 0 only (LayerNormalization's Mean, for example).
 *
 * @example
 * ```ts
 * rejectGradAtOutputs(ctx, [1, 2], 'its Mean and InvStdDev outputs');
 * ```
 */
export function rejectGradAtOutputs(ctx: VjpContext, outputs: readonly number[], what: string): void {
  if (outputs.some((i) => ctx.gradOutput(i) !== undefined)) {
    throw new LucernaError(
      'NO_GRADIENT_RULE',
      `Cannot differentiate through ${what} of node "${ctx.node.name}" (${ctx.node.opType})`,
      'Seed a tensor that depends on its first output only',
    );
  }
}
