/**
 * Vector-Jacobian rules for convolutions (Conv and ConvTranspose): data, weight and bias.
 *
 * dX of Conv is the transposed convolution of dY with the same weights. Which ops compute it is
 * chosen for ONNX Runtime's speed (see the shared notes on backward graphs, backward-graphs.md):
 * - `pointwise` (1×1 kernels, any stride): a 1×1 Conv with the transposed weight at the low
 *   resolution of dY, then the result is spread with zeros to the input's resolution.
 * - `flipped` (stride 1, or depthwise at any stride): dY is spread with zeros (stride > 1), then a
 *   stride-1 Conv with the transposed, spatially flipped weight and pads (K − 1 − pb, n + pb − L).
 *   This never emits a depthwise ConvTranspose, which ORT runs about 10× slower.
 * - `transpose` (dense or grouped k×k with stride > 1): ConvTranspose with an output_padding
 *   that restores X's exact size; it stayed the fastest there.
 * - `gemm` (dense k×k with at least 32 input and output channels and at most 4 output positions
 *   per image): one Gemm over the whole batch, then col2im (conv-gemm.ts); ORT's Conv and
 *   ConvTranspose run one skinny product per image there, 2–5× slower.
 *
 * dX of ConvTranspose is a plain Conv of dY with the same weights and geometry.
 *
 * The size arithmetic follows Dumoulin & Visin, "A guide to convolution arithmetic for deep
 * learning" (https://arxiv.org/abs/1603.07285).
 */
import type { VjpContext, VjpRule } from '../vjp.js';
import {
  GEMM_INPUT_GRAD_POSITIONS,
  GEMM_MIN_CHANNELS,
  GEMM_WEIGHT_GRAD_MAX_VALUES,
  GEMM_WEIGHT_GRAD_POSITIONS,
  GEMM_WEIGHT_GRAD_TAPS,
  gemmInputGrad,
  gemmWeightGrad,
} from './conv-gemm.js';
import { convTransposeGeometry, flippedConvPads, transposeOutputPadding, type WindowGeometry, windowGeometry } from './conv-geometry.js';
import { adjointWeight, convWithPads, cropOrPad, type Shaped, spreadWithZeros } from './conv-lowering.js';
import { convBiasGrad, convWeightGrad } from './conv-params.js';
import { splittableConv } from './conv-split.js';
import { product } from './static-inputs.js';
import { grad0 } from './util.js';

/** How the input gradient of one Conv is computed (see the file comment). */
export type ConvBackward = 'pointwise' | 'flipped' | 'transpose' | 'gemm';

/** A dense Conv with many channels and few output positions (see conv-gemm.ts). */
function wideAndSmall(g: WindowGeometry, channels: readonly [number, number], positions: number, most: number): boolean {
  return g.group === 1 && Math.min(...channels) >= GEMM_MIN_CHANNELS && positions <= most;
}

/**
 * Picks the fastest exact formulation of a Conv's input gradient; `gemmPositions` is the most
 * output positions per image at which a wide dense conv takes the `gemm` form (the training step
 * passes its own, larger one: see `TRAINING_GEMM_POSITIONS` in src/training/gemm-convs.ts).
 *
 * @example
 * ```ts
 * convBackwardFormulation(windowGeometry(node, [56, 56], [3, 3]), 64, 64, 56 * 56); // 'flipped' for a 3×3 stride-1 conv
 * ```
 */
export function convBackwardFormulation(
  g: WindowGeometry,
  inChannels: number,
  outChannels = 1,
  positions = Number.POSITIVE_INFINITY,
  gemmPositions = GEMM_INPUT_GRAD_POSITIONS,
): ConvBackward {
  if (g.kernel.every((k) => k === 1)) return 'pointwise';
  if (wideAndSmall(g, [inChannels, outChannels], positions, gemmPositions)) return 'gemm';
  const depthwise = g.group > 1 && g.group === inChannels;
  if (depthwise || g.strides.every((s) => s === 1)) return 'flipped';
  return 'transpose';
}

/** What every Conv formulation needs to know. */
interface ConvBackwardInput {
  readonly dy: Shaped;
  readonly w: string;
  readonly wShape: readonly number[];
  readonly xShape: readonly number[];
  readonly g: WindowGeometry;
  /** Run the dense Conv that computes dX as filter halves when {@link filterParts} says so (conv-split.ts). */
  readonly splitFilters?: boolean;
}

function pointwiseBackward(ctx: VjpContext, p: ConvBackwardInput): string {
  const { b } = ctx;
  const [batch = 1, channels = 1] = p.xShape;
  const low = b.op('Conv', [p.dy.name, adjointWeight(b, p.w, p.wShape, p.g.group, false)], { group: p.g.group });
  const spread = spreadWithZeros(b, { name: low, shape: [batch, channels, ...p.dy.shape.slice(2)] }, p.g.strides);
  return cropOrPad(b, spread, flippedConvPads(p.g, p.xShape.slice(2), spread.shape.slice(2))).name;
}

function flippedBackward(ctx: VjpContext, p: ConvBackwardInput): string {
  const { b } = ctx;
  const spread = spreadWithZeros(b, p.dy, p.g.strides);
  const pads = flippedConvPads(p.g, p.xShape.slice(2), spread.shape.slice(2));
  const w = adjointWeight(b, p.w, p.wShape, p.g.group, true);
  const attrs = { strides: p.g.strides.map(() => 1), dilations: p.g.dilations, group: p.g.group };
  const [, channels = 1, ...spatial] = p.xShape;
  return splittableConv(b, spread, w, pads, attrs, p.splitFilters ? { filters: channels, positions: product(spatial) } : undefined);
}

function transposeBackward(ctx: VjpContext, p: ConvBackwardInput): string {
  return ctx.b.op('ConvTranspose', [p.dy.name, p.w], {
    strides: p.g.strides,
    dilations: p.g.dilations,
    pads: p.g.pads,
    group: p.g.group,
    output_padding: transposeOutputPadding(p.g, p.xShape.slice(2), p.dy.shape.slice(2)),
  });
}

const CONV_BACKWARD: Record<ConvBackward, (ctx: VjpContext, p: ConvBackwardInput) => string> = {
  pointwise: pointwiseBackward,
  flipped: flippedBackward,
  transpose: transposeBackward,
  gemm: (ctx, p) => gemmInputGrad(ctx.b, p),
};

/**
 * Whether a Conv's weight gradient runs as one Gemm ({@link gemmWeightGrad}): dense 1×1 kernels
 * always (the swapped-roles convolution is a matrix-vector product per input channel there), wide
 * dense convs with at most 16 output positions per image, and wide dense convs with small kernels
 * (at most 9 taps) whose im2col matrix over the batch holds at most 16 M values.
 *
 * @example
 * ```ts
 * weightGradByGemm(g, [256, 512], 4); // true for ResNet-18's last stage at 64×64 inputs
 * weightGradByGemm(g3x3, [64, 64], 256, 32); // true: 32 · 256 · 9 · 64 = 4.7 M values
 * ```
 */
export function weightGradByGemm(g: WindowGeometry, channels: readonly [number, number], positions: number, batch = 1): boolean {
  if (g.group !== 1) return false;
  if (g.kernel.every((k) => k === 1) || wideAndSmall(g, channels, positions, GEMM_WEIGHT_GRAD_POSITIONS)) return true;
  const taps = g.kernel.reduce((p, k) => p * k, 1);
  const values = batch * positions * taps * channels[0];
  return Math.min(...channels) >= GEMM_MIN_CHANNELS && taps <= GEMM_WEIGHT_GRAD_TAPS && values <= GEMM_WEIGHT_GRAD_MAX_VALUES;
}

/**
 * Whether a Conv's forward pass is faster as one Gemm ({@link gemmConvForward}) than as ORT's Conv:
 * the same wide, dense, few-position convs whose input gradient is a Gemm (1×1 kernels excluded),
 * at most `gemmPositions` output positions per image.
 *
 * @example
 * ```ts
 * forwardByGemm(g, [512, 512], 4); // true for ResNet-18's layer4 at 64×64 inputs
 * forwardByGemm(g, [256, 256], 16, 16); // true for its layer3 with the training step's threshold
 * ```
 */
export function forwardByGemm(g: WindowGeometry, channels: readonly [number, number], positions: number, gemmPositions = GEMM_INPUT_GRAD_POSITIONS): boolean {
  return !g.kernel.every((k) => k === 1) && wideAndSmall(g, channels, positions, gemmPositions);
}

/**
 * The Conv rule with `gemmPositions` as the input gradient's Gemm threshold (see
 * {@link convBackwardFormulation}); {@link convRule} is the one with the default. With
 * `splitFilters`, the Convs that compute a `flipped` input gradient or a weight gradient run as two
 * Convs over halves of their filters when they have more filters than output positions per image
 * (conv-split.ts; the training step's choice). With `gatherColumns`, large weight-gradient Gemms
 * read an im2col gathered in one op (conv-gemm.ts, `gatheredColumns`) instead of per-tap products.
 *
 * @example
 * ```ts
 * const rules = extendRuleSet(standardRules, 'training', { Conv: convRuleWith(16, true, true) });
 * ```
 */
export function convRuleWith(gemmPositions: number, splitFilters = false, gatherColumns = false): VjpRule {
  return (ctx) => convVjp(ctx, gemmPositions, splitFilters, gatherColumns);
}

/**
 * Conv: dX by the formulation {@link convBackwardFormulation} picks; dW and dB (when the plan
 * differentiates the weight or bias, as training does) by {@link convWeightGrad} and {@link convBiasGrad}.
 *
 * @example
 * ```ts
 * const rules = extendRuleSet(standardRules, 'my-rules', { Conv: convRule });
 * ```
 */
export const convRule: VjpRule = convRuleWith(GEMM_INPUT_GRAD_POSITIONS);

function convVjp(ctx: VjpContext, gemmPositions: number, splitFilters: boolean, gatherColumns: boolean): ReturnType<VjpRule> {
  const xShape = ctx.shape(ctx.input(0));
  const w = ctx.input(1);
  const wShape = ctx.shape(w);
  const g = windowGeometry(ctx.node, xShape.slice(2), wShape.slice(2));
  const dy = { name: grad0(ctx), shape: ctx.shape(ctx.output(0)) };
  const channels: [number, number] = [xShape[1] as number, wShape[0] as number];
  const positions = dy.shape.slice(2).reduce((p, d) => p * d, 1);
  const form = convBackwardFormulation(g, channels[0], channels[1], positions, gemmPositions);
  const dX = ctx.needsGrad(0) ? CONV_BACKWARD[form](ctx, { dy, w, wShape, xShape, g, splitFilters }) : undefined;
  const wg = { x: ctx.input(0), xShape, dy: dy.name, dyShape: dy.shape, g, splitFilters, gatherColumns };
  const dW = ctx.needsGrad(1) ? (weightGradByGemm(g, channels, positions, xShape[0] ?? 1) ? gemmWeightGrad : convWeightGrad)(ctx.b, wg) : undefined;
  const dB = ctx.input(2) && ctx.needsGrad(2) ? convBiasGrad(ctx.b, dy.name, dy.shape.length) : undefined;
  return [dX, dW, dB];
}

/**
 * ConvTranspose: dX = Conv(dY, W) with the same strides, dilations, group and (effective) pads:
 * the adjoint of the adjoint. Negative effective pads (output_padding, a large output_shape) crop dY.
 * dW and dB as for that Conv (see {@link convWeightGrad}).
 *
 * @example
 * ```ts
 * const rules = extendRuleSet(standardRules, 'my-rules', { ConvTranspose: convTransposeRule });
 * ```
 */
export const convTransposeRule: VjpRule = (ctx) => {
  const x = ctx.input(0);
  const xShape = ctx.shape(x);
  const w = ctx.input(1);
  const yShape = ctx.shape(ctx.output(0));
  const g = convTransposeGeometry(ctx.node, xShape.slice(2), ctx.shape(w).slice(2), yShape.slice(2));
  const dy = { name: grad0(ctx), shape: yShape };
  const dX = ctx.needsGrad(0) ? convWithPads(ctx.b, dy, w, g.pads, g) : undefined;
  // ConvTranspose is the adjoint of the Conv from Y to X with the same weight, so its weight
  // gradient is that Conv's, with dY as the Conv's input and X as its output gradient.
  const dW = ctx.needsGrad(1) ? convWeightGrad(ctx.b, { x: dy.name, xShape: yShape, dy: x, dyShape: xShape, g }) : undefined;
  const dB = ctx.input(2) && ctx.needsGrad(2) ? convBiasGrad(ctx.b, dy.name, yShape.length) : undefined;
  return [dX, dW, dB];
};

/**
 * Convolution rules of this file, by op type.
 *
 * @example
 * ```ts
 * const table = { ...convRules, ...poolingRules };
 * ```
 */
export const convRules: Record<string, VjpRule> = {
  Conv: convRule,
  ConvTranspose: convTransposeRule,
};
