/**
 * LayerCAM (Jiang et al. 2021, https://doi.org/10.1109/TIP.2021.3089943): every activation is
 * weighted by its own positive gradient, element by element, and the channels summed.
 */
import type { AttributionMethod } from '../types.js';
import { type CamOptions, gradientCamMethod } from './template.js';

/**
 * LayerCAM's hook: map = Σ_c relu(G[c])·A[c], element-wise.
 *
 * @example
 * ```ts
 * const map = layerCamMap(activation, gradient, 16, 256);
 * ```
 */
export function layerCamMap(activation: Float32Array, gradient: Float32Array, channels: number, pixels: number): Float32Array {
  const map = new Float64Array(pixels);
  for (let c = 0; c < channels; c++) {
    for (let p = 0; p < pixels; p++) {
      const g = gradient[c * pixels + p] as number;
      if (g > 0) map[p] = (map[p] as number) + g * (activation[c * pixels + p] as number);
    }
  }
  return Float32Array.from(map);
}

/**
 * LayerCAM at a layer: the raw map [N, 1, h, w]. It works well at shallow layers too.
 *
 * @example
 * ```ts
 * const { attribution } = await layerCam.attribute(model, x, { layer: '/layer2/layer2.1/relu_1/Relu_output_0', upsample: 'bilinear' });
 * ```
 */
export const layerCam: AttributionMethod<CamOptions> = gradientCamMethod({
  name: 'layer-cam',
  description: 'LayerCAM: activations weighted by their positive gradients (Jiang et al. 2021)',
  combine: layerCamMap,
});
