/**
 * The per-filter rationale of class scores at a conv layer, the evidence that bias discovery
 * (Zhang et al., "Examining CNN Representations with respect to Dataset Bias", AAAI 2018,
 * https://arxiv.org/abs/1710.10577) mines: for class c, image n and filter k,
 * `Σ_positions (∂score_c/∂A_k) · A_k`, with the filter's summed activation `Σ_positions A_k` read
 * in the same run. One compiled forward+backward plan (`wrt` and `read` = the layer), batched, run
 * once per class.
 */

import { forEachLayerGradient } from '../../attribution/cam/template.js';
import { requireLayer } from '../../attribution/layers.js';
import type { CommonOptions } from '../../attribution/types.js';
import type { Model } from '../../engine/model.js';
import type { Tensor } from '../../tensor/tensor.js';

/** Per-image filter evidence at one layer. */
export interface FilterRationale {
  /** `activations[n][k]`: filter k's activation of image n summed over positions. */
  readonly activations: number[][];
  /** `rationale[c][n][k]`: gradient × activation of filter k for class c's score, summed over positions. */
  readonly rationale: number[][][];
}

/**
 * Computes {@link FilterRationale} for `classCount` classes on a batch `x` at `layer`, which must be
 * a 4-D [N, C, h, w] float activation (else a `BAD_SHAPE` error naming its shape).
 *
 * @example
 * ```ts
 * const { activations, rationale } = await filterRationale(model, x, '/relu2/Relu_output_0', 10);
 * ```
 */
export async function filterRationale(model: Model, x: Tensor, layer: string, classCount: number, options: CommonOptions = {}): Promise<FilterRationale> {
  const info = await requireLayer(model, layer, x.shape, 'bias discovery needs');
  const channels = info.shape[1];
  const pixels = info.shape[2] * info.shape[3];
  const n = x.shape[0] as number;
  const activations: number[][] = Array.from({ length: n }, () => new Array<number>(channels).fill(0));
  const rationale: number[][][] = [];
  for (let c = 0; c < classCount; c++) {
    const rows: number[][] = Array.from({ length: n }, () => new Array<number>(channels).fill(0));
    await forEachLayerGradient(model, x, new Array<number>(n).fill(c), info.name, options, (i, a, g) => {
      const row = rows[i] as number[];
      const act = activations[i] as number[];
      for (let k = 0; k < channels; k++) {
        let r = 0;
        let s = 0;
        for (let p = k * pixels; p < (k + 1) * pixels; p++) {
          r += (g[p] as number) * (a[p] as number);
          s += a[p] as number;
        }
        row[k] = r;
        if (c === 0) act[k] = s;
      }
    });
    rationale.push(rows);
  }
  return { activations, rationale };
}
