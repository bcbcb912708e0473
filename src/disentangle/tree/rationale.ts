/**
 * Rationales of a CNN's predictions at a conv layer (Zhang et al., "Interpreting CNNs via
 * Decision Trees", CVPR 2019, https://arxiv.org/abs/1802.00121, Sec. 3.2): the layer's feature
 * maps x and the gradient g = ∂y/∂x of the class score y (the logit; the engine's compiled
 * forward+backward run seeded on the logits, one batched pass), reduced per filter as in
 * {@link Rationale}. With a piecewise-linear head, y = Σ_c ĝ_c·x̂_c + b exactly (b: the
 * biases' share), which is the first-order form the paper explains.
 */

import { requireLayer } from '../../attribution/layers.js';
import { type RowSource, runGradientRows } from '../../attribution/rows.js';
import { scoreOutput, seedTensor } from '../../attribution/targets.js';
import type { Model } from '../../engine/model.js';
import type { Rationale } from './types.js';

/** Options of {@link computeRationales}. */
export interface RationaleOptions {
  /** The 4-D conv activation (tensor or node name). */
  readonly layer: string;
  /** The class whose score is explained. */
  readonly target: number;
  /** Images per engine call. Default 8. */
  readonly batchSize?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (done: number, total: number) => void;
  /**
   * Called with each row's activation at the layer, [C, h, w] flattened (a view: copy what you
   * keep), before it is reduced; the report uses it to find where each filter fires.
   */
  readonly onMaps?: (row: number, activation: Float32Array, map: { channels: number; height: number; width: number }) => void;
}

/**
 * One sample's rationale from its activation and gradient, both [C, P] in C order. Pure.
 *
 * @example
 * ```ts
 * const r = reduceRationale(activation, gradient, 16, 64, score);
 * ```
 */
export function reduceRationale(activation: ArrayLike<number>, gradient: ArrayLike<number>, channels: number, pixels: number, score: number): Rationale {
  const features = new Float64Array(channels);
  const grad = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    let xs = 0;
    let gx = 0;
    let gs = 0;
    for (let p = c * pixels; p < (c + 1) * pixels; p++) {
      const x = activation[p] as number;
      const g = gradient[p] as number;
      xs += x;
      gx += g * x;
      gs += g;
    }
    features[c] = xs;
    grad[c] = xs !== 0 ? gx / xs : gs / pixels;
  }
  return { features, gradient: grad, score };
}

/**
 * The rationales of the rows of `source` for class `target` at `layer`, in row order; rows are
 * generated lazily so the data set is never held in memory (only the small per-filter vectors).
 *
 * @example
 * ```ts
 * const rs = await computeRationales(model, [3, 32, 32], source, { layer: '/relu3/Relu_output_0', target: 2 });
 * ```
 */
export async function computeRationales(
  model: Model,
  sampleShape: readonly number[],
  source: Omit<RowSource, 'target'>,
  options: RationaleOptions,
): Promise<Rationale[]> {
  const layer = await requireLayer(model, options.layer, [1, ...sampleShape], 'the decision tree needs');
  const channels = layer.shape[1] as number;
  const seed = seedTensor(model, {});
  const reduced: Rationale[] = [];
  const { scores } = await runGradientRows(
    model,
    sampleShape,
    { ...source, target: () => options.target },
    {
      plan: { seeds: [seed], wrt: [layer.name], read: [layer.name] },
      seed,
      output: scoreOutput(model, {}),
      batchSize: options.batchSize,
      signal: options.signal,
      onProgress: options.onProgress,
    },
    (first, count, result) => {
      const a = result.activations[layer.name];
      const g = result.gradients[layer.name];
      if (!a || !g) return;
      const size = a.data.length / (a.shape[0] as number);
      const pixels = size / channels;
      for (let r = 0; r < count; r++) {
        options.onMaps?.(first + r, a.data.subarray(r * size, (r + 1) * size), {
          channels,
          height: layer.shape[2] ?? 1,
          width: layer.shape[3] ?? pixels,
        });
        reduced.push(reduceRationale(a.data.subarray(r * size, (r + 1) * size), g.data.subarray(r * size, (r + 1) * size), channels, pixels, 0));
      }
    },
  );
  // The scores arrive with the whole run; the reduced vectors are small.
  return reduced.map((r, i) => ({ ...r, score: scores[i] as number }));
}
