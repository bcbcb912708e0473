/**
 * Helpers for rules whose node reads static parameters (axes, pads, starts, scales…) from inputs.
 *
 * In a prepared graph every static tensor is an initializer (see `onnx/fold.ts`), so a rule can read
 * such parameters at compile time and emit a backward graph specialised to them.
 */
import { LucernaError } from '../../errors.js';
import type { GraphBuilder } from '../../onnx/builder.js';
import { readFloats, readInts } from '../../onnx/tensors.js';
import type { VjpContext } from '../vjp.js';

function requireInitializer(ctx: VjpContext, i: number, what: string): string {
  const name = ctx.input(i);
  if (!ctx.graph.isInitializer(name)) {
    throw new LucernaError(
      'UNSUPPORTED_MODEL',
      `Node "${ctx.node.name}" (${ctx.node.opType}) computes its ${what} at run time; its gradient needs them constant`,
      'Export the model with a fixed input shape and do_constant_folding=True',
    );
  }
  return name;
}

/**
 * The values of integer input `i` (axes, pads, starts…), or undefined when the input is absent.
 * Throws a clear error when the input is computed at run time.
 *
 * @example
 * ```ts
 * const axes = staticInts(ctx, 1, 'axes') ?? [];
 * ```
 */
export function staticInts(ctx: VjpContext, i: number, what: string): number[] | undefined {
  if (!ctx.input(i)) return undefined;
  return readInts(ctx.graph.initializer(requireInitializer(ctx, i, what)));
}

/**
 * The values of float input `i` (scales, roi…), or undefined when the input is absent.
 *
 * @example
 * ```ts
 * const scales = staticFloats(ctx, 2, 'scales');
 * ```
 */
export function staticFloats(ctx: VjpContext, i: number, what: string): number[] | undefined {
  if (!ctx.input(i)) return undefined;
  return [...readFloats(ctx.graph.initializer(requireInitializer(ctx, i, what)))];
}

/**
 * A non-negative axis for a possibly negative ONNX axis of a tensor of rank `rank`.
 *
 * @example
 * ```ts
 * normalizeAxis(-1, 4); // 3
 * ```
 */
export function normalizeAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

/**
 * A float32 tensor of zeros of a static shape, made at run time (no initializer of that size).
 *
 * @example
 * ```ts
 * const dX = zerosOfShape(ctx.b, [1, 64, 56, 56]);
 * ```
 */
export function zerosOfShape(b: GraphBuilder, shape: readonly number[]): string {
  return b.op('ConstantOfShape', [b.constInt64([...shape], [shape.length])]);
}

/** Product of the entries of `dims` (1 for none). @example `product([2, 3, 4]); // 24` */
export function product(dims: readonly number[]): number {
  let p = 1;
  for (const d of dims) p *= d;
  return p;
}

/** Entry `i` of a number array, checked (for `noUncheckedIndexedAccess`). @example `at([4, 5], 1); // 5` */
export function at(values: readonly number[], i: number): number {
  const v = values[i];
  if (v === undefined) throw new Error(`internal: index ${i} out of range for [${values.join(', ')}]`);
  return v;
}
