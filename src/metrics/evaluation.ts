/**
 * Evaluating one method on one image with a list of metrics: the attribution is computed once and
 * every metric reads it. The randomized models of the sanity checks live in an
 * {@link EvaluationSession}, so a folder of images compiles each stage once.
 */
import type { BaselineSpec } from '../attribution/baselines.js';
import type { AttributionMethod, CommonOptions, TargetSpec } from '../attribution/types.js';
import type { Model } from '../engine/model.js';
import type { Tensor } from '../tensor/tensor.js';
import { deletion } from './deletion.js';
import { infidelity } from './infidelity.js';
import { insertion } from './insertion.js';
import { maxSensitivity } from './max-sensitivity.js';
import { pointingGame } from './pointing-game.js';
import { modelRandomization, type RandomizationMode, RandomizedModels, spreadStages } from './randomization.js';
import type { MetricInfo, MetricName } from './registry.js';
import { relevanceMassAccuracy } from './relevance-mass.js';
import { relevanceRankAccuracy } from './relevance-rank.js';

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

/** One randomization run of one image, as curves over the stages. */
export interface RandomizationCurves {
  /** The last layer randomized at each stage. */
  readonly layers: readonly string[];
  readonly spearman: readonly number[];
  readonly spearmanAbs: readonly number[];
  readonly ssim: readonly number[];
}

/** What one method scored on one image. */
export interface ImageEvaluation {
  readonly method: string;
  /** The target explained. */
  readonly target: number;
  /** One number per metric (NaN where it is undefined, e.g. an empty mask). */
  readonly values: Partial<Record<MetricName, number>>;
  /** Deletion and insertion score curves over {@link ImageEvaluation.fractions}. */
  readonly curves: { readonly deletion?: readonly number[]; readonly insertion?: readonly number[] };
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
    const a = result.attribution;
    const values: Partial<Record<MetricName, number>> = {};
    const curves: { deletion?: number[]; insertion?: number[] } = {};
    let fractions: number[] | undefined;
    const randomization: Partial<Record<RandomizationMode, RandomizationCurves>> = {};
    const run = { target, batchSize: s.batchSize, signal };
    const curve = { ...run, steps: s.curve.steps, score: s.curve.score };
    for (const metric of metrics) {
      const name = metric.name;
      if (name === 'deletion' || name === 'insertion') {
        const r =
          name === 'deletion'
            ? await deletion(this.model, x, a, { ...curve, baseline: s.curve.deletionBaseline })
            : await insertion(this.model, x, a, { ...curve, baseline: s.curve.insertionBaseline });
        values[name] = r.auc[0] as number;
        curves[name] = r.curves[0] as number[];
        fractions = r.fractions;
      } else if (name === 'pointing-game' || name === 'relevance-mass' || name === 'relevance-rank') {
        if (!mask) throw new Error(`internal: ${name} needs a mask`);
        const fn = name === 'pointing-game' ? pointingGame : name === 'relevance-mass' ? relevanceMassAccuracy : relevanceRankAccuracy;
        values[name] = fn(a, mask, x.shape, { tolerance: s.pointing.tolerance })[0] as number;
      } else if (name === 'randomization' || name === 'randomization-independent') {
        const mode: RandomizationMode = name === 'randomization' ? 'cascading' : 'independent';
        const models = this.models(mode);
        const stages = spreadStages(models.layers.length, s.randomization.stages, mode);
        const r = await modelRandomization(this.model, method, x, { models, stages, target, methodOptions, signal });
        const first = (v: readonly number[]) => v[0] as number;
        const curvesOf: RandomizationCurves = {
          layers: r.stages.map((st) => st.layer),
          spearman: r.stages.map((st) => first(st.spearman)),
          spearmanAbs: r.stages.map((st) => first(st.spearmanAbs)),
          ssim: r.stages.map((st) => first(st.ssim)),
        };
        randomization[mode] = curvesOf;
        values[name] = curvesOf.spearmanAbs.reduce((p, v) => p + v, 0) / curvesOf.spearmanAbs.length;
      } else if (name === 'infidelity-gaussian' || name === 'infidelity-square') {
        const perturbation =
          name === 'infidelity-gaussian'
            ? ({ kind: 'gaussian', stdev: s.infidelity.stdev } as const)
            : ({ kind: 'square', size: s.infidelity.squareSize } as const);
        const r = await infidelity(this.model, x, a, {
          ...run,
          perturbation,
          samples: s.infidelity.samples,
          seed: s.infidelity.seed,
          normalize: s.infidelity.normalize,
          multiplyByInputs: INPUT_SCALED_METHODS.has(method.name),
        });
        values[name] = r.infidelity[0] as number;
      } else if (name === 'max-sensitivity') {
        const r = await maxSensitivity(this.model, method, x, { ...s.sensitivity, target, methodOptions, batchSize: s.batchSize, signal });
        values[name] = r.sensitivity[0] as number;
      }
    }
    return { method: method.name, target, values, curves, fractions, randomization, attribution: a };
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
