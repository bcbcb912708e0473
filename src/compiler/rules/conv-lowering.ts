/**
 * Building blocks of the fast convolution backward graphs: the transposed and flipped weight,
 * spreading a gradient with zeros between samples, and cropping or zero-padding spatial borders.
 *
 * Weight rewrites are emitted as ops on the initializer (Reshape, Transpose, Slice with step −1),
 * so ONNX Runtime folds them once when the session loads and the JS graph stays small.
 * The shared notes on backward graphs (backward-graphs.md) give the timings behind these choices.
 */
import type { GraphBuilder } from '../../onnx/builder.js';
import { reshapeTo } from './util.js';

/** A tensor name with its static shape. */
export interface Shaped {
  readonly name: string;
  readonly shape: readonly number[];
}

/**
 * The weight of the convolution that runs a Conv backwards: input and output channels swapped
 * within each group and, when `flip`, every spatial axis reversed.
 * A Conv weight [M, C/g, k…] becomes [C, M/g, k…].
 *
 * @example
 * ```ts
 * const wBack = adjointWeight(b, 'conv1.weight', [64, 3, 7, 7], 1, true); // [3, 64, 7, 7]
 * ```
 */
export function adjointWeight(b: GraphBuilder, w: string, wShape: readonly number[], group: number, flip: boolean): string {
  const [outChannels = 1, inPerGroup = 1, ...kernel] = wShape;
  const outPerGroup = outChannels / group;
  const target = [inPerGroup * group, outPerGroup, ...kernel];
  let t = w;
  if (outPerGroup === 1 || inPerGroup === 1) {
    if (target.join() !== wShape.join()) t = reshapeTo(b, w, target);
  } else if (group === 1) {
    t = b.op('Transpose', [w], { perm: [1, 0, ...kernel.map((_, i) => i + 2)] });
  } else {
    const split = reshapeTo(b, w, [group, outPerGroup, inPerGroup, ...kernel]);
    const swapped = b.op('Transpose', [split], { perm: [0, 2, 1, ...kernel.map((_, i) => i + 3)] });
    t = reshapeTo(b, swapped, target);
  }
  if (!flip) return t;
  const taps = kernel.reduce((p, k) => p * k, 1);
  if (taps === 1) return t;
  // Flipping every spatial axis reverses the flattened tap index: a product with the constant
  // reversal matrix (exact: one 1 per column), which ORT runs in parallel; a Slice with step −1
  // ran single-threaded, element by element (3× slower for a 512×512×3×3 weight in training,
  // where the weight is an input and nothing is folded).
  const reversal = new Float32Array(taps * taps);
  for (let i = 0; i < taps; i++) reversal[i * taps + (taps - 1 - i)] = 1;
  const rows = reshapeTo(b, t, [(target[0] as number) * (target[1] as number), taps]);
  const flipped = b.op('MatMul', [rows, b.constFloat(reversal, [taps, taps], 'flip')]);
  return reshapeTo(b, flipped, target);
}

/** The 0/1 grid that keeps every s-th sample of each spatial axis, shaped [1, 1, …spatial]. */
function strideGrid(spatial: readonly number[], strides: readonly number[]): Float32Array {
  const total = spatial.reduce((p, d) => p * d, 1);
  const grid = new Float32Array(total);
  for (let flat = 0; flat < total; flat++) {
    let rest = flat;
    let keep = 1;
    for (let a = spatial.length - 1; a >= 0; a--) {
      const size = spatial[a] as number;
      if ((rest % size) % (strides[a] as number) !== 0) keep = 0;
      rest = Math.floor(rest / size);
    }
    grid[flat] = keep;
  }
  return grid;
}

/**
 * Spreads a gradient with zeros: z[o·s] = x[o] and 0 elsewhere, m·s samples per axis.
 * Emitted as Resize (nearest, asymmetric, floor) and Mul by a constant 0/1 grid, which ORT runs
 * faster than DepthToSpace, a 6-D Pad or ConvTranspose.
 *
 * @example
 * ```ts
 * const z = spreadWithZeros(b, { name: dY, shape: [1, 32, 56, 56] }, [2, 2]); // [1, 32, 112, 112]
 * ```
 */
export function spreadWithZeros(b: GraphBuilder, x: Shaped, strides: readonly number[]): Shaped {
  if (strides.every((s) => s === 1)) return x;
  const [batch = 1, channels = 1, ...spatial] = x.shape;
  const upSpatial = spatial.map((d, i) => d * (strides[i] as number));
  const scales = b.constFloat([1, 1, ...strides], [strides.length + 2], 'spread_scales');
  const up = b.op('Resize', [x.name, '', scales], { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' });
  const grid = b.constFloat(strideGrid(upSpatial, strides), [1, 1, ...upSpatial], 'spread_grid');
  return { name: b.op('Mul', [up, grid]), shape: [batch, channels, ...upSpatial] };
}

/**
 * Crops (negative entries) or zero-pads (positive entries) the spatial borders of an N×C×… tensor.
 * `pads` is in ONNX order: all begins, then all ends.
 *
 * @example
 * ```ts
 * cropOrPad(b, { name: z, shape: [1, 8, 6, 6] }, [-1, -1, 0, 1]); // [1, 8, 5, 6]
 * ```
 */
export function cropOrPad(b: GraphBuilder, x: Shaped, pads: readonly number[]): Shaped {
  const r = x.shape.length - 2;
  let out = x;
  const crops = pads.map((p) => Math.min(0, p));
  if (crops.some((p) => p < 0)) {
    const axes = [...Array(r).keys()].filter((i) => (crops[i] as number) < 0 || (crops[i + r] as number) < 0);
    const starts = axes.map((i) => -(crops[i] as number));
    const ends = axes.map((i) => (x.shape[i + 2] as number) + (crops[i + r] as number));
    const name = b.op('Slice', [x.name, b.constInt64(starts), b.constInt64(ends), b.constInt64(axes.map((i) => i + 2))]);
    out = { name, shape: x.shape.map((d, a) => (a < 2 ? d : d + (crops[a - 2] as number) + (crops[a - 2 + r] as number))) };
  }
  const grows = pads.map((p) => Math.max(0, p));
  if (grows.some((p) => p > 0)) {
    const full = [0, 0, ...grows.slice(0, r), 0, 0, ...grows.slice(r)];
    const name = b.op('Pad', [out.name, b.constInt64(full)], { mode: 'constant' });
    out = { name, shape: out.shape.map((d, a) => (a < 2 ? d : d + (grows[a - 2] as number) + (grows[a - 2 + r] as number))) };
  }
  return out;
}

/** Attributes of an emitted Conv. */
export interface ConvAttrs {
  readonly strides: readonly number[];
  readonly dilations: readonly number[];
  readonly group: number;
}

/**
 * A Conv whose pads may be negative: negative pads crop the input first (ONNX Conv pads are ≥ 0).
 *
 * @example
 * ```ts
 * const dx = convWithPads(b, z, wBack, [-1, 0], { strides: [1], dilations: [1], group: 1 });
 * ```
 */
export function convWithPads(b: GraphBuilder, x: Shaped, w: string, pads: readonly number[], attrs: ConvAttrs): string {
  const cropped = cropOrPad(
    b,
    x,
    pads.map((p) => Math.min(0, p)),
  );
  return b.op('Conv', [cropped.name, w], {
    strides: [...attrs.strides],
    dilations: [...attrs.dilations],
    group: attrs.group,
    pads: pads.map((p) => Math.max(0, p)),
  });
}
