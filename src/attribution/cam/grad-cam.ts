/**
 * Grad-CAM (Selvaraju et al. 2017, https://arxiv.org/abs/1610.02391): each channel of the layer is
 * weighted by the spatial mean of the target score's gradient, and the weighted channels summed.
 */

import type { AttributionMethod } from '../types.js';
import { type CamOptions, gradientCamMethod, weightedChannelSum } from './template.js';

/**
 * Grad-CAM's hook: weights[c] = mean over h, w of G[c]; map = Σ_c weights[c]·A[c].
 *
 * @example
 * ```ts
 * const map = gradCamMap(activation, gradient, 16, 256); // Float32Array(256)
 * ```
 */
export function gradCamMap(activation: Float32Array, gradient: Float32Array, channels: number, pixels: number): Float32Array {
  const weights = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    let sum = 0;
    for (let p = c * pixels; p < (c + 1) * pixels; p++) sum += gradient[p] as number;
    weights[c] = sum / pixels;
  }
  return weightedChannelSum(activation, weights, channels, pixels);
}

/**
 * Grad-CAM at a layer (default: the last 4-D activation before global pooling). Returns the raw
 * map [N, 1, h, w] (Captum's `LayerGradCam` with `relu_attributions=False`); set `relu` for the
 * paper's ReLU and `upsample: 'bilinear'` for the input's resolution.
 *
 * @example
 * ```ts
 * const { attribution, details } = await gradCam.attribute(model, x, { target: 281, relu: true, upsample: 'bilinear' });
 * ```
 */
export const gradCam: AttributionMethod<CamOptions> = gradientCamMethod({
  name: 'grad-cam',
  description: 'Gradient-weighted class activation map (Selvaraju et al. 2017)',
  combine: gradCamMap,
});
