/**
 * Bias discovery on a batch of unbiased reference images (Zhang, Wang, Zhu, "Examining CNN
 * Representations with respect to Dataset Bias", AAAI 2018, https://arxiv.org/abs/1710.10577):
 * the per-filter rationale of every class score at a conv layer ({@link filterRationale}), then
 * the relations it implies (an attribute value favouring one class over another) compared with the ground truth ({@link mineRelations}:
 * the partial correlation of the class evidence and the attribute given the true class).
 */
import type { CommonOptions } from '../../attribution/types.js';
import type { Model } from '../../engine/model.js';
import type { Tensor } from '../../tensor/tensor.js';
import { filterRationale } from './rationale.js';
import { type BiasRelation, mineRelations, type RelationOptions } from './relations.js';

/** The reference images' truth. */
export interface BiasReference {
  /** Class names, index = the model's output index. */
  readonly classes: readonly string[];
  /** The true class of each image of the batch. */
  readonly labels: readonly number[];
  /** Indicator names (`column=value`). */
  readonly attributes: readonly string[];
  /** `indicators[n][j]` for each image of the batch. */
  readonly indicators: readonly (readonly number[])[];
}

/**
 * Every relation (attribute value × pair of classes) at `layer`, ranked by bias, flagged at the threshold.
 *
 * @example
 * ```ts
 * const relations = await discoverBias(model, x, 'features', reference, { threshold: 0.3 });
 * ```
 */
export async function discoverBias(
  model: Model,
  x: Tensor,
  layer: string,
  reference: BiasReference,
  options: CommonOptions & RelationOptions = {},
): Promise<BiasRelation[]> {
  const { rationale } = await filterRationale(model, x, layer, reference.classes.length, options);
  return mineRelations({ ...reference, rationale }, options);
}
