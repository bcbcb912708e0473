/**
 * Guided Grad-CAM (Selvaraju et al. 2017, https://arxiv.org/abs/1610.02391), as Captum's
 * `GuidedGradCam`: guided backpropagation times the ReLU'd Grad-CAM map, upsampled to the input
 * and broadcast over the input channels. The upsampling is bilinear (align_corners=False) by
 * default, as pytorch-grad-cam and Captum's `LayerAttribution.interpolate` draw CAMs; nearest
 * neighbours (the default of Captum's `GuidedGradCam.attribute(interpolate_mode=...)`) shows the
 * layer's cells as blocks and stays available as `interpolation: 'nearest'`.
 *
 * Both factors come from ONE compiled graph: one forward pass, the standard backward pass to the
 * layer (Grad-CAM) and the guided backward pass to the input beside it (the plan's `also`), where
 * two graphs would run the forward pass twice and alternate two sessions' thread pools.
 */
import type { Model } from '../../engine/model.js';
import { LucernaError } from '../../errors.js';
import { formatShape, sizeOf, type Tensor } from '../../tensor/tensor.js';
import { camLayer, type LayerInfo } from '../layers.js';
import { OPTIONS } from '../options.js';
import { type RowTargets, runGradientRows, tensorRows } from '../rows.js';
import { explicitTargets, scoreOutput, seedTensor } from '../targets.js';
import type { AttributionMethod, AttributionResult, CommonOptions } from '../types.js';
import { type UpsampleMode, upsample } from '../upsample.js';
import { gradCamMap } from './grad-cam.js';

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
 * The raw Grad-CAM maps [N, 1, h, w] at `layer` and the guided-backprop input gradients [N, ...]
 * of the same targets, from one compiled forward pass with two backward passes.
 *
 * @example
 * ```ts
 * const { maps, guided, targets } = await gradCamAndGuided(model, x, layer, { target: 3 });
 * ```
 */
export async function gradCamAndGuided(
  model: Model,
  x: Tensor,
  layer: LayerInfo,
  options: CommonOptions,
): Promise<RowTargets & { maps: Tensor; guided: Tensor }> {
  const [, channels, h, w] = layer.shape;
  const pixels = h * w;
  const n = x.shape[0] as number;
  const sampleShape = x.shape.slice(1);
  const per = sizeOf(sampleShape);
  const maps = new Float32Array(n * pixels);
  const guided = new Float32Array(n * per);
  const targets = explicitTargets(options.target, n);
  const seed = seedTensor(model, options);
  const inputName = model.input.name;
  const plan = { seeds: [seed], wrt: [layer.name], read: [layer.name], also: [{ rules: 'guided', wrt: [inputName] }] };
  const resolved = await runGradientRows(
    model,
    sampleShape,
    tensorRows(x, targets),
    { ...options, plan, seed, output: scoreOutput(model, options), inputChecked: true },
    (first, count, result) => {
      const a = (result.activations[layer.name] as Tensor).data;
      const g = (result.gradients[layer.name] as Tensor).data;
      const size = channels * pixels;
      for (let r = 0; r < count; r++) {
        const at = r * size;
        maps.set(gradCamMap(a.subarray(at, at + size), g.subarray(at, at + size), channels, pixels), (first + r) * pixels);
      }
      guided.set(((result.branches[0] as Record<string, Tensor>)[inputName] as Tensor).data.subarray(0, count * per), first * per);
    },
  );
  return { ...resolved, maps: { data: maps, shape: [n, 1, h, w] }, guided: { data: guided, shape: [...x.shape] } };
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
    const { maps, guided, targets, scores } = await gradCamAndGuided(model, x, layer, options);
    for (let i = 0; i < maps.data.length; i++) maps.data[i] = Math.max(0, maps.data[i] as number);
    const mode = options.interpolation ?? 'bilinear';
    const upsampled = upsample(maps, [x.shape[2] as number, x.shape[3] as number], mode);
    return { attribution: multiplyByMap(guided, upsampled), targets, scores, details: { layer: layer.name, interpolation: mode } };
  },
};
