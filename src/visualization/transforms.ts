/**
 * Transformation robustness (Olah et al. 2017, "Feature Visualization",
 * https://distill.pub/2017/feature-visualization/): random jitter, scale and rotation, plus
 * padding, applied to the image at every step so the optimum is a pattern the model sees from many
 * viewpoints, not a fragile high-frequency one.
 *
 * Each transform emits ONNX nodes into the prefix graph; its random values (shifts, a scale, an
 * angle) are graph inputs, drawn from a seeded generator at every step, so the whole step is one
 * engine call. Every resampling is bilinear and exact in the gradient:
 * - shifts are depthwise 1-D convolutions whose kernel is a tent at the shift (Conv),
 * - scaling (with an optional shift and resize) multiplies by two interpolation matrices (MatMul),
 * - rotation is three shears (Paeth 1986, "A fast algorithm for general raster rotation"), each a
 *   per-row (or per-column) shift: a grouped Conv with one tent kernel per row.
 * The kernels are built in the graph from the random inputs (Abs, Relu, Sin, Tan, Neg), off the
 * differentiated path. Pixels shifted in from outside are 0.
 */
import { LucernaError } from '../errors.js';
import type { GraphBuilder } from '../onnx/builder.js';

/** An image in the prefix graph: its tensor name and static [N, C, H, W]. */
export interface ImageNode {
  readonly name: string;
  readonly shape: readonly [number, number, number, number];
}

/** A random graph input: its values are drawn again at every step. */
export interface RandomInput {
  readonly name: string;
  readonly shape: readonly number[];
  draw(uniform: () => number): Float32Array;
}

/** What a transform can use: a node builder and random graph inputs. */
export interface TransformContext {
  readonly b: GraphBuilder;
  /** Declares a random graph input (drawn per step by `draw`) and returns its name. */
  random(hint: string, shape: readonly number[], draw: (uniform: () => number) => number[]): string;
}

/** One transform of the image. */
export interface Transform {
  readonly description: string;
  emit(ctx: TransformContext, image: ImageNode): ImageNode;
}

function checkNumber(v: number, what: string, min: number): number {
  if (!Number.isFinite(v) || v < min) throw new LucernaError('BAD_OPTION', `The ${what} must be a number ≥ ${min}, got ${v}`);
  return v;
}

/** Integers lo…hi (inclusive) as a float tensor. */
function range(b: GraphBuilder, lo: number, hi: number, dims: readonly number[], hint: string): string {
  return b.constFloat(
    Array.from({ length: hi - lo + 1 }, (_, i) => lo + i),
    dims,
    hint,
  );
}

/** relu(1 − |x|): the bilinear interpolation weight of a sample at distance x. */
function tent(b: GraphBuilder, x: string): string {
  return b.op('Relu', [b.op('Sub', [b.scalar(1, 'one'), b.op('Abs', [x])])]);
}

/**
 * Shifts an image by `shift` (a [1] tensor, any real number of pixels, |shift| ≤ radius) along
 * `axis` (2 = rows, 3 = columns): out[i] = in[i − shift], bilinear, zero-filled. A depthwise Conv
 * whose kernel [C, 1, K, 1] or [C, 1, 1, K] is the tent at the shift.
 */
function shiftAlong(b: GraphBuilder, image: ImageNode, axis: 2 | 3, shift: string, radius: number): ImageNode {
  const [, c] = image.shape;
  const k = 2 * radius + 1;
  // out[i] = Σ_k w[k] · in[i + k − r]; in[i − t] needs w[k] = tent(k − r + t)
  const taps = tent(b, b.op('Add', [range(b, -radius, radius, [k], 'taps'), shift]));
  const kernelShape = axis === 2 ? [1, 1, k, 1] : [1, 1, 1, k];
  const kernel = b.op('Mul', [b.op('Reshape', [taps, b.constInt64(kernelShape)]), b.constFloat(new Float32Array(c).fill(1), [c, 1, 1, 1], 'ones')]);
  const pads = axis === 2 ? [radius, 0, radius, 0] : [0, radius, 0, radius];
  return { name: b.op('Conv', [image.name, kernel], { group: c, pads }), shape: image.shape };
}

/**
 * Random translation by whole pixels in [−d, d] along each axis (Lucid's `jitter`), the same for
 * every image of the batch.
 *
 * @example
 * ```ts
 * const t = jitter(8);
 * ```
 */
export function jitter(d: number): Transform {
  const radius = Math.round(checkNumber(d, 'jitter', 0));
  return {
    description: `jitter(${radius})`,
    emit(ctx, image) {
      if (radius === 0) return image;
      const dy = ctx.random('jitter_y', [1], jitterDraw(radius));
      const dx = ctx.random('jitter_x', [1], jitterDraw(radius));
      return shiftAlong(ctx.b, shiftAlong(ctx.b, image, 2, dy, radius), 3, dx, radius);
    },
  };
}

/**
 * Pads every side by `width` pixels of a constant (default 0.5, grey), so the shifted, scaled and
 * rotated image keeps content at its borders.
 *
 * @example
 * ```ts
 * const t = pad(12);
 * ```
 */
export function pad(width: number, value = 0.5): Transform {
  const p = Math.round(checkNumber(width, 'pad width', 0));
  return {
    description: `pad(${p})`,
    emit(ctx, image) {
      if (p === 0) return image;
      const { b } = ctx;
      const [n, c, h, w] = image.shape;
      const name = b.op('Pad', [image.name, b.constInt64([0, 0, p, p, 0, 0, p, p]), b.scalar(value, 'pad_value')], { mode: 'constant' });
      return { name, shape: [n, c, h + 2 * p, w + 2 * p] };
    },
  };
}

/** The random whole-pixel shift of `jitter(d)`: uniform in [−d, d]. */
function jitterDraw(d: number): (u: () => number) => number[] {
  return (u) => [Math.floor(u() * (2 * d + 1)) - d];
}

/**
 * Interpolation matrix [outLen, inLen] (or its transpose) of sampling the input at
 * cIn + (i − cOut) · ratio · inv − shift for output i, where c are the centres, ratio = inLen/outLen,
 * `inv` the inverse zoom ([1]) and `shift` an optional whole-pixel shift ([1]) made before the zoom.
 */
function scaleMatrix(b: GraphBuilder, inLen: number, outLen: number, inv: string, shift: string | undefined, transposed: boolean): string {
  const out = b.constFloat(
    Array.from({ length: outLen }, (_, i) => (i - (outLen - 1) / 2) * (inLen / outLen)),
    transposed ? [1, outLen] : [outLen, 1],
    'out_offset',
  );
  const centre = b.scalar((inLen - 1) / 2, 'centre');
  const origin = shift ? b.op('Sub', [centre, shift]) : centre;
  const source = b.op('Add', [b.op('Mul', [out, inv]), origin]);
  const inIndex = range(b, 0, inLen - 1, transposed ? [inLen, 1] : [1, inLen], 'in_index');
  return tent(b, b.op('Sub', [source, inIndex]));
}

/** Options of {@link scale}. */
export interface ScaleOptions {
  /** A random whole-pixel shift in [−jitter, jitter] per axis made before the zoom, in the same MatMuls (default 0). */
  readonly jitter?: number;
  /** Output [height, width] (default: the input size); resizing here saves a separate Resize. */
  readonly size?: readonly [number, number];
}

/**
 * Random zoom about the centre by a factor uniform in [min, max], bilinear, as two MatMuls with
 * interpolation matrices built in the graph (zero-filled when shrinking). `jitter` folds Lucid's
 * preceding jitter into the same MatMuls; `size` resizes at the same time.
 *
 * @example
 * ```ts
 * const t = scale(0.9, 1.1, { jitter: 8, size: [224, 224] });
 * ```
 */
export function scale(min: number, max: number, options: ScaleOptions = {}): Transform {
  checkNumber(min, 'smallest scale', 1e-3);
  if (!(max >= min)) throw new LucernaError('BAD_OPTION', `The scale range [${min}, ${max}] is empty`);
  const d = Math.round(checkNumber(options.jitter ?? 0, 'jitter', 0));
  const size = options.size;
  return {
    description: `scale(${min}, ${max}${d ? `, jitter ${d}` : ''}${size ? `, to ${size[0]}×${size[1]}` : ''})`,
    emit(ctx, image) {
      const { b } = ctx;
      const [n, c, h, w] = image.shape;
      const [oh, ow] = size ?? [h, w];
      const inv = ctx.random('inverse_scale', [1], (u) => [1 / (min + u() * (max - min))]);
      const dy = d ? ctx.random('jitter_y', [1], jitterDraw(d)) : undefined;
      const dx = d ? ctx.random('jitter_x', [1], jitterDraw(d)) : undefined;
      const rows = b.op('MatMul', [scaleMatrix(b, h, oh, inv, dy, false), image.name]);
      return { name: b.op('MatMul', [rows, scaleMatrix(b, w, ow, inv, dx, true)]), shape: [n, c, oh, ow] };
    },
  };
}

/**
 * Shears by a per-row shift t(y) = −amount · (y − centre) + offset along columns (`axis` 3) or
 * the per-column equivalent along rows (`axis` 2): a grouped Conv with one tent kernel per row.
 */
function shear(b: GraphBuilder, image: ImageNode, axis: 2 | 3, amount: string, offset: string | undefined, radius: number): ImageNode {
  const [, , h, w] = image.shape;
  const lines = axis === 3 ? h : w;
  const k = 2 * radius + 1;
  const centred = b.constFloat(
    Array.from({ length: lines }, (_, i) => (lines - 1) / 2 - i),
    [lines, 1],
    'line_offset',
  );
  const sheared = b.op('Mul', [centred, amount]);
  const shifts = offset ? b.op('Add', [sheared, offset]) : sheared;
  const taps = tent(b, b.op('Add', [range(b, -radius, radius, [1, k], 'taps'), shifts]));
  const kernel = b.op('Reshape', [taps, b.constInt64([lines, 1, 1, k])]);
  // rows (or columns) become channels, so each gets its own kernel
  const perm = axis === 3 ? [0, 2, 1, 3] : [0, 3, 1, 2];
  const back = axis === 3 ? [0, 2, 1, 3] : [0, 2, 3, 1];
  const lined = b.op('Transpose', [image.name], { perm });
  const shifted = b.op('Conv', [lined, kernel], { group: lines, pads: [0, radius, 0, radius] });
  return { name: b.op('Transpose', [shifted], { perm: back }), shape: image.shape };
}

/** Options of {@link rotate}. */
export interface RotateOptions {
  /** A random whole-pixel shift in [−jitter, jitter] per axis made after the rotation, inside the shears (default 0). */
  readonly jitter?: number;
}

/**
 * Random rotation about the centre by an angle θ uniform in [−maxDegrees, maxDegrees], as three
 * shears: x by −tan(θ/2), y by sin θ, x by −tan(θ/2). `jitter` folds Lucid's following jitter into
 * the shears (a shift (tx, ty) after them is an offset ty on the y shear and a·ty + tx on the last
 * x shear). The kernels cover the largest shift, so the cost grows with the angle and the size.
 *
 * @example
 * ```ts
 * const t = rotate(10, { jitter: 4 });
 * ```
 */
export function rotate(maxDegrees: number, options: RotateOptions = {}): Transform {
  checkNumber(maxDegrees, 'rotation angle', 0);
  if (maxDegrees >= 45) throw new LucernaError('BAD_OPTION', `Rotations up to ${maxDegrees}° are not supported`, 'Use an angle below 45°');
  const d = Math.round(checkNumber(options.jitter ?? 0, 'jitter', 0));
  const maxRadians = (maxDegrees * Math.PI) / 180;
  return {
    description: `rotate(${maxDegrees}${d ? `, jitter ${d}` : ''})`,
    emit(ctx, image) {
      if (maxDegrees === 0 && d === 0) return image;
      const { b } = ctx;
      const [, , h, w] = image.shape;
      const angle = ctx.random('angle', [1], (u) => [(2 * u() - 1) * maxRadians]);
      const a = b.op('Neg', [b.op('Tan', [b.op('Mul', [angle, b.scalar(0.5, 'half')])])]);
      const yShear = b.op('Sin', [angle]);
      const ty = d ? ctx.random('jitter_y', [1], jitterDraw(d)) : undefined;
      const tx = d ? ctx.random('jitter_x', [1], jitterDraw(d)) : undefined;
      const lastOffset = ty && tx ? b.op('Add', [b.op('Mul', [a, ty]), tx]) : undefined;
      const tanHalf = Math.tan(maxRadians / 2);
      const r1 = Math.ceil((tanHalf * (h - 1)) / 2) + 1;
      const r2 = Math.ceil((Math.sin(maxRadians) * (w - 1)) / 2 + d) + 1;
      const r3 = Math.ceil(tanHalf * ((h - 1) / 2 + d) + d) + 1;
      const first = shear(b, image, 3, a, undefined, r1);
      const second = shear(b, first, 2, yShear, ty, r2);
      return shear(b, second, 3, a, lastOffset, r3);
    },
  };
}

/**
 * Resizes the image to `[height, width]` (bilinear Resize), e.g. to the model's input size after
 * padding.
 *
 * @example
 * ```ts
 * const t = resizeTo(224, 224);
 * ```
 */
export function resizeTo(height: number, width: number): Transform {
  return {
    description: `resize(${height}×${width})`,
    emit(ctx, image) {
      const [n, c, h, w] = image.shape;
      if (h === height && w === width) return image;
      const { b } = ctx;
      const name = b.op('Resize', [image.name, '', '', b.constInt64([n, c, height, width])], { mode: 'linear', coordinate_transformation_mode: 'half_pixel' });
      return { name, shape: [n, c, height, width] };
    },
  };
}

/**
 * Lucid's standard robustness transforms, with pixel sizes scaled from its 128-pixel setting to
 * `size`: pad(12), jitter(8), scale 0.9–1.1, rotate ±10°, jitter(4). The jitters are folded into
 * the scale and the rotation, and the scale also resizes the padded image back to `size`, so the
 * whole list is one Pad, two MatMuls and three grouped Convs.
 *
 * @example
 * ```ts
 * const transforms = standardTransforms([224, 224]); // pad(21), scale with jitter(14) to 224×224, rotate(10) with jitter(7)
 * ```
 */
export function standardTransforms(size: number | readonly [number, number]): Transform[] {
  const [h, w] = typeof size === 'number' ? [size, size] : size;
  const k = Math.min(h, w) / 128;
  return [pad(Math.round(12 * k)), scale(0.9, 1.1, { jitter: Math.round(8 * k), size: [h, w] }), rotate(10, { jitter: Math.round(4 * k) })];
}

/**
 * Applies transforms in order and collects their random inputs.
 *
 * @example
 * ```ts
 * const { image, randoms } = applyTransforms(b, { name: 'img', shape: [1, 3, 224, 224] }, standardTransforms(224));
 * ```
 */
export function applyTransforms(b: GraphBuilder, image: ImageNode, transforms: readonly Transform[]): { image: ImageNode; randoms: RandomInput[] } {
  const randoms: RandomInput[] = [];
  const ctx: TransformContext = {
    b,
    random(hint, shape, draw) {
      const name = b.unique(`random/${hint}`);
      randoms.push({ name, shape: [...shape], draw: (u) => Float32Array.from(draw(u)) });
      return name;
    },
  };
  let current = image;
  for (const t of transforms) current = t.emit(ctx, current);
  return { image: current, randoms };
}
