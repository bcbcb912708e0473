/**
 * What the perturbation metrics start with: a scorer (a model's, or a black box) and the resolved
 * targets and clean scores of each sample — the same context as the perturbation methods.
 */
import { type PerturbationContext, perturbationContext } from '../attribution/perturbation/context.js';
import { modelScorer, type Scorer } from '../attribution/perturbation/scorer.js';
import { explicitTargets } from '../attribution/targets.js';
import type { ScoreOptions } from '../attribution/types.js';
import { Model } from '../engine/model.js';
import { LucernaError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';

/** A model, or any batch-to-scores function wrapped as a {@link Scorer}. */
export type ModelOrScorer = Model | Scorer;

/** Options every scorer-based metric takes. */
export interface MetricRunOptions extends ScoreOptions {
  /** Inputs per forward pass (default: the scorer's, or 32 for a model). */
  readonly batchSize?: number;
  readonly signal?: AbortSignal;
  /** Called with (done, total) forward rows. */
  readonly onProgress?: (done: number, total: number) => void;
}

/**
 * The scorer, clean scores and targets for a metric run.
 *
 * @example
 * ```ts
 * const { scorer, targets } = await metricContext(model, x, { target: 'argmax', score: 'probability' });
 * ```
 */
export function metricContext(source: ModelOrScorer, x: Tensor, options: MetricRunOptions): Promise<PerturbationContext> {
  if (source instanceof Model) return perturbationContext(source, x, options);
  return perturbationContext(undefined, x, { ...options, scorer: source });
}

/**
 * The scorer and targets only, skipping the clean forward pass when the targets are given
 * explicitly (a class index or one per sample); with `argmax` the clean scores are computed.
 * Target ranges are checked by the runner when the first scores arrive.
 *
 * @example
 * ```ts
 * const { scorer, targets } = await metricTargets(model, x, { target: 3 }); // no forward pass yet
 * ```
 */
export async function metricTargets(source: ModelOrScorer, x: Tensor, options: MetricRunOptions): Promise<{ scorer: Scorer; targets: number[] }> {
  const targets = explicitTargets(options.target, x.shape[0] as number);
  if (!targets) return metricContext(source, x, options);
  for (const t of targets) if (!Number.isInteger(t) || t < 0) throw new LucernaError('BAD_TARGET', `Target ${t} is not a class index`);
  if (!(source instanceof Model)) return { scorer: source, targets };
  source.validateInput(x);
  return { scorer: modelScorer(source, { batchSize: options.batchSize, output: options.output, score: options.score }), targets };
}
