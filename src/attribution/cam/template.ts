/**
 * The shared part of the gradient CAM family, in the manner of pytorch-grad-cam's `BaseCAM`:
 * one forward+backward pass at a named layer gives each sample's activation A[c, h, w] and
 * gradient G[c, h, w] of its target score; a variant supplies only the small hook that combines
 * them into a map [h, w]. Optional ReLU and bilinear upsampling are applied last.
 */
import type { Model } from '../../engine/model.js';
import { LucernaError } from '../../errors.js';
import { formatShape, sizeOf, type Tensor } from '../../tensor/tensor.js';
import { camLayer, type LayerInfo } from '../layers.js';
import { LAYER_MAP_DISPLAY, LAYER_MAP_OPTIONS } from '../options.js';
import { type RowTargets, runGradientRows, tensorRows } from '../rows.js';
import { explicitTargets, scoreOutput, seedTensor } from '../targets.js';
import type { AttributionMethod, AttributionResult, CommonOptions } from '../types.js';
import { upsampleBilinear } from '../upsample.js';

/** Options of every CAM method. */
export interface CamOptions extends CommonOptions {
  /** The 4-D activation to explain (a tensor or node name). Default: {@link defaultCamLayer}. */
  readonly layer?: string;
  /** Clamp the map at zero. Default false: the raw map, as Captum's `relu_attributions=False`. */
  readonly relu?: boolean;
  /** `bilinear`: upsample the map to the input's H×W (align_corners=False). Default false: layer resolution. */
  readonly upsample?: false | 'bilinear';
}

/**
 * A variant's hook: one sample's map [h·w] from its activation and gradient, both [C, h·w] in
 * C order. A pure function.
 */
export type CamCombiner = (activation: Float32Array, gradient: Float32Array, channels: number, pixels: number) => Float32Array;

/** What a gradient CAM variant declares. */
export interface CamVariant {
  readonly name: string;
  readonly description: string;
  readonly combine: CamCombiner;
}

/**
 * The weighted sum Σ_c weights[c]·A[c, :] of the activation channels: the last step of
 * Grad-CAM-like variants.
 *
 * @example
 * ```ts
 * const map = weightedChannelSum(activation, weights, channels, pixels);
 * ```
 */
export function weightedChannelSum(activation: Float32Array, weights: ArrayLike<number>, channels: number, pixels: number): Float32Array {
  const map = new Float64Array(pixels);
  for (let c = 0; c < channels; c++) {
    const w = weights[c] as number;
    if (w === 0) continue;
    const a = activation.subarray(c * pixels, (c + 1) * pixels);
    for (let p = 0; p < pixels; p++) map[p] = (map[p] as number) + w * (a[p] as number);
  }
  return Float32Array.from(map);
}

/**
 * Validates the post-processing options (they may come from the CLI untyped).
 *
 * @example
 * ```ts
 * checkCamOptions({ upsample: 'bilinear' });
 * ```
 */
export function checkCamOptions(options: Pick<CamOptions, 'upsample'>): void {
  const up = options.upsample;
  if (up !== undefined && up !== false && up !== 'bilinear') {
    throw new LucernaError('BAD_OPTION', `Unknown upsample option "${String(up)}"`, 'Use "bilinear", or false for the layer resolution');
  }
}

/**
 * The post-processing every CAM method shares: ReLU if asked, then bilinear upsampling to the
 * input's spatial size if asked.
 *
 * @example
 * ```ts
 * const out = finishCamMaps(maps, x.shape, { relu: true, upsample: 'bilinear' });
 * ```
 */
export function finishCamMaps(maps: Tensor, inputShape: readonly number[], options: Pick<CamOptions, 'relu' | 'upsample'>): Tensor {
  checkCamOptions(options);
  if (options.relu) for (let i = 0; i < maps.data.length; i++) maps.data[i] = Math.max(0, maps.data[i] as number);
  if (!options.upsample) return maps;
  if (inputShape.length !== 4) {
    throw new LucernaError(
      'BAD_OPTION',
      `Cannot upsample a CAM map to an input of shape ${formatShape(inputShape)}`,
      'Upsampling needs a 4-D [N, C, H, W] image input',
    );
  }
  return upsampleBilinear(maps, [inputShape[2] as number, inputShape[3] as number]);
}

/**
 * Each sample's activation and target-score gradient at `layer`, from one compiled
 * forward+backward plan, batched; `onSample(index, A, G)` gets views valid only during the call.
 *
 * @example
 * ```ts
 * await forEachLayerGradient(model, x, targets, layer, {}, (i, a, g) => { ... });
 * ```
 */
export async function forEachLayerGradient(
  model: Model,
  x: Tensor,
  targets: readonly number[] | undefined,
  layer: string,
  options: CommonOptions,
  onSample: (index: number, activation: Float32Array, gradient: Float32Array) => void,
): Promise<RowTargets> {
  const sampleShape = x.shape.slice(1);
  const seed = seedTensor(model, options);
  return runGradientRows(
    model,
    sampleShape,
    tensorRows(x, targets),
    { ...options, plan: { seeds: [seed], wrt: [layer], read: [layer] }, seed, output: scoreOutput(model, options), inputChecked: true },
    (first, count, result) => {
      const activation = result.activations[layer] as Tensor;
      const a = activation.data;
      const g = (result.gradients[layer] as Tensor).data;
      const size = sizeOf(activation.shape.slice(1));
      for (let r = 0; r < count; r++) onSample(first + r, a.subarray(r * size, (r + 1) * size), g.subarray(r * size, (r + 1) * size));
    },
  );
}

/**
 * The raw maps [N, 1, h, w] of a gradient CAM variant at a validated layer, for the options'
 * targets (the predicted class, found in the same run, when none is given).
 *
 * @example
 * ```ts
 * const { maps, targets } = await gradientCamMaps(model, x, layer, gradCamMap, { target: 3 });
 * ```
 */
export async function gradientCamMaps(
  model: Model,
  x: Tensor,
  layer: LayerInfo,
  combine: CamCombiner,
  options: CommonOptions,
): Promise<RowTargets & { maps: Tensor }> {
  const [, channels, h, w] = layer.shape;
  const pixels = h * w;
  const n = x.shape[0] as number;
  const data = new Float32Array(n * pixels);
  const targets = explicitTargets(options.target, n);
  const resolved = await forEachLayerGradient(model, x, targets, layer.name, options, (i, a, g) => data.set(combine(a, g, channels, pixels), i * pixels));
  return { ...resolved, maps: { data, shape: [n, 1, h, w] } };
}

/**
 * Runs a gradient CAM variant end to end: validate, resolve the layer and targets, combine,
 * post-process.
 *
 * @example
 * ```ts
 * const result = await runGradientCam(model, x, { layer: '/layer4/layer4.1/relu_1/Relu_output_0' }, gradCamMap);
 * ```
 */
export async function runGradientCam(model: Model, x: Tensor, options: CamOptions, combine: CamCombiner): Promise<AttributionResult> {
  model.validateInput(x);
  checkCamOptions(options);
  const layer = await camLayer(model, options.layer, x.shape);
  const { maps, targets, scores } = await gradientCamMaps(model, x, layer, combine, options);
  return { attribution: finishCamMaps(maps, x.shape, options), targets, scores, details: { layer: layer.name } };
}

/**
 * Makes a CAM method from a variant's hook.
 *
 * @example
 * ```ts
 * export const myCam = gradientCamMethod({ name: 'my-cam', description: '…', combine: (a, g, c, p) => … });
 * ```
 */
export function gradientCamMethod(variant: CamVariant): AttributionMethod<CamOptions> {
  return {
    name: variant.name,
    kind: 'layer',
    needs: { gradients: true, layer: true, baseline: false },
    options: LAYER_MAP_OPTIONS,
    output: 'layer-map',
    display: LAYER_MAP_DISPLAY,
    description: variant.description,
    attribute: (model: Model, x: Tensor, options: CamOptions = {}) => runGradientCam(model, x, options, variant.combine),
  };
}
