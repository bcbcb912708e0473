/**
 * Vector-Jacobian rule for Resize (nearest, linear, cubic), exact for every coordinate
 * transformation mode: Resize is linear and separable, so with static shapes its adjoint is a
 * product of transposed per-axis interpolation matrices (see `resize-matrix.ts`). Nearest
 * upsampling by an integer factor takes a cheaper path: a sum over k-blocks.
 */
import { LucernaError } from '../../errors.js';
import { attrFloat, attrInt, attrInts, attrString } from '../../onnx/attributes.js';
import type { VjpContext, VjpRule } from '../vjp.js';
import { contractAxis, transposeMatrix } from './axis-matrix.js';
import { blockFactor, isIdentity, type ResizeAxis, type ResizeMode, resizeAxisMatrix } from './resize-matrix.js';
import { at, normalizeAxis, staticFloats, staticInts } from './static-inputs.js';
import { grad0, reshapeTo } from './util.js';

/** The static parameters of one Resize node. */
export interface ResizeParams {
  readonly inShape: readonly number[];
  readonly outShape: readonly number[];
  /** The scales input (empty or undefined when sizes are given instead). */
  readonly scales?: readonly number[];
  readonly sizes?: readonly number[];
  readonly roi?: readonly number[];
  /** The axes attribute (opset 18); all axes when empty. */
  readonly axes?: readonly number[];
  /** keep_aspect_ratio_policy: stretch, not_larger or not_smaller. */
  readonly policy?: string;
}

function scalesOf(p: ResizeParams, axes: readonly number[]): number[] {
  const rank = p.inShape.length;
  const scales = new Array<number>(rank).fill(1);
  if (p.scales && p.scales.length > 0) {
    axes.forEach((axis, k) => {
      scales[axis] = Math.fround(at(p.scales as number[], k));
    });
    return scales;
  }
  const sizes = p.sizes ?? [];
  axes.forEach((axis, k) => {
    const inLen = at(p.inShape, axis);
    scales[axis] = inLen === 0 ? 1 : Math.fround(at(sizes, k) / inLen);
  });
  const policy = p.policy ?? 'stretch';
  if (policy === 'stretch') return scales;
  const chosen = axes.map((a) => at(scales, a));
  const common = policy === 'not_larger' ? Math.min(...chosen) : Math.max(...chosen);
  return scales.map((_, i) => (axes.includes(i) ? common : 1));
}

/**
 * Per-axis sizes, float32 scales and regions of interest of a Resize, as ONNX Runtime derives
 * them (sizes → scale = out / in, keep_aspect_ratio_policy, the opset-18 axes attribute).
 *
 * @example
 * ```ts
 * resizeAxes({ inShape: [1, 3, 8, 8], outShape: [1, 3, 16, 16], scales: [1, 1, 2, 2] })[2]; // { inLen: 8, outLen: 16, scale: 2, … }
 * ```
 */
export function resizeAxes(p: ResizeParams): ResizeAxis[] {
  const rank = p.inShape.length;
  const axes = p.axes && p.axes.length > 0 ? p.axes.map((a) => normalizeAxis(a, rank)) : Array.from({ length: rank }, (_, i) => i);
  const scales = scalesOf(p, axes);
  const roi = [...new Array<number>(rank).fill(0), ...new Array<number>(rank).fill(1)];
  if (p.roi && p.roi.length > 0) {
    axes.forEach((axis, k) => {
      roi[axis] = at(p.roi as number[], k);
      roi[axis + rank] = at(p.roi as number[], k + axes.length);
    });
  }
  return p.inShape.map((inLen, i) => ({ inLen, outLen: at(p.outShape, i), scale: at(scales, i), roiStart: at(roi, i), roiEnd: at(roi, i + rank) }));
}

/**
 * The interpolation settings of a Resize node, with ONNX defaults.
 *
 * @example
 * ```ts
 * resizeModeOf(node).coordinateTransformation; // 'half_pixel' unless set
 * ```
 */
export function resizeModeOf(ctx: Pick<VjpContext, 'node'>): ResizeMode {
  const { node } = ctx;
  return {
    mode: attrString(node, 'mode', 'nearest'),
    coordinateTransformation: attrString(node, 'coordinate_transformation_mode', 'half_pixel'),
    nearestMode: attrString(node, 'nearest_mode', 'round_prefer_floor'),
    cubicCoeffA: attrFloat(node, 'cubic_coeff_a', -0.75),
    excludeOutside: attrInt(node, 'exclude_outside', 0) === 1,
  };
}

/** Antialiasing changes the kernel only when downsampling; upsampling with it is plain interpolation. */
function rejectAntialiasedDownsampling(ctx: VjpContext, mode: ResizeMode, axes: readonly ResizeAxis[]): void {
  const downsamples = axes.some((a) => a.outLen < a.inLen);
  if (attrInt(ctx.node, 'antialias', 0) === 1 && mode.mode !== 'nearest' && downsamples) {
    throw new LucernaError(
      'NO_GRADIENT_RULE',
      `Node "${ctx.node.name}" (Resize) downsamples with antialias=1, which Lucerna cannot differentiate yet`,
      'Export the model without antialiasing (antialias=False)',
    );
  }
}

/** Sums dY over the k-blocks of every axis replicated by nearest upsampling. */
function sumBlocks(ctx: VjpContext, dY: string, shape: number[], factors: readonly (number | undefined)[]): string {
  const split = shape.flatMap((d, i) => {
    const k = factors[i];
    return k ? [d / k, k] : [d];
  });
  const blockAxes: number[] = [];
  let position = 0;
  factors.forEach((k) => {
    if (k) blockAxes.push(position + 1);
    position += k ? 2 : 1;
  });
  const summed = ctx.b.op('ReduceSum', [reshapeTo(ctx.b, dY, split), ctx.b.constInt64(blockAxes)], { keepdims: 0 });
  factors.forEach((k, i) => {
    if (k) shape[i] = at(shape, i) / k;
  });
  return summed;
}

/**
 * Resize: dX = dY mapped through the transpose of each resized axis' interpolation matrix.
 *
 * @example
 * ```ts
 * const [dX] = resizeRule(ctx); // bilinear ×2 (half_pixel): dY [N, C, 2H, 2W] → dX [N, C, H, W]
 * ```
 */
export const resizeRule: VjpRule = (ctx) => {
  const xShape = ctx.shape(ctx.input(0));
  const yShape = ctx.shape(ctx.output(0));
  const dY = grad0(ctx);
  if (xShape.join() === yShape.join()) return [dY];
  const mode = resizeModeOf(ctx);
  const axes = resizeAxes({
    inShape: xShape,
    outShape: yShape,
    roi: mode.coordinateTransformation === 'tf_crop_and_resize' ? staticFloats(ctx, 1, 'roi') : undefined,
    scales: staticFloats(ctx, 2, 'scales'),
    sizes: staticInts(ctx, 3, 'sizes'),
    axes: attrInts(ctx.node, 'axes', []),
    policy: attrString(ctx.node, 'keep_aspect_ratio_policy', 'stretch'),
  });
  rejectAntialiasedDownsampling(ctx, mode, axes);
  const matrices = axes.map((a) => resizeAxisMatrix(a, mode));
  const active = axes.map((a, i) => !isIdentity(matrices[i] as Float64Array, a.inLen, a.outLen));
  const factors = axes.map((a, i) => (active[i] && mode.mode === 'nearest' ? blockFactor(matrices[i] as Float64Array, a.inLen, a.outLen) : undefined));
  const shape = [...yShape];
  let g = factors.some((k) => k !== undefined) ? sumBlocks(ctx, dY, shape, factors) : dY;
  axes.forEach((a, i) => {
    if (!active[i] || factors[i] !== undefined) return;
    g = contractAxis(ctx.b, g, shape, i, transposeMatrix(matrices[i] as Float64Array, a.outLen, a.inLen), a.inLen);
    shape[i] = a.inLen;
  });
  return [g, undefined, undefined, undefined];
};

/** Resize rules of this file, by op type. */
export const resizeRules: Record<string, VjpRule> = {
  Resize: resizeRule,
};
