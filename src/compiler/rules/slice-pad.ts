/**
 * Vector-Jacobian rules for Slice and Pad, which are each other's adjoints: the gradient of a
 * slice is the output gradient padded back into place with zeros, and the gradient of a constant
 * pad is the output gradient with the padding cut off (a Pad by the negated pads).
 */
import { LucernaError } from '../../errors.js';
import { attrString } from '../../onnx/attributes.js';
import type { GraphBuilder } from '../../onnx/builder.js';
import type { VjpContext, VjpRule } from '../vjp.js';
import { at, normalizeAxis, staticInts, zerosOfShape } from './static-inputs.js';
import { grad0, reshapeTo } from './util.js';

/** Which elements one axis of a Slice keeps: `count` of them, every `step`, the lowest at `lowest`. */
export interface SlicedAxis {
  readonly axis: number;
  readonly lowest: number;
  readonly count: number;
  readonly step: number;
}

/**
 * Resolves one axis of an ONNX Slice (negative starts/ends, clamping, negative steps) to the
 * indices it keeps.
 *
 * @example
 * ```ts
 * sliceAxis(1, -1, 0, -2, 7); // keeps 6, 4, 2 → { axis: 1, lowest: 2, count: 3, step: -2 }
 * ```
 */
export function sliceAxis(axis: number, start: number, end: number, step: number, dim: number): SlicedAxis {
  if (step === 0) throw new LucernaError('UNSUPPORTED_MODEL', 'A Slice has a step of 0');
  let s = start < 0 ? start + dim : start;
  let e = end < 0 ? end + dim : end;
  if (step > 0) {
    s = Math.min(Math.max(s, 0), dim);
    e = Math.min(Math.max(e, 0), dim);
  } else {
    s = Math.min(Math.max(s, 0), dim - 1);
    e = Math.min(Math.max(e, -1), dim - 1);
  }
  const count = Math.max(0, Math.ceil((e - s) / step));
  return { axis, lowest: step > 0 ? s : s + (count - 1) * step, count, step };
}

/** The slices of every axis a Slice node touches. */
function slicedAxes(ctx: VjpContext, xShape: readonly number[]): SlicedAxis[] {
  const starts = staticInts(ctx, 1, 'slice starts') ?? [];
  const ends = staticInts(ctx, 2, 'slice ends') ?? [];
  const axes = staticInts(ctx, 3, 'slice axes') ?? starts.map((_, i) => i);
  const steps = staticInts(ctx, 4, 'slice steps') ?? starts.map(() => 1);
  return axes.map((a, i) => {
    const axis = normalizeAxis(a, xShape.length);
    return sliceAxis(axis, at(starts, i), at(ends, i), at(steps, i), at(xShape, axis));
  });
}

/** Reverses `g` along `axis` (length `len`). */
function reverseAxis(b: GraphBuilder, g: string, axis: number, len: number): string {
  return b.op('Slice', [g, b.constInt64([-1]), b.constInt64([-(len + 1)]), b.constInt64([axis]), b.constInt64([-1])]);
}

/** Puts `stride − 1` zeros after every element along `axis`: [a, b] → [a, 0, b, 0] for stride 2. */
function spreadAxis(b: GraphBuilder, g: string, shape: readonly number[], axis: number, stride: number): string {
  const len = at(shape, axis);
  const split = [...shape.slice(0, axis), len, 1, ...shape.slice(axis + 1)];
  const pads = new Array<number>(2 * split.length).fill(0);
  pads[split.length + axis + 1] = stride - 1;
  const padded = b.op('Pad', [reshapeTo(b, g, split), b.constInt64(pads)]);
  return reshapeTo(b, padded, [...shape.slice(0, axis), len * stride, ...shape.slice(axis + 1)]);
}

/**
 * Slice: dX is dY put back where the slice read it, zeros elsewhere. Negative steps reverse dY,
 * steps above 1 interleave zeros, and one Pad (with negative end pads where the last stride
 * overshoots) places the result — no index tensors, exact.
 *
 * @example
 * ```ts
 * const [dX] = sliceRule(ctx); // x[:, :, 1:7:2] → dY spread with zeros and padded to x's shape
 * ```
 */
export const sliceRule: VjpRule = (ctx) => {
  const { b } = ctx;
  const xShape = ctx.shape(ctx.input(0));
  const slices = slicedAxes(ctx, xShape);
  if (slices.some((s) => s.count === 0)) return [zerosOfShape(b, xShape)];
  let g = grad0(ctx);
  const shape = [...ctx.shape(ctx.output(0))];
  const rank = xShape.length;
  const pads = new Array<number>(2 * rank).fill(0);
  for (const { axis, lowest, count, step } of slices) {
    if (step < 0 && count > 1) g = reverseAxis(b, g, axis, count);
    const stride = Math.abs(step);
    if (stride > 1 && count > 1) {
      g = spreadAxis(b, g, shape, axis, stride);
      shape[axis] = count * stride;
    }
    pads[axis] = lowest;
    pads[axis + rank] = at(xShape, axis) - lowest - at(shape, axis);
  }
  return [pads.every((p) => p === 0) ? g : b.op('Pad', [g, b.constInt64(pads)])];
};

/** The pads of a Pad node over every axis (ONNX order: all begins, then all ends). */
function fullPads(ctx: VjpContext, rank: number): number[] {
  const pads = staticInts(ctx, 1, 'pads') ?? [];
  const axes = (staticInts(ctx, 3, 'pad axes') ?? Array.from({ length: rank }, (_, i) => i)).map((a) => normalizeAxis(a, rank));
  const full = new Array<number>(2 * rank).fill(0);
  axes.forEach((axis, i) => {
    full[axis] = at(pads, i);
    full[axis + rank] = at(pads, i + axes.length);
  });
  return full;
}

/**
 * For one axis of an edge, reflect or wrap Pad: the input index each output position copies.
 *
 * @example
 * ```ts
 * padSourceIndices('reflect', 4, 2, 1); // [2, 1, 0, 1, 2, 3, 2]
 * ```
 */
export function padSourceIndices(mode: string, inLen: number, before: number, after: number): number[] {
  const period = 2 * (inLen - 1);
  return Array.from({ length: before + inLen + after }, (_, j) => {
    const p = j - before;
    if (mode === 'edge') return Math.min(Math.max(p, 0), inLen - 1);
    if (mode === 'wrap') return ((p % inLen) + inLen) % inLen;
    if (period === 0) return 0;
    const q = ((p % period) + period) % period;
    return q < inLen ? q : period - q;
  });
}

/** The adjoint of copying along `axis` by an index map: scatter-add each position to its source. */
function scatterBackAlongAxis(b: GraphBuilder, g: string, shape: readonly number[], axis: number, sources: readonly number[], inLen: number): string {
  const indexShape = shape.map((d, i) => (i === axis ? d : 1));
  const indices = b.op('Expand', [b.constInt64(sources, indexShape), b.constInt64([...shape])]);
  const zeros = zerosOfShape(
    b,
    shape.map((d, i) => (i === axis ? inLen : d)),
  );
  return b.op('ScatterElements', [zeros, indices, g], { axis, reduction: 'add' });
}

/** Edge/reflect/wrap padding: per padded axis, scatter-add every output position to its source. */
function copyPadAdjoint(ctx: VjpContext, mode: string, pads: readonly number[]): string {
  const xShape = ctx.shape(ctx.input(0));
  const rank = xShape.length;
  if (pads.some((p) => p < 0)) {
    throw new LucernaError('UNSUPPORTED_MODEL', `Node "${ctx.node.name}" (Pad, mode ${mode}) has negative pads; only constant-mode pads may crop`);
  }
  let g = grad0(ctx);
  const shape = [...ctx.shape(ctx.output(0))];
  for (let axis = 0; axis < rank; axis++) {
    const before = at(pads, axis);
    const after = at(pads, axis + rank);
    if (before === 0 && after === 0) continue;
    g = scatterBackAlongAxis(ctx.b, g, shape, axis, padSourceIndices(mode, at(xShape, axis), before, after), at(xShape, axis));
    shape[axis] = at(xShape, axis);
  }
  return g;
}

/**
 * Pad: in constant mode dX = Pad(dY, −pads) (crops the padding, and zero-fills what negative pads
 * cropped); the constant value's gradient is the sum of dY over the padding. Edge, reflect and
 * wrap modes scatter-add each padded position back to the element it copied.
 *
 * @example
 * ```ts
 * const [dX] = padRule(ctx); // pads [0, 0, 1, 1, 0, 0, 1, 1] → dY [N, C, H+2, W+2] cropped to [N, C, H, W]
 * ```
 */
export const padRule: VjpRule = (ctx) => {
  const { b } = ctx;
  const rank = ctx.shape(ctx.input(0)).length;
  const pads = fullPads(ctx, rank);
  const mode = attrString(ctx.node, 'mode', 'constant');
  if (mode !== 'constant') return [copyPadAdjoint(ctx, mode, pads)];
  const dY = grad0(ctx);
  const dX = pads.every((p) => p === 0) ? dY : b.op('Pad', [dY, b.constInt64(pads.map((p) => -p))]);
  const value = ctx.input(2);
  if (!value || !ctx.needsGrad(2)) return [dX, undefined, undefined, undefined];
  const total = b.op('ReduceSum', [dY], { keepdims: 0 });
  const inner = b.op('ReduceSum', [dX], { keepdims: 0 });
  return [dX, undefined, reshapeTo(b, b.op('Sub', [total, inner]), ctx.shape(value)), undefined];
};
