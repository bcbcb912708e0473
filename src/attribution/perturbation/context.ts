/**
 * What every perturbation method starts with: a scorer (the model's, or the user's black box),
 * the clean scores of each sample, and the resolved targets.
 */
import type { Model } from '../../engine/model.js';
import { LucernaError } from '../../errors.js';
import type { Tensor } from '../../tensor/tensor.js';
import { resolveTargets } from '../targets.js';
import type { CommonOptions } from '../types.js';
import { scoreInputs } from './runner.js';
import { modelScorer, type Scorer } from './scorer.js';

/** Options shared by perturbation methods. */
export interface PerturbationOptions extends CommonOptions {
  /** Score with this scorer instead of the model (a black box, a remote model). */
  readonly scorer?: Scorer;
}

/** The scorer, clean scores and targets of one request. */
export interface PerturbationContext {
  readonly scorer: Scorer;
  /** Class scores of the unperturbed inputs, [N, K]. */
  readonly clean: Tensor;
  readonly targets: number[];
  /** The clean target score of each sample. */
  readonly scores: number[];
}

/**
 * Builds the context: uses `options.scorer` when given, else a scorer over `model`.
 *
 * @example
 * ```ts
 * const { scorer, targets, scores } = await perturbationContext(model, x, options);
 * ```
 */
export async function perturbationContext(model: Model | undefined, x: Tensor, options: PerturbationOptions): Promise<PerturbationContext> {
  const scorer = requestScorer(model, x, options);
  const clean = await scoreInputs(scorer, x, options.signal);
  return contextOf(scorer, clean, resolveTargets(options.target, clean));
}

/**
 * The context of a clean pass: its class scores [N, K], each sample's target, and the target's clean score.
 *
 * @example
 * ```ts
 * const context = contextOf(scorer, { data: Float32Array.of(0.1, 0.9), shape: [1, 2] }, [1]); // scores [0.9]
 * ```
 */
export function contextOf(scorer: Scorer, clean: Tensor, targets: number[]): PerturbationContext {
  const k = clean.shape[1] as number;
  return { scorer, clean, targets, scores: targets.map((t, i) => clean.data[i * k + t] as number) };
}

/**
 * The scorer of a request (`options.scorer` when given, else one over `model`), after checking the
 * input against the model: the start of every perturbation method, before its clean pass.
 *
 * @example
 * ```ts
 * const scorer = requestScorer(model, x, { batchSize: 16 });
 * ```
 */
export function requestScorer(model: Model | undefined, x: Tensor, options: PerturbationOptions): Scorer {
  if (model) model.validateInput(x);
  const scorer = options.scorer ?? (model ? modelScorer(model, { batchSize: options.batchSize, output: options.output, score: options.score }) : undefined);
  if (!scorer) throw new LucernaError('BAD_OPTION', 'A perturbation method needs a model or a scorer');
  return scorer;
}
