/**
 * Top-k targets: explain each sample's k best classes, one map per rank.
 */
import type { Model } from '../engine/model.js';
import { LucernaError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { scoreOutput, topK } from './targets.js';
import type { AttributionMethod, AttributionResult, CommonOptions } from './types.js';

/**
 * Runs `method` once per rank r = 0..k−1, explaining each sample's r-th best class.
 * Returns one result per rank; `results[r].targets[i]` is sample i's r-th class.
 *
 * @example
 * ```ts
 * const [best, second] = await attributeTopK(gradCam, model, x, 2);
 * ```
 */
export async function attributeTopK<O extends CommonOptions>(
  method: AttributionMethod<O>,
  model: Model,
  x: Tensor,
  k: number,
  options: O = {} as O,
): Promise<AttributionResult[]> {
  const output = (await model.run(x))[scoreOutput(model, options)] as Tensor;
  const classes = output.data.length / (x.shape[0] as number);
  if (!Number.isInteger(k) || k < 1 || k > classes) throw new LucernaError('BAD_OPTION', `top-k needs 1 ≤ k ≤ ${classes}, got ${k}`);
  const ranked = topK(output, k);
  const results: AttributionResult[] = [];
  for (let r = 0; r < k; r++) results.push(await method.attribute(model, x, { ...options, target: ranked.map((row) => row[r] as number) }));
  return results;
}
