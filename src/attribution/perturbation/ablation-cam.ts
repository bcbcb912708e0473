/**
 * Ablation-CAM (Desai & Ramaswamy 2020, WACV,
 * https://openaccess.thecvf.com/content_WACV_2020/html/Desai_Ablation-CAM_Visual_Explanation_for_Deep_Convolutional_Network_via_Gradient-free_Localization_WACV_2020_paper.html):
 * gradient-free CAM. Each channel c of the layer is set to zero, and the drop of the target score
 * weighs that channel: w_c = (y − y_c) / y, map = Σ_c w_c·A_c.
 *
 * Each batch row of a run ablates one channel, so a chunk of `batchSize` ablations costs one run.
 * The runs start at the layer: only the graph after it is evaluated, on copies of the clean
 * activation with one channel zeroed (see `ablation-runners.ts`; graphs that cannot be cut there
 * rerun the whole model with a channel gate instead).
 */

import { forEachChunk } from '../../engine/batching.js';
import type { Model } from '../../engine/model.js';
import type { Tensor } from '../../tensor/tensor.js';
import { type CamOptions, checkCamOptions, finishCamMaps, weightedChannelSum } from '../cam/template.js';
import { camLayer } from '../layers.js';
import { LAYER_MAP_DISPLAY, LAYER_MAP_OPTIONS } from '../options.js';
import { checkBatchSize } from '../rows.js';
import { resolveTargets, scoreOutput, targetScores } from '../targets.js';
import type { AttributionMethod, AttributionResult } from '../types.js';
import { type AblationRunner, ablationRunner } from './ablation-runners.js';

/** Options of Ablation-CAM: the CAM options; `batchSize` (default 16) counts ablations per run. */
export type AblationCamOptions = CamOptions;

/**
 * The target score y_c of each sample with each channel ablated, [N·C] in (sample, channel) order:
 * row r of a chunk is sample ⌊r / C⌋ with channel r mod C set to zero.
 */
async function ablatedScores(runner: AblationRunner, targets: readonly number[], options: AblationCamOptions): Promise<Float64Array> {
  const c = runner.channels;
  const total = targets.length * c;
  const out = new Float64Array(total);
  await forEachChunk(total, runner.batch, options, async (first, count) => {
    const output = await runner.ablated(first, count);
    const k = output.data.length / runner.batch;
    const rowTargets = Array.from({ length: count }, (_, r) => targets[Math.floor((first + r) / c)] as number);
    const rows: Tensor = { data: output.data.subarray(0, count * k), shape: [count, k] };
    targetScores(rows, rowTargets, options.score).forEach((s, r) => {
      out[first + r] = s;
    });
  });
  return out;
}

/**
 * Ablation-CAM's channel weights from the clean score y and the ablated scores y_c:
 * w_c = (y − y_c) / y, the paper's formula (its sign follows y's; y = 0 gives y − y_c).
 *
 * @example
 * ```ts
 * ablationWeights(2, [1, 2, 3]); // [0.5, 0, -0.5]
 * ```
 */
export function ablationWeights(y: number, ablated: ArrayLike<number>): Float64Array {
  const w = new Float64Array(ablated.length);
  const scale = y === 0 ? 1 : y;
  for (let c = 0; c < ablated.length; c++) w[c] = (y - (ablated[c] as number)) / scale;
  return w;
}

/**
 * Ablation-CAM at a layer (default: the last 4-D activation before global pooling). Returns the
 * raw map [N, 1, h, w] (the paper applies a ReLU: set `relu`), `upsample: 'bilinear'` for the
 * input's resolution, and `details.weights` (per sample, per channel). `batchSize` (default 16)
 * bounds how many ablations run at once; N·C ablations are scored in all.
 *
 * @example
 * ```ts
 * const { attribution, details } = await ablationCam.attribute(model, x, { target: 281, relu: true, upsample: 'bilinear' });
 * ```
 */
export const ablationCam: AttributionMethod<AblationCamOptions> = {
  name: 'ablation-cam',
  kind: 'layer',
  needs: { gradients: false, layer: true, baseline: false },
  options: LAYER_MAP_OPTIONS,
  output: 'layer-map',
  display: LAYER_MAP_DISPLAY,
  description: 'Gradient-free CAM from the score drop when each channel is ablated (Desai & Ramaswamy 2020)',
  async attribute(model: Model, x: Tensor, options: AblationCamOptions = {}): Promise<AttributionResult> {
    model.validateInput(x);
    checkCamOptions(options);
    const layer = await camLayer(model, options.layer, x.shape);
    const [, channels, h, w] = layer.shape;
    const n = x.shape[0] as number;
    const batch = Math.min(checkBatchSize(options.batchSize), n * channels);
    const runner = await ablationRunner(model, layer, scoreOutput(model, options), batch, x, options);
    try {
      const pass = await runner.clean(options.signal);
      const targets = resolveTargets(options.target, pass.output);
      const clean = { ...pass, targets, scores: targetScores(pass.output, targets, options.score) };
      const ablated = await ablatedScores(runner, clean.targets, options);
      const maps = new Float32Array(n * h * w);
      const weights: number[][] = [];
      for (let i = 0; i < n; i++) {
        const wi = ablationWeights(clean.scores[i] as number, ablated.subarray(i * channels, (i + 1) * channels));
        weights.push(Array.from(wi));
        const a = clean.activations.subarray(i * clean.layerPer, (i + 1) * clean.layerPer);
        maps.set(weightedChannelSum(a, wi, channels, h * w), i * h * w);
      }
      const attribution = finishCamMaps({ data: maps, shape: [n, 1, h, w] }, x.shape, options);
      return { attribution, targets: clean.targets, scores: clean.scores, details: { layer: layer.name, weights } };
    } finally {
      await runner.dispose();
    }
  },
};
