/**
 * Convolution gradients as one large matrix product (im2col + Gemm), for dense convolutions with
 * many channels and few output positions — ResNet's last stages at small inputs, where ONNX
 * Runtime's Conv runs one skinny product per image (or, for the weight gradient, per input channel)
 * and the matrix product over the whole batch is 2–5× faster (measured per layer in
 * BENCHMARKS.md's training section).
 *
 * Rows are output positions (n, o…) in channels-last order:
 * - im2col: row (n, o…), column (tap…, c) holds X[n, c, o·s − pb + tap·d] (0 in the pads);
 * - dW = dYᵀ · cols, one Gemm over the whole batch;
 * - dX: colsᵀ = Wᵀ · dYᵀ (one Gemm), then each tap's slice is spread with zeros (strides), shifted
 *   into place and summed (col2im).
 * Size arithmetic as in Dumoulin & Visin (https://arxiv.org/abs/1603.07285).
 */
import type { GraphBuilder } from '../../onnx/builder.js';
import type { WindowGeometry } from './conv-geometry.js';
import { cropOrPad, type Shaped, spreadWithZeros } from './conv-lowering.js';
import type { ConvWeightGradInput } from './conv-params.js';
import { reshapeTo } from './util.js';

/** Output positions per image at or below which a wide dense Conv's input gradient runs as a Gemm. */
export const GEMM_INPUT_GRAD_POSITIONS = 4;
/** Output positions per image at or below which a wide dense Conv's weight gradient runs as a Gemm. */
export const GEMM_WEIGHT_GRAD_POSITIONS = 16;
/**
 * Largest im2col matrix (values: batch · output positions · taps · input channels) for which a wide
 * dense Conv with at most {@link GEMM_WEIGHT_GRAD_TAPS} taps gets its weight gradient as a Gemm at any
 * number of positions: 1.2–1.8× faster than the swapped-roles Conv for ResNet-18's layer1–3 at
 * 64 px (batch 32), the small CNN's conv2 at batch 128 and 64-channel 32×32 maps, with 1 and 2 threads
 * (BENCHMARKS.md, training section); the cap bounds the transient im2col at 64 MB.
 */
export const GEMM_WEIGHT_GRAD_MAX_VALUES = 16 * 1024 * 1024;
/** Most kernel taps of a Conv whose weight gradient may run as a Gemm at many positions (3×3 measured). */
export const GEMM_WEIGHT_GRAD_TAPS = 9;
/** Fewest input and output channels of a "wide" Conv (narrower ones are cheap either way). */
export const GEMM_MIN_CHANNELS = 32;

const product = (xs: readonly number[]) => xs.reduce((p, d) => p * d, 1);

/** Every kernel tap as a multi-index, the last axis fastest (the weight's own order). */
export function kernelTaps(kernel: readonly number[]): number[][] {
  let taps: number[][] = [[]];
  for (const k of kernel) taps = taps.flatMap((t) => Array.from({ length: k }, (_, j) => [...t, j]));
  return taps;
}

/** [N, C, …] → [N, …, C]. */
function channelsLast(b: GraphBuilder, x: string, rank: number): string {
  return b.op('Transpose', [x], { perm: [0, ...[...Array(rank - 2).keys()].map((i) => i + 2), 1] });
}

/**
 * The im2col matrix of a Conv input, [N·P, taps·C] (P output positions per image; see the file
 * comment for the layout).
 *
 * @example
 * ```ts
 * const cols = im2colRows(b, { name: 'x', shape: [8, 64, 4, 4] }, g, [4, 4]); // [128, 576]
 * ```
 */
export function im2colRows(b: GraphBuilder, x: Shaped, g: WindowGeometry, outSpatial: readonly number[]): string {
  const [batch = 1, channels = 1, ...spatial] = x.shape;
  const r = spatial.length;
  let t = channelsLast(b, x.name, x.shape.length);
  if (g.pads.some((p) => p > 0)) t = b.op('Pad', [t, b.constInt64([0, ...g.pads.slice(0, r), 0, 0, ...g.pads.slice(r), 0])], { mode: 'constant' });
  const taps = kernelTaps(g.kernel);
  const axes = [...Array(r).keys()].map((a) => a + 1);
  const pieces = taps.map((tap) => {
    const starts = tap.map((j, a) => j * (g.dilations[a] as number));
    const ends = starts.map((s0, a) => s0 + ((outSpatial[a] as number) - 1) * (g.strides[a] as number) + 1);
    const sliced = b.op('Slice', [t, b.constInt64(starts), b.constInt64(ends), b.constInt64(axes), b.constInt64(g.strides)]);
    return taps.length === 1 ? sliced : b.op('Unsqueeze', [sliced, b.constInt64([r + 1])]);
  });
  const cols = pieces.length === 1 ? (pieces[0] as string) : b.op('Concat', pieces, { axis: r + 1 });
  return reshapeTo(b, cols, [batch * product(outSpatial), taps.length * channels]);
}

/** dY [N, M, o…] as rows [N·P, M]. */
function gradRows(b: GraphBuilder, dy: Shaped): string {
  const [batch = 1, channels = 1, ...spatial] = dy.shape;
  return reshapeTo(b, channelsLast(b, dy.name, dy.shape.length), [batch * product(spatial), channels]);
}

/**
 * dW of a dense Conv as dYᵀ · im2col(X): shape [M, C, k…].
 *
 * @example
 * ```ts
 * const dW = gemmWeightGrad(b, { x: 'x', xShape: [8, 256, 4, 4], dy, dyShape: [8, 512, 2, 2], g });
 * ```
 */
export function gemmWeightGrad(b: GraphBuilder, p: ConvWeightGradInput): string {
  const channels = p.xShape[1] as number;
  const out = p.dyShape[1] as number;
  const r = p.g.kernel.length;
  const cols = im2colRows(b, { name: p.x, shape: p.xShape }, p.g, p.dyShape.slice(2));
  const flat = b.op('Gemm', [gradRows(b, { name: p.dy, shape: p.dyShape }), cols], { transA: 1 });
  if (product(p.g.kernel) === 1) return reshapeTo(b, flat, [out, channels, ...p.g.kernel]);
  const tapsLast = reshapeTo(b, flat, [out, ...p.g.kernel, channels]);
  return b.op('Transpose', [tapsLast], { perm: [0, r + 1, ...[...Array(r).keys()].map((i) => i + 1)] });
}

/** What the input gradient of a dense Conv needs. */
export interface GemmInputGradInput {
  readonly dy: Shaped;
  readonly w: string;
  readonly wShape: readonly number[];
  readonly xShape: readonly number[];
  readonly g: WindowGeometry;
}

/**
 * dX of a dense Conv as col2im(Wᵀ · dYᵀ): shape [N, C, n…].
 *
 * @example
 * ```ts
 * const dX = gemmInputGrad(b, { dy: { name: dY, shape: [8, 512, 2, 2] }, w, wShape: [512, 512, 3, 3], xShape: [8, 512, 2, 2], g });
 * ```
 */
export function gemmInputGrad(b: GraphBuilder, p: GemmInputGradInput): string {
  const [batch = 1, channels = 1, ...inSpatial] = p.xShape;
  const outSpatial = p.dy.shape.slice(2);
  const r = inSpatial.length;
  const taps = kernelTaps(p.g.kernel);
  const w2 = reshapeTo(b, p.w, [p.wShape[0] as number, channels * taps.length]);
  // [C·taps, N·P]: column (n, o…) of row (c, tap) is what that tap of (n, o…) sends back to X
  const colsT = b.op('Gemm', [w2, gradRows(b, p.dy)], { transA: 1, transB: 1 });
  const spread = spreadWithZeros(
    b,
    { name: reshapeTo(b, colsT, [channels * taps.length, batch, ...outSpatial]), shape: [channels * taps.length, batch, ...outSpatial] },
    p.g.strides,
  );
  const perTap = reshapeTo(b, spread.name, [channels, taps.length, batch, ...spread.shape.slice(2)]);
  const parts = taps.map((tap, t) => {
    const one = b.op('Slice', [perTap, b.constInt64([t]), b.constInt64([t + 1]), b.constInt64([1])]);
    const plane: Shaped = { name: reshapeTo(b, one, [channels, batch, ...spread.shape.slice(2)]), shape: [channels, batch, ...spread.shape.slice(2)] };
    // spread index q lands on x index q − pb + tap·d
    const begins = tap.map((j, a) => j * (p.g.dilations[a] as number) - (p.g.pads[a] as number));
    const ends = begins.map((s0, a) => (inSpatial[a] as number) - (spread.shape[a + 2] as number) - s0);
    return cropOrPad(b, plane, [...begins, ...ends]).name;
  });
  const sum = b.op('Sum', parts);
  return b.op('Transpose', [sum], { perm: [1, 0, ...[...Array(r).keys()].map((i) => i + 2)] });
}

/** What a Conv's forward pass as a Gemm needs. */
export interface GemmConvInput {
  readonly x: Shaped;
  readonly w: string;
  readonly wShape: readonly number[];
  readonly bias?: string;
  readonly g: WindowGeometry;
  readonly outSpatial: readonly number[];
  /** The name of the result (the Conv's output, so that its consumers are untouched). */
  readonly output: string;
}

/**
 * A dense Conv's forward pass as one Gemm over the whole batch: Y rows = im2col(X) · W²ᵀ (+ bias),
 * with the im2col columns in the weight's own (c, tap…) order so the weight is only reshaped.
 * Returns the output and the im2col rows [N·P, C·taps], which the weight gradient can reuse.
 * For the training step (faster than ORT's Conv under the same conditions as the `gemm` backward).
 *
 * @example
 * ```ts
 * const { rows } = gemmConvForward(b, { x: { name: 'x', shape: [32, 512, 2, 2] }, w: 'w', wShape: [512, 512, 3, 3], g, outSpatial: [2, 2], output: 'y' });
 * ```
 */
export function gemmConvForward(b: GraphBuilder, p: GemmConvInput): { readonly output: string; readonly rows: string } {
  const [batch = 1, channels = 1, ...spatial] = p.x.shape;
  const r = spatial.length;
  const out = p.wShape[0] as number;
  const positions = product(p.outSpatial);
  const taps = kernelTaps(p.g.kernel);
  let x = p.x.name;
  if (p.g.pads.some((q) => q > 0)) x = b.op('Pad', [x, b.constInt64([0, 0, ...p.g.pads.slice(0, r), 0, 0, ...p.g.pads.slice(r)])], { mode: 'constant' });
  const axes = [...Array(r).keys()].map((a) => a + 2);
  const pieces = taps.map((tap) => {
    const starts = tap.map((j, a) => j * (p.g.dilations[a] as number));
    const ends = starts.map((s0, a) => s0 + ((p.outSpatial[a] as number) - 1) * (p.g.strides[a] as number) + 1);
    const sliced = b.op('Slice', [x, b.constInt64(starts), b.constInt64(ends), b.constInt64(axes), b.constInt64(p.g.strides)]);
    return b.op('Unsqueeze', [sliced, b.constInt64([2])]);
  });
  const cols = reshapeTo(b, b.op('Concat', pieces, { axis: 2 }), [batch, channels * taps.length, positions]);
  const rows = reshapeTo(b, b.op('Transpose', [cols], { perm: [0, 2, 1] }), [batch * positions, channels * taps.length]);
  const w2 = reshapeTo(b, p.w, [out, channels * taps.length]);
  const y = b.op('Gemm', p.bias ? [rows, w2, p.bias] : [rows, w2], { transB: 1 });
  const last = reshapeTo(b, y, [batch, ...p.outSpatial, out]);
  const output = b.op('Transpose', [last], { perm: [0, r + 1, ...[...Array(r).keys()].map((i) => i + 1)] }, { outputs: [p.output] });
  return { output, rows };
}
