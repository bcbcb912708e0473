/**
 * Guided Grad-CAM (Selvaraju et al. 2017, https://arxiv.org/abs/1610.02391), as Captum's
 * `GuidedGradCam`: guided backpropagation times the ReLU'd Grad-CAM map, upsampled to the input
 * and broadcast over the input channels. The upsampling is bilinear (align_corners=False) by
 * default, as pytorch-grad-cam and Captum's `LayerAttribution.interpolate` draw CAMs; nearest
 * neighbours (the default of Captum's `GuidedGradCam.attribute(interpolate_mode=...)`) shows the
 * layer's cells as blocks and stays available as `interpolation: 'nearest'`.
 */
import type { Model } from '../../engine/model.js';
import { LucernaError } from '../../errors.js';
import { formatShape, type Tensor } from '../../tensor/tensor.js';
import { inputGradient } from '../gradient/input-gradient.js';
import { camLayer } from '../layers.js';
import { OPTIONS } from '../options.js';
import type { AttributionMethod, AttributionResult, CommonOptions } from '../types.js';
import { type UpsampleMode, upsample } from '../upsample.js';
import { gradCamMap } from './grad-cam.js';
import { gradientCamMaps } from './template.js';

/** Options of {@link guidedGradCam}: the layer of its Grad-CAM factor and how that factor is upsampled (its ReLU is fixed, as in Captum). */
export interface GuidedGradCamOptions extends CommonOptions {
  /** The 4-D activation of the Grad-CAM factor. Default: {@link defaultCamLayer}. */
  readonly layer?: string;
  /** How the Grad-CAM factor reaches the input size: `bilinear` (default, align_corners=False) or `nearest` (Captum's default). */
  readonly interpolation?: UpsampleMode;
}

/**
 * Multiplies each channel of `perInput` [N, C, H, W] by the map [N, 1, H, W], in place.
 *
 * @example
 * ```ts
 * multiplyByMap(guided, upsampledCam);
 * ```
 */
export function multiplyByMap(perInput: Tensor, map: Tensor): Tensor {
  const [n, c, h, w] = perInput.shape as [number, number, number, number];
  const pixels = h * w;
  for (let i = 0; i < n; i++) {
    const m = map.data.subarray(i * pixels, (i + 1) * pixels);
    for (let ch = 0; ch < c; ch++) {
      const base = (i * c + ch) * pixels;
      for (let p = 0; p < pixels; p++) perInput.data[base + p] = (perInput.data[base + p] as number) * (m[p] as number);
    }
  }
  return perInput;
}

/**
 * Guided Grad-CAM: the input's shape, fine-grained like guided backprop but class-discriminative
 * like Grad-CAM.
 *
 * @example
 * ```ts
 * const { attribution } = await guidedGradCam.attribute(model, x, { target: 281 }); // same shape as x
 * ```
 */
export const guidedGradCam: AttributionMethod<GuidedGradCamOptions> = {
  name: 'guided-grad-cam',
  kind: 'layer',
  needs: { gradients: true, layer: true, baseline: false },
  options: [OPTIONS.layer],
  display: { sign: 'absolute', reduction: 'abs-sum' },
  description: 'Guided backprop times the ReLU of Grad-CAM (Selvaraju et al. 2017)',
  async attribute(model: Model, x: Tensor, options: GuidedGradCamOptions = {}): Promise<AttributionResult> {
    model.validateInput(x);
    if (x.shape.length !== 4) throw new LucernaError('BAD_SHAPE', `Guided Grad-CAM needs a 4-D [N, C, H, W] image input, got ${formatShape(x.shape)}`);
    const layer = await camLayer(model, options.layer, x.shape);
    const { maps, targets, scores } = await gradientCamMaps(model, x, layer, gradCamMap, options);
    for (let i = 0; i < maps.data.length; i++) maps.data[i] = Math.max(0, maps.data[i] as number);
    const mode = options.interpolation ?? 'bilinear';
    const upsampled = upsample(maps, [x.shape[2] as number, x.shape[3] as number], mode);
    const { gradient: guided } = await inputGradient(model, x, { ...options, target: targets, rules: 'guided' });
    return { attribution: multiplyByMap(guided, upsampled), targets, scores, details: { layer: layer.name, interpolation: mode } };
  },
};
