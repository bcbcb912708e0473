/**
 * HiResCAM (Draelos & Carin 2020, https://arxiv.org/abs/2011.08891): the gradient times the
 * activation, element by element, summed over channels. Unlike Grad-CAM it does not average the
 * gradient over space, so the map shows exactly where the model's score came from.
 */
import type { AttributionMethod } from '../types.js';
import { type CamOptions, gradientCamMethod } from './template.js';

/**
 * HiResCAM's hook: map = Σ_c G[c]·A[c], element-wise.
 *
 * @example
 * ```ts
 * const map = hiResCamMap(activation, gradient, 16, 256);
 * ```
 */
export function hiResCamMap(activation: Float32Array, gradient: Float32Array, channels: number, pixels: number): Float32Array {
  const map = new Float64Array(pixels);
  for (let c = 0; c < channels; c++) {
    for (let p = 0; p < pixels; p++) map[p] = (map[p] as number) + (gradient[c * pixels + p] as number) * (activation[c * pixels + p] as number);
  }
  return Float32Array.from(map);
}

/**
 * HiResCAM at a layer: the raw map [N, 1, h, w].
 *
 * @example
 * ```ts
 * const { attribution } = await hiResCam.attribute(model, x, { target: 3 });
 * ```
 */
export const hiResCam: AttributionMethod<CamOptions> = gradientCamMethod({
  name: 'hires-cam',
  description: 'HiResCAM: element-wise gradient times activation (Draelos & Carin 2020)',
  combine: hiResCamMap,
});
