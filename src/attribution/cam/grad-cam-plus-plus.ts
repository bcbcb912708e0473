/**
 * Grad-CAM++ (Chattopadhay et al. 2018, https://arxiv.org/abs/1710.11063), with the closed form
 * used by pytorch-grad-cam: per-pixel coefficients a = G² / (2G² + Σ_hw A · G³ + ε), zero where
 * G = 0, and channel weights Σ_hw relu(G)·a.
 */
import type { AttributionMethod } from '../types.js';
import { type CamOptions, gradientCamMethod, weightedChannelSum } from './template.js';

/** The ε of the Grad-CAM++ denominator (pytorch-grad-cam's value). */
export const GRAD_CAM_PLUS_PLUS_EPS = 1e-6;

/**
 * Grad-CAM++'s channel weights: w[c] = Σ_hw relu(G)·G² / (2G² + S_c·G³ + ε), with S_c = Σ_hw A[c].
 *
 * @example
 * ```ts
 * const w = gradCamPlusPlusWeights(activation, gradient, 16, 256); // Float64Array(16)
 * ```
 */
export function gradCamPlusPlusWeights(activation: Float32Array, gradient: Float32Array, channels: number, pixels: number): Float64Array {
  const weights = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    let activationSum = 0;
    for (let p = c * pixels; p < (c + 1) * pixels; p++) activationSum += activation[p] as number;
    let w = 0;
    for (let p = c * pixels; p < (c + 1) * pixels; p++) {
      const g = gradient[p] as number;
      if (g <= 0) continue; // relu(G) = 0, and a = 0 where G = 0
      const g2 = g * g;
      w += (g * g2) / (2 * g2 + activationSum * g2 * g + GRAD_CAM_PLUS_PLUS_EPS);
    }
    weights[c] = w;
  }
  return weights;
}

/**
 * Grad-CAM++'s hook: map = Σ_c w[c]·A[c] with {@link gradCamPlusPlusWeights}.
 *
 * @example
 * ```ts
 * const map = gradCamPlusPlusMap(activation, gradient, 16, 256);
 * ```
 */
export function gradCamPlusPlusMap(activation: Float32Array, gradient: Float32Array, channels: number, pixels: number): Float32Array {
  return weightedChannelSum(activation, gradCamPlusPlusWeights(activation, gradient, channels, pixels), channels, pixels);
}

/**
 * Grad-CAM++ at a layer: the raw map [N, 1, h, w] (set `relu` and `upsample` as for Grad-CAM).
 *
 * @example
 * ```ts
 * const { attribution } = await gradCamPlusPlus.attribute(model, x, { layer: '/layer4/layer4.1/relu_1/Relu_output_0' });
 * ```
 */
export const gradCamPlusPlus: AttributionMethod<CamOptions> = gradientCamMethod({
  name: 'grad-cam-plus-plus',
  description: 'Grad-CAM++: higher-order pixel weighting of the gradients (Chattopadhay et al. 2018)',
  combine: gradCamPlusPlusMap,
});
