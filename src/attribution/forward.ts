/**
 * The forward pass every method starts with: the class scores, the resolved targets and the
 * explained score of each sample.
 */
import type { Model } from '../engine/model.js';
import type { Tensor } from '../tensor/tensor.js';
import { resolveTargets, scoreOutput, targetScores } from './targets.js';
import type { ScoreOptions } from './types.js';

/** Scores and targets of a batch. */
export interface ForwardScores {
  /** The score output, [N, K]. */
  readonly output: Tensor;
  readonly targets: number[];
  /** The explained score (logit or probability) of each sample. */
  readonly scores: number[];
}

/**
 * Runs the model once and resolves the targets.
 *
 * @example
 * ```ts
 * const { targets, scores } = await forwardScores(model, x, { target: 'argmax' });
 * ```
 */
export async function forwardScores(model: Model, x: Tensor, options: ScoreOptions): Promise<ForwardScores> {
  const outputName = scoreOutput(model, options);
  const output = (await model.run(x))[outputName] as Tensor;
  const targets = resolveTargets(options.target, output);
  return { output, targets, scores: targetScores(output, targets, options.score) };
}
