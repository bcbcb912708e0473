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
 * - dX: cols = W²ᵀ · dY (one Gemm), then col2im as one batched product with a constant 0/1
 *   position matrix (positionMatrix);
 * - the training step's forward pass of such a conv (gemmConvForward): im2col as the transposed
 *   position matrix times X, then one Gemm; its columns are reused for dW.
 * Slices, pads and concatenations with runs of one or two values ran single-threaded in ORT and
 * cost as much as the products; the position-matrix products are parallel and tiny (inP × taps·P).
 * Size arithmetic as in Dumoulin & Visin (https://arxiv.org/abs/1603.07285).
 */
import type { GraphBuilder } from '../../onnx/builder.js';
import type { WindowGeometry } from './conv-geometry.js';
import type { Shaped } from './conv-lowering.js';
import type { ConvWeightGradInput } from './conv-params.js';
import { product } from './static-inputs.js';
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

/** Every kernel tap as a multi-index, the last axis fastest (the weight's own order). */
export function kernelTaps(kernel: readonly number[]): number[][] {
  let taps: number[][] = [[]];
  for (const k of kernel) taps = taps.flatMap((t) => Array.from({ length: k }, (_, j) => [...t, j]));
  return taps;
}

/** `t` [A, s…, B] zero-padded on its spatial axes s… by the conv's pads (unchanged without pads). */
function padSpatial(b: GraphBuilder, t: string, pads: readonly number[], r: number): string {
  if (!pads.some((p) => p > 0)) return t;
  return b.op('Pad', [t, b.constInt64([0, ...pads.slice(0, r), 0, 0, ...pads.slice(r), 0])], { mode: 'constant' });
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
  const slices = tapSlices(b, x, g, outSpatial);
  const pieces = slices.length === 1 ? slices : slices.map((t) => b.op('Unsqueeze', [t, b.constInt64([r + 1])]));
  const cols = pieces.length === 1 ? (pieces[0] as string) : b.op('Concat', pieces, { axis: r + 1 });
  return reshapeTo(b, cols, [batch * product(outSpatial), pieces.length * channels]);
}

/** What each kernel tap sees of X: channels-last [N, o…, C] slices of the padded input, in tap order. */
function tapSlices(b: GraphBuilder, x: Shaped, g: WindowGeometry, outSpatial: readonly number[]): string[] {
  const r = x.shape.length - 2;
  const t = padSpatial(b, channelsLast(b, x.name, x.shape.length), g.pads, r);
  const axes = [...Array(r).keys()].map((a) => a + 1);
  return kernelTaps(g.kernel).map((tap) => {
    const starts = tap.map((j, a) => j * (g.dilations[a] as number));
    const ends = starts.map((s0, a) => s0 + ((outSpatial[a] as number) - 1) * (g.strides[a] as number) + 1);
    return b.op('Slice', [t, b.constInt64(starts), b.constInt64(ends), b.constInt64(axes), b.constInt64(g.strides)]);
  });
}

/**
 * The im2col columns of a Conv input as [C·taps, P·N] (row (c, tap…), column (o…, n): the layout of
 * {@link gemmConvForward}'s columns and of {@link gradColumns}) by one Gather from the channel-major,
 * padded input [C, padded positions, N]: each gathered run is one position's N values. Unlike
 * per-tap slices (single-threaded in ORT) the Gather and the one Gemm over all taps that reads it
 * run on every thread: with two threads ResNet-18's layer1 weight gradients cost ≈ 2.5 % less of the
 * step than as per-tap products; with one thread ≈ 4 % more (BENCHMARKS.md, training section).
 *
 * @example
 * ```ts
 * const cols = gatheredColumns(b, { name: 'x', shape: [32, 64, 16, 16] }, g3x3pad1, [16, 16]); // [576, 8192]
 * ```
 */
export function gatheredColumns(b: GraphBuilder, x: Shaped, g: WindowGeometry, outSpatial: readonly number[]): string {
  const [batch = 1, channels = 1, ...spatial] = x.shape;
  const r = spatial.length;
  const moved = b.op('Transpose', [x.name], { perm: [1, ...[...Array(r).keys()].map((i) => i + 2), 0] });
  const padded = padSpatial(b, moved, g.pads, r);
  const extent = spatial.map((d, a) => d + (g.pads[a] as number) + (g.pads[a + r] as number));
  const flat = reshapeTo(b, padded, [channels, product(extent), batch]);
  const taps = kernelTaps(g.kernel);
  const indices = b.constInt64(columnPositions(g, extent, outSpatial), [taps.length, product(outSpatial)]);
  return reshapeTo(b, b.op('Gather', [flat, indices], { axis: 1 }), [channels * taps.length, product(outSpatial) * batch]);
}

/** For each kernel tap and output position (row-major), the padded input position it reads (row-major over `extent`). */
function columnPositions(g: WindowGeometry, extent: readonly number[], outSpatial: readonly number[]): number[] {
  const positions: number[] = [];
  for (const tap of kernelTaps(g.kernel))
    for (const o of kernelTaps(outSpatial)) {
      let i = 0;
      for (let a = 0; a < extent.length; a++)
        i = i * (extent[a] as number) + (o[a] as number) * (g.strides[a] as number) + (tap[a] as number) * (g.dilations[a] as number);
      positions.push(i);
    }
  return positions;
}

/** dY [N, M, o…] as rows [N·P, M]. */
function gradRows(b: GraphBuilder, dy: Shaped): string {
  const [batch = 1, channels = 1, ...spatial] = dy.shape;
  return reshapeTo(b, channelsLast(b, dy.name, dy.shape.length), [batch * product(spatial), channels]);
}

/** dY [N, M, o…] as the matrix [M, N·P] (column (n, o): the order of {@link gradRows}' rows). */
function batchMajorColumns(b: GraphBuilder, dy: Shaped): string {
  const [batch = 1, channels = 1, ...spatial] = dy.shape;
  const moved = b.op('Transpose', [dy.name], { perm: [1, 0, ...spatial.map((_, i) => i + 2)] });
  return reshapeTo(b, moved, [channels, batch * product(spatial)]);
}

/**
 * Rows of dY (output positions over the batch) from which {@link gemmWeightGrad} multiplies each
 * tap's slice separately instead of concatenating the im2col first: the Concat copies the whole
 * im2col once more, and at this size the per-tap products are as fast as one. ResNet-18's layer1 at
 * 64 px (8192 rows, 64 channels): 8.6 → 5.9 ms per conv (1 thread); at 2048 rows (layer2) no gain.
 * The per-tap products take dYᵀ [M, N·P] formed once: with dY as a transposed operand (transA) each
 * of the 9 products transposed it again (layer1's 9 products, 1 thread: 7.0 → 5.8 ms per conv).
 */
export const GEMM_PER_TAP_ROWS = 4096;

/**
 * dW of a dense Conv as dYᵀ · im2col(X): shape [M, C, k…]. With at least {@link GEMM_PER_TAP_ROWS}
 * rows, one Gemm per tap (dW[:, :, tap] = dYᵀ · X_tap, dYᵀ formed once) and a Concat of the small results;
 * with `gatherColumns` there (the training step's choice with more than one thread), one Gemm over
 * {@link gatheredColumns} instead.
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
  const outSpatial = p.dyShape.slice(2);
  const rows = (p.xShape[0] as number) * product(outSpatial);
  let flat: string;
  if (p.gatherColumns && rows >= GEMM_PER_TAP_ROWS && product(p.g.kernel) > 1) {
    const columns = gatheredColumns(b, { name: p.x, shape: p.xShape }, p.g, outSpatial);
    return weightGradFromColumns(b, { name: p.dy, shape: p.dyShape }, columns, [out, channels, ...p.g.kernel]);
  }
  if (rows >= GEMM_PER_TAP_ROWS && product(p.g.kernel) > 1) {
    // dYᵀ formed once, not inside each tap's Gemm: MLAS copies a transposed A for every product
    const dyCols = batchMajorColumns(b, { name: p.dy, shape: p.dyShape });
    const perTap = tapSlices(b, { name: p.x, shape: p.xShape }, p.g, outSpatial).map((x) => b.op('Gemm', [dyCols, reshapeTo(b, x, [rows, channels])]));
    flat = b.op('Concat', perTap, { axis: 1 });
  } else {
    const dyRows = gradRows(b, { name: p.dy, shape: p.dyShape });
    flat = b.op('Gemm', [dyRows, im2colRows(b, { name: p.x, shape: p.xShape }, p.g, outSpatial)], { transA: 1 });
  }
  if (product(p.g.kernel) === 1) return reshapeTo(b, flat, [out, channels, ...p.g.kernel]);
  const tapsLast = reshapeTo(b, flat, [out, ...p.g.kernel, channels]);
  return b.op('Transpose', [tapsLast], { perm: [0, r + 1, ...[...Array(r).keys()].map((i) => i + 1)] });
}

/**
 * dW [M, C, k…] = dY · colsᵀ reshaped, from im2col columns [C·taps, P·N] in the weight's own order
 * (row (c, tap…), column (o…, n): {@link gatheredColumns}, or {@link gemmConvForward}'s columns) and
 * dY as {@link gradColumns}.
 *
 * @example
 * ```ts
 * const dW = weightGradFromColumns(b, { name: dY, shape: [32, 64, 16, 16] }, cols, [64, 64, 3, 3]);
 * ```
 */
export function weightGradFromColumns(b: GraphBuilder, dy: Shaped, columns: string, wShape: readonly number[]): string {
  return reshapeTo(b, b.op('Gemm', [gradColumns(b, dy), columns], { transB: 1 }), wShape);
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
 * The 0/1 matrix that maps input positions to im2col columns: S[i, t·P + o] = 1 where input
 * position i is what kernel tap t sees at output position o (i = o·s − pb + t·d on every axis), so
 * im2col is Sᵀ·X and col2im is S·cols — a small constant product instead of per-tap slices and pads
 * (for few positions: S has inP × taps·P entries).
 *
 * @example
 * ```ts
 * positionMatrix(g3x3pad1, [2, 2], [2, 2]); // [4, 36]: input position 0 is tap 4 at output 0, tap 3 at output 1, …
 * ```
 */
export function positionMatrix(g: WindowGeometry, inSpatial: readonly number[], outSpatial: readonly number[]): Float32Array {
  const inputs = product(inSpatial);
  const taps = kernelTaps(g.kernel);
  const outs = kernelTaps(outSpatial);
  const s = new Float32Array(inputs * taps.length * outs.length);
  taps.forEach((tap, t) => {
    outs.forEach((o, k) => {
      let i = 0;
      for (let a = 0; a < tap.length; a++) {
        const at = (o[a] as number) * (g.strides[a] as number) - (g.pads[a] as number) + (tap[a] as number) * (g.dilations[a] as number);
        if (at < 0 || at >= (inSpatial[a] as number)) return;
        i = i * (inSpatial[a] as number) + at;
      }
      s[i * taps.length * outs.length + t * outs.length + k] = 1;
    });
  });
  return s;
}

/** [N, C, …] → [C, P, N]: channel-major, then position, then image (the layout of the Gemm forms below). */
function channelMajor(b: GraphBuilder, t: Shaped): string {
  const [batch = 1, channels = 1, ...spatial] = t.shape;
  const r = spatial.length;
  const moved = b.op('Transpose', [t.name], { perm: [1, ...[...Array(r).keys()].map((i) => i + 2), 0] });
  return reshapeTo(b, moved, [channels, product(spatial), batch]);
}

/**
 * dY [N, M, o…] as the matrix [M, P·N] (column (o, n)) that {@link gemmInputGrad} and the Gemm
 * forward's weight gradient multiply.
 *
 * @example `const dyCols = gradColumns(b, { name: dY, shape: [32, 512, 2, 2] }); // [512, 128]`
 */
export function gradColumns(b: GraphBuilder, dy: Shaped): string {
  const [batch = 1, channels = 1, ...spatial] = dy.shape;
  return reshapeTo(b, channelMajor(b, dy), [channels, product(spatial) * batch]);
}

/**
 * dX of a dense Conv as col2im(Wᵀ · dY): cols = W²ᵀ·dY [C·taps, P·N] (one Gemm), then
 * dX[c] = S·cols[c] for every channel (one batched product with the constant {@link positionMatrix}),
 * and one transpose back to [N, C, n…].
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
  const taps = product(p.g.kernel);
  const positions = product(outSpatial);
  const w2 = reshapeTo(b, p.w, [p.wShape[0] as number, channels * taps]);
  const cols = b.op('Gemm', [w2, gradColumns(b, p.dy)], { transA: 1 });
  const s = b.constFloat(positionMatrix(p.g, inSpatial, outSpatial), [product(inSpatial), taps * positions], 'col2im');
  const summed = b.op('MatMul', [s, reshapeTo(b, cols, [channels, taps * positions, batch])]);
  const back = b.op('Transpose', [summed], { perm: [2, 0, 1] });
  return reshapeTo(b, back, [batch, channels, ...inSpatial.slice(0, r)]);
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
 * A dense Conv's forward pass as one Gemm over the whole batch: Y = W² · cols (+ bias), where
 * cols [C·taps, P·N] = Sᵀ·X per channel (the constant {@link positionMatrix}; row (c, tap), column
 * (o, n)), in the weight's own (c, tap…) order so the weight is only reshaped. No per-tap slices,
 * pads or concatenations: those ran single-threaded in ORT with runs of one or two values.
 * Returns the output and `cols`, which the weight gradient reuses as dW² = dY·colsᵀ with dY as
 * {@link gradColumns}. For the training step (faster than ORT's Conv under the same conditions as
 * the `gemm` backward).
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
  const taps = product(p.g.kernel);
  const st = b.constFloat(transposed(positionMatrix(p.g, spatial, p.outSpatial), product(spatial)), [taps * positions, product(spatial)], 'im2col');
  const cols = reshapeTo(b, b.op('MatMul', [st, channelMajor(b, p.x)]), [channels * taps, positions * batch]);
  const w2 = reshapeTo(b, p.w, [out, channels * taps]);
  const y = b.op('Gemm', p.bias ? [w2, cols, reshapeTo(b, p.bias, [out, 1])] : [w2, cols]);
  const last = reshapeTo(b, y, [out, ...p.outSpatial, batch]);
  const output = b.op('Transpose', [last], { perm: [r + 1, 0, ...[...Array(r).keys()].map((i) => i + 1)] }, { outputs: [p.output] });
  return { output, rows: cols };
}

/** A row-major [rows, n / rows] matrix transposed. */
function transposed(m: Float32Array, rows: number): Float32Array {
  const cols = m.length / rows;
  const t = new Float32Array(m.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = m[i * cols + j] as number;
  return t;
}
