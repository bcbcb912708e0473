/**
 * Score-CAM (Wang et al. 2020, https://arxiv.org/abs/1910.01279): gradient-free CAM. Each channel
 * of the layer, upsampled to the input size and min–max normalised to [0, 1], masks the input;
 * the target score of each masked input x ⊙ M_c gives the channel's weight (a softmax over the
 * channels), and the map is Σ_c w_c·A_c.
 *
 * The masked inputs go through the shared perturbation runner, so they are scored in batches by
 * the model's scorer (or a user scorer); the activations come from one forward pass.
 */

import type { Model } from '../../engine/model.js';
import { LucernaError } from '../../errors.js';
import { formatShape, sizeOf, type Tensor } from '../../tensor/tensor.js';
import { type CamOptions, checkCamOptions, finishCamMaps, weightedChannelSum } from '../cam/template.js';
import { layerActivations } from '../layer-activations.js';
import { camLayer } from '../layers.js';
import { LAYER_MAP_DISPLAY, LAYER_MAP_OPTIONS } from '../options.js';
import type { AttributionMethod, AttributionResult } from '../types.js';
import { upsampleBilinear } from '../upsample.js';
import { type PerturbationOptions, perturbationContext } from './context.js';
import { scorePerturbations } from './runner.js';

/** Options of Score-CAM. */
export interface ScoreCamOptions extends CamOptions, PerturbationOptions {
  /**
   * `true` (default, the paper): weights are the softmax over channels of the masked inputs'
   * target scores. `false`: the raw increase of each masked score over the score of an all-zero
   * input (the paper's baseline X_b), unnormalised.
   */
  readonly softmax?: boolean;
}

/**
 * One activation channel [h·w] upsampled (bilinear, align_corners=False) to H×W and min–max
 * normalised to [0, 1] — Score-CAM's mask. A constant channel gives an all-zero mask.
 *
 * @example
 * ```ts
 * const mask = channelMask(a.subarray(c * 64, (c + 1) * 64), [8, 8], [32, 32]); // Float32Array(1024)
 * ```
 */
export function channelMask(channel: Float32Array, [h, w]: readonly [number, number], size: readonly [number, number]): Float32Array {
  const mask = upsampleBilinear({ data: channel, shape: [1, 1, h, w] }, size).data;
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of mask) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const range = hi - lo;
  for (let i = 0; i < mask.length; i++) mask[i] = range > 0 ? ((mask[i] as number) - lo) / range : 0;
  return mask;
}

/**
 * Score-CAM's channel weights for one sample: the softmax of the masked scores, or (softmax
 * false) each masked score minus the baseline score.
 *
 * @example
 * ```ts
 * scoreCamWeights([1, 2, 3], { softmax: true }); // [0.09, 0.245, 0.665]
 * ```
 */
export function scoreCamWeights(scores: ArrayLike<number>, how: { softmax: boolean; baseline?: number }): Float64Array {
  const w = Float64Array.from(scores as ArrayLike<number>);
  if (!how.softmax) return w.map((s) => s - (how.baseline ?? 0));
  const max = w.reduce((m, s) => Math.max(m, s), -Infinity);
  let sum = 0;
  for (let c = 0; c < w.length; c++) sum += w[c] = Math.exp((w[c] as number) - max);
  return w.map((e) => e / sum);
}

function imageSize(x: Tensor): [number, number] {
  if (x.shape.length !== 4) {
    throw new LucernaError('BAD_SHAPE', `Score-CAM masks need a 4-D [N, C, H, W] image input, got ${formatShape(x.shape)}`, 'Use ablation-cam or grad-cam');
  }
  return [x.shape[2] as number, x.shape[3] as number];
}

/**
 * Score-CAM at a layer (default: the last 4-D activation before global pooling). Returns the raw
 * map [N, 1, h, w] at layer resolution (the paper's map is its ReLU: set `relu`; with softmax
 * weights and non-negative activations it changes nothing), `upsample: 'bilinear'` for the input's
 * resolution, and `details.weights` per sample and channel. Scores N·C masked inputs (plus N
 * zero inputs with `softmax: false`) in batches of `batchSize` (default 32); the paper explains
 * the class probability (`score: 'probability'`), the default here is the logit.
 *
 * @example
 * ```ts
 * const { attribution } = await scoreCam.attribute(model, x, { target: 281, relu: true, upsample: 'bilinear' });
 * ```
 */
export const scoreCam: AttributionMethod<ScoreCamOptions> = {
  name: 'score-cam',
  kind: 'perturbation',
  needs: { gradients: false, layer: true, baseline: false },
  options: LAYER_MAP_OPTIONS,
  output: 'layer-map',
  display: LAYER_MAP_DISPLAY,
  description: 'Score-weighted CAM: channels weighted by the score of the input they mask (Wang et al. 2020)',
  async attribute(model: Model, x: Tensor, options: ScoreCamOptions = {}): Promise<AttributionResult> {
    model.validateInput(x);
    checkCamOptions(options);
    const size = imageSize(x);
    const layer = await camLayer(model, options.layer, x.shape);
    const [, channels, h, w] = layer.shape;
    const softmax = options.softmax ?? true;
    const ctx = await perturbationContext(model, x, options);
    const a = await layerActivations(model, x, layer.name, options);
    const n = x.shape[0] as number;
    const per = sizeOf(x.shape.slice(1));
    const layerPer = channels * h * w;
    const pixels = size[0] * size[1];
    const masked = n * channels;
    const scores = new Float64Array(masked + (softmax ? 0 : n));
    const source = {
      count: scores.length,
      target: (index: number) => ctx.targets[index < masked ? Math.floor(index / channels) : index - masked] as number,
      fill(index: number, out: Float32Array) {
        if (index >= masked) {
          out.fill(0);
          return;
        }
        const i = Math.floor(index / channels);
        const c = index % channels;
        const mask = channelMask(a.data.subarray(i * layerPer + c * h * w, i * layerPer + (c + 1) * h * w), [h, w], size);
        const xi = x.data.subarray(i * per, (i + 1) * per);
        for (let k = 0; k < per; k++) out[k] = (xi[k] as number) * (mask[k % pixels] as number);
      },
    };
    await scorePerturbations(ctx.scorer, x.shape.slice(1), source, (first, s) => scores.set(s, first), options);
    const maps = new Float32Array(n * h * w);
    const weights: number[][] = [];
    for (let i = 0; i < n; i++) {
      const wi = scoreCamWeights(scores.subarray(i * channels, (i + 1) * channels), { softmax, baseline: scores[masked + i] });
      weights.push(Array.from(wi));
      maps.set(weightedChannelSum(a.data.subarray(i * layerPer, (i + 1) * layerPer), wi, channels, h * w), i * h * w);
    }
    const attribution = finishCamMaps({ data: maps, shape: [n, 1, h, w] }, x.shape, options);
    return { attribution, targets: ctx.targets, scores: ctx.scores, details: { layer: layer.name, weights } };
  },
};
