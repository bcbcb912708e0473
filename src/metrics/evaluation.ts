/**
 * Evaluating one method on one image with a list of metrics: the attribution is computed once and
 * every metric reads it. The randomized models of the sanity checks live in an
 * {@link EvaluationSession}, so a folder of images compiles each stage once.
 */
import type { BaselineSpec } from '../attribution/baselines.js';
import type { AttributionMethod, CommonOptions, TargetSpec } from '../attribution/types.js';
import type { Model } from '../engine/model.js';
import type { Tensor } from '../tensor/tensor.js';
import type { MetricContext, RandomizationCurves } from './descriptor.js';
import { type RandomizationMode, RandomizedModels } from './randomization.js';
import type { MetricInfo, MetricName } from './registry.js';

export type { RandomizationCurves } from './descriptor.js';

/** Every setting of an evaluation run, with defaults filled in by {@link evaluationSettings}. */
export interface EvaluationSettings {
  readonly target: TargetSpec;
  /** Internal batch size of methods and forward passes. */
  readonly batchSize: number;
  /** Extra options for every method (e.g. `layer` for CAMs). */
  readonly methodOptions: Readonly<Record<string, unknown>>;
  /** Deletion and insertion: steps per curve, score, baselines. */
  readonly curve: {
    readonly steps: number;
    readonly score: 'logit' | 'probability';
    readonly deletionBaseline: BaselineSpec;
    readonly insertionBaseline: BaselineSpec;
  };
  readonly pointing: { readonly tolerance: number };
  /** Randomization: how many stages (spread over the layers) and the seed. */
  readonly randomization: { readonly stages: number; readonly seed: number };
  /** Infidelity; `normalize` (default true) fits the attribution's scale first, so methods of different scales compare. */
  readonly infidelity: { readonly samples: number; readonly stdev: number; readonly squareSize?: number; readonly seed: number; readonly normalize: boolean };
  readonly sensitivity: { readonly samples: number; readonly radius: number; readonly seed: number };
}

/** `defaults` with every defined value of `partial` laid over it (an undefined value keeps the default). */
function withDefaults<T extends object>(defaults: T, partial: Partial<T> | undefined): T {
  const out = { ...defaults } as Record<string, unknown>;
  for (const [k, v] of Object.entries(partial ?? {})) if (v !== undefined) out[k] = v;
  return out as T;
}

/** Overrides of {@link EvaluationSettings}: any field, any sub-field; undefined keeps the default. */
export type SettingsOverrides = {
  readonly [K in keyof EvaluationSettings]?: EvaluationSettings[K] extends object ? Partial<EvaluationSettings[K]> : EvaluationSettings[K];
};

/**
 * The default settings, overridden by `partial`.
 *
 * @example
 * ```ts
 * const settings = evaluationSettings({ curve: { steps: 50 } });
 * ```
 */
export function evaluationSettings(partial: SettingsOverrides = {}): EvaluationSettings {
  return {
    target: partial.target ?? 'argmax',
    batchSize: partial.batchSize ?? 16,
    methodOptions: { ...(partial.methodOptions ?? {}) },
    curve: withDefaults<EvaluationSettings['curve']>({ steps: 100, score: 'probability', deletionBaseline: 'zeros', insertionBaseline: 'blur' }, partial.curve),
    pointing: withDefaults<EvaluationSettings['pointing']>({ tolerance: 15 }, partial.pointing),
    randomization: withDefaults<EvaluationSettings['randomization']>({ stages: 5, seed: 0 }, partial.randomization),
    infidelity: withDefaults<EvaluationSettings['infidelity']>({ samples: 32, stdev: 0.1, seed: 0, normalize: true }, partial.infidelity),
    sensitivity: withDefaults<EvaluationSettings['sensitivity']>({ samples: 10, radius: 0.02, seed: 0 }, partial.sensitivity),
  };
}

/**
 * Methods whose attributions already multiply by the input; infidelity then uses I / x.
 *
 * @example
 * ```ts
 * INPUT_SCALED_METHODS.has('integrated-gradients'); // true
 * ```
 */
export const INPUT_SCALED_METHODS: ReadonlySet<string> = new Set(['input-x-gradient', 'integrated-gradients', 'deeplift']);

/** What one method scored on one image. */
export interface ImageEvaluation {
  readonly method: string;
  /** The target explained. */
  readonly target: number;
  /** One number per metric (NaN where it is undefined, e.g. an empty mask). */
  readonly values: Partial<Record<MetricName, number>>;
  /** Curves over {@link ImageEvaluation.fractions} of the metrics that draw one (deletion, insertion). */
  readonly curves: Partial<Record<MetricName, readonly number[]>>;
  readonly fractions?: readonly number[];
  readonly randomization: Partial<Record<RandomizationMode, RandomizationCurves>>;
  /** The attribution every metric read (for the report's example maps). */
  readonly attribution: Tensor;
}

/**
 * The state shared by every image of a run: the model and its randomized copies.
 *
 * @example
 * ```ts
 * await using session = new EvaluationSession(model, settings);
 * const r = await session.evaluate(saliency, x, undefined, metrics);
 * ```
 */
export class EvaluationSession implements AsyncDisposable {
  private readonly randomized = new Map<RandomizationMode, RandomizedModels>();

  constructor(
    readonly model: Model,
    readonly settings: EvaluationSettings,
  ) {}

  private models(mode: RandomizationMode): RandomizedModels {
    let m = this.randomized.get(mode);
    if (!m) {
      m = new RandomizedModels(this.model, mode, this.settings.randomization.seed);
      this.randomized.set(mode, m);
    }
    return m;
  }

  /**
   * Runs `method` on one image `x` [1, C, H, W] and every metric on its attribution. `mask`
   * [1, 1, H, W] is needed by the mask metrics.
   */
  async evaluate(
    method: AttributionMethod<CommonOptions>,
    x: Tensor,
    mask: Tensor | undefined,
    metrics: readonly MetricInfo[],
    signal?: AbortSignal,
  ): Promise<ImageEvaluation> {
    const s = this.settings;
    const methodOptions: Readonly<Record<string, unknown>> = { ...s.methodOptions, batchSize: s.batchSize, signal };
    const result = await method.attribute(this.model, x, { ...methodOptions, target: s.target } as CommonOptions);
    const target = result.targets[0] as number;
    const values: Partial<Record<MetricName, number>> = {};
    const curves: Partial<Record<MetricName, readonly number[]>> = {};
    let fractions: readonly number[] | undefined;
    const randomization: Partial<Record<RandomizationMode, RandomizationCurves>> = {};
    const context: MetricContext = {
      model: this.model,
      x,
      attribution: result.attribution,
      mask,
      method,
      methodOptions,
      target,
      settings: s,
      signal,
      inputScaled: INPUT_SCALED_METHODS.has(method.name),
      randomizedModels: (mode) => this.models(mode),
    };
    for (const metric of metrics) {
      const outcome = await metric.evaluate(context);
      values[metric.name] = outcome.value;
      if (outcome.curve) {
        curves[metric.name] = outcome.curve.values;
        fractions = outcome.curve.fractions;
      }
      if (outcome.randomization) randomization[outcome.randomization.mode] = outcome.randomization.curves;
    }
    return { method: method.name, target, values, curves, fractions, randomization, attribution: result.attribution };
  }

  /** Releases the randomized models. */
  async dispose(): Promise<void> {
    const all = [...this.randomized.values()];
    this.randomized.clear();
    await Promise.all(all.map((m) => m.dispose()));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}
