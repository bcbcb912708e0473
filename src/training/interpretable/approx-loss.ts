/**
 * The ICNN authors' approximate filter-loss gradient (Zhang, Wu & Zhu, CVPR 2018,
 * https://arxiv.org/abs/1710.00935; the semantics of `conv_mask.py` in their PyTorch port
 * ada-shen/ICNN, written here as our own ONNX ops), emitted as a surrogate whose gradient is theirs.
 *
 * For filter f with category c_f, image b, map x_b (n×n, before the mask) and M_b the mask template
 * at the map's own peak (T_μ̂/τ, peak 1, the same template the mask layer uses):
 * - object images (b of class c_f): strength s_b = mean_ij(x_b ∘ M_b), weight
 *   g_b = e^{s_b/a}·(s_b − a·log Z⁺ + a) with Z⁺ = mean over the batch's object images of e^{s/a},
 *   divided by its mean over those images; the gradient −g_b·M_b on x_b raises the map around its
 *   own peak and lowers it where M_b < 0;
 * - other images: s⁻_b = mean_ij x_b, g⁻_b = e^{−s⁻_b/a}·(−s⁻_b − a·log Z⁻ + a), Z⁻ the mean of
 *   e^{−s⁻/a} over the batch's other images, divided by its mean over them; the gradient +g⁻_b on
 *   every cell lowers the whole map.
 *
 * a = 0.5 (the port's α). g is e^{s/a}·(s − a·log Z + a) = a·d/ds[e^{s/a}·(s − a·log Z)], the
 * gradient of the batch-softmax's negative entropy with Z held fixed, so images the filter already
 * fits strongly are pushed hardest. Both weight sets are positive on average (Z is over the same
 * images), and they are constants for the compiler (a float64 round trip cuts the gradient).
 *
 * M_b is the layer's own mask template (`mask`, [C, B, n²]): its centre rule and β (fixed or per
 * filter) are the mask's. The scale is `--filter-loss-weight` (or w/epoch, the MatConvNet code's
 * schedule) over the batch size. Differences from the port, on purpose: Z⁺ uses each image's own
 * mask (the port multiplies by the masks of the batch reversed, which pairs image b with image B−1−b).
 */

import { DataType } from '../../onnx/proto.js';
import type { LossContext } from '../loss.js';

/** The port's sharpness a of the batch softmax over strengths. @example `Math.exp(1 / APPROX_SHARPNESS) // e²` */
export const APPROX_SHARPNESS = 0.5;

/**
 * `t` as a constant for the compiler: a float64 round trip carries no gradient.
 *
 * @example
 * ```ts
 * const weights = stopGradient(b, softWeightsTensor); // same values, no backward path
 * ```
 */
export function stopGradient(b: LossContext['b'], t: string): string {
  return b.op('Cast', [b.op('Cast', [t], { to: DataType.DOUBLE })], { to: DataType.FLOAT });
}

/**
 * Weights g/mean(g) over the images where `member` [C, B] is 1 (0 elsewhere), for strengths
 * `s` [C, B]: g = e^{s/a}·(s − a·log Z + a), Z = mean over the members of e^{s/a}. Computed with the
 * members' maximum subtracted (the ratio g/mean(g) does not change).
 */
function softWeights(b: LossContext['b'], s: string, member: string): string {
  const a = APPROX_SHARPNESS;
  const scaled = b.op('Mul', [s, b.scalar(1 / a)]);
  // Push non-members far down before the maximum, so only members set the shift.
  // (TopK rather than ReduceMax, whose axes moved from attribute to input at opset 18.)
  const lowered = b.op('Sub', [scaled, b.op('Mul', [b.op('Sub', [b.scalar(1), member]), b.scalar(1e4)])]);
  const [top] = b.ops('TopK', [lowered, b.constInt64([1])], { axis: 1 }, { outputs: 2 });
  const shifted = b.op('Sub', [scaled, top as string]);
  const e = b.op('Mul', [b.op('Exp', [b.op('Min', [shifted, b.scalar(0)])]), member]);
  const count = b.op('Max', [b.op('ReduceSum', [member, b.constInt64([1])], { keepdims: 1 }), b.scalar(1)]);
  const meanE = b.op('Max', [b.op('Div', [b.op('ReduceSum', [e, b.constInt64([1])], { keepdims: 1 }), count]), b.scalar(1e-30)]);
  // s − a·log Z + a with log Z = max(s/a) + log(mean e) over the members.
  const logZ = b.op('Add', [b.op('Sub', [scaled, shifted]), b.op('Log', [meanE])]);
  const g = b.op('Mul', [e, b.op('Add', [b.op('Sub', [s, b.op('Mul', [logZ, b.scalar(a)])]), b.scalar(a)])]);
  const meanG = b.op('Div', [b.op('ReduceSum', [g, b.constInt64([1])], { keepdims: 1 }), count]);
  return b.op('Div', [g, b.op('Max', [meanG, b.scalar(1e-30)])]);
}

/**
 * Emits the surrogate Σ_f Σ_b (−[b ∈ c_f]·g_b·Σ_ij x_b∘M_b + [b ∉ c_f]·g⁻_b·Σ_ij x_b) · w/B, whose
 * gradient is the port's approximate filter-loss gradient; `maps` is the filter-major [C, B, n²]
 * view of the layer, `member` [C, B] is 1 where image b is of filter f's category, `mask` [C, B, n²]
 * each map's mask template T_μ̂/τ, `weight` the scalar weight w.
 *
 * @example
 * ```ts
 * const surrogate = emitApproxSurrogate(ctx, maps, member, maskCB, b.scalar(1), 16);
 * ```
 */
export function emitApproxSurrogate(ctx: LossContext, maps: string, member: string, mask: string, weight: string, cells: number): string {
  const { b } = ctx;
  const fitted = b.op('ReduceSum', [b.op('Mul', [maps, mask]), b.constInt64([2])], { keepdims: 0 }); // Σ x∘M [C, B]
  const total = b.op('ReduceSum', [maps, b.constInt64([2])], { keepdims: 0 }); // Σ x [C, B]
  const other = b.op('Sub', [b.scalar(1), member]);
  const positive = stopGradient(b, softWeights(b, b.op('Mul', [fitted, b.scalar(1 / cells)]), member));
  const negative = stopGradient(b, softWeights(b, b.op('Mul', [total, b.scalar(-1 / cells)]), other));
  const perImage = b.op('Sub', [b.op('Mul', [b.op('Mul', [negative, other]), total]), b.op('Mul', [b.op('Mul', [positive, member]), fitted])]);
  return b.op('Mul', [b.op('Mul', [b.op('ReduceSum', [perImage], { keepdims: 0 }), weight]), b.scalar(1 / ctx.batch)]);
}
