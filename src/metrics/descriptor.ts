/**
 * The shape of a metric: a descriptor with its name, its paper, what it needs, which direction is
 * better, and `evaluate`, which scores one method's attribution on one image. `evaluate` in
 * `lucerna evaluate`, the report and the docs enumerate the registry (`registry.ts`); adding a
 * metric is one descriptor (beside its implementation) plus one registry line.
 */
import type { AttributionMethod, CommonOptions } from '../attribution/types.js';
import type { Model } from '../engine/model.js';
import type { Tensor } from '../tensor/tensor.js';
import type { EvaluationSettings } from './evaluation.js';
import type { RandomizationMode, RandomizedModels } from './randomization.js';

/** Everything a metric may read about one (method, image) pair. */
export interface MetricContext {
  readonly model: Model;
  /** The image, [1, C, H, W]. */
  readonly x: Tensor;
  /** The method's raw attribution of `x`. */
  readonly attribution: Tensor;
  /** Ground-truth object mask [1, 1, H, W], when the run has masks. */
  readonly mask?: Tensor;
  readonly method: AttributionMethod<CommonOptions>;
  /** The options the method ran with (metrics that rerun it pass them on). */
  readonly methodOptions: Readonly<Record<string, unknown>>;
  /** The class explained. */
  readonly target: number;
  readonly settings: EvaluationSettings;
  readonly signal?: AbortSignal;
  /** Whether the method's attributions already multiply by the input (infidelity divides by it). */
  readonly inputScaled: boolean;
  /** The randomized copies of the model for a sanity-check mode, shared across images. */
  randomizedModels(mode: RandomizationMode): RandomizedModels;
}

/** One curve over a fraction axis (deletion, insertion). */
export interface MetricCurve {
  readonly values: readonly number[];
  readonly fractions: readonly number[];
}

/** One randomization run, as curves over the stages. */
export interface RandomizationCurves {
  /** The last layer randomized at each stage. */
  readonly layers: readonly string[];
  readonly spearman: readonly number[];
  readonly spearmanAbs: readonly number[];
  readonly ssim: readonly number[];
}

/** What a metric returns for one image: its number, and the curves reports draw. */
export interface MetricOutcome {
  /** NaN where the metric is undefined (e.g. an empty mask). */
  readonly value: number;
  readonly curve?: MetricCurve;
  readonly randomization?: { readonly mode: RandomizationMode; readonly curves: RandomizationCurves };
}

/**
 * A metric.
 *
 * @example
 * ```ts
 * const outcome = await deletionMetric.evaluate(context); // { value: 0.12, curve: { … } }
 * ```
 */
export interface MetricDescriptor<Name extends string = string> {
  readonly name: Name;
  /** One line with the paper. */
  readonly description: string;
  /** Needs a ground-truth mask per image. */
  readonly needsMask: boolean;
  /** Which direction is better. */
  readonly better: 'lower' | 'higher';
  evaluate(context: MetricContext): Promise<MetricOutcome>;
}

/**
 * The mask of a mask metric's context (the evaluation plan guarantees one).
 *
 * @example
 * ```ts
 * const mask = requireMask(context, 'pointing-game');
 * ```
 */
export function requireMask(context: MetricContext, name: string): Tensor {
  if (!context.mask) throw new Error(`internal: ${name} needs a mask`);
  return context.mask;
}
