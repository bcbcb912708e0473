/**
 * Parameter gradients of Conv (dense, grouped and depthwise): the weight gradient as one
 * convolution of the input with the output gradient, and the bias gradient as a sum.
 *
 * With Y[o] = Σ_j X[o·s − pb + j·d] · W[j] along each spatial axis, dW[j] = Σ_o dY[o] · X[j·d + o·s − pb]:
 * a convolution of X (batch and channel axes swapped, so the sum over samples becomes the sum over
 * "channels") with dY as its kernel, where the forward stride becomes the dilation and the forward
 * dilation the stride. Groups stay groups: X is laid out as [C/g, g·N, …] and dY as [M, N, …], so
 * group k of the emitted Conv sees exactly the samples of forward group k. The end pad is chosen so
 * that the result has exactly the kernel's size (a negative one crops X first).
 * Size arithmetic as in Dumoulin & Visin (https://arxiv.org/abs/1603.07285).
 */
import type { GraphBuilder } from '../../onnx/builder.js';
import type { WindowGeometry } from './conv-geometry.js';
import { splittableConv } from './conv-split.js';
import { product } from './static-inputs.js';
import { reshapeTo } from './util.js';

/** What the weight gradient of one Conv needs. */
export interface ConvWeightGradInput {
  /** The forward data input X and its shape [N, C, …]. */
  readonly x: string;
  readonly xShape: readonly number[];
  /** The output gradient dY and its shape [N, M, …]. */
  readonly dy: string;
  readonly dyShape: readonly number[];
  readonly g: WindowGeometry;
  /** Run the weight-gradient Conv as filter halves when {@link filterParts} says so (conv-split.ts). */
  readonly splitFilters?: boolean;
  /** Build a large weight-gradient Gemm's im2col by one Gather (conv-gemm.ts, `gatheredColumns`) instead of per-tap products. */
  readonly gatherColumns?: boolean;
}

/**
 * The end pads that make the weight-gradient convolution produce exactly `kernel` taps per axis:
 * pe = (k − 1)·d + (m − 1)·s − pb − (n − 1).
 *
 * @example
 * ```ts
 * weightGradEndPads({ kernel: [3], strides: [1], dilations: [1], pads: [1, 1], group: 1 }, [5], [5]); // [1]
 * ```
 */
export function weightGradEndPads(g: WindowGeometry, inSpatial: readonly number[], outSpatial: readonly number[]): number[] {
  return inSpatial.map((n, i) => {
    const k = g.kernel[i] as number;
    const d = g.dilations[i] as number;
    const s = g.strides[i] as number;
    const m = outSpatial[i] as number;
    return (k - 1) * d + (m - 1) * s - (g.pads[i] as number) - (n - 1);
  });
}

/**
 * dW of a Conv, shape [M, C/g, k…] (see the file comment).
 *
 * @example
 * ```ts
 * const dW = convWeightGrad(b, { x: 'x', xShape: [8, 3, 32, 32], dy, dyShape: [8, 16, 32, 32], g });
 * ```
 */
export function convWeightGrad(b: GraphBuilder, p: ConvWeightGradInput): string {
  const [batch = 1, channels = 1, ...spatial] = p.xShape;
  const group = p.g.group;
  const perGroup = channels / group;
  const r = spatial.length;
  const tail = [...Array(r).keys()].map((i) => i + 3);
  // X [N, C, …] → [C/g, g·N, …]
  const split = reshapeTo(b, p.x, [batch, group, perGroup, ...spatial]);
  const swapped = b.op('Transpose', [split], { perm: [2, 1, 0, ...tail] });
  const xr = reshapeTo(b, swapped, [perGroup, group * batch, ...spatial]);
  // dY [N, M, …] → [M, N, …], the kernel of the emitted Conv
  const kernel = b.op('Transpose', [p.dy], { perm: [1, 0, ...tail.map((a) => a - 1)] });
  const pads = [...p.g.pads.slice(0, r), ...weightGradEndPads(p.g, spatial, p.dyShape.slice(2))];
  const attrs = { strides: p.g.dilations, dilations: p.g.strides, group };
  const parts = p.splitFilters ? { filters: p.dyShape[1] as number, positions: product(p.g.kernel) } : undefined;
  const taps = splittableConv(b, { name: xr, shape: [perGroup, group * batch, ...spatial] }, kernel, pads, attrs, parts);
  // [C/g, M, k…] → [M, C/g, k…]
  return b.op('Transpose', [taps], { perm: [1, 0, ...tail.map((a) => a - 1)] });
}

/**
 * dB of a Conv: dY summed over the batch and every spatial axis, shape [M].
 *
 * @example
 * ```ts
 * const dB = convBiasGrad(b, dy, 4); // dY of rank 4 → [M]
 * ```
 */
export function convBiasGrad(b: GraphBuilder, dy: string, rank: number): string {
  const axes = [0, ...[...Array(rank - 2).keys()].map((i) => i + 2)];
  return b.op('ReduceSum', [dy, b.constInt64(axes)], { keepdims: 0 });
}
